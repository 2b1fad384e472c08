#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kernel-doc -none -Wall on every .c and .h the series touches (outside
# tools/), at base and at the tip. Rule: a file may not have a kernel-doc
# warning at the tip that it did not have at base (warnings compared without
# line numbers, so moved code keeps its old warnings; new files start from
# none). Pre-existing warnings are tolerated, fixing them is welcome.
#   lint-kerneldoc.sh [PATCHDIR]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lint-lib.sh"

lint_start kernel-doc "${1:-}"
lint_lock
mapfile -t FILES < <(python3 "$TOP/scripts/lint-warnings.py" files "${PATCHES[@]}" |
	grep -E '\.(c|h)$' | grep -v '^tools/' || true)
mkdir -p "$LCACHE/kerneldoc"
key=$LCACHE/kerneldoc/$( { echo "${K[n]}"; printf '%s\n' "${FILES[@]}";
	cat "$KTREE/scripts/kernel-doc"; lint_tools_hash; } | sha)
if [ ! -f "$key.out" ]; then
	# The tip's files come from the worktree's commit of step n.
	tip=$(awk -v k="${K[n]}" '$1 == k { print $2 }' "$LINT/wt.state" 2>/dev/null || true)
	if [ -z "$tip" ]; then
		wt_goto "$n" || die "kernel-doc: $WT_FAIL"
		tip=$(wgit rev-parse HEAD)
	fi
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	fail=0
	for f in "${FILES[@]}"; do
		for side in base tip; do
			rev=base; [ "$side" = tip ] && rev=$tip
			mkdir -p "$tmp/$side/$(dirname "$f")"
			git -C "$KTREE" show "$rev:$f" > "$tmp/$side/$f" 2>/dev/null || rm -f "$tmp/$side/$f"
			if [ -f "$tmp/$side/$f" ]; then
				(cd "$tmp/$side" && "$KTREE/scripts/kernel-doc" -none -Wall "$f" 2>&1 || true) |
					python3 "$TOP/scripts/lint-warnings.py" norm "$tmp/$side" > "$tmp/$side.$(echo "$f" | tr / _).w"
			else
				: > "$tmp/$side.$(echo "$f" | tr / _).w"
			fi
		done
		w=$(echo "$f" | tr / _).w
		new=$(comm -23 "$tmp/tip.$w" "$tmp/base.$w")
		if [ -n "$new" ]; then
			echo "FAIL $f: $(echo "$new" | wc -l) new kernel-doc warning(s):"
			echo "$new" | sed 's/^/    /'
			fail=1
		else
			echo "ok   $f ($(wc -l < "$tmp/tip.$w") warning(s), as at base)"
		fi
	done > "$key.out"
	echo "$fail" > "$key.rc"
fi
cat "$key.out"
[ "${#FILES[@]}" -gt 0 ] || echo "kernel-doc: the series touches no .c or .h file"
exit "$(cat "$key.rc")"
