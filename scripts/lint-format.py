#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Series format: the things a maintainer sees before reading the code.

lint-format.py [PATCHDIR]

Every patch of PATCHDIR/series: From is the project identity, the subject
is "[PATCH n/N] <known prefix>: <Imperative capitalised summary>", the
changelog body is not empty, tags come in the order Fixes, Link,
Signed-off-by and a Signed-off-by matches From, no trailing whitespace in
the changelog or in added lines. The cover letter exists when the series
is not empty, is not the format-patch template and has a base-commit: line.
"""
import email.header
import os
import re
import sys

AUTHOR = 'msi-doorbell developers <msi-doorbell@invalid>'
PREFIXES = ['iommufd', 'iommufd/device', 'iommufd/selftest', 'iommu', 'iommu/dma',
            'irqchip/gic-v3-its', 'genirq/msi', 'vfio/pci', 'PCI/MSI', 'selftests/iommu']
# "Documentation: ..." and "Documentation/<path>: ..." (e.g. Documentation/userspace-api).
DOC_PREFIX = re.compile(r'^Documentation(/[\w.-]+)*$')
TAG_ORDER = ['Fixes', 'Link', 'Signed-off-by']
# Summary verbs that are not imperative ("Adds", "Added", "Adding").
NOT_IMPERATIVE = re.compile(r'^(\w+(ed|ing)|Adds|Fixes|Makes|Uses|Moves|Removes|Introduces|'
                            r'Implements|Updates|Changes|Allows|Handles|Supports|Converts|'
                            r'Drops|Renames|Checks|Rejects|Stores|Keeps|Sets|Gets|Lets|Gives)$')
IMPERATIVE_ED_ING = {'Embed', 'Need', 'Feed', 'Shed', 'Seed', 'Speed', 'Bring', 'String',
                     'Proceed', 'Exceed', 'Succeed'}


def header(head, name):
    m = re.search(r'^%s: (.*(?:\n[ \t].*)*)' % name, head, re.M)
    if not m:
        return None
    return str(email.header.make_header(email.header.decode_header(re.sub(r'\n[ \t]', ' ',
                                                                          m.group(1)))))


def check_patch(path, num, total):
    errs = []
    text = open(path, errors='replace').read()
    head, _, body = text.partition('\n\n')
    frm = header(head, 'From')
    subj = header(head, 'Subject')
    if frm != AUTHOR:
        errs.append('From is %r, want %r' % (frm, AUTHOR))
    m = re.match(r'^\[PATCH(?: v\d+)?(?: (\d+)/(\d+))?\] (.*)$', subj or '')
    if not m:
        errs.append('subject %r is not "[PATCH n/N] prefix: Summary"' % subj)
    else:
        # git format-patch pads the number to the width of the total (01/11)
        want = (str(num).zfill(len(str(total))), str(total))
        if total > 1 and (m.group(1), m.group(2)) != want:
            errs.append('subject numbering [%s/%s], want [%s/%s]' % (m.group(1), m.group(2), *want))
        s = m.group(3)
        pm = re.match(r'^([\w./-]+): (.*)$', s)
        if not pm or not (pm.group(1) in PREFIXES or DOC_PREFIX.match(pm.group(1))):
            errs.append('subject %r: prefix is not one of %s, Documentation[/...]'
                        % (s, ', '.join(PREFIXES)))
        else:
            summary = pm.group(2)
            if DOC_PREFIX.match(pm.group(1)):
                # Upstream also writes "Documentation: userspace-api: iommufd: Summary"
                summary = re.sub(r'^(?:[\w./-]+: )+', '', summary)
            first = summary.split()[0] if summary.split() else ''
            if not first[:1].isupper():
                errs.append('summary %r does not start with a capital letter' % summary)
            if NOT_IMPERATIVE.match(first) and first not in IMPERATIVE_ED_ING:
                errs.append('summary %r is not imperative ("%s")' % (summary, first))
            if summary.endswith('.'):
                errs.append('summary %r ends with a full stop' % summary)
    msg = body.split('\n---\n', 1)[0] if '\n---\n' in body else body.split('\ndiff --git', 1)[0]
    lines = msg.rstrip('\n').split('\n')
    tags = [l for l in lines if re.match(r'^[A-Z][\w-]+: \S', l)]
    prose = [l for l in lines if l.strip() and l not in tags]
    if not prose:
        errs.append('empty changelog body')
    sob = [t.split(': ', 1)[1] for t in tags if t.startswith('Signed-off-by: ')]
    if frm not in sob:
        errs.append('no Signed-off-by matching From (%s)' % frm)
    order = [TAG_ORDER.index(t.split(':')[0]) for t in tags if t.split(':')[0] in TAG_ORDER]
    if order != sorted(order):
        errs.append('tags are not in the order %s' % ', '.join(TAG_ORDER))
    for n, l in enumerate(text.split('\n'), 1):
        in_msg = n <= len(head.split('\n')) + 1 + len(lines)
        if (in_msg or l.startswith('+')) and l != '-- ' and re.search(r'[ \t]$', l):
            errs.append('line %d: trailing whitespace: %r' % (n, l))
    return errs


def check_cover(path, n):
    errs = []
    if not os.path.exists(path):
        return ['no cover letter 0000-cover-letter.patch for a series of %d patches' % n]
    text = open(path, errors='replace').read()
    if '*** SUBJECT HERE ***' in text or '*** BLURB HERE ***' in text:
        errs.append('cover letter is still the template (*** SUBJECT HERE *** / *** BLURB HERE ***)')
    if not re.search(r'^base-commit: [0-9a-f]{40}$', text, re.M):
        errs.append('cover letter has no base-commit: line')
    if header(text.partition('\n\n')[0], 'From') != AUTHOR:
        errs.append('cover letter From is not %s' % AUTHOR)
    return errs


def main():
    pdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..',
                                                              'patches')
    series = os.path.join(pdir, 'series')
    names = []
    if os.path.exists(series):
        names = [l.strip() for l in open(series) if l.strip() and not l.startswith('#')]
    if not names:
        print('format: the series is empty, nothing to check')
        return 0
    fail = 0
    for i, name in enumerate(names, 1):
        path = os.path.join(pdir, name)
        errs = check_patch(path, i, len(names)) if os.path.exists(path) else ['missing']
        print(('FAIL ' if errs else 'ok   ') + name)
        for e in errs:
            print('    ' + e)
        fail |= bool(errs)
    errs = check_cover(os.path.join(pdir, '0000-cover-letter.patch'), len(names))
    print(('FAIL ' if errs else 'ok   ') + '0000-cover-letter.patch')
    for e in errs:
        print('    ' + e)
    fail |= bool(errs)
    return fail


if __name__ == '__main__':
    sys.exit(main())
