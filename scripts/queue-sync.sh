#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Make sure build/linux exists and holds the series: a fresh checkout gets
# base + patches/ imported; patches/ changed since the last import gets
# re-imported; unexported work in build/linux is kept and tested as is.
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
0) say "build/linux in sync with patches/ ($(kgit rev-list --count base..HEAD) patches)" ;;
1) say "NOTE: testing build/linux as it is: it has work not exported to patches/ ('make export')" ;;
2) exec "$TOP/scripts/queue-import.sh" ;;
*) die "build/linux and patches/ both changed: 'make export' (keeps build/linux) or 'make tree FORCE=1' (keeps patches/)" ;;
esac
