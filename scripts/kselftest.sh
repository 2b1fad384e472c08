#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The edit -> result loop: build (incrementally) the kernel, the selftests
# and the initramfs for <arch>-<flavour> of the base (BASE=), boot it and run <run-list>.
#   kselftest.sh <arch> <flavour> <run-list> [kmemleak]
# <run-list>: comma-separated prog[:selector]; selector is
# FIXTURE.VARIANT.TEST, FIXTURE.VARIANT or FIXTURE (kselftest harness -r/-f/-v).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

arch=${1:?arch}
flavour=${2:?flavour}
runlist=${3:?run list}
[ "$arch" = arm64 ] && [ "$QEMU_ARM64" = project ] && "$TOP/scripts/build-qemu.sh"
"$TOP/scripts/build-kernel.sh" "$arch" "$flavour"
"$TOP/scripts/build-selftests.sh" "$arch" "$flavour"
[ -x "$TOP/scripts/build-tests.sh" ] && "$TOP/scripts/build-tests.sh" "$arch" "$flavour"
"$TOP/scripts/make-initramfs.sh" "$arch" "$flavour"
exec "$TOP/scripts/run-qemu.sh" "$arch" "$flavour" "$runlist" \
	"${RESULTS:-$RESROOT/$arch}" "${4:-0}"
