#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The nested MSI story of a run, in a few lines per case, for `make`.

nested-story.py <results-dir> [case...]

Reads the msi-nested KTAP files of an arm64 run (one per case) and prints,
for each case asked for (default: nested_identity, the base's way, and
nested_guest_doorbell, the guest's own address): its result, what the
guest's stage 1 maps, the address the device was programmed with, the path
of an MSI and how many MSIs were sent and received.
"""
import glob
import os
import re
import sys

RESULT = re.compile(r'^(ok|not ok) \d+ (\S+)')
PROGRAMMED = re.compile(r'^# MSI as programmed: (\S+), address (0x[0-9a-f]+)')
SENT = re.compile(r'^# (\S+): interrupts sent (\d+), received (\d+)')


def cases(path):
    """The cases of a KTAP file: (name, ok, the lines before its result)"""
    seg = []
    for line in open(path, errors='replace').read().splitlines():
        m = RESULT.match(line)
        if m:
            yield m.group(2), m.group(1) == 'ok', seg
            seg = []
        else:
            seg.append(line)


def story(name, ok, lines):
    out = ['%s: %s' % (name, 'ok' if ok else 'FAILED')]
    for line in lines:
        if line.startswith('# S1 ASID') and '->' in line:
            out.append('  guest S1: ' + line[len('# S1 ASID '):].split(': ', 1)[1])
        elif line.startswith('# host software MSI window moved') or \
                line.startswith('# IOMMU_VDEVICE_MSI_DOORBELL') or \
                line.startswith('# IOMMU_OPTION_SW_MSI_START'):
            out.append('  VMM: ' + line[2:])
        m = PROGRAMMED.match(line)
        if m:
            out.append('  device programmed with %s (MSI %s)' % (m.group(2), m.group(1)))
        if line.startswith('# MSI path: '):
            out.append('  ' + line[2:])
        m = SENT.match(line)
        if m and m.group(1) == name:
            out.append('  MSIs sent %s, received %s' % (m.group(2), m.group(3)))
    return out


def main():
    res = sys.argv[1]
    wanted = sys.argv[2:] or ['nested_identity', 'nested_guest_doorbell']
    found = {}
    for path in sorted(glob.glob(os.path.join(res, 'msi-nested*.ktap'))):
        for name, ok, lines in cases(path):
            if name in wanted:
                found[name] = story(name, ok, lines)
    for name in wanted:
        print('\n'.join(found.get(name, ['%s: not run' % name])))


if __name__ == '__main__':
    main()
