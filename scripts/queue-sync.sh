#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Make sure build/<BASE>/linux exists and holds the series: a fresh checkout gets
# base + the queue imported; a queue changed since the last import gets
# re-imported; unexported work in the tree is kept and tested as is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

"$TOP/scripts/get-base.sh"
if [ -z "$(kgit config --get msidoorbell.synced-head || true)" ]; then
	exec "$TOP/scripts/queue-import.sh"
fi
set +e
"$TOP/scripts/queue-status.sh" --quiet
st=$?
set -e
case $st in
0) say "${KTREE#"$TOP"/} in sync with $(qname) ($(kgit rev-list --count base..HEAD) patches)" ;;
1) say "NOTE: testing ${KTREE#"$TOP"/} as it is: it has work not exported to $(qname) ('make export')" ;;
2) exec "$TOP/scripts/queue-import.sh" ;;
*) die "${KTREE#"$TOP"/} and $(qname) both changed: 'make export' (keeps the tree) or 'make tree FORCE=1' (keeps the queue)" ;;
esac
