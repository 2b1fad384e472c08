#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build a test kernel: build-kernel.sh <arch> <plain|debug>
# Config = tinyconfig + configs/common.config + configs/<arch>.config
# (+ configs/debug.config), merged with the tree's merge_config.sh. Fails
# when an option asked for is not in the final .config. Out of tree in
# build/<arch>-<flavour>, through ccache; incremental.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

load_arch "${1:-}" "${2:-plain}"
frags=("$TOP/configs/common.config" "$TOP/configs/$arch.config")
[ "$flavour" = debug ] && frags+=("$TOP/configs/debug.config")
mkdir -p "$O"
export CCACHE_DIR=${CCACHE_DIR:-$TOP/build/ccache}
# Paths relative to the checkout: a second clone shares cache hits.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP}
kmake() {
	run make -C "$KTREE" O="$O" ARCH="$KARCH" CROSS_COMPILE="$CROSS_COMPILE" \
		CC="ccache ${CROSS_COMPILE}gcc" -j"$(nproc)" "$@"
}

want=$(cat "${frags[@]}" "$KTREE/Makefile" | sha256sum | cut -c1-16)
if [ ! -f "$O/.config" ] || [ "$(cat "$O/.msidoorbell-config" 2>/dev/null)" != "$want" ]; then
	say "configuring $arch-$flavour from: ${frags[*]##*/}"
	kmake -s tinyconfig >/dev/null
	run env ARCH="$KARCH" "$KTREE/scripts/kconfig/merge_config.sh" -m -O "$O" "$O/.config" "${frags[@]}" >/dev/null
	kmake -s olddefconfig
	# Every line of the fragments must have survived olddefconfig.
	missing=0
	while read -r line; do
		case "$line" in
		CONFIG_*=*) opt=${line%%=*} ;;
		"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *} ;;
		*) continue ;;
		esac
		got=$(grep -E "^$opt=|^# $opt is not set" "$O/.config" || echo "# $opt is not set")
		if [ "$got" != "$line" ]; then
			printf 'ERROR: Kconfig drift: asked for "%s", got "%s"\n' "$line" "$got" >&2
			missing=1
		fi
	done < <(cat "${frags[@]}")
	[ $missing = 0 ] || die "requested options missing after olddefconfig ($arch-$flavour)"
	echo "$want" > "$O/.msidoorbell-config"
fi
kmake -s "$IMAGE_TARGET"
kmake -s headers >/dev/null
say "kernel: $O/$IMAGE"
