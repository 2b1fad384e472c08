#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The full test ("make check"): every stage runs even when an earlier one
# failed, then one line of totals. Stages:
#   harness   the result classifier fed with recorded logs (tests/harness)
#   lint      the upstream-quality gate (scripts/lint.sh), when present
#   x86_64    debug kernel (KASAN, lockdep, kmemleak): iommufd, iommufd_fail_nth
#   arm64     plain kernel: iommufd, GICv3 ITS / SMMUv3 / edu smoke, e2e MSIs
#   bench     one round of `make bench` (scripts/bench.sh smoke) on the kernel
#             the arm64 stage built, so that the benchmark cannot rot; its
#             ratios are not read (see README, Cost)
# Exit 0 only when every stage passed.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

start=$(date +%s)
rm -rf "$BUILD/results"
mkdir -p "$BUILD/results"
declare -A status
order=()
stage() {
	local name=$1
	shift
	order+=("$name")
	say "stage $name: $*"
	local t0=$(date +%s)
	"$@"
	status[$name]=$?
	say "stage $name: exit ${status[$name]} after $(( $(date +%s) - t0 ))s"
}

stage harness "$TOP/tests/harness/run.sh" "$BUILD/results/harness"
[ -x "$TOP/scripts/lint.sh" ] && stage lint "$TOP/scripts/lint.sh"
stage x86_64 env RESULTS="$BUILD/results/x86_64" QEMU_TIMEOUT=1500 \
	"$TOP/scripts/kselftest.sh" x86_64 debug iommufd,iommufd_fail_nth 1
stage arm64 env RESULTS="$BUILD/results/arm64" "$TOP/scripts/kselftest.sh" arm64 plain "$(arm64_runlist)"
stage bench "$TOP/scripts/bench.sh" smoke

echo
echo "=== make check: $(( $(date +%s) - start ))s"
fail=0
for s in "${order[@]}"; do
	printf '%-8s %s\n' "$s" "$([ "${status[$s]}" = 0 ] && echo pass || echo "FAIL (exit ${status[$s]})")"
	[ "${status[$s]}" = 0 ] || fail=1
done
python3 "$TOP/scripts/totals.py" "$BUILD/results/x86_64" "$BUILD/results/arm64" || fail=1
exit $fail
