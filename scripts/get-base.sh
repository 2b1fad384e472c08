#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Obtain the base tree: unpack Debian's linux-source-6.12 into build/linux,
# commit it as is (tag "pristine"), apply base-fixes/ on top (tag "base").
# Does nothing when build/linux already holds that base.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

read -r pkg want < <(grep -v '^#' "$TOP/BASE-VERSION")
tarball=/usr/src/$pkg.tar.xz
have=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
[ -n "$have" ] && [ -f "$tarball" ] || die "$pkg is not installed: run 'make deps' (as root)"
if [ "$have" != "$want" ]; then
	cat >&2 <<MSG
##########################################################################
WARNING: the series was made against $pkg $want,
         but this machine has $have. Continuing with $have:
         patches may not apply, and results are not comparable.
##########################################################################
MSG
fi

# The base is identified by the package version and the base fixes.
shopt -s nullglob
fixes=("$TOP"/base-fixes/*.patch)
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
	mv "$tmp"/linux-source-* "$KTREE"
	rmdir "$tmp"
	kgit init -q -b pristine-branch
	kgit config gc.auto 0
	kgit config core.abbrev 12
	# Debian's top-level .gitignore ignores everything ("/*"): force-add
	# the pristine tree; base-fixes/ then drops that rule.
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
