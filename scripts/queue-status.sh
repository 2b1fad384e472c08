#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Is build/<BASE>/linux in sync with its queue (patches/ or backports/<v>/)?
#   queue-status.sh --record   remember the current state as in sync
#   queue-status.sh [--quiet]  exit 0 in sync, 1 tree has new work,
#                              2 the queue changed (re-import), 3 both
set -euo pipefail
source "$(dirname "$0")/lib.sh"

qhash() { cat /dev/null "$QDIR"/series "$QDIR"/*.patch 2>/dev/null | sha256sum | cut -c1-16; }
if [ "${1:-}" = --record ]; then
	kgit config msidoorbell.synced-head "$(kgit rev-parse HEAD)"
	kgit config msidoorbell.synced-queue "$(qhash)"
	exit 0
fi
tree=0 queue=0
[ "$(kgit rev-parse HEAD)" = "$(kgit config --get msidoorbell.synced-head || true)" ] || tree=1
[ -z "$(kgit status --porcelain --untracked-files=no)" ] || tree=1
[ "$(qhash)" = "$(kgit config --get msidoorbell.synced-queue || true)" ] || queue=2
rc=$((tree + queue))
if [ "${1:-}" != --quiet ]; then
	case $rc in
	0) say "${KTREE#"$TOP"/} is in sync with $(qname)" ;;
	1) say "${KTREE#"$TOP"/} has work not exported to $(qname) ('make export')" ;;
	2) say "$(qname) changed since ${KTREE#"$TOP"/} was made ('make tree')" ;;
	3) say "both ${KTREE#"$TOP"/} and $(qname) changed: export or re-import by hand" ;;
	esac
fi
exit $rc
