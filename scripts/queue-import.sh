#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Import the base's patch queue: build/<BASE>/linux = tag "base" + one commit per patch
# of <queue>/series (git am, project identity, no fuzz). Refuses to drop
# commits that were never exported unless FORCE=1.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

"$TOP/scripts/get-base.sh"
cd "$KTREE"
[ -z "$(kgit status --porcelain --untracked-files=no)" ] ||
	die "$KTREE has uncommitted changes: commit (and 'make export') or stash them first"
# Commits after base that were never exported would be lost: refuse.
if [ "${FORCE:-0}" != 1 ] && [ -n "$(kgit rev-list base..HEAD)" ] &&
   [ "$(kgit rev-parse HEAD)" != "$(kgit config --get msidoorbell.synced-head || true)" ]; then
	die "$KTREE has commits that are not in $(qname): 'make export' them, or re-run with FORCE=1 to drop them (they stay reachable as tag 'before-import')"
fi
kgit tag -f before-import HEAD >/dev/null
# Commits made by hand in the tree carry the project identity too
kgit config user.name "$IDENT_NAME"
kgit config user.email "$IDENT_EMAIL"
kgit am --abort >/dev/null 2>&1 || true
kgit checkout -q -B series base
n=0
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	[ -f "$QDIR/$p" ] || die "$(qname)series names $p, which does not exist"
	if ! kgit am -q --whitespace=error-all "$QDIR/$p"; then
		kgit am --abort >/dev/null 2>&1 || true
		die "patch $p does not apply cleanly on the queue so far (no fuzz allowed)"
	fi
	n=$((n + 1))
done < <(cat "$QDIR/series" 2>/dev/null || true)
"$TOP/scripts/queue-status.sh" --record
say "${KTREE#"$TOP"/}: base + $n patches, HEAD $(kgit log -1 --format='%h %s')"
