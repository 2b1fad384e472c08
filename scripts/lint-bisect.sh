#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Bisectability: build base and then every step of the series (git am, one
# patch at a time, in build/<BASE>/lint/wt) with W=1 for x86_64, arm64 and i386,
# as Kbuild directory targets of what the series touches. A step fails if
# it does not apply, does not build, or has a warning that neither the
# previous step nor base had. Results are cached per step, keyed by base,
# the diffs so far, the lint config and these scripts.
#   lint-bisect.sh [PATCHDIR]     (LINT_ARCHES="x86_64 arm64 i386")
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lint-lib.sh"

lint_start bisect "${1:-}"
lint_lock
mkdir -p "$LCACHE/bisect" "$LLOGS"
shash=$(lint_tools_hash)

declare -A TG AK
first=$((n + 1))
ARCHES=
for arch in $LINT_ARCHES; do
	arch_vars "$arch"
	TG[$arch]=$(lint_targets "$arch")
	if [ -z "${TG[$arch]// /}" ]; then
		say "bisect $arch: the series touches nothing Kbuild builds, skipped"
		continue
	fi
	ARCHES="${ARCHES:-}${ARCHES:+ }$arch"
	ch=$(config_hash "$arch")
	for ((i = 0; i <= n; i++)); do
		AK[$arch,$i]=$LCACHE/bisect/$arch-$(printf '%s\n' "${K[i]}" "$ch" "${TG[$arch]}" "$shash" | sha)
		if [ ! -f "${AK[$arch,$i]}.status" ] && [ "$i" -lt "$first" ]; then
			first=$i
		fi
	done
	say "bisect $arch: targets ${TG[$arch]}"
done
if [ -z "$ARCHES" ]; then
	echo "bisect: nothing to build (no Kbuild directory touched)"
	exit 0
fi
# Sparse piggybacks on the walk: its base and tip sets are taken at steps
# 0 and n of the x86_64 build (see lint-sparse.sh).
case " $ARCHES " in *" x86_64 "*)
	if [ ! -f "$LCACHE/sparse/$(sparse_key 0).warn" ]; then
		first=0
	elif [ ! -f "$LCACHE/sparse/$(sparse_key "$n").warn" ] && [ "$first" -gt "$n" ]; then
		first=$n
	fi ;;
esac

name() { if [ "$1" = 0 ]; then echo base; else basename "${PATCHES[$1 - 1]}"; fi; }

build_step() {
	local arch=$1 i=$2 out=${AK[$1,$2]} log=$LLOGS/bisect-$1-$2.log rc=0
	lint_configure "$arch"
	touch "$LINT/$arch.stamp"
	say "bisect $arch: step $i/$n $(name "$i"): make W=1 ${TG[$arch]}"
	# shellcheck disable=SC2086
	lmake "$arch" ${TG[$arch]} >"$log" 2>&1 || rc=$?
	python3 "$TOP/scripts/lint-warnings.py" collect-cc "$LINT/$arch" "$WT" "$log" \
		"$LINT/$arch.stamp" > "$out.warn"
	if [ "$rc" = 0 ]; then
		echo ok > "$out.status"
	else
		grep -E ': (fatal )?error:|\*\*\*' "$log" | grep -v '^make\[[0-9]*\]: \*\*\* \[' |
			head -15 > "$out.status" || true
		[ -s "$out.status" ] || echo "make failed (rc $rc), see $log" > "$out.status"
	fi
}

applyfail=
for ((i = first; i <= n; i++)); do
	if ! wt_goto "$i"; then
		applyfail="$i"
		break
	fi
	for arch in $ARCHES; do
		[ -f "${AK[$arch,$i]}.status" ] || build_step "$arch" "$i"
	done
	if [ "$i" = 0 ] || [ "$i" = "$n" ]; then
		case " $ARCHES " in *" x86_64 "*) sparse_collect "$i" ;; esac
	fi
done

# Report: a step fails if it does not apply or build, or adds warnings.
fail=0
for ((i = 0; i <= n; i++)); do
	if [ "$i" = "$applyfail" ]; then
		echo "FAIL $(name "$i"): $WT_FAIL"
		fail=1
		break
	fi
	for arch in $ARCHES; do
		f=${AK[$arch,$i]}
		if [ "$(cat "$f.status")" != ok ]; then
			echo "FAIL $(name "$i") [$arch]: build error"
			grep -Ev '^make(\[[0-9]+\])?: \*\*\* \[|^cc1: ' "$f.status" | sed 's/^/    /' || true
			fail=1
		fi
		[ "$i" = 0 ] && continue
		new=$(sort -u "${AK[$arch,$((i - 1))]}.warn" "${AK[$arch,0]}.warn" |
			comm -23 <(grep ': warning: ' "$f.warn" | sort -u) -)
		if [ -n "$new" ]; then
			echo "FAIL $(name "$i") [$arch]: $(echo "$new" | wc -l) new warning(s):"
			echo "$new" | sed 's/^/    /'
			fail=1
		fi
	done
	if [ "$i" = 0 ]; then
		printf 'base: W=1 warnings:'
		for a in $ARCHES; do printf ' %s %s;' "$a" "$(grep -c . "${AK[$a,0]}.warn" || true)"; done
		echo
	fi
done
if [ "$fail" = 0 ]; then
	echo "bisect: all $n steps apply and build on $ARCHES with no new W=1 warnings"
fi
exit "$fail"
