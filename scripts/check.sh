#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The full test ("make check"): every stage runs even when an earlier one
# failed, then a table of stages (each with its base) and one line of
# totals over all of them. Without BASE:
#   harness          the result classifier fed with recorded logs (tests/harness)
#   lint/mainline    the upstream-quality gate on patches/ (scripts/lint.sh)
#   x86_64/mainline  debug kernel (KASAN, lockdep, kmemleak): iommufd, iommufd_fail_nth,
#                    the base's MOCK_CHECK_RUNS (msi-stress: fixed-seed random
#                    sequences of the MSI paths, tests/mock/msi-stress.c)
#   arm64/mainline   plain kernel on the project's QEMU 10: iommufd, GICv3 ITS /
#                    SMMUv3 / edu smoke, the e2e cases of tests/e2e/check-cases.mainline
#   arm64-debug/mainline  debug kernel (KASAN, lockdep, kmemleak) on the same
#                    QEMU: smoke and the e2e cases that allocate or change MSI
#                    vectors (tests/e2e/debug-cases.mainline), kmemleak scanned
#                    after them (a base without E2E_DEBUG_CASES has no such stage)
#   bench/mainline   one short icount round of `make bench` (scripts/bench.sh
#                    smoke) on the kernel the arm64/mainline stage built (and the
#                    bare base's, when make e2e-base or make bench built it), so
#                    that the benchmark cannot rot; its ratios are not read
#   lint/6.12        the backport's patch-level checks (CHECK_LINT of its base file)
#   arm64/6.12       plain 6.12 kernel with the backport on QEMU 7.2: iommufd,
#                    smoke, the e2e cases of tests/e2e/check-cases.6.12
#   bench/6.12       one round of `make bench` (scripts/bench.sh smoke) on the
#                    kernel the arm64/6.12 stage built, so that the benchmark
#                    cannot rot; its ratios are not read (see README, Cost)
# With BASE=<b> (make BASE=6.12 check): harness, then the full set of stages
# (lint with every check, x86_64, arm64, bench) on that base only.
# Exit 0 only when every stage passed.
set -uo pipefail
only=${BASE:-}
source "$(dirname "$0")/lib.sh"

start=$(date +%s)
rm -rf "$BUILD/results"
mkdir -p "$BUILD/results"
declare -A status
order=()
resdirs=()
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
# A variable of another base's description: base_var <base> <VAR>
base_var() { (source "$TOP/bases/$1.base" && eval "echo \"\$$2\""); }
# The stages of one base: <base> full|light
base_stages() {
	local b=$1 kind=$2 res=$BUILD/results/$1
	# The default base's tree was synced by make; another one here.
	[ "$b" = "$BASE" ] || stage "tree/$b" env BASE="$b" "$TOP/scripts/queue-sync.sh"
	if [ "$kind" = full ]; then
		stage "lint/$b" env -u LINT_CHECKS BASE="$b" "$TOP/scripts/lint.sh"
		stage "x86_64/$b" env BASE="$b" RESULTS="$res/x86_64" QEMU_TIMEOUT=1500 \
			"$TOP/scripts/kselftest.sh" x86_64 debug \
			"$(BASE=$b bash -c 'source "$0/scripts/lib.sh" && x86_64_debug_runlist' "$TOP")" 1
		resdirs+=("$res/x86_64")
	else
		stage "lint/$b" env BASE="$b" LINT_CHECKS="$(base_var "$b" CHECK_LINT)" "$TOP/scripts/lint.sh"
	fi
	stage "arm64/$b" env BASE="$b" RESULTS="$res/arm64" "$TOP/scripts/kselftest.sh" arm64 plain \
		"$(BASE=$b bash -c 'source "$0/scripts/lib.sh" && arm64_runlist' "$TOP")"
	resdirs+=("$res/arm64")
	local dlist
	dlist=$(BASE=$b bash -c 'source "$0/scripts/lib.sh" && arm64_debug_runlist' "$TOP")
	if [ -n "$dlist" ]; then
		stage "arm64-debug/$b" env BASE="$b" RESULTS="$res/arm64-debug" QEMU_TIMEOUT=1500 \
			"$TOP/scripts/kselftest.sh" arm64 debug "$dlist" 1
		resdirs+=("$res/arm64-debug")
	fi
}

stage harness "$TOP/tests/harness/run.sh" "$BUILD/results/harness"
if [ -n "$only" ]; then
	base_stages "$only" full
	stage "bench/$only" env BASE="$only" "$TOP/scripts/bench.sh" smoke
else
	base_stages mainline full
	stage bench/mainline env BASE=mainline "$TOP/scripts/bench.sh" smoke
	base_stages 6.12 light
	stage bench/6.12 env BASE=6.12 "$TOP/scripts/bench.sh" smoke
fi

echo
echo "=== make check: $(( $(date +%s) - start ))s"
fail=0
for s in "${order[@]}"; do
	b=${s#*/}
	[ "$b" = "$s" ] && b=-
	printf '%-21s %-9s %s\n' "$s" "$b" "$([ "${status[$s]}" = 0 ] && echo pass || echo "FAIL (exit ${status[$s]})")"
	[ "${status[$s]}" = 0 ] || fail=1
done
python3 "$TOP/scripts/totals.py" "${resdirs[@]}" || fail=1
exit $fail
