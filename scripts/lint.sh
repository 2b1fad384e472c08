#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The upstream-quality gate: every check on the series in PATCHDIR
# (default patches/), in order, then a table check -> pass/fail.
#   checkpatch  lint-checkpatch.sh  checkpatch.pl --strict, lint/checkpatch-allow.<BASE>
#   bisect      lint-bisect.sh      each step applies and builds, W=1, x86_64 arm64 i386
#   sparse      lint-sparse.sh      no new sparse warnings (x86_64); "NOT RUN" when
#                                   Kbuild finds sparse too old for the tree
#   kernel-doc  lint-kerneldoc.sh   no new kernel-doc warnings in touched files
#   rst         lint-rst.sh         touched .rst files pass docutils (warnings fail)
#   format      lint-format.py      subjects, author, sign-off, cover letter
# LINT_CHECKS="checkpatch format" runs a subset; LINT_ARCHES limits bisect.
# Results are cached under build/<BASE>/lint/cache by content hashes: a second run
# with nothing changed only reads them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lint-lib.sh"

pdir=$(lint_pdir "${1:-}")
checks=${LINT_CHECKS:-checkpatch bisect sparse kernel-doc rst format}
mapfile -t PATCHES < <(lint_series "$pdir")
say "lint: ${#PATCHES[@]} patch(es) in $pdir"
if [ "${#PATCHES[@]}" = 0 ]; then
	say "lint: the series is empty: nothing to check"
fi
declare -A RES TIME
fail=0
notrun=()
start=$SECONDS
for c in $checks; do
	case "$c" in
	checkpatch) cmd=("$TOP/scripts/lint-checkpatch.sh" "$pdir") ;;
	bisect) cmd=("$TOP/scripts/lint-bisect.sh" "$pdir") ;;
	sparse) cmd=("$TOP/scripts/lint-sparse.sh" "$pdir") ;;
	kernel-doc) cmd=("$TOP/scripts/lint-kerneldoc.sh" "$pdir") ;;
	rst) cmd=("$TOP/scripts/lint-rst.sh" "$pdir") ;;
	format) cmd=(python3 "$TOP/scripts/lint-format.py" "$pdir") ;;
	*) die "unknown check $c (LINT_CHECKS)" ;;
	esac
	printf '\n=== %s\n' "$c"
	t=$SECONDS
	set +e
	"${cmd[@]}"
	rc=$?
	set -e
	case $rc in
	0) RES[$c]=pass ;;
	3) RES[$c]="NOT RUN (see above)"; notrun+=("$c") ;;
	*) RES[$c]=FAIL; fail=1 ;;
	esac
	[ "${#PATCHES[@]}" = 0 ] && RES[$c]="pass (empty series)"
	TIME[$c]=$((SECONDS - t))
done
printf '\n%-12s %-20s %s\n' check result time
for c in $checks; do
	printf '%-12s %-20s %ss\n' "$c" "${RES[$c]}" "${TIME[$c]}"
done
summary=$([ "$fail" = 0 ] && echo pass || echo FAIL)
[ "${#notrun[@]}" -gt 0 ] && summary+=" (not run: ${notrun[*]})"
printf '%-12s %-20s %ss\n' lint "$summary" $((SECONDS - start))
exit "$fail"
