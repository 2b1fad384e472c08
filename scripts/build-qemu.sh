#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the project's QEMU: qemu-system-aarch64 10.0.2 from the source
# Debian serves for bookworm-backports, plus the patches of qemu/series.
#
#   build-qemu.sh          build it unless the cached build is up to date
#   build-qemu.sh --path   print where the binary is (or will be); builds nothing
#
# The build lives outside the clone, so later clones reuse it:
# $MSIDOORBELL_CACHE (default ~/.cache/msi-doorbell)/qemu/<key>/{src,build},
# binary <key>/build/qemu-system-aarch64, where <key> hashes the tarball's
# sha256, qemu/series and its patches, and the configure options below.
# <key> is a symlink renamed into place when the build has succeeded, so
# an interrupted build never looks done. The tarball is cached in qemu/dl/.
#
# Only the orig tarball of that source package is served (no .dsc), so it
# is downloaded by its path in the suite's Sources index and checked
# against the sha256 there. meson >= 1.5 and pycotap come from
# bookworm-backports too, unpacked under build/qemu-tools/ (never
# installed); the rest is bookworm's (scripts/deps.sh). Log:
# build/qemu-build.log.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

Q_SUITE=bookworm-backports
Q_SRC_VERSION=1:10.0.2+ds-2+deb13u1~bpo12+1
Q_ORIG=qemu_10.0.2+ds.orig.tar.xz
# Of $Q_ORIG, as that suite's Sources index gives it (checked at download).
Q_ORIG_SHA256=0901da33844a331bf8b3602b9c1fbd178e60b737c8e3ade678255bd090c9b9f1
Q_TOOLS=(meson python3-pycotap)
# The Debian python (the first python3 on PATH may lack Debian's modules).
Q_PYTHON=/usr/bin/python3
conf=(--target-list=aarch64-softmmu --without-default-features --enable-fdt=system
      --enable-tcg --disable-docs --disable-tools --disable-user --disable-install-blobs
      --disable-download)
# The +ds tarball has no edk2 blobs, and when bzip2 is found meson wants to
# unpack them (pc-bios/meson.build); --disable-install-blobs only makes
# bzip2 optional. configure reads configs/meson/<host os>.txt as a meson
# machine file: there, name a bzip2 that does not exist.
machine_file="[binaries]
bzip2 = 'bzip2-not-used-no-edk2-blobs-in-this-source'"

cache=${CACHE:-${MSIDOORBELL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/msi-doorbell}}
qcache=$cache/qemu

mapfile -t patches < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TOP/qemu/series")
for p in "${patches[@]}"; do
	[ -f "$TOP/qemu/$p" ] || die "qemu/series names $p, which is not in qemu/"
done
key=$({
	echo "$Q_ORIG_SHA256"
	printf '%s\n' "${conf[@]}" "$machine_file"
	for p in "${patches[@]}"; do echo "$p"; cat "$TOP/qemu/$p"; done
} | sha256sum | cut -c1-12)
out=$qcache/$key
bin=$out/build/qemu-system-aarch64

if [ "${1:-}" = --path ]; then
	echo "$bin"
	exit 0
fi
[ $# -eq 0 ] || die "usage: build-qemu.sh [--path]"

if [ -x "$bin" ]; then
	say "qemu: up to date ($bin)"
	exit 0
fi

start=$SECONDS
mkdir -p "$qcache/dl" "$BUILD"
# One build of a key at a time.
exec 9>"$qcache/.$key.lock"
flock 9
if [ -x "$bin" ]; then
	say "qemu: up to date ($bin, built meanwhile)"
	exit 0
fi
# Left over by an interrupted build of this key.
rm -rf "$out" "$out.new" "$qcache/.$key".*/

# What comes from bookworm itself (scripts/deps.sh installs it).
missing=()
for p in gcc libc6-dev ninja-build pkg-config libglib2.0-dev libfdt-dev libpixman-1-dev \
	 python3-venv patch xz-utils; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] || die "QEMU's build needs: apt-get install ${missing[*]} (or make deps)"

apt_local() { "$TOP/scripts/apt-local.sh" "$Q_SUITE" "$@"; }
updated=0
apt_update() { [ $updated = 1 ] || apt_local update; updated=1; }

