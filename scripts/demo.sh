#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job ("make"): the arm64 kernel of the base (default mainline:
# 7.3 on the project's QEMU 10) with its series, booted on the emulated Arm
# machine (GICv3 ITS + SMMUv3 + QEMU's edu device), running the iommufd
# selftests, the smoke check and the end-to-end MSI test; then a short
# story of what the end-to-end test saw and the totals.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

res=$RESROOT/arm64
RESULTS=$res "$TOP/scripts/kselftest.sh" arm64 plain "$(arm64_runlist)"
rc=$?
echo
echo "=== Base $BASE: $DESC, $(kgit rev-list --count base..HEAD) patches of $(qname) on $(kgit log -1 --format=%s pristine)"
# Each e2e program runs once per case: msi-e2e, msi-e2e.2, ..., msi-nested, ...
for prog in smoke $(for p in $E2E_PROGS; do (cd "$res" 2>/dev/null && ls "$p".ktap "$p".[0-9]*.ktap 2>/dev/null | sed 's/\.ktap$//' | sort -t. -k2n); done); do
	[ -f "$res/$prog.ktap" ] || continue
	echo "--- $prog"
	grep -E '^(ok|not ok) |^# ' "$res/$prog.ktap" | grep -v '^# \(RUN\|PASSED\|Totals\)' || true
done
if ls "$res"/msi-nested*.ktap >/dev/null 2>&1; then
	echo "=== Nested translation (QEMU's S1+S2 SMMUv3): the window the RMR way, then the guest's own doorbell address"
	python3 "$TOP/scripts/nested-story.py" "$res"
fi
echo "--- QEMU: $(cat "$res/qemu-cmdline.txt" 2>/dev/null)"
echo "--- raw console log: $res/console.log"
python3 "$TOP/scripts/totals.py" "$res" || rc=1
exit $rc
