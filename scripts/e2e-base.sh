#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Negative control for the end-to-end test: run it on the base kernel (tag
# "base", no series) and expect its replace case to fail while
# default_window and many_interrupts pass — on 6.12 the doorbell is not
# mapped in the new domain after an IOAS replace, so every MSI after it is
# lost. The cases that need the series' uAPI fail there too. Passes when that is what happens, so that the
# e2e test is shown to be able to fail.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

wt=$BUILD/base-tree
if [ ! -d "$wt" ]; then
	kgit worktree add -q --detach "$wt" base
else
	git -C "$wt" checkout -q --detach base
fi
res=$BUILD/results/arm64-base
set +e
KTREE=$wt BUILD=$BUILD/e2e-base RESULTS=$res "$TOP/scripts/kselftest.sh" arm64 plain smoke,msi-e2e
rc=$?
set -e
python3 - "$res/summary.json" "$rc" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
e2e = s['programs'].get('msi-e2e', {})
fails = e2e.get('failures', [])
print('base kernel: outcome %s (exit %s), msi-e2e failed cases: %s'
      % (s['outcome'], sys.argv[2], ', '.join(fails) or 'none'))
# Cases that use the series' uAPI (IOMMU_OPTION_SW_MSI_*, _MSI_DOORBELL_IOVA)
# cannot pass on the base kernel; replace is the one that shows lost MSIs.
uapi = {'chosen_window', 'colliding_window', 'doorbell_busy'}
ok = (s['outcome'] == 'test failure' and 'replace' in fails
      and set(fails) <= uapi | {'replace'} and e2e.get('passed', 0) >= 2
      and not s['trouble'])
print('negative control: %s' % ('as expected: MSIs are lost after a replace on the base kernel'
                                if ok else 'UNEXPECTED: the e2e test did not show the base kernel losing MSIs'))
sys.exit(0 if ok else 1)
PY
