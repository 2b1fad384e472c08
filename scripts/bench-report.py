#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The table of make bench / make bench-smoke (scripts/bench.sh).

bench-report.py --mode full|smoke --clock icount|wall --base B
                --workloads tests/bench/workloads.B --structs tests/bench/structs.B
                --rounds N --runs DIR --sizes DIR --out PREFIX
                --side base=DESC --side patched=DESC [--seconds S] [--load L]... [--qemu V]

Reads the BENCH lines of each boot (<runs>/<side>-<round>/msi-bench.ktap,
written by parse-results.py from the console log), the accelerator of each
boot (<runs>/<side>-<round>.stderr), the pahole, size(1), nm and
bloat-o-meter output in <sizes>; prints the table and writes PREFIX.txt and
PREFIX.json.

Honest numbers only: exit 1 (and no table files) when a boot's numbers are
missing (the patched kernel: every workload of the workloads file but its
slots; the base: every one but its series and slot rows), when the boots
did not all run under the same accelerator, when a kernel's features differ
from boot to boot, or when a size is missing in a full run. Missed goals
are marked MISSED in the table: a finding, not an error.
"""
import argparse
import datetime
import json
import os
import re
import statistics
import sys

TEXT_GOAL = 4096

ACCEL = re.compile(r'accelerator: (.*)')
BENCH = re.compile(r'^BENCH (\S+) (\S+)(?: (\S+))?(?: (\S+))?(?: (\S+))?')
INFO = re.compile(r'^BENCH-INFO (\S+) (\S+)')
WL = re.compile(r'^BENCH-WL (\S+) (\S+) (.*)')

ICOUNT_LIMITS = [
    'What icount cannot model (the wall-clock mode, BENCH_CLOCK=wall, measures these, noisily):',
    '  - the time of an instruction: every guest instruction counts 1, a cache or TLB miss,',
    '    a barrier or an atomic the same as an add; a change that trades instructions for',
    '    memory traffic (a bigger struct, one more cache line) shows only in the sizes;',
    '  - the devices: the SMMUv3 walks of its STE/CD/page tables, its IOTLB, the ITS',
    '    translation and the edu device are QEMU code, 0 guest instructions (so an',
    '    extra table level or IOTLB miss per MSI is invisible here);',
    '  - contention: one vCPU, so a lock taken for writing (iova_rwsem) never waits;',
    '    what it would cost against concurrent readers on real SMP is not measured;',
    '  - idle time: sleep=off jumps the clock over WFI to the next timer, so time',
    '    spent waiting (none in these workloads: each MSI is raised synchronously) is',
    '    not a cost.',
]


def fail(msg):
    print('bench-report: ERROR: %s' % msg, file=sys.stderr)
    sys.exit(1)


def read_goals(path):
    goals = []
    for line in open(path):
        line = line.split('#', 1)[0].split()
        if not line:
            continue
        g = {'name': line[0], 'kind': line[1], 'vs': None, 'base_ref': None, 'max': None}
        if g['kind'].startswith('<='):
            g['max'] = float(g['kind'][2:])
            g['kind'] = 'goal'
        elif g['kind'] not in ('-', 'series', 'slot'):
            fail('%s: %s: unknown goal %s' % (path, line[0], g['kind']))
        for opt in line[2:]:
            k, _, v = opt.partition('=')
            if k == 'vs':
                g['vs'] = v
            elif k == 'base':
                g['base_ref'] = v
            else:
                fail('%s: %s: unknown option %s' % (path, line[0], opt))
        goals.append(g)
    return goals


def read_structs(path):
    out = []
    for line in open(path):
        if line.startswith('#') or not line.strip():
            continue
        f = line.split(None, 3)
        out.append({'name': f[0], 'obj': f[1], 'goal': None if f[2] == '-' else int(f[2]),
                    'why': f[3].strip() if len(f) > 3 else ''})
    return out


def read_run(runs, side, rnd):
    ktap = os.path.join(runs, '%s-%d' % (side, rnd), 'msi-bench.ktap')
    if not os.path.exists(ktap):
        fail('no %s (boot %d, %s kernel)' % (ktap, rnd, side))
    vals, info, labels = {}, {}, {}
    for line in open(ktap):
        line = line.rstrip('\n')
        m = WL.match(line)
        if m:
            labels[m.group(1)] = (m.group(2), m.group(3))
            continue
        m = INFO.match(line)
        if m:
            info[m.group(1)] = m.group(2)
            continue
        m = BENCH.match(line)
        if m:
            if m.group(2) == 'na':
                vals[m.group(1)] = {'na': m.group(3) or '?'}
            else:
                vals[m.group(1)] = {'value': float(m.group(2)), 'unit': m.group(3),
                                    'n': int(m.group(4)) if m.group(4) else None,
                                    'batches': [float(x) for x in m.group(5).split('/')]
                                    if m.group(5) else []}
    accel = None
    err = os.path.join(runs, '%s-%d.stderr' % (side, rnd))
    if os.path.exists(err):
        for line in open(err):
            m = ACCEL.search(line)
            if m:
                accel = m.group(1).strip()
    fpath = os.path.join(runs, '%s-%d.foreign' % (side, rnd))
    foreign = float(open(fpath).read()) if os.path.exists(fpath) else None
    return vals, info, labels, accel, foreign


def struct_size(sizes, side, name):
    path = os.path.join(sizes, '%s.%s.pahole' % (side, name))
    if not os.path.exists(path):
        return None
    m = re.search(r'/\* size: (\d+), cachelines: (\d+)', open(path).read())
    return (int(m.group(1)), int(m.group(2))) if m else None


def vmlinux_size(sizes, side):
    path = os.path.join(sizes, '%s.size' % side)
    if not os.path.exists(path):
        return None
    lines = open(path).read().split('\n')
    text, data, bss = (int(x) for x in lines[1].split()[:3])
    return {'text': text, 'data': data, 'bss': bss}


def bloat(sizes):
    """bloat-o-meter -c: per section (functions, data, RO data) the totals
    (before, after) and the per-symbol deltas."""
    path = os.path.join(sizes, 'bloat-o-meter-c')
    if not os.path.exists(path):
        return None
    secs, cur = [], {}
    for line in open(path):
        m = re.match(r'^Total: Before=(\d+), After=(\d+)', line)
        if m:
            secs.append({'before': int(m.group(1)), 'after': int(m.group(2)), 'syms': cur})
            cur = {}
            continue
        f = line.split()
        if len(f) == 4 and re.match(r'^[+-]\d+$', f[3]):
            cur[f[0]] = int(f[3])
    if len(secs) != 3:
        fail('%s: expected 3 totals, found %d' % (path, len(secs)))
    return secs


def selftest_syms(sizes, sides):
    syms = set()
    for s in sides:
        path = os.path.join(sizes, '%s.selftest-syms' % s)
        if os.path.exists(path):
            syms.update(x.strip() for x in open(path) if x.strip())
    return syms


def summarize(samples):
    med = statistics.median(samples)
    return {'median': med, 'min': min(samples), 'max': max(samples), 'samples': samples,
            'spread': (max(samples) - min(samples)) / med if med else 0.0}


def fmt(v):
    return '%.0f' % v if v >= 10000 else '%.1f' % v


def cell(s):
    if s is None:
        return '-'
    if s['min'] == s['max']:
        return fmt(s['median'])
    return '%s [%s..%s]' % (fmt(s['median']), fmt(s['min']), fmt(s['max']))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mode', required=True)
    ap.add_argument('--clock', default='wall')
    ap.add_argument('--base', default='?')
    ap.add_argument('--workloads', required=True)
    ap.add_argument('--structs', required=True)
    ap.add_argument('--rounds', type=int, required=True)
    ap.add_argument('--runs', required=True)
    ap.add_argument('--sizes', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--side', action='append', default=[])
    ap.add_argument('--seconds', type=int)
    ap.add_argument('--load', action='append', default=[])
    ap.add_argument('--qemu', default='')
    a = ap.parse_args()
    full = a.mode == 'full'
    icount = a.clock == 'icount'
    unit = 'insn' if icount else 'ns'
    desc = dict(s.split('=', 1) for s in a.side)
    sides = [s for s in ('base', 'patched') if s in desc]
    if 'patched' not in sides:
        fail('no patched side')
    have_base = 'base' in sides
    goals = read_goals(a.workloads)
    structs = read_structs(a.structs)

    # Every boot's numbers
    data = {s: {} for s in sides}
    nas = {s: {} for s in sides}
    infos = {s: None for s in sides}
    labels = {}
    accels = set()
    foreign = {s: [] for s in sides}
    for rnd in range(1, a.rounds + 1):
        for s in sides:
            vals, info, lab, accel, fl = read_run(a.runs, s, rnd)
            foreign[s].append(fl if fl is not None else 0.0)
            if accel is None:
                fail('boot %d, %s kernel: accelerator not recorded' % (rnd, s))
            accels.add(accel)
            labels.update(lab)
            if infos[s] is None:
                infos[s] = info
            elif infos[s] != info:
                fail('%s kernel: boot %d reports %s, boot 1 %s' % (s, rnd, info, infos[s]))
            if info.get('clock') != a.clock:
                fail('boot %d, %s kernel: the program ran with clock %s, the bench asked for %s'
                     % (rnd, s, info.get('clock'), a.clock))
            for g in goals:
                v = vals.get(g['name'])
                if v is None:
                    fail('boot %d, %s kernel: no line at all for %s (a crash? see %s)'
                         % (rnd, s, g['name'], os.path.join(a.runs, '%s-%d' % (s, rnd))))
                if 'na' in v:
                    nas[s][g['name']] = v['na']
                else:
                    if v['unit'] != unit:
                        fail('%s: unit %s, expected %s' % (g['name'], v['unit'], unit))
                    data[s].setdefault(g['name'], []).append(v['value'])
    if len(accels) != 1:
        fail('the boots did not all run under the same accelerator: %s' % sorted(accels))
    accel = accels.pop()

    stats = {s: {} for s in sides}
    for s in sides:
        for g in goals:
            n = g['name']
            got = data[s].get(n, [])
            if got and n in nas[s]:
                fail('%s kernel: %s measured in some boots, not in others' % (s, n))
            if got and len(got) != a.rounds:
                fail('%s kernel: %s in %d of %d boots' % (s, n, len(got), a.rounds))
            stats[s][n] = summarize(got) if got else None
    for g in goals:
        n = g['name']
        if g['kind'] == 'slot':
            continue
        if stats['patched'][n] is None:
            fail('patched kernel: no number for %s (%s)' % (n, nas['patched'].get(n)))
        if have_base and g['kind'] in ('goal', '-') and stats['base'][n] is None:
            ref = g['base_ref']
            if not ref or stats['base'].get(ref) is None:
                fail('base kernel: no number for %s (%s)' % (n, nas['base'].get(n)))

    rows, met, missed = [], 0, 0
    for g in goals:
        n = g['name']
        p = stats['patched'][n]
        b = stats['base'][n] if have_base else None
        notes, ratio, rmin, rmax, verdict, against = [], None, None, None, '', None
        bref = b
        if have_base and b is None and g['base_ref'] and g['kind'] != 'series':
            bref = stats['base'].get(g['base_ref'])
            against = g['base_ref']
            notes.append('base: %s; the ratio is against the base\'s %s, the same work'
                         % (nas['base'].get(n, 'n/a'), g['base_ref']))
        if g['kind'] == 'slot':
            verdict = 'slot'
            notes.append('a slot: not measurable yet, see its label below')
            if p is not None:
                notes.append('the program measures it now: give it a goal in %s'
                             % os.path.basename(a.workloads))
        elif g['kind'] == 'series':
            verdict = 'series only'
            if have_base:
                notes.append('base: %s' % nas['base'].get(n, 'measured'))
            if g['vs'] and stats['patched'].get(g['vs']):
                notes.append('patched: %.3f x its own %s' % (p['median'] / stats['patched'][g['vs']]['median'], g['vs']))
        if bref is not None and p is not None:
            if icount:
                pairs = [x / y for x, y in zip(p['samples'], bref['samples'])]
                ratio = p['median'] / bref['median']
            else:
                # wall clock: round by round (adjacent boots, same host load)
                pairs = [x / y for x, y in zip(p['samples'], bref['samples'])]
                ratio = statistics.median(pairs)
            rmin, rmax = min(pairs), max(pairs)
            if g['kind'] == 'goal':
                ok = ratio <= g['max']
                verdict = 'ok' if ok else 'MISSED'
                if not icount and len(pairs) > 1 and (rmin <= g['max']) != (rmax <= g['max']):
                    verdict += ' (rounds disagree)'
                met += ok
                missed += not ok
            elif g['kind'] == '-':
                verdict = 'no goal'
        elif g['kind'] == 'goal':
            verdict = 'no base'
        elif g['kind'] == '-':
            verdict = 'no goal'
        if p is not None and p['median'] and not full:
            pass
        grp, label = labels.get(n, ('?', '?'))
        rows.append({'name': n, 'group': grp, 'label': label, 'unit': unit,
                     'base': b, 'patched': p, 'ratio': ratio, 'ratio_min': rmin,
                     'ratio_max': rmax, 'ratio_against': against,
                     'goal': '<= %.2f' % g['max'] if g['kind'] == 'goal' else g['kind'],
                     'verdict': verdict, 'notes': notes,
                     'na': {s: nas[s].get(n) for s in sides}})
    extra = sorted(set(labels) - {g['name'] for g in goals})

    # Sizes
    size_rows = []
    for st in structs:
        name = 'struct ' + st['name']
        if not full:
            size_rows.append({'name': name, 'skipped': 'smoke: no pahole'})
            continue
        ss = {s: struct_size(a.sizes, s, st['name']) for s in sides}
        for s in sides:
            if ss[s] is None:
                fail('no pahole size of struct %s for the %s kernel' % (st['name'], s))
        r = {'name': name, 'base': ss['base'][0] if have_base else None,
             'patched': ss['patched'][0], 'cachelines': {s: ss[s][1] for s in sides},
             'why': st['why']}
        r['delta'] = r['patched'] - r['base'] if have_base else None
        r['goal'] = '<= +%d' % st['goal'] if st['goal'] is not None else None
        if st['goal'] is not None and have_base:
            ok = r['delta'] <= st['goal']
            r['verdict'] = 'ok' if ok else 'MISSED'
            met += ok
            missed += not ok
        else:
            r['verdict'] = 'no goal'
        size_rows.append(r)
    vm = {s: vmlinux_size(a.sizes, s) for s in sides}
    for s in sides:
        if vm[s] is None:
            fail('no size(1) of the %s vmlinux' % s)
    for sec in ('text', 'data', 'bss'):
        r = {'name': 'vmlinux %s (size, page-padded)' % sec,
             'base': vm['base'][sec] if have_base else None, 'patched': vm['patched'][sec],
             'goal': None, 'verdict': 'no goal'}
        r['delta'] = r['patched'] - r['base'] if have_base else None
        size_rows.append(r)
    bl = bloat(a.sizes)
    if have_base and bl is None:
        fail('no bloat-o-meter output in %s' % a.sizes)
    if bl:
        test = selftest_syms(a.sizes, sides)
        fdelta = bl[0]['after'] - bl[0]['before']
        tshare = sum(d for sym, d in bl[0]['syms'].items() if sym in test)
        for i, what in enumerate(('functions', 'data objects', 'RO data objects')):
            r = {'name': 'vmlinux %s (bloat-o-meter)' % what,
                 'base': bl[i]['before'], 'patched': bl[i]['after'],
                 'delta': bl[i]['after'] - bl[i]['before'], 'goal': None, 'verdict': 'no goal'}
            size_rows.append(r)
            if i == 0:
                size_rows.append({'name': '  of which the selftest (selftest.o symbols)',
                                  'base': None, 'patched': None, 'delta': tshare,
                                  'goal': None, 'verdict': 'not counted'})
                r = {'name': '  of which non-test code', 'base': None, 'patched': None,
                     'delta': fdelta - tshare, 'goal': '<= +%d' % TEXT_GOAL}
                ok = r['delta'] <= TEXT_GOAL
                r['verdict'] = 'ok' if ok else 'MISSED'
                met += ok
                missed += not ok
                size_rows.append(r)

    # The table
    now = datetime.datetime.now().strftime('%Y-%m-%d %H:%M')
    L = []
    L.append('make bench%s%s: the MSI doorbell series against its base (%s), side by side (%s)'
             % ('-smoke' if not full else '', '' if icount else ' (wall clock: NOISY)',
                a.base, now))
    L.append('arm64 guest (QEMU virt, GICv3 ITS, SMMUv3, edu), %s' % a.qemu)
    L.append('accelerator: %s' % accel)
    if icount:
        L.append('clock: icount: the guest clock advances 1 ns per executed guest instruction,'
                 ' so every figure is an instruction count')
        L.append('%d boot%s per kernel, in turn (%s); they only show that the figures repeat'
                 % (a.rounds, 's' if a.rounds > 1 else '',
                    ', '.join(sides * min(a.rounds, 2)) + (', ...' if a.rounds > 2 else '')))
    else:
        L.append('clock: WALL TIME under TCG on a shared host: NOISY, figures in ns; read the'
                 ' ranges, not the medians')
        L.append('%d round%s, one boot per kernel per round, interleaved'
                 % (a.rounds, 's' if a.rounds > 1 else ''))
    for s in sides:
        L.append('  %-8s %s' % (s + ':', desc[s]))
    if not have_base:
        L.append('  base:    not built, skipped (make e2e-base or make bench builds it)')
    if a.load:
        L.append('host load average (1/5/15 min) at start: %s, at end: %s'
                 % (a.load[0], a.load[-1]))
    L.append('other work on the host during the boots, share of its CPUs: %s'
             % ', '.join('%s %s' % (s, ' '.join('%.0f%%' % (100 * f) for f in foreign[s]))
                         for s in sides))
    if icount:
        sp = max((r[s]['spread'] for r in rows for s in sides if r.get(s)), default=0.0)
        L.append('spread across boots (max-min)/median, worst workload of either kernel: %.4f%%'
                 % (100 * sp))
        L.append('cells: per iteration, median [min..max] over the boots of each boot\'s'
                 ' smallest batch (of %s after a warm-up: the one with the fewest timer ticks)'
                 % infos['patched'].get('batches'))
    else:
        L.append('cells: per iteration, median [min..max] over the rounds of each boot\'s best'
                 ' batch; ratio: median [min..max] of the per-round patched/base')
    L.append('')
    w = max(len(r['name']) for r in rows)
    fmtrow = '%-*s %-4s %-22s %-22s %-20s %-7s %s'
    hdr = fmtrow % (w, 'workload', 'unit', 'base', 'patched', 'ratio', 'goal', 'verdict')
    for group, title in (('mock', 'Mock device (iommufd selftest), per operation'),
                         ('edu', 'End to end: edu through SMMUv3 + GICv3 ITS, VFIO cdev + '
                                 'iommufd, per operation (irq_*: per delivered MSI)')):
        L.append(title)
        L.append(hdr)
        for r in rows:
            if r['group'] != group and not (group == 'edu' and r['group'] not in ('mock', 'edu')):
                continue
            def side_cell(s):
                if s == 'base' and not have_base:
                    return 'not run'
                if r[s] is not None:
                    return cell(r[s])
                na = r['na'].get(s) or ''
                if na == 'slot':
                    return 'slot'
                return 'n/a'
            if r['ratio'] is None:
                rc = '-'
            elif icount or r['ratio_min'] == r['ratio_max']:
                rc = '%.4f' % r['ratio']
            else:
                rc = '%.3f [%.2f..%.2f]' % (r['ratio'], r['ratio_min'], r['ratio_max'])
            L.append(fmtrow % (w, r['name'], r['unit'], side_cell('base'), side_cell('patched'),
                               rc, r['goal'], r['verdict']))
            for s in sides:
                na = r['na'].get(s)
                if (na and na != 'slot' and r['verdict'] != 'series only'
                        and r['ratio_against'] is None):
                    L.append('%-*s   (%s: %s)' % (w, '', s, na))
            for nt in r['notes']:
                L.append('%-*s   (%s)' % (w, '', nt))
        L.append('')
    L.append('Workloads:')
    for r in rows:
        L.append('  %-*s %s' % (w, r['name'], r['label']))
    if extra:
        L.append('  (measured by the program, not benched on this base: %s)' % ', '.join(extra))
    L.append('')
    L.append('Sizes (bytes; structs: pahole on objects rebuilt with DWARF; vmlinux: size(1),'
             ' whose sections are page-padded, and bloat-o-meter -c, exact by symbol;')
    L.append('the selftest\'s share: the symbols of drivers/iommu/iommufd/selftest.o)')
    ws = max(len(r['name']) for r in size_rows)
    L.append('%-*s %-10s %-10s %-8s %-8s %s' % (ws, 'item', 'base', 'patched', 'delta', 'goal',
                                               'verdict'))
    for r in size_rows:
        if 'skipped' in r:
            L.append('%-*s %s' % (ws, r['name'], r['skipped']))
            continue
        L.append('%-*s %-10s %-10s %-8s %-8s %s' % (
            ws, r['name'], r['base'] if r['base'] is not None else '',
            r['patched'] if r['patched'] is not None else '',
            '%+d' % r['delta'] if r['delta'] is not None else '-',
            r['goal'] or '-', r['verdict']))
        if r.get('why') and r.get('delta'):
            L.append('%-*s   (%s)' % (ws, '', r['why']))
    L.append('')
    if icount:
        L.extend(ICOUNT_LIMITS)
        L.append('')
    L.append('goals: %d met, %d missed%s' % (met, missed,
                                             '' if not missed else ' (see MISSED above)'))
    if a.seconds is not None:
        L.append('took %d s' % a.seconds)
    text = '\n'.join(L) + '\n'
    sys.stdout.write(text)
    with open(a.out + '.txt', 'w') as f:
        f.write(text)
    with open(a.out + '.json', 'w') as f:
        json.dump({'mode': a.mode, 'clock': a.clock, 'base': a.base, 'date': now,
                   'rounds': a.rounds, 'accelerator': accel, 'qemu': a.qemu, 'sides': desc,
                   'info': infos, 'load': a.load, 'foreign_load': foreign,
                   'seconds': a.seconds, 'rows': rows, 'sizes': size_rows,
                   'goals_met': met, 'goals_missed': missed}, f, indent=1)
        f.write('\n')
    print('written: %s.txt, %s.json' % (a.out, a.out))


if __name__ == '__main__':
    main()
