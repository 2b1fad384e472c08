#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What the series costs against the base kernel, measured side by side
# ("make bench", "make bench-smoke"):
#   bench.sh full     build the patched kernel (branch series) then the base one (tag
#                     base), incrementally, in one worktree and build directory, those
#                     of make e2e-base (build/<BASE>/base-tree ->
#                     build/<BASE>/e2e-base/arm64-plain; the base last, so that
#                     make e2e-base finds its kernel there), from the same configs,
#                     what is measured of each copied to build/<BASE>/bench/kernel-<side>;
#                     struct sizes with pahole from a few
#                     objects rebuilt with DWARF in build/<BASE>/bench/dwarf-<k>;
#                     then boot each kernel in turn (base patched base ...),
#                     each boot running tests/bench/msi-bench in the arm64 guest.
#   bench.sh smoke    one short round on the kernels that are already built:
#                     build/<BASE>/arm64-plain (what make check builds) and, when
#                     built, build/<BASE>/e2e-base/arm64-plain; builds no kernel
#                     and runs no pahole.
# BENCH_CLOCK (default icount):
#   icount  QEMU's -icount shift=0,sleep=off, one vCPU, single-threaded TCG:
#           guest time is the instruction count, the same boot after boot
#           whatever the host does. BOOTS (default 3, smoke 1) boots per
#           kernel, only to show that the figures repeat (the table gives
#           their spread); no waiting for a quiet host.
#   wall    TCG's real time, labelled noisy (what icount cannot model, see
#           README "Cost"): ROUNDS (default 5, smoke 1) rounds of one boot per
#           kernel, the old way: two vCPUs, MTTCG, after waiting
#           (BENCH_IDLE_WAIT, 60 s; smoke 0) for a quiet host.
# The workloads and goals of the base are tests/bench/workloads.<BASE>, the
# structs tests/bench/structs.<BASE>.
# Writes build/results/<BASE>/bench[-wall].{txt,json} (smoke: bench-smoke[-wall]);
# raw runs in build/<BASE>/bench/runs-<mode>[-wall]/. Fails when any run fails or
# any number is missing (scripts/bench-report.py); missing a goal is reported
# in the table, not an error.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

mode=${1:-full}
clock=${BENCH_CLOCK:-icount}
case "$mode/$clock" in
full/icount) rounds=${BOOTS:-3} ;;
smoke/icount) rounds=${BOOTS:-1} ;;
full/wall) rounds=${ROUNDS:-5} ;;
smoke/wall) rounds=1 ;;
*) die "usage: [BENCH_CLOCK=icount|wall] bench.sh full|smoke" ;;
esac
[ "$rounds" -ge 1 ] || die "BOOTS/ROUNDS must be at least 1"
[ -f "$TOP/tests/bench/workloads.$BASE" ] || die "no tests/bench/workloads.$BASE"
[ -f "$TOP/tests/bench/structs.$BASE" ] || die "no tests/bench/structs.$BASE"
load_arch arm64 plain
B=$BDIR/bench
mkdir -p "$B" "$RESROOT"
export QEMU_TIMEOUT=${QEMU_TIMEOUT:-600}
out=$RESROOT/bench
[ "$mode" = smoke ] && out=$RESROOT/bench-smoke
[ "$clock" = wall ] && out+=-wall
# No stale table survives a failed run.
rm -f "$out.txt" "$out.json"
start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# Kernel builds are niced (BENCH_NICE, default 19): the machine is shared.
nice=${BENCH_NICE:-19}
# A rebuild must give the same kernel: the version string (build number,
# time, user, host) goes into the guest's random pool (random_init() mixes
# in the utsname), most likely how, with a new string at each rebuild, one
# base build attached edu in 74,099 instructions and the next in 75,465
# (every other workload the same to the instruction). Fixed, as
# reproducible builds do.
build_kernel() { # <tree> <build-root>
	KBUILD_BUILD_TIMESTAMP="2025-01-01 00:00:00 UTC" KBUILD_BUILD_VERSION=1 \
	KBUILD_BUILD_USER=msi-doorbell KBUILD_BUILD_HOST=bench \
	KTREE=$1 BDIR=$2 run nice -n "$nice" "$TOP/scripts/build-kernel.sh" arm64 plain
}

