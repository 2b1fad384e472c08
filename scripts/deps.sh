#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the harness needs from Debian's archive (needs root when
# something is missing), and unpack the arm64 static busybox into build/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

read -r srcpkg srcver < <(grep -v '^#' "$TOP/BASE-VERSION")
pkgs=(build-essential bc flex bison libelf-dev libssl-dev cpio xz-utils python3 kmod
      ccache sparse dwarves rsync python3-docutils python3-ply python3-git busybox-static
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-x86 qemu-system-arm)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
dpkg-query -W -f='${Status}' "$srcpkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$srcpkg")
need_arm64_arch=0
dpkg --print-foreign-architectures | grep -qx arm64 || need_arm64_arch=1

if [ ${#missing[@]} -gt 0 ] || [ $need_arm64_arch = 1 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}): run 'make deps' as root, or: apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	[ $need_arm64_arch = 1 ] && run dpkg --add-architecture arm64
	run apt-get update -q
	want=()
	for p in "${missing[@]}"; do
		if [ "$p" = "$srcpkg" ]; then
			if apt-cache madison "$srcpkg" | grep -q " $srcver "; then
				want+=("$srcpkg=$srcver")
			else
				say "WARNING: $srcpkg $srcver is not in the archive; installing what it serves"
				want+=("$srcpkg")
			fi
		else
			want+=("$p")
		fi
	done
	[ ${#want[@]} -gt 0 ] && run apt-get install -y -q --no-install-recommends "${want[@]}"
fi

# Static busybox for the guests: the host's for amd64, Debian's arm64 one
# for arm64 (downloaded, not installed).
mkdir -p "$BUILD/busybox-amd64/bin"
cp -u /bin/busybox "$BUILD/busybox-amd64/bin/busybox"
if [ ! -x "$BUILD/busybox-arm64/bin/busybox" ]; then
	tmp=$(mktemp -d)
	chmod 755 "$tmp"
	(cd "$tmp" && run apt-get download -q busybox-static:arm64)
	dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$BUILD/busybox-arm64"
	rm -rf "$tmp"
fi
[ -x "$BUILD/busybox-arm64/bin/busybox" ] || die "no arm64 busybox in $BUILD/busybox-arm64"
say "dependencies present"
