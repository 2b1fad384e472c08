# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared helpers for scripts/lint-*.sh. Sourced after lib.sh, not run.
#
# State lives under build/<BASE>/lint/:
#   wt/            detached git worktree of the base's tree; the series is applied
#                  here with git am (the tree's HEAD is never used)
#   wt.state       "<chain-key> <commit>" per applied step of the worktree
#   <arch>/        out-of-tree build dirs (O=) of the lint kernels
#   cache/         results keyed by content hashes (see chain_keys)
#   logs/          build logs of the last run

LINT=$BDIR/lint
WT=$LINT/wt
LCACHE=$LINT/cache
LLOGS=$LINT/logs
LINT_ARCHES=${LINT_ARCHES:-"x86_64 arm64 i386"}
JOBS=${JOBS:-2}

# The patch directory (argument, or the base's queue) and its series, as full paths.
lint_pdir() {
	local d=${1:-$QDIR}
	[ -d "$d" ] || die "no patch directory $d"
	(cd "$d" && pwd)
}

lint_series() {
	local p
	[ -f "$1/series" ] || return 0
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		[ -f "$1/$p" ] || die "$1/series names $p, which does not exist"
		printf '%s\n' "$1/$p"
	done < "$1/series"
}

sha() { sha256sum | cut -c1-16; }

# Bump when the way results are computed changes: cached results of older
# versions are then ignored. The tools that define a warning set are hashed.
LINT_CACHE_VERSION=1
lint_tools_hash() {
	{
		echo "$LINT_CACHE_VERSION"
		cat "$TOP/scripts/lint-cc.sh" "$TOP/scripts/lint-warnings.py"
	} | sha
}

# Hash of what a patch changes (from the first "diff --git" on, without the
# format-patch signature): a changelog-only edit does not invalidate builds.
patch_diff_hash() {
	awk '/^diff --git /{d=1} /^-- $/{if (d) exit} d' "$1" | sha
}

# The git worktree, created on first use, detached at base.
wt_ensure() {
	if [ ! -e "$WT/.git" ]; then
		mkdir -p "$LINT"
		git -C "$KTREE" worktree prune
		run git -C "$KTREE" worktree add -q --detach "$WT" base >&2
		: > "$LINT/wt.state"
	fi
}

# git in the lint worktree.
wgit() { tree_git "$WT" "$@"; }

# Chain keys: K[0] = base commit; K[i] = hash(K[i-1], diff of patch i).
# They name the source tree of each step without applying anything.
# Sets the arrays PATCHES and K.
chain_keys() {
	local pdir=$1 p i=0
	mapfile -t PATCHES < <(lint_series "$pdir")
	K=("$(git -C "$KTREE" rev-parse 'base^{commit}')")
	for p in "${PATCHES[@]}"; do
		K[i + 1]=$(printf '%s %s\n' "${K[i]}" "$(patch_diff_hash "$p")" | sha)
		i=$((i + 1))
	done
}

# Move the worktree to step $1 (0 = base, i = patches 1..i applied), reusing
# the deepest step already applied whose chain key matches, so that only
# files that differ are rewritten (make then rebuilds only what changed).
# Returns 1 (and sets WT_FAIL) if patch $1 does not apply.
wt_goto() {
	local want=$1 have=0 commit i key c
	wt_ensure
	wgit am --abort >/dev/null 2>&1 || true
	declare -A st=()
	while read -r key c; do st[$key]=$c; done < "$LINT/wt.state"
	for ((i = want; i >= 0; i--)); do
		if [ -n "${st[${K[i]}]:-}" ] && wgit cat-file -e "${st[${K[i]}]}" 2>/dev/null; then
			have=$i
			break
		fi
	done
	if [ "$have" = 0 ]; then commit=base; else commit=${st[${K[have]}]}; fi
	if [ "$(wgit rev-parse HEAD)" != "$(wgit rev-parse "$commit^{commit}")" ] ||
	   [ -n "$(wgit status --porcelain --untracked-files=no)" ]; then
		wgit checkout -q -f --detach "$commit"
	fi
	printf '%s %s\n' "${K[0]}" "$(wgit rev-parse base)" > "$LINT/wt.state.new"
	for ((i = 1; i <= have; i++)); do
		printf '%s %s\n' "${K[i]}" "${st[${K[i]}]}" >> "$LINT/wt.state.new"
	done
	for ((i = have + 1; i <= want; i++)); do
		if ! wgit am -q "${PATCHES[i - 1]}" >"$LLOGS/am.log" 2>&1; then
			wgit am --abort >/dev/null 2>&1 || true
			# shellcheck disable=SC2034 # read by the callers
			WT_FAIL="$(basename "${PATCHES[i - 1]}") does not apply: $(head -3 "$LLOGS/am.log" | tr '\n' ' ')"
			mv "$LINT/wt.state.new" "$LINT/wt.state"
			return 1
		fi
		printf '%s %s\n' "${K[i]}" "$(wgit rev-parse HEAD)" >> "$LINT/wt.state.new"
	done
	mv "$LINT/wt.state.new" "$LINT/wt.state"
}

