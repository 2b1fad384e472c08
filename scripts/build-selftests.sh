#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build tools/testing/selftests/iommu statically for <arch>, against the
# uAPI headers of the kernel built in build/<arch>-<flavour>.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

load_arch "${1:-}" "${2:-plain}"
out=$O/kselftest/iommu
[ -d "$O/usr/include/linux" ] || die "no headers in $O/usr/include: build the kernel first"
mkdir -p "$out"
run make -s -C "$KTREE/tools/testing/selftests/iommu" ARCH="$KARCH" \
	CROSS_COMPILE="$CROSS_COMPILE" CC="${CROSS_COMPILE}gcc" OUTPUT="$out" \
	KHDR_INCLUDES="-isystem $O/usr/include" LDFLAGS=-static
say "selftests: $(cd "$out" && ls iommufd iommufd_fail_nth | tr '\n' ' ')"
