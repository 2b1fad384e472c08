# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the msi-doorbell harness scripts. Sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
KTREE=${KTREE:-$TOP/build/linux}
IDENT_NAME="msi-doorbell developers"
IDENT_EMAIL="msi-doorbell@invalid"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
run() { printf '+ %s\n' "$*" >&2; "$@"; }

# git in a kernel tree (first argument), with the project identity and
# fixed dates so that the same queue always gives the same commits.
tree_git() {
	local tree=$1
	shift
	GIT_AUTHOR_NAME="$IDENT_NAME" GIT_AUTHOR_EMAIL="$IDENT_EMAIL" \
	GIT_COMMITTER_NAME="$IDENT_NAME" GIT_COMMITTER_EMAIL="$IDENT_EMAIL" \
	GIT_AUTHOR_DATE="2025-01-01T00:00:00Z" GIT_COMMITTER_DATE="2025-01-01T00:00:00Z" \
		git -C "$tree" -c core.quotepath=off -c advice.detachedHead=false "$@"
}

# git in build/linux.
kgit() { tree_git "$KTREE" "$@"; }

# The arm64 run list of `make` and `make check`: the iommufd selftests, the
# smoke check and the end-to-end cases listed in tests/e2e/check-cases.
arm64_runlist() {
	local list=iommufd c
	[ -x "$TOP/tests/guest/smoke" ] && list+=,smoke
	for c in $(grep -v '^#' "$TOP/tests/e2e/check-cases" 2>/dev/null); do
		list+=",msi-e2e:$c"
	done
	echo "$list"
}

# Read configs/<arch>.arch and name the build of <arch>-<flavour>:
# sets arch, flavour, O and the description's variables.
load_arch() {
	arch=${1:?arch}
	flavour=${2:-plain}
	[ -f "$TOP/configs/$arch.arch" ] || die "no configs/$arch.arch: arches are $(cd "$TOP/configs" && ls *.arch | sed 's/\.arch//' | tr '\n' ' ')"
	source "$TOP/configs/$arch.arch"
	O=$BUILD/$arch-$flavour
}
