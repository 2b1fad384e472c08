#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot build/<BASE>/<arch>-<flavour> in QEMU and run test programs in it:
#   run-qemu.sh <arch> <flavour> <run-list> <results-dir> [kmemleak]
# <run-list> is msidoorbell.run for tests/guest/init ("iommufd,e2e:...").
# QEMU_ICOUNT=<icount options> (make bench: shift=0,sleep=off) makes guest
# time exact: single-threaded TCG, one vCPU, -icount <options>, the guest's
# PRNG seeded (-seed) and no random DTB nodes (dtb-randomness=off), so that
# the same kernel and program execute the same instructions, boot after boot.
# Writes <results-dir>/console.log and qemu-cmdline.txt, prints the exact
# commands, then classifies the log (scripts/parse-results.py), whose exit
# code it returns: 0 pass, 1 test failure, 2 kernel trouble, 3 timeout.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

arch=${1:?arch}
flavour=${2:?flavour}
runlist=${3:?run list}
res=${4:?results dir}
kmemleak=${5:-0}
load_arch "$arch" "$flavour"
[ -x "$(command -v "$QEMU")" ] || die "no QEMU $QEMU (make deps; the project's QEMU: scripts/build-qemu.sh)"
timeout=${QEMU_TIMEOUT:-900}
rm -rf "$res"
mkdir -p "$res"

accel="tcg,thread=multi"
why="TCG (software emulation)"
if [ "$arch" = "$(uname -m)" ] && [ -w /dev/kvm ]; then
	probe=$BUILD/kvm-probe.$arch
	if [ ! -f "$probe" ]; then
		# /dev/kvm can exist and still not run a guest: boot the kernel
		# with an init that exits and wait for its panic message.
		if timeout 30 "$QEMU" $QEMU_MACHINE -accel kvm -cpu host -m 512M -smp 1 \
			-display none -monitor none -serial stdio -no-reboot \
			-kernel "$O/$IMAGE" -append "console=$CONSOLE panic=-1 rdinit=/nonexistent" \
			2>&1 | grep -q "No working init found\|Kernel panic"; then
			echo kvm > "$probe"
		else
			echo tcg > "$probe"
		fi
	fi
	if [ "$(cat "$probe")" = kvm ]; then
		accel=kvm
		why="KVM"
		QEMU_MACHINE=${QEMU_MACHINE/-cpu max/-cpu host}
	else
		why="TCG: /dev/kvm is present but did not boot a guest (probe: $probe)"
	fi
elif [ "$arch" = "$(uname -m)" ]; then
	why="TCG: no usable /dev/kvm"
fi

smp=2
if [ -n "${QEMU_ICOUNT:-}" ]; then
	accel="tcg,thread=single"
	why="TCG with icount ($QEMU_ICOUNT, one vCPU, single-threaded): guest time = instructions"
	smp=1
	QEMU_MACHINE="${QEMU_MACHINE/-M virt,/-M virt,dtb-randomness=off,}"
	QEMU_EXTRA+=" -icount $QEMU_ICOUNT -seed 1"
fi

append="console=$CONSOLE panic=-1 oops=panic loglevel=7 msidoorbell.run=$runlist msidoorbell.kmemleak=$kmemleak"
[ "$flavour" = debug ] && append+=" kasan.fault=report"
# KERNEL_APPEND: more kernel parameters for the test programs (make stress:
# msistress.seed=, .steps=, .seqs=, read by tests/mock/msi-stress)
[ -z "${KERNEL_APPEND:-}" ] || append+=" $KERNEL_APPEND"
cmd=("$QEMU" $QEMU_MACHINE -accel "$accel" -smp "$smp" -m 2G -display none -monitor none
     -serial stdio -no-reboot $QEMU_EXTRA -kernel "$O/$IMAGE"
     -initrd "$O/initramfs.cpio.gz" -append "$append")
say "base: $BASE ($DESC); QEMU: $("$QEMU" --version | head -1)"
say "accelerator: $why"
printf '%q ' "${cmd[@]}" > "$res/qemu-cmdline.txt"
echo >> "$res/qemu-cmdline.txt"
say "QEMU command line:"
cat "$res/qemu-cmdline.txt" >&2
say "kernel command line: $append"
say "console log: $res/console.log (timeout ${timeout}s)"
start=$(date +%s)
set +e
timeout --foreground -k 10 "$timeout" "${cmd[@]}" < /dev/null > "$res/console.log" 2>&1
qrc=$?
set -e
echo $(( $(date +%s) - start )) > "$res/seconds"
say "QEMU exited with $qrc after $(cat "$res/seconds")s"
[ $qrc = 124 ] || [ $qrc = 137 ] && touch "$res/timed-out"
python3 "$TOP/scripts/parse-results.py" "$res"
