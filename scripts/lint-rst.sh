#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every .rst the series touches, at the tip, through docutils with warnings
# as errors (make htmldocs is too heavy here). Sphinx-only directives
# (kernel-doc, and the options under them) are dropped first: docutils does
# not know them, and kernel-doc comments are checked by lint-kerneldoc.sh.
#   lint-rst.sh [PATCHDIR]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lint-lib.sh"

lint_start rst "${1:-}"
command -v rst2html >/dev/null || die "rst: rst2html missing (apt-get install python3-docutils)"
lint_lock
mapfile -t FILES < <(python3 "$TOP/scripts/lint-warnings.py" files "${PATCHES[@]}" |
	grep -E '\.rst$' || true)
if [ "${#FILES[@]}" = 0 ]; then
	echo "rst: the series touches no .rst file"
	exit 0
fi
tip=$(awk -v k="${K[n]}" '$1 == k { print $2 }' "$LINT/wt.state" 2>/dev/null || true)
if [ -z "$tip" ]; then
	wt_goto "$n" || die "rst: $WT_FAIL"
	tip=$(wgit rev-parse HEAD)
fi
fail=0
for f in "${FILES[@]}"; do
	if ! git -C "$KTREE" cat-file -e "$tip:$f" 2>/dev/null; then
		echo "ok   $f (removed)"
		continue
	fi
	if out=$(git -C "$KTREE" show "$tip:$f" |
		awk '/^\.\. kernel-doc::/ { skip = 1; next }
		     skip && /^ +:/ { next }
		     { skip = 0; print }' |
		rst2html --halt=warning --report=warning - 2>&1 >/dev/null); then
		echo "ok   $f"
	else
		echo "FAIL $f:"
		echo "$out" | sed 's/^/    /'
		fail=1
	fi
done
exit "$fail"
