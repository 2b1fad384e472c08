# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the msi-doorbell harness scripts. Sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
IDENT_NAME="msi-doorbell developers"
IDENT_EMAIL="msi-doorbell@invalid"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# The base the scripts work on (bases/<BASE>.base: package, version,
# suite, queue, base fixes, config fragments, QEMU, e2e cases). Everything
# of a base lives under build/<BASE>/: the tree (linux), kernel builds
# (<arch>-<flavour>), the lint state (lint); results under
# build/results/<BASE>/.
BASE=${BASE:-mainline}
[ -f "$TOP/bases/$BASE.base" ] ||
	die "no base '$BASE': bases are $(cd "$TOP/bases" && ls *.base | sed 's/\.base$//' | tr '\n' ' ')"
# shellcheck source=/dev/null
source "$TOP/bases/$BASE.base"
BDIR=${BDIR:-$BUILD/$BASE}
KTREE=${KTREE:-$BDIR/linux}
QDIR=$TOP/$QUEUE
RESROOT=${RESROOT:-$BUILD/results/$BASE}
# Caches that outlive a clone (ccache, the QEMU build), as in any CI.
CACHE=${MSIDOORBELL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/msi-doorbell}
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
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

# git in build/<BASE>/linux.
kgit() { tree_git "$KTREE" "$@"; }

# The cases of a case file (<program>:<case> lines, # comments), each
# after a comma.
case_file_runs() {
	local c
	for c in $(grep -v '^#' "$TOP/$1" 2>/dev/null); do
		printf ',%s' "$c"
	done
}

# The arm64 run list of `make` and `make check`: the iommufd selftests, the
# smoke check and the end-to-end cases of the base ($E2E_CASES:
# <program>:<case> lines).
arm64_runlist() {
	local list=iommufd
	[ -x "$TOP/tests/guest/smoke" ] && list+=,smoke
	echo "$list$(case_file_runs "$E2E_CASES")"
}

# The run list of make check's x86_64 debug stage (KASAN, lockdep,
# kmemleak): the mock suite, its fail_nth sweeps and the base's
# $MOCK_CHECK_RUNS (tests/mock programs: msi-stress's fixed seeds).
x86_64_debug_runlist() {
	local list=iommufd,iommufd_fail_nth
	[ -z "${MOCK_CHECK_RUNS:-}" ] || list+=",${MOCK_CHECK_RUNS// /,}"
	echo "$list"
}

# The run list of make check's arm64 debug stage (KASAN, lockdep,
# kmemleak): the smoke check and the base's $E2E_DEBUG_CASES; empty when
# the base has none.
arm64_debug_runlist() {
	[ -n "${E2E_DEBUG_CASES:-}" ] || return 0
	echo "smoke$(case_file_runs "$E2E_DEBUG_CASES")"
}

# Read configs/<arch>.arch and name the build of <arch>-<flavour>:
# sets arch, flavour, O and the description's variables.
load_arch() {
	arch=${1:?arch}
	flavour=${2:-plain}
	[ -f "$TOP/configs/$arch.arch" ] || die "no configs/$arch.arch: arches are $(cd "$TOP/configs" && ls *.arch | sed 's/\.arch//' | tr '\n' ' ')"
	source "$TOP/configs/$arch.arch"
	O=$BDIR/$arch-$flavour
	if [ "$arch" = arm64 ] && [ "$QEMU_ARM64" = project ]; then
		QEMU=$("$TOP/scripts/build-qemu.sh" --path)
	fi
}

# The Kconfig fragments of <arch>-<flavour> on this base, in merge order.
config_frags() {
	local d f
	for d in $CONFIGS; do
		for f in common "$1" $([ "$2" = debug ] && echo debug); do
			[ -f "$TOP/$d/$f.config" ] && echo "$TOP/$d/$f.config"
		done
	done
	return 0
}

# Short name of the queue directory, for messages.
qname() { echo "${QDIR#"$TOP"/}/"; }
