#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Apply the series to a user's own kernel git tree: queue-apply.sh <KSRC>
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ksrc=${1:?usage: make apply KSRC=/path/to/linux}
git -C "$ksrc" rev-parse --git-dir >/dev/null 2>&1 || die "$ksrc is not a git tree"
n=0
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	run git -C "$ksrc" am -3 "$QDIR/$p" ||
		die "$p does not apply to $ksrc: resolve and 'git am --continue', or 'git am --abort'"
	n=$((n + 1))
done < <(cat "$QDIR/series" 2>/dev/null || true)
say "applied $n patches to $ksrc"
