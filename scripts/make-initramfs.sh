#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Pack the test initramfs for build/<arch>-<flavour>: static busybox for
# the arch, tests/guest/init, the iommu selftests and any static test
# programs in build/<arch>-<flavour>/tests/. Uses the kernel's own
# usr/gen_init_cpio, so no root is needed for /dev/console.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

load_arch "${1:-}" "${2:-plain}"
bb=$TOP/build/busybox-$BUSYBOX_DEB_ARCH/bin/busybox
[ -x "$bb" ] || die "no static busybox for $arch at $bb: run 'make deps'"
list=$O/initramfs.list
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	for d in /bin /proc /sys /tmp /tests /root; do echo "dir $d 0755 0 0"; done
	echo "file /bin/busybox $bb 0755 0 0"
	echo "file /init $TOP/tests/guest/init 0755 0 0"
	for f in "$O"/kselftest/iommu/iommufd "$O"/kselftest/iommu/iommufd_fail_nth "$O"/tests/*; do
		[ -f "$f" ] && echo "file /tests/$(basename "$f") $f 0755 0 0"
	done
} > "$list"
"$O/usr/gen_init_cpio" "$list" | gzip -1 > "$O/initramfs.cpio.gz.tmp"
mv "$O/initramfs.cpio.gz.tmp" "$O/initramfs.cpio.gz"
say "initramfs: $O/initramfs.cpio.gz ($(du -k "$O/initramfs.cpio.gz" | cut -f1) KiB)"
