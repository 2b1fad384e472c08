#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# sparse (make C=2 CHECK=sparse, x86_64 lint kernel) on the directories the
# series touches, at base and at the tip: the tip may not have a sparse
# warning that base did not have. lint-bisect.sh takes both sets during its
# walk when x86_64 is built; this script computes whatever is missing.
#   lint-sparse.sh [PATCHDIR]
# Exit 0 pass, 1 fail, 3 not run (Kbuild found sparse too old for the tree:
# reported as such, never as a pass).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lint-lib.sh"

lint_start sparse "${1:-}"
if [ -z "$(lint_targets x86_64 | tr -d ' ')" ]; then
	echo "sparse: the series touches nothing Kbuild builds"
	exit 0
fi
lint_lock
mkdir -p "$LCACHE/sparse" "$LLOGS"
for i in 0 "$n"; do
	if [ ! -f "$LCACHE/sparse/$(sparse_key "$i").warn" ]; then
		wt_goto "$i" || die "sparse: $WT_FAIL"
		lint_configure x86_64
		sparse_collect "$i"
	fi
done
b=$LCACHE/sparse/$(sparse_key 0)
t=$LCACHE/sparse/$(sparse_key "$n")
if [ -f "$b.notrun" ] || [ -f "$t.notrun" ]; then
	echo "NOT RUN: $(cat "$b.notrun" "$t.notrun" 2>/dev/null | head -1)"
	exit 3
fi
fail=0
for f in "$b" "$t"; do
	if [ -f "$f.err" ]; then
		echo "FAIL $(cat "$f.err")"
		fail=1
	fi
done
new=$(comm -23 <(sort -u "$t.warn") <(sort -u "$b.warn"))
if [ -n "$new" ]; then
	echo "FAIL sparse: $(echo "$new" | wc -l) warning(s) at the tip that base does not have:"
	echo "$new" | sed 's/^/    /'
	fail=1
fi
echo "sparse: base $(grep -c . "$b.warn" || true) warning(s), tip $(grep -c . "$t.warn" || true), new $( [ -n "$new" ] && echo "$new" | wc -l || echo 0) ($(lint_targets x86_64))"
exit "$fail"
