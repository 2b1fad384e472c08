#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the project's own guest tests for <arch>-<flavour>: the base's
# e2e programs (E2E_PROGS: tests/e2e/<prog>.c) statically, against the uAPI headers of the kernel built in
# build/<arch>-<flavour>, plus the tests/guest/smoke script, into
# build/<arch>-<flavour>/tests/ (make-initramfs.sh packs that directory).
# Incremental: a program is rebuilt only when its source or the installed
# uAPI headers are newer. The e2e tests need the arm64 machine (ITS,
# SMMUv3, edu), so other arches get nothing.
#   build-tests.sh <arch> <flavour>
set -euo pipefail
source "$(dirname "$0")/lib.sh"

load_arch "${1:-}" "${2:-plain}"
out=$O/tests

if [ "$arch" != arm64 ]; then
	say "tests: nothing to build for $arch (the e2e tests need the arm64 virt machine)"
	exit 0
fi
[ -d "$O/usr/include/linux" ] || die "no headers in $O/usr/include: build the kernel first"
mkdir -p "$out"
hdr=$O/usr/include/linux/iommufd.h
built=()
for prog in $E2E_PROGS; do
	src=$TOP/tests/e2e/$prog.c
	[ -e "$src" ] || die "E2E_PROGS of base $BASE names $prog: no $src"
	bin=$out/$(basename "$src" .c)
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || [ "$hdr" -nt "$bin" ] ||
	   [ -n "$(find "$TOP/tests/lib" -name '*.h' -newer "$bin")" ]; then
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
