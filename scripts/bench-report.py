#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The table of make bench / make bench-smoke (scripts/bench.sh).

bench-report.py --mode full|smoke --rounds N --runs DIR --sizes DIR --out PREFIX
                --side base=DESC --side patched=DESC [--seconds S] [--load L]... [--qemu V]

Reads the BENCH lines of each boot (<runs>/<side>-<round>/msi-bench.ktap,
written by parse-results.py from the console log), the accelerator of each
boot (<runs>/<side>-<round>.stderr), the pahole and size(1) output in
<sizes>; prints the table and writes PREFIX.txt and PREFIX.json.

Honest numbers only: exit 1 (and no table files) when a boot's numbers are
missing, when a value is "na" where the kernel must have it (the patched
kernel's prepare ops), when the two sides did not run under the same
accelerator, or when a size is missing in a full run. Goals that are
missed are marked MISSED in the table; that is a finding, not an error.
"""
import argparse
import datetime
import json
import os
import re
import statistics
import sys

# name, group, label, unit, better ("lower"/"higher"), goal (max or min ratio), note
ROWS = [
    ('null_ioctl', 'mock', 'ioctl floor: IOMMU_TEST_CMD, unknown op', 'ns', 'lower', None,
     'noise floor, no goal'),
    ('attach_plain', 'mock', 'attach+detach, device without MSI window', 'ns', 'lower', 1.10, ''),
    ('attach_msi', 'mock', 'attach+detach, device with SW_MSI window', 'ns', 'lower', 1.10,
     'window'),
    ('replace_plain', 'mock', 'replace between 2 paging HWPTs, no window', 'ns', 'lower', 1.10, ''),
    ('replace_msi', 'mock', 'replace between 2 paging HWPTs, SW_MSI + doorbell', 'ns', 'lower',
     1.10, 'window'),
    ('prepare_plain', 'mock', 'MSI prepare+compose (test op), no window', 'ns', 'lower', None,
     'op'),
    ('prepare_msi', 'mock', 'MSI prepare+compose (test op), SW_MSI window', 'ns', 'lower', 1.05,
     'op'),
    ('edu_irqs', 'e2e', 'edu MSIs, default window: best of 10 x 1,000', '/s', 'higher', 0.98,
     ''),
    ('edu_irqs_all', 'e2e', 'edu MSIs, default window: all 10,000', '/s', 'higher', 0.98, ''),
    ('msi_enable', 'e2e', 'VFIO_DEVICE_SET_IRQS: enable MSI (eventfd)', 'us', 'lower', None,
     'no goal'),
]
STRUCTS = ['msi_desc', 'iommufd_device', 'iommufd_hwpt_paging', 'iommu_domain']
STRUCT_GOAL = {'msi_desc': '<= +0'}
TEXT_GOAL = 4096

ACCEL = re.compile(r'accelerator: (.*)')
BENCH = re.compile(r'^BENCH (\S+) (\S+) (\S+)')
INFO = re.compile(r'^BENCH-INFO (\S+) (\S+)')


def fail(msg):
    print('bench-report: ERROR: %s' % msg, file=sys.stderr)
    sys.exit(1)


def read_run(runs, side, rnd):
    ktap = os.path.join(runs, '%s-%d' % (side, rnd), 'msi-bench.ktap')
    if not os.path.exists(ktap):
        fail('no %s (round %d, %s kernel)' % (ktap, rnd, side))
    vals, info = {}, {}
    for line in open(ktap):
        m = BENCH.match(line)
        if m:
            vals[m.group(1)] = None if m.group(2) == 'na' else float(m.group(2))
            continue
        m = INFO.match(line)
        if m:
            info[m.group(1)] = m.group(2)
    accel = None
    err = os.path.join(runs, '%s-%d.stderr' % (side, rnd))
    if os.path.exists(err):
        for line in open(err):
            m = ACCEL.search(line)
            if m:
                accel = m.group(1).strip()
    fpath = os.path.join(runs, '%s-%d.foreign' % (side, rnd))
    foreign = float(open(fpath).read()) if os.path.exists(fpath) else None
    return vals, info, accel, foreign


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
    """Totals of bloat-o-meter -c: functions, data, RO data (before, after)."""
    path = os.path.join(sizes, 'bloat-o-meter-c')
    if not os.path.exists(path):
        return None
    tot = re.findall(r'^Total: Before=(\d+), After=(\d+)', open(path).read(), re.M)
    if len(tot) != 3:
        fail('%s: expected 3 totals, found %d' % (path, len(tot)))
    return [(int(b), int(a)) for b, a in tot]


def summarize(samples):
    return {'median': statistics.median(samples), 'min': min(samples), 'max': max(samples),
            'samples': samples}


def fmt(v, unit):
    if v is None:
        return '-'
    if unit == 'ns':
        return '%.0f' % v
    if unit == 'us':
        return '%.1f' % v
    return '%.0f' % v


def cell(s, unit):
    if s is None:
        return 'n/a'
    return '%s [%s..%s]' % (fmt(s['median'], unit), fmt(s['min'], unit), fmt(s['max'], unit))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mode', required=True)
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
    desc = dict(s.split('=', 1) for s in a.side)
    sides = [s for s in ('base', 'patched') if s in desc]
    if 'patched' not in sides:
        fail('no patched side')
    have_base = 'base' in sides

    # Collect every boot's numbers.
    data = {s: {} for s in sides}
    infos = {s: None for s in sides}
    accels = set()
    foreign = {s: [] for s in sides}
    for rnd in range(1, a.rounds + 1):
        for s in sides:
            vals, info, accel, fl = read_run(a.runs, s, rnd)
            if fl is None:
                fail('round %d, %s kernel: other host load not recorded' % (rnd, s))
            foreign[s].append(fl)
            if accel is None:
                fail('round %d, %s kernel: accelerator not recorded' % (rnd, s))
            accels.add(accel)
            if infos[s] is None:
                infos[s] = info
            elif infos[s] != info:
                fail('%s kernel: round %d reports %s, round 1 %s' % (s, rnd, info, infos[s]))
            for name, *_ in ROWS:
                if name not in vals:
                    fail('round %d, %s kernel: no number for %s' % (rnd, s, name))
                data[s].setdefault(name, []).append(vals[name])
    if len(accels) != 1:
        fail('the boots did not all run under the same accelerator: %s' % sorted(accels))
    accel = accels.pop()
    if infos['patched'].get('prepare_msi_op') != '1' or infos['patched'].get('sw_msi') != '1':
        fail('the patched kernel lacks the SW_MSI mock window or the prepare op: %s'
             % infos['patched'])
    base_window = have_base and infos['base'].get('sw_msi') == '1'
    base_prepare = have_base and infos['base'].get('prepare_msi_op') == '1'

    stats = {}
    for s in sides:
        stats[s] = {}
        for name, *_ in ROWS:
            v = data[s][name]
            if all(x is None for x in v):
                stats[s][name] = None
            elif any(x is None for x in v):
                fail('%s kernel: %s is missing in some rounds' % (s, name))
            else:
                stats[s][name] = summarize(v)
    for name, *_ in ROWS:
        if stats['patched'][name] is None:
            fail('patched kernel: no number for %s' % name)
        if have_base and stats['base'][name] is None and not name.startswith('prepare_'):
            fail('base kernel: no number for %s' % name)

    rows, met, missed = [], 0, 0
    for name, group, label, unit, better, goal, note in ROWS:
        p = stats['patched'][name]
        b = stats['base'][name] if have_base else None
        ref, against = b, 'base'
        notes = []
        if name.startswith('prepare_') and b is None:
            if name == 'prepare_msi':
                ref, against = stats['patched']['prepare_plain'], 'patched, no window'
                notes.append('base has no prepare op: ratio against the same op with the '
                             'window unused (patched kernel)')
            else:
                ref = None
                notes.append('base has no prepare op: absolute only')
        if note == 'window' and have_base and not base_window:
            notes.append('base: MOCK_FLAGS_DEVICE_SW_MSI unknown (EINVAL), so a device '
                         'without the window')
        if note == 'window' and name == 'replace_msi':
            notes.append('patched: one doorbell prepared, so each replace installs it')
        if note in ('noise floor, no goal', 'no goal'):
            notes.append(note)
        # Paired ratios: round r's patched boot against round r's base boot
        # (adjacent in time, so under the same host load), or, for
        # prepare_msi, against prepare_plain of the same boot.
        pairs = ([x / y for x, y in zip(p['samples'], ref['samples'])] if ref else None)
        ratio = statistics.median(pairs) if pairs else None
        if goal is None or ratio is None:
            verdict = 'no goal' if goal is None else ('no base' if not have_base else 'n/a')
        else:
            def meets(x):
                return x <= goal if better == 'lower' else x >= goal
            ok = meets(ratio)
            verdict = 'ok' if ok else 'MISSED'
            if len(pairs) > 1 and meets(min(pairs)) != meets(max(pairs)):
                verdict += ' (rounds disagree)'
            met += ok
            missed += not ok
        rows.append({'name': name, 'group': group, 'label': label, 'unit': unit,
                     'better': better, 'base': b, 'patched': p, 'ratio': ratio,
                     'ratio_min': min(pairs) if pairs else None,
                     'ratio_max': max(pairs) if pairs else None, 'ratios': pairs,
                     'ratio_against': against if ratio is not None else None,
                     'goal': (('<= %.2f' if better == 'lower' else '>= %.2f') % goal)
                     if goal else None,
                     'verdict': verdict, 'notes': notes})

    # Sizes
    size_rows = []
    for st in STRUCTS:
        ss = {s: struct_size(a.sizes, s, st) for s in sides}
        if not full:
            size_rows.append({'name': 'struct ' + st, 'skipped': 'smoke: no pahole'})
            continue
        for s in sides:
            if ss[s] is None:
                fail('no pahole size of struct %s for the %s kernel' % (st, s))
        r = {'name': 'struct ' + st, 'unit': 'B',
             'base': ss['base'][0] if have_base else None, 'patched': ss['patched'][0],
             'cachelines': {s: ss[s][1] for s in sides}}
        r['delta'] = r['patched'] - r['base'] if have_base else None
        goal = STRUCT_GOAL.get(st)
        r['goal'] = goal
        if goal and have_base:
            ok = r['delta'] <= 0
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
        r = {'name': 'vmlinux ' + sec, 'unit': 'B',
             'base': vm['base'][sec] if have_base else None, 'patched': vm['patched'][sec]}
        r['delta'] = r['patched'] - r['base'] if have_base else None
        if sec == 'text':
            r['goal'] = '<= +%d' % TEXT_GOAL
            if have_base:
                ok = r['delta'] <= TEXT_GOAL
                r['verdict'] = 'ok' if ok else 'MISSED'
                met += ok
                missed += not ok
            else:
                r['verdict'] = 'no base'
        else:
            r['goal'] = None
            r['verdict'] = 'no goal'
        size_rows.append(r)
    bl = bloat(a.sizes)
    if have_base and bl is None:
        fail('no bloat-o-meter output in %s' % a.sizes)
    for i, what in enumerate(('functions', 'data objects', 'RO data objects')):
        r = {'name': 'vmlinux %s (bloat-o-meter)' % what, 'unit': 'B',
             'base': bl[i][0] if bl else None, 'patched': bl[i][1] if bl else None}
        if not have_base:
            r['skipped'] = 'no base'
            size_rows.append(r)
            continue
        r['delta'] = r['patched'] - r['base']
        if i == 0:
            r['goal'] = '<= +%d' % TEXT_GOAL
            ok = r['delta'] <= TEXT_GOAL
            r['verdict'] = 'ok' if ok else 'MISSED'
            met += ok
            missed += not ok
        else:
            r['goal'] = None
            r['verdict'] = 'no goal'
        size_rows.append(r)

    # The table
    now = datetime.datetime.now().strftime('%Y-%m-%d %H:%M')
    L = []
    L.append('make bench%s: the MSI doorbell series against its base, side by side (%s)'
             % ('-smoke' if not full else '', now))
    L.append('arm64 guest (QEMU virt, GICv3 ITS, SMMUv3, edu), %s, %s' % (a.qemu, accel))
    L.append('%d round%s, one boot per kernel per round, interleaved (%s)'
             % (a.rounds, 's' if a.rounds > 1 else '',
                ', '.join(sides * min(a.rounds, 2)) + (', ...' if a.rounds > 2 else '')))
    for s in sides:
        L.append('  %-8s %s' % (s + ':', desc[s]))
    if not have_base:
        L.append('  base:    not built, skipped (make e2e-base or make bench builds it)')
    if a.load:
        L.append('host load average (1/5/15 min) at start: %s, at end: %s'
                 % (a.load[0], a.load[-1]))
    L.append('other work on the host during the boots, share of its %s: %s'
             % ('CPUs', ', '.join('%s %s' % (s, ' '.join('%.0f%%' % (100 * f) for f in foreign[s]))
                                 for s in sides)))
    if max(max(v) for v in foreign.values()) > 0.10:
        L.append('NOTE: other work used over 10% of the host during some boots: TCG timings are'
                 ' disturbed there; see the ranges')
    nb = infos['patched'].get('batches', '?')
    L.append('cells: median [min..max] over the rounds of each boot\'s value, the best of its '
             '%s batches (edu: of 10 x 1,000 interrupts; host load only ever slows a batch)' % nb)
    L.append('ratio: median [min..max] over the rounds of patched/base, round by round '
             '(prepare_msi: / prepare_plain of the same boot)')
    L.append('')
    w = max(len(r['name']) for r in rows)
    hdr = '%-*s %-4s %-24s %-24s %-21s %-8s %s' % (w, 'workload', 'unit', 'base', 'patched',
                                                   'ratio', 'goal', 'verdict')
    for group, title in (('mock', 'Mock device, per operation (in guest, clock_gettime)'),
                         ('e2e', 'End to end, edu through SMMUv3 + GICv3 ITS')):
        L.append(title)
        L.append(hdr)
        for r in rows:
            if r['group'] != group:
                continue
            base_cell = cell(r['base'], r['unit'])
            if r['base'] is None and have_base:
                base_cell = 'n/a: no such op'
            elif not have_base:
                base_cell = 'not run'
            rc = ('%.3f [%.2f..%.2f]' % (r['ratio'], r['ratio_min'], r['ratio_max'])
                  if r['ratio'] is not None else '-')
            L.append('%-*s %-4s %-24s %-24s %-21s %-8s %s' % (
                w, r['name'], r['unit'], base_cell, cell(r['patched'], r['unit']),
                rc, r['goal'] or '-', r['verdict']))
            for n in r['notes']:
                L.append('%-*s   (%s)' % (w, '', n))
        L.append('')
    L.append('Workloads:')
    for r in rows:
        L.append('  %-*s %s' % (w, r['name'], r['label']))
    L.append('')
    L.append('Sizes (bytes; structs: pahole on objects rebuilt with DWARF; vmlinux: size(1),'
             ' whose sections are page-padded, and bloat-o-meter -c, exact by symbol)')
    ws = max(len(r['name']) for r in size_rows)
    L.append('%-*s %-4s %-24s %-24s %-21s %-8s %s' % (ws, 'item', 'unit', 'base', 'patched',
                                                     'delta', 'goal', 'verdict'))
    for r in size_rows:
        if 'skipped' in r:
            L.append('%-*s %s' % (ws, r['name'], r['skipped']))
            continue
        L.append('%-*s %-4s %-24s %-24s %-21s %-8s %s' % (
            ws, r['name'], r['unit'], r['base'] if r['base'] is not None else 'not run',
            r['patched'], '%+d' % r['delta'] if r['delta'] is not None else '-',
            r['goal'] or '-', r['verdict']))
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
        json.dump({'mode': a.mode, 'date': now, 'rounds': a.rounds, 'accelerator': accel,
                   'qemu': a.qemu, 'sides': desc, 'info': infos, 'load': a.load,
                   'foreign_load': foreign,
                   'seconds': a.seconds, 'rows': rows, 'sizes': size_rows,
                   'goals_met': met, 'goals_missed': missed}, f, indent=1)
        f.write('\n')
    print('written: %s.txt, %s.json' % (a.out, a.out))


if __name__ == '__main__':
    main()
