#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Classify one QEMU test run from its raw console log.

parse-results.py <results-dir>

Reads <results-dir>/console.log written by run-qemu.sh, splits out one KTAP
file per test program (<prog>.ktap, the lines between the init's
MSIDOORBELL-BEGIN/END markers that are not kernel messages), counts the
test cases, and looks for kernel trouble (panic, oops, BUG, WARN, KASAN,
lockdep, kmemleak) anywhere in the kernel's output, each report with where
it was seen (summary.json "trouble_in": "boot", a program run's name — while
it ran, in the kernel log dumped after it, or before the next one began —
or "kmemleak"). Writes summary.json and prints a summary. Exit code: 0 pass, 1 test failure, 2 kernel trouble,
3 timeout (the partial log is kept). Kernel trouble wins over a timeout
(a hang after a splat is reported as the splat), a timeout over failures.
"""
import json
import os
import re
import sys

PASS, FAIL, TROUBLE, TIMEOUT = 0, 1, 2, 3
NAMES = {PASS: "pass", FAIL: "test failure", TROUBLE: "kernel trouble", TIMEOUT: "timeout"}

KMSG = re.compile(r'^\[\s*\d+\.\d+\]')
TROUBLE_RES = [re.compile(p) for p in (
    r'Kernel panic', r'\bOops\b', r'\bBUG:', r'WARNING:', r'KASAN', r'UBSAN',
    r'Unable to handle kernel', r'general protection fault', r'Internal error:',
    r'possible circular locking', r'possible recursive locking',
    r'inconsistent lock state', r'suspicious RCU usage', r'lock held when returning',
    r'INFO: task .* blocked', r'refcount_t:', r'list_add corruption', r'list_del corruption',
    r'unreferenced object 0x', r'sleeping function called from invalid context',
)]
RESULT = re.compile(r'^(ok|not ok) (\d+) (.*?)(?:\s+#\s*(SKIP|skip|TODO|XFAIL)\b(.*))?$')
PLAN = re.compile(r'^1\.\.(\d+)$')


def load_expected_skips(top):
    """tests/expected-skips: '<prog> <case> <reason>' lines; anything else fails."""
    path = os.path.join(top, 'tests', 'expected-skips')
    out = {}
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line and not line.startswith('#'):
                prog, case, reason = (line.split(None, 2) + ['', ''])[:3]
                out[(prog, case)] = reason
    return out


def trouble_where(progs, cur, in_block, label):
    """Where a kernel report was seen: the program run it came during or
    after, 'boot' before the first one, or the kmemleak scan."""
    if in_block == 'KMEMLEAK' or label == 'kmemleak':
        return 'kmemleak'
    if in_block is not None:
        if label == 'boot':
            return 'boot'
        runs = [p['name'] for p in progs if p['prog'] == label]
        return runs[-1] if runs else label
    if cur is not None:
        return cur['name']
    return progs[-1]['name'] if progs else 'boot'


def parse(res):
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    expected_skips = load_expected_skips(top)
    with open(os.path.join(res, 'console.log'), 'rb') as f:
        lines = f.read().decode('utf-8', 'replace').replace('\r', '').split('\n')

    progs = []       # dicts: name, args, rc, ktap lines
    cur = None
    in_block = None  # DMESG / KMEMLEAK dump
    trouble = []
    trouble_in = {}  # where -> lines
    label = None     # the DMESG dump's: boot, <prog>, kmemleak
    kmemleak = None
    done = False
    for line in lines:
        if line.startswith('MSIDOORBELL-DMESG-BEGIN') or line == 'MSIDOORBELL-KMEMLEAK-BEGIN':
            in_block = line.split('-')[1]
            label = line.split(None, 1)[1] if ' ' in line else in_block.lower()
            if in_block == 'KMEMLEAK':
                kmemleak = 0
            continue
        if line.startswith('MSIDOORBELL-DMESG-END') or line == 'MSIDOORBELL-KMEMLEAK-END':
            in_block = None
            continue
        if line.startswith('MSIDOORBELL-BEGIN '):
            parts = line.split()
            # A program run twice (different selectors) gets <prog>.2 etc.
            name = parts[1]
            runs = sum(1 for p in progs if p['prog'] == name)
            cur = {'name': name if not runs else '%s.%d' % (name, runs + 1), 'prog': name,
                   'args': ' '.join(parts[2:]), 'rc': None, 'ktap': []}
            progs.append(cur)
            continue
        if line.startswith('MSIDOORBELL-END ') and cur is not None:
            m = re.search(r'rc=(\d+)', line)
            cur['rc'] = int(m.group(1)) if m else None
            cur = None
            continue
        if line == 'MSIDOORBELL-DONE':
            done = True
            continue
        kernel = in_block is not None or KMSG.match(line) or cur is None
        if in_block == 'KMEMLEAK' and 'unreferenced object' in line:
            kmemleak += 1
        if kernel:
            if any(r.search(line) for r in TROUBLE_RES):
                trouble.append(line.strip())
                where = trouble_where(progs, cur, in_block, label)
                trouble_in.setdefault(where, []).append(line.strip())
            continue
        cur['ktap'].append(line)

    summary = {'programs': {}, 'passed': 0, 'failed': 0, 'skipped': 0,
               'trouble': trouble[:50],
               'trouble_in': {w: t[:20] for w, t in trouble_in.items()},
               'kmemleak_leaks': kmemleak,
               'timed_out': os.path.exists(os.path.join(res, 'timed-out'))}
    problems = []
    for p in progs:
        with open(os.path.join(res, p['name'] + '.ktap'), 'w') as f:
            f.write('\n'.join(p['ktap']) + '\n')
        c = {'passed': 0, 'failed': 0, 'skipped': 0, 'rc': p['rc'], 'failures': [],
             'skips': []}
        plan = None
        for line in p['ktap']:
            m = PLAN.match(line.strip())
            if m and plan is None:
                plan = int(m.group(1))
            m = RESULT.match(line.strip())
            if not m:
                continue
            name = m.group(3).strip()
            if m.group(1) == 'not ok' and m.group(4) not in ('SKIP', 'skip'):
                c['failed'] += 1
                c['failures'].append(name)
            elif m.group(4) in ('SKIP', 'skip'):
                c['skipped'] += 1
                c['skips'].append(name)
                if (p['prog'], name) not in expected_skips:
                    problems.append('%s: %s skipped, and tests/expected-skips does not explain why'
                                    % (p['name'], name))
            else:
                c['passed'] += 1
        seen = c['passed'] + c['failed'] + c['skipped']
        if plan is None or seen != plan:
            problems.append('%s: plan %s but %d results (crashed or cut short?)'
                            % (p['name'], plan, seen))
        if p['rc'] is None:
            problems.append('%s: did not finish' % p['name'])
        elif p['rc'] != 0 and c['failed'] == 0:
            problems.append('%s: exit code %d with no failed case' % (p['name'], p['rc']))
        summary['programs'][p['name']] = c
        for k in ('passed', 'failed', 'skipped'):
            summary[k] += c[k]
    if not progs:
        problems.append('no test program ran')
    if not done:
        problems.append('the guest never reached the end of its init (crash, reboot or timeout)')

    if trouble or kmemleak:
        outcome = TROUBLE
    elif summary['timed_out']:
        outcome = TIMEOUT
    elif summary['failed'] or problems:
        outcome = FAIL
    else:
        outcome = PASS
    summary['problems'] = problems
    summary['outcome'] = NAMES[outcome]
    with open(os.path.join(res, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)

    print('--- %s' % res)
    for name, c in summary['programs'].items():
        print('%-20s %d passed, %d failed, %d skipped (exit %s)'
              % (name, c['passed'], c['failed'], c['skipped'], c['rc']))
        for t in c['failures']:
            print('  FAILED: %s' % t)
        for t in c['skips']:
            print('  skipped: %s' % t)
    for pr in problems:
        print('PROBLEM: %s' % pr)
    if kmemleak is not None:
        print('kmemleak: %d unreferenced objects' % kmemleak)
    for where, lines in trouble_in.items():
        for t in lines[:20]:
            print('KERNEL (%s): %s' % (where, t))
    print('outcome: %s' % NAMES[outcome])
    return outcome


if __name__ == '__main__':
    sys.exit(parse(sys.argv[1]))
