#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Negative control for the end-to-end test: run every e2e case on the bare
# base kernel of BASE (tag "base", no series) and expect exactly the cases
# listed in the base's E2E_BASE_FAILS file to fail, each for the reason
# written there, and every other case to pass, with no kernel trouble. On
# 6.12 the replace case loses every MSI after an IOAS replace; on 7.3
# (which maps doorbells per domain since v6.15) what fails is what the
# series adds. It shows that the e2e test can fail where the base is
# wrong.
#
# A case listed with splat="<text>" fails by a kernel report, not by its
# own result (a use-after-free that KASAN sees while the MSIs still
# arrive). A report is kernel trouble for the whole boot, and without
# KASAN the same bug may go unseen or oops (oops=panic ends the boot), so
# such cases are left out of the plain boot ("<prog>:!<case>") and run
# alone on the base's debug kernel (KASAN, lockdep: build
# <BDIR>/e2e-base/arm64-debug), one program run each; each must give a
# report containing <text> while it runs, and the boot itself none.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

wt=$BDIR/base-tree
if [ ! -d "$wt" ]; then
	kgit worktree add -q --detach "$wt" base
else
	git -C "$wt" checkout -q --detach base
fi
fails=$TOP/$E2E_BASE_FAILS
# The splat="..." cases, <prog>:<case> one a line
splats=$(sed -n 's/^\([^#[:space:]][^[:space:]]*\)[[:space:]]\{1,\}splat=".*/\1/p' "$fails")
list=smoke
for p in $E2E_PROGS; do
	skip=$(echo "$splats" | sed -n "s/^$p://p" | tr '\n' '!')
	list+=",$p${skip:+:!${skip%!}}"
done
res=$RESROOT/arm64-base
dres=$RESROOT/arm64-base-debug
set +e
KTREE=$wt BDIR=$BDIR/e2e-base RESULTS=$res "$TOP/scripts/kselftest.sh" arm64 plain "$list"
rc=$?
drc=-
if [ -n "$splats" ]; then
	say "the cases that must splat, alone on the bare base's debug kernel: $(echo $splats)"
	KTREE=$wt BDIR=$BDIR/e2e-base RESULTS=$dres "$TOP/scripts/kselftest.sh" arm64 debug \
		"$(echo $splats | tr ' ' ,)"
	drc=$?
fi
set -e
python3 - "$res/summary.json" "$rc" "$fails" "$BASE" "$dres/summary.json" "$drc" \
	"$(echo $splats)" $E2E_PROGS <<'PY'
import json, re, sys
s = json.load(open(sys.argv[1]))
progs = sys.argv[8:]
want, splat = {}, {}
for line in open(sys.argv[3]):
    if not line.strip() or line.startswith('#'):
        continue
    m = re.match(r'(\S+)\s+splat="([^"]+)"\s*(.*)', line)
    if m:
        splat[m.group(1)] = (m.group(2), m.group(3).strip())
        continue
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
for w, lines in s.get('trouble_in', {}).items():
    print('  kernel trouble (%s), not expected: %s' % (w, lines[0]))
ok = (fails == set(want) and not s['trouble'] and passed >= 1
      and s['outcome'] == ('test failure' if want else 'pass'))

if splat:
    d = json.load(open(sys.argv[5]))
    print('bare %s base, debug kernel (KASAN, lockdep): outcome %s (exit %s)'
          % (sys.argv[4], d['outcome'], sys.argv[6]))
    where = d.get('trouble_in', {})
    runs = {}
    for c in sys.argv[7].split():
        p, case = c.split(':', 1)
        runs[p] = runs.get(p, 0) + 1
        run = p if runs[p] == 1 else '%s.%d' % (p, runs[p])
        text, why = splat[c]
        hit = [t for t in where.get(run, []) if text in t]
        r = d['programs'].get(run, {})
        res = ('passed' if case not in r.get('failures', []) and r.get('passed') else 'failed')
        print('  %-34s %s (the case itself %s): %s'
              % (c, 'kernel trouble as expected' if hit else 'NO "%s" report' % text, res, why))
        for t in hit[:1] + [t for t in where.get(run, []) if t not in hit][:2]:
            print('      %s' % t)
        ok &= bool(hit)
    if where.get('boot'):
        print('  kernel trouble at boot, not expected: %s' % where['boot'][0])
        ok = False
    ok &= d['outcome'] == 'kernel trouble' and 'boot' not in where
print('negative control: %s' % ('as expected' if ok else 'UNEXPECTED'))
sys.exit(0 if ok else 1)
PY
