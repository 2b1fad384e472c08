#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build a test kernel of the base: build-kernel.sh <arch> <plain|debug>
# Config = tinyconfig + for each directory of the base's CONFIGS (e.g.
# configs, then configs/mainline) its common.config, <arch>.config (and
# debug.config), merged with the tree's merge_config.sh. Fails when an
# option asked for is not in the final .config, naming what it depends on.
# Out of tree in build/<BASE>/<arch>-<flavour>, through ccache; incremental.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

load_arch "${1:-}" "${2:-plain}"
mapfile -t frags < <(config_frags "$arch" "$flavour")
mkdir -p "$O"
# Paths relative to the checkout: a second clone shares cache hits.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP}
kmake() {
	run make -C "$KTREE" O="$O" ARCH="$KARCH" CROSS_COMPILE="$CROSS_COMPILE" \
		CC="ccache ${CROSS_COMPILE}gcc" -j"$(nproc)" "$@"
}

want=$(cat "${frags[@]}" "$KTREE/Makefile" | sha256sum | cut -c1-16)
if [ ! -f "$O/.config" ] || [ "$(cat "$O/.msidoorbell-config" 2>/dev/null)" != "$want" ]; then
	say "configuring $BASE $arch-$flavour from: ${frags[*]#"$TOP"/}"
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
			# Why it dropped out: what its Kconfig entry depends on.
			git -C "$KTREE" grep -h -A20 -E "^(menu)?config ${opt#CONFIG_}\$" -- '*Kconfig*' 2>/dev/null |
				awk 'NR > 1 && /^(menu)?config |^endmenu|^if |^endif/ { exit }
				     /^[[:space:]]*(depends on|select)/ { sub(/^[[:space:]]+/, ""); print "       " $0 }' >&2 || true
			missing=1
		fi
	done < <(cat "${frags[@]}")
	[ $missing = 0 ] || die "requested options missing after olddefconfig ($BASE $arch-$flavour)"
	echo "$want" > "$O/.msidoorbell-config"
fi
kmake -s "$IMAGE_TARGET"
kmake -s headers >/dev/null
say "kernel: $O/$IMAGE"
