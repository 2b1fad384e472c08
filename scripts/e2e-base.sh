#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Negative control for the end-to-end test: run every msi-e2e case on the
# bare base kernel of BASE (tag "base", no series) and expect exactly the
# cases listed in the base's E2E_BASE_FAILS file to fail, each for the
# reason written there, and every other case to pass, with no kernel
# trouble. On 6.12 the replace case loses every MSI after an IOAS replace;
# on 7.3 (which maps doorbells per domain since v6.15) what fails is what
# the series adds. It shows that the e2e test can fail where the base is
# wrong.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

wt=$BDIR/base-tree
if [ ! -d "$wt" ]; then
	kgit worktree add -q --detach "$wt" base
else
	git -C "$wt" checkout -q --detach base
fi
res=$RESROOT/arm64-base
set +e
KTREE=$wt BDIR=$BDIR/e2e-base RESULTS=$res "$TOP/scripts/kselftest.sh" arm64 plain \
	"smoke,$(echo $E2E_PROGS | tr ' ' ,)"
rc=$?
set -e
python3 - "$res/summary.json" "$rc" "$TOP/$E2E_BASE_FAILS" "$BASE" $E2E_PROGS <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
progs = sys.argv[5:]
want = {}
for line in open(sys.argv[3]):
    if line.strip() and not line.startswith('#'):
        case, why = (line.split(None, 1) + [''])[:2]
        want[case] = why.strip()
fails, passed = set(), 0
for p in progs:
    e2e = s['programs'].get(p, {})
    fails |= {'%s:%s' % (p, c) for c in e2e.get('failures', [])}
    passed += e2e.get('passed', 0)
print('bare %s base: outcome %s (exit %s), %s: %d passed, failed: %s'
      % (sys.argv[4], s['outcome'], sys.argv[2], ' '.join(progs), passed,
         ', '.join(sorted(fails)) or 'none'))
for c in sorted(want):
    print('  %-34s %s: %s' % (c, 'failed as expected' if c in fails else 'PASSED, expected to fail', want[c]))
for c in sorted(fails - set(want)):
    print('  %-34s FAILED, expected to pass' % c)
ok = (fails == set(want) and not s['trouble'] and passed >= 1
      and s['outcome'] == ('test failure' if want else 'pass'))
print('negative control: %s' % ('as expected' if ok else 'UNEXPECTED'))
sys.exit(0 if ok else 1)
PY
