#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch.pl --strict on every patch of the series: 0 errors, 0 warnings,
# 0 checks, except the types lint/checkpatch-allow.$BASE lists for a patch
# ("<patch-file> <TYPE> <reason>", the reason is mandatory). Results are
# cached by patch content, checkpatch version and allow-list entries.
#   lint-checkpatch.sh [PATCHDIR]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lint-lib.sh"

pdir=$(lint_pdir "${1:-}")
allow=${LINT_CHECKPATCH_ALLOW:-$TOP/lint/checkpatch-allow.$BASE}
mapfile -t PATCHES < <(lint_series "$pdir")
if [ "${#PATCHES[@]}" = 0 ]; then
	say "checkpatch: the series is empty, nothing to check"
	exit 0
fi
fail=0
# The allow-list: every entry needs a reason.
declare -A ALLOW
if [ -f "$allow" ]; then
	while read -r file type reason; do
		case "$file" in ''|'#'*) continue ;; esac
		if [ -z "$reason" ]; then
			echo "FAIL lint/checkpatch-allow.$BASE: '$file $type' has no reason"
			fail=1
			continue
		fi
		ALLOW[$file]="${ALLOW[$file]:-}${ALLOW[$file]:+,}$type"
	done < "$allow"
fi
mkdir -p "$LCACHE/checkpatch"
cphash=$(cat "$KTREE/scripts/checkpatch.pl" "$KTREE/scripts/spelling.txt" \
	"$TOP/scripts/lint-checkpatch.sh" | sha)
for p in "${PATCHES[@]}"; do
	b=$(basename "$p")
	ign=${ALLOW[$b]:-}
	key=$LCACHE/checkpatch/$( { echo "$cphash $ign"; cat "$p"; } | sha)
	if [ ! -f "$key.rc" ]; then
		rc=0
		(cd "$KTREE" && scripts/checkpatch.pl --strict --show-types --no-summary \
			--color=never ${ign:+--ignore "$ign"} "$p") > "$key.out" 2>&1 || rc=$?
		echo "$rc" > "$key.rc"
	fi
	if [ "$(cat "$key.rc")" != 0 ] || grep -qE '^(ERROR|WARNING|CHECK):' "$key.out"; then
		echo "FAIL $b: $(grep -cE '^(ERROR|WARNING|CHECK):' "$key.out") checkpatch report(s):"
		# The reports only, without checkpatch's closing notes.
		awk '/^(ERROR|WARNING|CHECK):/ { r = 1 } r { print "    " $0 } /^$/ { r = 0 }' "$key.out"
		fail=1
	else
		echo "ok   $b${ign:+ (allowed: $ign)}"
	fi
done
for b in "${!ALLOW[@]}"; do
	[ -f "$pdir/$b" ] || echo "note: lint/checkpatch-allow.$BASE names $b, which is not in the series"
done
exit "$fail"
