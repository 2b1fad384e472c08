#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the harness needs from the machine's own Debian suites
# (needs root when something is missing), and unpack the arm64 static
# busybox into build/. Kernel sources of the bases with SUITE=system are
# installed at their exact version; those of other suites are downloaded
# by get-base.sh, and the QEMU 10 build's tools by build-qemu.sh, through
# project-local apt configurations (scripts/apt-local.sh): nothing here
# installs from another suite.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Kernel builds and lint; the selftests (static, libcap since 7.3); the
# guests' QEMU 7.2 (x86_64, and arm64 for 6.12); QEMU 10's build deps; b4.
pkgs=(build-essential bc flex bison libelf-dev libssl-dev cpio xz-utils python3 kmod
      ccache sparse dwarves rsync python3-docutils python3-ply python3-git busybox-static
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross libcap-dev libcap-dev:arm64
      qemu-system-x86 qemu-system-arm
      ninja-build pkg-config python3-venv libglib2.0-dev libfdt-dev libpixman-1-dev
      b4)
installed() { dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null; }
missing=()
for p in "${pkgs[@]}"; do
	case "$(installed "$p")" in "install ok installed"*) ;; *) missing+=("$p") ;; esac
done
# The system-suite bases' kernel source, at the version of their description.
declare -A srcver
for b in "$TOP"/bases/*.base; do
	eval "$(sed -n 's/^\(PACKAGE\|VERSION\|SUITE\)=/b_\1=/p' "$b")"
	[ "$b_SUITE" = system ] || continue
	srcver[$b_PACKAGE]=$b_VERSION
	[ "$(installed "$b_PACKAGE")" = "install ok installed $b_VERSION" ] || missing+=("$b_PACKAGE")
done
need_arm64_arch=0
dpkg --print-foreign-architectures | grep -qx arm64 || need_arm64_arch=1

if [ ${#missing[@]} -gt 0 ] || [ $need_arm64_arch = 1 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}): run 'make deps' as root, or: apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	[ $need_arm64_arch = 1 ] && run dpkg --add-architecture arm64
	run apt-get update -q
	want=()
	for p in "${missing[@]}"; do
		if [ -n "${srcver[$p]:-}" ]; then
			# Capture first: "madison | grep -q" fails under pipefail
			# when grep exits at its first match (madison gets SIGPIPE).
			served=$(apt-cache madison "$p" | awk -F' [|] ' '{ print $2 }')
			if grep -qxF -- "${srcver[$p]}" <<< "$served"; then
				want+=("$p=${srcver[$p]}")
			else
				say "WARNING: $p ${srcver[$p]} is not in the archive (it serves: $(echo $served)); installing what it serves"
				want+=("$p")
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
