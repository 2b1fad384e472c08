#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the project's own guest tests for <arch>-<flavour>, statically,
# against the uAPI headers of the kernel built in build/<arch>-<flavour>,
# into build/<arch>-<flavour>/tests/ (make-initramfs.sh packs that
# directory):
# - on a base with MOCK_TESTS=1, every tests/mock/<name>.c, for every arch:
#   one kselftest-harness program each that drives the iommufd mock driver,
#   with the iommu selftests' helpers of the tree (iommufd_utils.h, and
#   through it the mock's test ops of drivers/iommu/iommufd/iommufd_test.h);
# - on arm64, the base's e2e programs (E2E_PROGS: tests/e2e/<prog>.c) and
#   the tests/guest/smoke script: they need the arm64 virt machine (ITS,
#   SMMUv3, edu), so other arches get none.
# Incremental: a program is rebuilt only when its source, the installed
# uAPI headers or the headers it includes are newer.
#   build-tests.sh <arch> <flavour>
set -euo pipefail
source "$(dirname "$0")/lib.sh"

load_arch "${1:-}" "${2:-plain}"
out=$O/tests

[ -d "$O/usr/include/linux" ] || die "no headers in $O/usr/include: build the kernel first"
mkdir -p "$out"
hdr=$O/usr/include/linux/iommufd.h
built=()

# A program is stale when it is missing or older than any of its inputs.
stale() {
	local bin=$1 f
	shift
	[ -x "$bin" ] || return 0
	for f in "$@"; do
		[ "$f" -nt "$bin" ] && return 0
	done
	return 1
}

if [ "${MOCK_TESTS:-0}" = 1 ]; then
	sel=$KTREE/tools/testing/selftests
	mock_hdrs=("$sel/iommu/iommufd_utils.h" "$sel/kselftest_harness.h" "$sel/kselftest.h"
		   "$KTREE/drivers/iommu/iommufd/iommufd_test.h")
	for src in "$TOP"/tests/mock/*.c; do
		[ -e "$src" ] || continue
		bin=$out/$(basename "$src" .c)
		if stale "$bin" "$src" "$hdr" "${mock_hdrs[@]}"; then
			# -I$sel: iommufd_utils.h includes "kselftest_harness.h",
			# which is in tools/testing/selftests, not in iommu/. The
			# -Wno-*: what the kernel's own selftest headers trip
			# under -Wextra (the iommu selftests' Makefile passes
			# -Wno-unused-function too); our code is built the same.
			run "${CROSS_COMPILE}gcc" -static -O2 -Wall -Wextra -D_GNU_SOURCE \
				-Wno-unused-function -Wno-sign-compare -Wno-unused-parameter \
				-isystem "$O/usr/include" -I"$sel/iommu" -I"$sel" \
				-o "$bin" "$src"
		fi
		built+=("$(basename "$bin")")
	done
fi

if [ "$arch" != arm64 ]; then
	say "tests: ${built[*]:-none} in $out (the e2e tests need the arm64 virt machine)"
	exit 0
fi
for prog in $E2E_PROGS; do
	src=$TOP/tests/e2e/$prog.c
	[ -e "$src" ] || die "E2E_PROGS of base $BASE names $prog: no $src"
	bin=$out/$(basename "$src" .c)
	if stale "$bin" "$src" "$hdr" "$TOP"/tests/lib/*.h; then
		run "${CROSS_COMPILE}gcc" -O2 -Wall -Wextra -static \
			-isystem "$O/usr/include" -o "$bin" "$src"
	fi
	built+=("$(basename "$bin")")
done
if [ ! -f "$out/smoke" ] || [ "$TOP/tests/guest/smoke" -nt "$out/smoke" ]; then
	run install -m 0755 "$TOP/tests/guest/smoke" "$out/smoke"
fi
built+=(smoke)
say "tests: ${built[*]} in $out"
