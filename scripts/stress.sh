#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make stress: seeded random sequences of the MSI paths through the iommufd
# mock (tests/mock/msi-stress.c) on the x86_64 debug kernel (KASAN,
# lockdep, kmemleak scan after the run). Replays exactly: the same SEED and
# STEPS give the same sequence on the same kernel.
#   SEED=<n>    first seed (default: random, printed)
#   STEPS=<n>   steps per sequence (default 1000)
#   SEQS=<n>    sequences, seeds SEED, SEED+1, ... (default 1)
#   STRICT=1    the known findings (README) fail too
#   VERBOSE=1   print every step, not only the last ones of a failure
# Exit code of run-qemu.sh: 0 pass, 1 test failure, 2 kernel trouble, 3 timeout.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "${MOCK_TESTS:-0}" = 1 ] || die "base $BASE has no tests/mock programs (MOCK_TESTS)"
seed=${SEED:-}
[ -n "$seed" ] || seed=$(( (RANDOM << 30) | (RANDOM << 15) | RANDOM ))
steps=${STEPS:-1000}
seqs=${SEQS:-1}
for v in "$seed" "$steps" "$seqs"; do
	[[ $v =~ ^[0-9]+$ ]] || die "SEED, STEPS and SEQS are numbers (got '$v')"
done
say "stress: seed $seed, $steps steps, $seqs sequence(s) (replay: make stress SEED=$seed STEPS=$steps)"
append="msistress.seed=$seed msistress.steps=$steps msistress.seqs=$seqs"
[ "${STRICT:-0}" = 1 ] && append+=" msistress.strict=1"
[ "${VERBOSE:-0}" = 1 ] && append+=" msistress.verbose=1"
export KERNEL_APPEND="$append${KERNEL_APPEND:+ $KERNEL_APPEND}"
export RESULTS=${RESULTS:-$RESROOT/stress}
# A long run needs more than the default 900 s: about 100 steps/s guest
QEMU_TIMEOUT=${QEMU_TIMEOUT:-$(( 900 + seqs * steps / 20 ))} \
	exec "$TOP/scripts/kselftest.sh" x86_64 debug msi-stress:replay 1
