#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# apt-get against one other suite of the machine's own Debian mirror,
# through a project-local configuration under build/apt/<suite>: its own
# sources list (naming only that suite), lists and cache. The machine's
# sources and what it installs from stay as they are.
#
#   apt-local.sh <suite> update
#   apt-local.sh <suite> download <pkg>[=<ver>]...     (into the current directory)
#   apt-local.sh <suite> showsrc|policy|madison <pkg>  (apt-cache)
#   apt-local.sh <suite> sources-index                 (path of the Sources index)
#
# The mirror is the one the machine's apt sources name for its main
# archive (apt-get indextargets), never a host name written here.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

suite=${1:?suite}
shift
cmd=${1:?command}
shift

mirror=$(apt-get indextargets --format '$(REPO_URI) $(TARGET_OF) $(CODENAME)' 2>/dev/null |
	awk '$2 == "deb" && $3 !~ /-security$/ && $3 !~ /-updates$/ { print $1; exit }')
[ -n "$mirror" ] || die "no Debian mirror in the machine's apt sources (apt-get indextargets)"

dir=$BUILD/apt/$suite
mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/etc"
cat > "$dir/etc/sources.list" <<LIST
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main
LIST
opts=(-o Dir::Etc::SourceList="$dir/etc/sources.list" -o Dir::Etc::SourceParts=/nonexistent
      -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache"
      -o Dir::State::Status="$dir/status" -o APT::Get::List-Cleanup=0
      -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
: > "$dir/status"

case $cmd in
update)
	# Only the index of this suite; quiet unless it fails.
	apt-get "${opts[@]}" -q update >"$dir/update.log" 2>&1 || { cat "$dir/update.log" >&2; die "apt-get update of $suite failed"; }
	;;
download)
	apt-get "${opts[@]}" -q download "$@"
	;;
showsrc|policy|madison)
	apt-cache "${opts[@]}" "$cmd" "$@"
	;;
sources-index)
	ls "$dir"/lists/*_"$suite"_main_source_Sources 2>/dev/null | head -1
	;;
*)
	die "apt-local.sh: unknown command $cmd"
	;;
esac
