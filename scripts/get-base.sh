#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Obtain the tree of the base (bases/$BASE.base): unpack the Debian kernel
# source package into build/<BASE>/linux, commit it as is (tag "pristine"),
# apply the base's fixes on top (tag "base"). A package of the machine's own
# suites (SUITE=system) is installed by make deps; one of another suite is
# downloaded through a project-local apt configuration (apt-local.sh) and
# unpacked under build/apt/, never installed. Does nothing when the tree
# already holds that base.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

pkg=$PACKAGE
want=$VERSION
if [ "$SUITE" = system ]; then
	tarball=/usr/src/$pkg.tar.xz
	have=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
	[ -n "$have" ] && [ -f "$tarball" ] || die "$pkg is not installed: run 'make deps' (as root)"
elif [ -f "$BUILD/apt/$SUITE/root-$pkg-$want/usr/src/$pkg.tar.xz" ]; then
	# Already downloaded and unpacked: no index update, no network.
	have=$want
	tarball=$BUILD/apt/$SUITE/root-$pkg-$want/usr/src/$pkg.tar.xz
else
	"$TOP/scripts/apt-local.sh" "$SUITE" update
	# What the suite serves (a pipe into grep -q would fail under pipefail
	# when grep stops reading early: capture first).
	served=$("$TOP/scripts/apt-local.sh" "$SUITE" madison "$pkg" | awk -F' [|] ' '$3 ~ /Packages/ { print $2 }')
	[ -n "$served" ] || die "$SUITE serves no $pkg"
	have=$want
	if ! grep -qxF -- "$want" <<< "$served"; then
		have=$(head -1 <<< "$served")
	fi
	root=$BUILD/apt/$SUITE/root-$pkg-$have
	tarball=$root/usr/src/$pkg.tar.xz
	if [ ! -f "$tarball" ]; then
		debs=$BUILD/apt/$SUITE/debs
		mkdir -p "$debs"
		(cd "$debs" && "$TOP/scripts/apt-local.sh" "$SUITE" download "$pkg=$have")
		deb=$(ls "$debs/${pkg}_${have#*:}_"*.deb 2>/dev/null | head -1)
		[ -n "$deb" ] || die "download of $pkg $have from $SUITE gave no .deb"
		rm -rf "$root.tmp"
		run dpkg-deb -x "$deb" "$root.tmp"
		mv "$root.tmp" "$root"
	fi
	[ -f "$tarball" ] || die "$pkg $have has no $tarball"
fi
if [ "$have" != "$want" ]; then
	cat >&2 <<MSG
##########################################################################
WARNING: base $BASE is made against $pkg $want,
         but the archive gives $have. Continuing with $have:
         patches may not apply, and results are not comparable.
##########################################################################
MSG
fi

# The base is identified by the package version and the base fixes.
shopt -s nullglob
fixes=("$TOP/$FIXES"/*.patch)
stamp="$pkg $have $(cat /dev/null "${fixes[@]}" | sha256sum | cut -c1-16)"
if [ -d "$KTREE/.git" ] && [ "$(kgit config --get msidoorbell.base 2>/dev/null)" = "$stamp" ] &&
   kgit rev-parse -q --verify refs/tags/base >/dev/null; then
	say "base tree up to date: $stamp"
	exit 0
fi

if [ -d "$KTREE/.git" ] && kgit rev-parse -q --verify refs/tags/pristine >/dev/null &&
   [ "$(kgit config --get msidoorbell.pristine 2>/dev/null)" = "$pkg $have" ]; then
	say "pristine tree present, re-applying base fixes"
	kgit reset -q --hard
	kgit checkout -q --detach pristine
else
	if [ -e "$KTREE" ]; then
		# Never throw away a developer's unexported commits silently.
		if [ -d "$KTREE/.git" ] && kgit rev-parse -q --verify refs/tags/base >/dev/null &&
		   [ -n "$(kgit log --oneline base..HEAD 2>/dev/null)" ]; then
			die "$KTREE has commits after 'base' and the base changed: export or move it away first"
		fi
		rm -rf "$KTREE"
	fi
	say "unpacking $tarball"
	tmp=$BUILD/.unpack
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -xf "$tarball" -C "$tmp"
	mkdir -p "$(dirname "$KTREE")"
	mv "$tmp"/linux-source-* "$KTREE"
	rmdir "$tmp"
	kgit init -q -b pristine-branch
	kgit config gc.auto 0
	kgit config core.abbrev 12
	# Debian's top-level .gitignore ignores everything ("/*"): force-add
	# the pristine tree; the first base fix then drops that rule.
	say "committing the pristine tree (about a minute)"
	kgit add -f -A .
	kgit commit -q -m "Debian $pkg $have (pristine)"
	kgit tag -f pristine >/dev/null
	kgit config msidoorbell.pristine "$pkg $have"
	kgit checkout -q --detach pristine
fi

for p in "${fixes[@]}"; do
	say "base fix: $(basename "$p")"
	kgit am -q --whitespace=nowarn "$p" || { kgit am --abort || true; die "base fix $(basename "$p") does not apply"; }
done
kgit tag -f base >/dev/null
kgit checkout -q -B series base
kgit config msidoorbell.base "$stamp"
say "base: $(kgit log -1 --format='%h %s' base)"