# Struct sizes from DWARF: the few objects that define or use them, rebuilt
# out of tree with the kernel's .config plus CONFIG_DEBUG_INFO_DWARF5.
STRUCTS=$(awk '!/^#/ && NF { print $1 ":" $2 }' "$TOP/tests/bench/structs.$BASE")
struct_sizes() { # <side>
	local k=$1 d=$B/dwarf-$1 objs s obj
	mkdir -p "$d"
	if ! cmp -s "${kb[$k]}/.config" "$d/.config.kernel"; then
		cp "${kb[$k]}/.config" "$d/.config.kernel"
		cp "${kb[$k]}/.config" "$d/.config"
		"${tree[$k]}/scripts/config" --file "$d/.config" -d DEBUG_INFO_NONE \
			-e DEBUG_INFO_DWARF5 -d DEBUG_INFO_REDUCED -d DEBUG_INFO_SPLIT \
			-d DEBUG_INFO_BTF -d GDB_SCRIPTS
		run nice -n "$nice" make -s -C "${tree[$k]}" O="$d" ARCH="$KARCH" \
			CROSS_COMPILE="$CROSS_COMPILE" olddefconfig
		# Only debug info may differ from the kernel that is measured.
		if diff <(grep -vE 'DEBUG_INFO|PAHOLE|GDB_SCRIPTS|^#|^$' "$d/.config.kernel") \
			<(grep -vE 'DEBUG_INFO|PAHOLE|GDB_SCRIPTS|^#|^$' "$d/.config") >&2; then :; else
			rm -f "$d/.config.kernel"
			die "DWARF config of $k differs from its kernel's beyond debug info"
		fi
	fi
	objs=$(echo "$STRUCTS" | tr ' ' '\n' | cut -d: -f2 | sort -u)
	run nice -n "$nice" make -s -C "${tree[$k]}" O="$d" \
		ARCH="$KARCH" CROSS_COMPILE="$CROSS_COMPILE" CC="ccache ${CROSS_COMPILE}gcc" \
		-j"$(nproc)" $objs
	for s in $STRUCTS; do
		obj=$d/${s#*:}
		pahole -C "${s%%:*}" "$obj" > "$sizes/$k.${s%%:*}.pahole" ||
			die "pahole -C ${s%%:*} $obj failed"
		grep -q '/\* size: ' "$sizes/$k.${s%%:*}.pahole" ||
			die "pahole found no struct ${s%%:*} in $obj"
	done
}
sizes=$B/sizes-$mode
rm -rf "$sizes"
mkdir -p "$sizes"

# names, trees and kernel builds of the two sides
declare -A tree kb desc
if [ "$mode" = full ]; then
	# One worktree and one build directory for both kernels, those of make
	# e2e-base (build/<BASE>/base-tree -> build/<BASE>/e2e-base/arm64-plain):
	# the patched kernel first, then the base, each an incremental rebuild
	# of what the series changes (a cold bench costs one kernel build, not
	# two); the base is built last, so make e2e-base finds its kernel. What
	# is measured of each is copied to build/<BASE>/bench/kernel-<side>.
	wt=$BDIR/base-tree
	[ -d "$wt" ] || kgit worktree add -q --detach "$wt" base
	declare -A rev=([patched]=series [base]=base)
	for k in patched base; do
		git -C "$wt" checkout -q --detach "${rev[$k]}"
		tree[$k]=$wt
		say "building the $k kernel (${rev[$k]}) in ${wt#"$TOP"/}"
		build_kernel "$wt" "$BDIR/e2e-base"
		kb[$k]=$B/kernel-$k
		rm -rf "${kb[$k]}"
		mkdir -p "${kb[$k]}/$(dirname "$IMAGE")" "${kb[$k]}/usr" "${kb[$k]}/drivers/iommu/iommufd"
		o=$BDIR/e2e-base/arm64-plain
		cp "$o/$IMAGE" "${kb[$k]}/$IMAGE"
		cp "$o/vmlinux" "$o/.config" "${kb[$k]}/"
		cp -r "$o/usr/include" "${kb[$k]}/usr/"
		cp "$o/usr/gen_init_cpio" "${kb[$k]}/usr/"
		[ ! -f "$o/drivers/iommu/iommufd/selftest.o" ] ||
			cp "$o/drivers/iommu/iommufd/selftest.o" "${kb[$k]}/drivers/iommu/iommufd/"
		if [ "$k" = patched ]; then
			# the selftest header of the patched tree, for the bench program
			cp "$wt/drivers/iommu/iommufd/iommufd_test.h" "${kb[$k]}/drivers/iommu/iommufd/"
			desc[$k]="branch series $(git -C "$wt" rev-parse --short=12 HEAD), $(git -C "$wt" rev-list --count base..HEAD) patches"
		else
			desc[$k]="tag base $(git -C "$wt" rev-parse --short=12 HEAD)"
		fi
		say "struct sizes of $k (pahole on DWARF objects in $B/dwarf-$k)"
		struct_sizes "$k"
	done
else
	kb[patched]=$O
	tree[patched]=$KTREE
	inc_test=$KTREE/drivers/iommu/iommufd
	[ -f "${kb[patched]}/$IMAGE" ] && [ -f "${kb[patched]}/vmlinux" ] ||
		die "bench-smoke: no kernel in ${kb[patched]} (make check's arm64 stage builds it; or: make kernel)"
	desc[patched]="${O#"$TOP"/}, as built from ${KTREE#"$TOP"/}"
	kb[base]=$BDIR/e2e-base/arm64-plain
	if [ -f "${kb[base]}/$IMAGE" ] && [ -f "${kb[base]}/vmlinux" ]; then
		desc[base]="${kb[base]#"$TOP"/}, as built"
	else
		say "bench-smoke: no base kernel in ${kb[base]} (make e2e-base or make bench builds it): patched kernel only"
		unset 'kb[base]'
	fi
fi
sides=()
for k in base patched; do [ -n "${kb[$k]:-}" ] && sides+=("$k"); done
for k in "${sides[@]}"; do
	[ -f "${kb[$k]}/$IMAGE" ] || die "no kernel image in ${kb[$k]}"
done

# The bench program: one static binary for both sides, against the patched
# kernel's uAPI headers and its selftest header (iommufd_test.h: a series
# only appends to it); what a kernel lacks it finds out at run time.
bin=$B/msi-bench
hdr=${kb[patched]}/usr/include
[ -f "$hdr/linux/iommufd.h" ] || die "no uAPI headers in $hdr"
run "${CROSS_COMPILE}gcc" -O2 -Wall -Wextra -Werror -static -isystem "$hdr" \
	-I "${inc_test:-${kb[patched]}/drivers/iommu/iommufd}" \
	-o "$bin" "$TOP/tests/bench/msi-bench.c"

for k in "${sides[@]}"; do
	size -A "${kb[$k]}/vmlinux" > "$sizes/$k.size-A"
	size "${kb[$k]}/vmlinux" > "$sizes/$k.size"
	# The selftest's own symbols, to report its share of the growth apart.
	st=${kb[$k]}/drivers/iommu/iommufd/selftest.o
	if [ -f "$st" ]; then
		"${CROSS_COMPILE}nm" --defined-only "$st" | awk '{ print $3 }' | sort -u > "$sizes/$k.selftest-syms"
	else
		: > "$sizes/$k.selftest-syms"
	fi
done
# Exact code and data deltas, by symbol (size(1) sees page-padded sections).
if [ -n "${kb[base]:-}" ]; then
	bom=${tree[base]:-$KTREE}/scripts/bloat-o-meter
	python3 "$bom" "${kb[base]}/vmlinux" "${kb[patched]}/vmlinux" > "$sizes/bloat-o-meter"
	python3 "$bom" -c "${kb[base]}/vmlinux" "${kb[patched]}/vmlinux" > "$sizes/bloat-o-meter-c"
fi

# One boot directory per side: the kernel image and gen_init_cpio of its
# build, the bench program as the only test (make-initramfs.sh packs it).
for k in "${sides[@]}"; do
	bo=$B/boot-$k/arm64-plain
	rm -rf "$B/boot-$k"
	mkdir -p "$bo/$(dirname "$IMAGE")" "$bo/usr" "$bo/tests"
	ln -s "${kb[$k]}/$IMAGE" "$bo/$IMAGE"
	ln -s "${kb[$k]}/usr/gen_init_cpio" "$bo/usr/gen_init_cpio"
	cp "$bin" "$bo/tests/msi-bench"
	BDIR=$B/boot-$k "$TOP/scripts/make-initramfs.sh" arm64 plain
done

runs=$B/runs-$mode
[ "$clock" = wall ] && runs+=-wall
rm -rf "$runs"
mkdir -p "$runs"
sel=msi-bench
[ "$mode" = smoke ] && sel=msi-bench:smoke
if [ "$clock" = icount ]; then
	sel=msi-bench:icount
	[ "$mode" = smoke ] && sel=msi-bench:smoke-icount
	export QEMU_ICOUNT=shift=0,sleep=off
fi
# The host is shared (other builds and guests): TCG timings are only as good
# as the CPUs the guest gets. Before each boot wait, up to BENCH_IDLE_WAIT
# seconds (default 60; smoke 0), for a quiet host (under 15% busy over 2 s);
# and measure what else ran during each boot: host CPU time minus our own
# (QEMU's), as a share of both CPUs, into <runs>/<side>-<round>.foreign.
idle_wait=${BENCH_IDLE_WAIT:-60}
[ "$mode" = smoke ] && idle_wait=${BENCH_IDLE_WAIT:-0}
# icount needs no quiet host: that is the point of it.
[ "$clock" = icount ] && idle_wait=0
hz=$(getconf CLK_TCK)
ncpu=$(nproc)
host_busy() { # jiffies busy and total, all CPUs
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}
own_cpu() { # seconds of CPU of this shell's finished children (times: not in a pipe)
	times > "$B/.times"
	tail -1 "$B/.times" | awk '{ split($1, u, "m"); split($2, s, "m");
		print u[1] * 60 + u[2] + s[1] * 60 + s[2] }'
}
wait_idle() {
	local t0=$SECONDS b0 t0j b1 t1j
	while [ $((SECONDS - t0)) -lt "$idle_wait" ]; do
		read -r b0 t0j < <(host_busy)
		sleep 2
		read -r b1 t1j < <(host_busy)
		[ $(( (b1 - b0) * 100 / (t1j - t0j + 1) )) -lt 15 ] && return 0
	done
	[ "$idle_wait" = 0 ] || say "host still busy after ${idle_wait}s: running anyway (the table shows the other load)"
}
for r in $(seq 1 "$rounds"); do
	for k in "${sides[@]}"; do
		wait_idle
		say "round $r/$rounds: $k kernel"
		read -r hb0 _ < <(host_busy)
		own_cpu > "$B/.oc"; oc0=$(cat "$B/.oc")
		w0=$(date +%s.%N)
		set +e
		BDIR=$B/boot-$k "$TOP/scripts/run-qemu.sh" arm64 plain "$sel" "$runs/$k-$r" \
			2> "$runs/$k-$r.stderr"
		rc=$?
		set -e
		w1=$(date +%s.%N)
		own_cpu > "$B/.oc"; oc1=$(cat "$B/.oc")
		read -r hb1 _ < <(host_busy)
		awk -v hb="$((hb1 - hb0))" -v hz="$hz" -v oc0="$oc0" -v oc1="$oc1" -v w="$w1" -v w0="$w0" \
			-v n="$ncpu" 'BEGIN { f = (hb / hz - (oc1 - oc0)) / ((w - w0) * n);
				printf "%.3f\n", f < 0 ? 0 : f }' > "$runs/$k-$r.foreign"
		grep -E 'accelerator:|QEMU exited|outcome|^ERROR' "$runs/$k-$r.stderr" >&2 || true
		say "other load on the host during this boot: $(awk '{ printf "%.0f%%", $1 * 100 }' "$runs/$k-$r.foreign") of the CPUs"
		[ $rc = 0 ] || die "round $r, $k kernel: run failed (exit $rc; $runs/$k-$r/console.log, $runs/$k-$r.stderr)"
	done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

args=(--mode "$mode" --clock "$clock" --base "$BASE" --workloads "$TOP/tests/bench/workloads.$BASE"
      --structs "$TOP/tests/bench/structs.$BASE" --rounds "$rounds" --runs "$runs" --sizes "$sizes" --out "$out"
      --seconds "$(( $(date +%s) - start ))" --load "$load_start" --load "$load_end"
      --qemu "$("$QEMU" --version | head -1) ($QEMU)")
for k in "${sides[@]}"; do args+=(--side "$k=${desc[$k]}"); done
python3 "$TOP/scripts/bench-report.py" "${args[@]}"