# The source tarball, checked against the Sources index when downloaded and
# against the known sha256 whenever used.
tarball=$qcache/dl/$Q_ORIG
if ! echo "$Q_ORIG_SHA256  $tarball" | sha256sum -c --status 2>/dev/null; then
	say "qemu: fetching $Q_ORIG (qemu $Q_SRC_VERSION, $Q_SUITE)"
	apt_update
	# The stanza of our version: "<Directory> <sha256 of the orig tarball>".
	read -r dir sum < <(apt_local showsrc qemu | awk -v ver="$Q_SRC_VERSION" -v file="$Q_ORIG" '
		BEGIN { RS = "" }
		{
			v = d = s = ""; insum = 0
			n = split($0, line, "\n")
			for (i = 1; i <= n; i++) {
				l = line[i]
				if (l ~ /^[^ ]/) insum = (l ~ /^Checksums-Sha256:/)
				if (l ~ /^Version: /) v = substr(l, 10)
				else if (l ~ /^Directory: /) d = substr(l, 12)
				else if (insum && split(l, f, " ") == 3 && f[3] == file) s = f[1]
			}
			if (v == ver && d != "" && s != "") { print d, s; exit }
		}') || true
	[ -n "${sum:-}" ] || die "$Q_SUITE's Sources index has no qemu $Q_SRC_VERSION with $Q_ORIG (apt-local.sh $Q_SUITE showsrc qemu)"
	[ "$sum" = "$Q_ORIG_SHA256" ] ||
		die "$Q_ORIG: the index says sha256 $sum, this script expects $Q_ORIG_SHA256"
	# The mirror the machine's apt sources name, as apt-local.sh finds it.
	# shellcheck disable=SC2016 # apt's format string, not the shell's
	mirror=$(apt-get indextargets --format '$(REPO_URI) $(TARGET_OF) $(CODENAME)' 2>/dev/null |
		awk '$2 == "deb" && $3 !~ /-security$/ && $3 !~ /-updates$/ { print $1; exit }')
	[ -n "$mirror" ] || die "no Debian mirror in the machine's apt sources (apt-get indextargets)"
	rm -f "$tarball.part"
	run /usr/lib/apt/apt-helper -o APT::Sandbox::User=root \
		download-file "${mirror%/}/$dir/$Q_ORIG" "$tarball.part" "SHA256:$sum"
	mv "$tarball.part" "$tarball"
fi

# meson and pycotap of bookworm-backports, unpacked (not installed).
tools=$BUILD/qemu-tools
want_tools="${Q_TOOLS[*]}"
if [ "$(cat "$tools/stamp" 2>/dev/null)" != "$want_tools" ]; then
	say "qemu: fetching ${Q_TOOLS[*]} ($Q_SUITE)"
	apt_update
	rm -rf "$tools"
	mkdir -p "$tools/debs"
	(cd "$tools/debs" && apt_local download "${Q_TOOLS[@]}") >/dev/null
	for d in "$tools"/debs/*.deb; do
		dpkg-deb -x "$d" "$tools/root"
	done
	echo "$want_tools" > "$tools/stamp"
fi
# QEMU's configure takes meson from its venv (mkvenv), which sees what the
# Debian python sees: put the unpacked dist-packages on its path, for
# configure and for ninja (which reruns meson when it must).
export PYTHONPATH=$tools/root/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
mver=$("$Q_PYTHON" -c 'from mesonbuild import coredata; print(coredata.version)') ||
	die "no usable meson in $tools"
"$Q_PYTHON" - "$mver" <<'PY' || die "meson $mver in $tools is older than 1.5, which QEMU 10 needs"
import sys
sys.exit(0 if tuple(int(x) for x in sys.argv[1].split(".")[:2]) >= (1, 5) else 1)
PY
"$Q_PYTHON" -c 'import pycotap' 2>/dev/null || die "no pycotap in $tools"

cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"

# Build in a directory of its own, then rename the <key> symlink onto it.
work=$(mktemp -d "$qcache/.$key.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
# Compiles name files relative to the build directory: with these, ccache
# hits across build directories (another key, after a patch change).
export CCACHE_BASEDIR=$work CCACHE_NOHASHDIR=1
log=$BUILD/qemu-build.log
: > "$log"
fail() {
	tail -n 40 "$log" >&2
	die "QEMU build failed ($1); full log: $log"
}
say "qemu: building in $work (log: $log)"
mkdir "$work/src" "$work/build"
tar -xJf "$tarball" -C "$work/src" --strip-components=1 || fail "unpacking $Q_ORIG"
for p in "${patches[@]}"; do
	say "qemu: applying $p"
	patch -d "$work/src" -p1 --batch --forward --fuzz=0 -i "$TOP/qemu/$p" >>"$log" 2>&1 || fail "applying $p"
done
mkdir -p "$work/src/configs/meson"
[ ! -e "$work/src/configs/meson/linux.txt" ] || fail "the source has its own configs/meson/linux.txt"
printf '%s\n' "$machine_file" > "$work/src/configs/meson/linux.txt"
say "qemu: configure ${conf[*]} (meson $mver, cc: $cc)"
(cd "$work/build" && ../src/configure --python="$Q_PYTHON" --cc="$cc" "${conf[@]}") >>"$log" 2>&1 ||
	fail configure
say "qemu: ninja -j$(nproc) qemu-system-aarch64"
ninja -C "$work/build" -j"$(nproc)" qemu-system-aarch64 >>"$log" 2>&1 || fail ninja
"$work/build/qemu-system-aarch64" --version >>"$log" 2>&1 || fail "the binary does not run"
cp "$log" "$work/build.log"
{
	echo "qemu $Q_SRC_VERSION ($Q_ORIG, sha256 $Q_ORIG_SHA256)"
	echo "patches: ${patches[*]}"
	echo "configure: ${conf[*]}"
	echo "meson $mver; built $(date -u +%FT%TZ) in $((SECONDS - start)) s"
} > "$work/BUILD-INFO"
ln -s "$(basename "$work")" "$out.new"
mv -T "$out.new" "$out"
trap - EXIT
say "qemu: built $bin in $((SECONDS - start)) s"