# Per-arch toolchain.
arch_vars() {
	case "$1" in
	x86_64) KARCH=x86_64; CROSS= ;;
	i386) KARCH=i386; CROSS= ;;
	arm64) KARCH=arm64; CROSS=aarch64-linux-gnu- ;;
	*) die "unknown lint arch $1" ;;
	esac
	# The wrapper records each object's compiler diagnostics next to it.
	LCC="$TOP/scripts/lint-cc.sh ccache ${CROSS}gcc"
}

# make in a lint build dir, from the worktree.
lmake() {
	local arch=$1
	shift
	arch_vars "$arch"
	LC_ALL=C make -C "$WT" O="$LINT/$arch" ARCH="$KARCH" CROSS_COMPILE="$CROSS" CC="$LCC" \
		W=1 -j"$JOBS" "$@"
}

# The lint fragments of an arch on this base: common.config and
# <arch>.config of each directory of LINT_CONFIGS that has them.
lint_frags() {
	local d f
	for d in $LINT_CONFIGS; do
		for f in common "$1"; do
			[ -f "$TOP/$d/$f.config" ] && echo "$TOP/$d/$f.config"
		done
	done
	return 0
}

config_hash() {
	{
		cat $(lint_frags "$1") "$TOP/scripts/lint-cc.sh"
		"${CROSS}gcc" --version | head -1
	} | sha
}

# (Re)generate build/<BASE>/lint/<arch>/.config when the fragments changed:
# tinyconfig + the base's lint fragments (lint_frags), merged with the
# tree's merge_config.sh; every option of the fragments must survive.
lint_configure() {
	local arch=$1 out=$LINT/$1 h frags
	arch_vars "$arch"
	h=$(config_hash "$arch")
	if [ -f "$out/.config" ] && [ "$(cat "$out/.lint-config" 2>/dev/null)" = "$h" ]; then
		return 0
	fi
	mkdir -p "$out"
	mapfile -t frags < <(lint_frags "$arch")
	say "lint config $arch: tinyconfig + ${frags[*]#"$TOP"/}"
	lmake "$arch" -s tinyconfig >/dev/null
	(cd "$WT" && run scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" \
		"${frags[@]}") >"$LLOGS/config-$arch.log" 2>&1
	lmake "$arch" -s olddefconfig >>"$LLOGS/config-$arch.log" 2>&1
	python3 "$TOP/scripts/lint-warnings.py" config-check "$out/.config" "${frags[@]}" ||
		die "lint config $arch: requested options did not survive olddefconfig (see above)"
	echo "$h" > "$out/.lint-config"
}

# Kbuild directory targets of the series for an arch (one line, spaces).
lint_targets() {
	python3 "$TOP/scripts/lint-warnings.py" targets "$1" "${PATCHES[@]}" | tr '\n' ' '
}

# Sparse (x86_64): cache key of step $1 and collection at the current
# worktree state (objects must be up to date, so that the C=2 run prints
# sparse's diagnostics only).
sparse_key() {
	arch_vars x86_64
	{
		echo "${K[$1]}"
		config_hash x86_64
		lint_targets x86_64
		sparse --version
		echo "not-run detection 1"
		lint_tools_hash
	} | sha
}

sparse_collect() {
	local i=$1 key log
	key=$(sparse_key "$i")
	[ -f "$LCACHE/sparse/$key.warn" ] && return 0
	mkdir -p "$LCACHE/sparse"
	log=$LLOGS/sparse-$i.log
	say "sparse: step $i: make C=2 CHECK=sparse $(lint_targets x86_64)"
	# shellcheck disable=SC2046
	if ! lmake x86_64 $(lint_targets x86_64) >"$log" 2>&1 ||
	   ! lmake x86_64 C=2 CHECK=sparse $(lint_targets x86_64) >>"$log" 2>&1; then
		echo "error: build failed, see $log" > "$LCACHE/sparse/$key.err"
	fi
	# Kbuild skips the checker, with only a warning, when it finds it too
	# old for the tree (scripts/checker-valid.sh): Debian 12's sparse 0.6.4
	# on 7.3 (no __typeof_unqual__). No warnings then means nothing.
	if grep -q 'specified, but .* is not available or not up to date' "$log"; then
		echo "sparse $(sparse --version) is too old for this tree: Kbuild did not run it (scripts/checker-valid.sh)" \
			> "$LCACHE/sparse/$key.notrun"
	fi
	python3 "$TOP/scripts/lint-warnings.py" norm "$LINT/x86_64" "$WT" < "$log" \
		> "$LCACHE/sparse/$key.warn"
}

# One lint at a time: the worktree and the build dirs are shared.
lint_lock() {
	mkdir -p "$LINT" "$LLOGS"
	exec 9>"$LINT/lock"
	flock -n 9 || { say "waiting for another lint run ($LINT/lock)"; flock 9; }
}

# Common start of a check script: PATCHDIR from $2 (default: the queue),
# PATCHES and the chain keys K (chain_keys), n = number of patches; an empty
# series has nothing to check and ends the script with success.
#   lint_start <check name> [PATCHDIR]
lint_start() {
	pdir=$(lint_pdir "${2:-}")
	chain_keys "$pdir"
	n=${#PATCHES[@]}
	if [ "$n" = 0 ]; then
		say "$1: the series is empty, nothing to check"
		exit 0
	fi
}
