#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Warning sets for the lint scripts (compiler, objtool, sparse, kernel-doc).

A warning is normalised to "file: function: severity: message": build and
source paths are stripped, line and column numbers dropped, so that a
warning keeps its identity when code above it moves. Sets, not counts,
are compared.

lint-warnings.py targets ARCH PATCH...       Kbuild directory targets
lint-warnings.py files PATCH...              files the patches touch
lint-warnings.py config-check .config FRAG... requested options survived?
lint-warnings.py collect-cc OBJTREE SRCTREE MAKELOG STAMP
                                             warning set of a build dir
lint-warnings.py norm ROOT... < log          normalise sparse/kernel-doc output
"""
import os
import re
import sys

# Directories the series' headers can break: a patch that touches include/
# builds all of these (those that exist for the arch).
SERIES_DIRS = ['drivers/iommu/', 'drivers/irqchip/', 'kernel/irq/', 'drivers/vfio/',
               'drivers/pci/msi/']
NO_BUILD = ('Documentation/', 'tools/', 'scripts/', 'samples/', 'LICENSES/')
ARCH_DIR = {'x86_64': 'x86', 'i386': 'x86', 'arm64': 'arm64'}

ANSI = re.compile(r'\x1b\[[0-9;]*[mK]')
DIAG = re.compile(r'^(?P<file>[^\s:][^:]*?):(?:\d+:)?(?:\d+:)? (?P<sev>warning|error|fatal error):'
                  r' (?P<msg>.*)$')
FUNC = re.compile(r"^(?P<file>[^\s:][^:]*?): In (?:static |member )?function"
                  r" ['\u2018](?P<func>[^'\u2019]*)['\u2019]:$")
TOPLEVEL = re.compile(r'^[^\s:][^:]*?: At top level:$')
OBJTOOL = re.compile(r'^(?P<obj>\S+\.o): warning: objtool: (?P<msg>.*)$')


def touched(patches):
    files = []
    for p in patches:
        for line in open(p, errors='replace'):
            m = re.match(r'^diff --git a/(\S+) b/(\S+)', line)
            if m:
                for f in m.groups():
                    if f not in files:
                        files.append(f)
    return files


def targets(arch, patches):
    dirs = set()
    for f in touched(patches):
        if f.startswith(NO_BUILD) or '/' not in f:
            continue
        if f.startswith('include/') or re.match(r'arch/[^/]+/include/', f):
            if f.startswith('arch/') and not f.startswith('arch/%s/' % ARCH_DIR[arch]):
                continue
            dirs.update(SERIES_DIRS)
            continue
        if f.startswith('arch/') and not f.startswith('arch/%s/' % ARCH_DIR[arch]):
            continue
        dirs.add(os.path.dirname(f) + '/')
    # make dir/ descends into enabled subdirectories: drop covered ones.
    out = [d for d in sorted(dirs) if not any(d != o and d.startswith(o) for o in dirs)]
    return out


def strip_path(path, roots):
    path = os.path.normpath(path)
    for r in roots:
        r = os.path.normpath(r) + '/'
        if path.startswith(r):
            return path[len(r):]
    return path[2:] if path.startswith('./') else path


def norm(lines, roots):
    """Normalised diagnostics of compiler/sparse/kernel-doc output."""
    out = []
    func, func_file = '-', None
    last = None
    for raw in lines:
        # Quotes depend on the locale the (ccache-replayed) compile ran in.
        line = ANSI.sub('', raw.rstrip('\n')).replace('\u2018', "'").replace('\u2019', "'")
        m = FUNC.match(line)
        if m:
            func, func_file = m.group('func'), strip_path(m.group('file'), roots)
            continue
        if TOPLEVEL.match(line):
            func = '-'
            continue
        m = DIAG.match(line)
        if m:
            if strip_path(m.group('file'), roots) != func_file:
                func = '-'
            sev = 'error' if m.group('sev') != 'warning' else 'warning'
            msg = re.sub(r'(/[\w.+-]+)+/(?=[\w.+-]+\.[chS]\b)', '', m.group('msg'))
            out.append('%s: %s: %s: %s' % (strip_path(m.group('file'), roots), func, sev, msg))
            last = len(out) - 1
            continue
        # sparse's "   expected X" / "   got Y" belong to the warning above.
        m = re.match(r'^\s+(expected|got|left side has type|right side has type)\b(.*)$', line)
        if m and last is not None:
            out[last] += ' | ' + (m.group(1) + m.group(2)).strip()
            continue
        if not line.startswith((' ', '\t')) and not line.startswith('In file included'):
            last = None
    return out


def collect_cc(objtree, srctree, makelog, stamp):
    """Warning set of every live object of a build dir (see lint-cc.sh)."""
    since = os.path.getmtime(stamp)
    # objtool reports on the make output only: keep it per object too.
    objtool = {}
    for line in open(makelog, errors='replace'):
        m = OBJTOOL.match(ANSI.sub('', line.rstrip('\n')))
        if m:
            objtool.setdefault(m.group('obj'), []).append(m.group('msg'))
    warns = set()
    roots = [objtree, srctree]
    for dirpath, _, names in os.walk(objtree):
        for n in names:
            if not n.endswith('.lintwarn'):
                continue
            path = os.path.join(dirpath, n)
            obj = path[:-len('.lintwarn')]
            rel = os.path.relpath(obj, objtree)
            stem = os.path.splitext(rel)[0]
            if not any(os.path.exists(os.path.join(srctree, stem + e)) for e in ('.c', '.S')):
                continue  # stale: its source is gone
            warns.update(norm(open(path, errors='replace'), roots))
            otp = obj + '.lintobjtool'
            if rel in objtool:
                with open(otp, 'w') as f:
                    f.write(''.join('%s: -: warning: objtool: %s\n' % (rel, re.sub(r'\+0x[0-9a-f]+', '', msg))
                                    for msg in objtool[rel]))
            elif os.path.getmtime(path) >= since and os.path.exists(otp):
                os.unlink(otp)  # rebuilt without objtool complaints
            if os.path.exists(otp):
                warns.update(l.rstrip('\n') for l in open(otp))
    return sorted(warns)


def config_check(dotconfig, frags):
    have = {}
    for line in open(dotconfig):
        m = re.match(r'^(CONFIG_\w+)=(.*)$', line)
        if m:
            have[m.group(1)] = m.group(2)
    bad = 0
    for frag in frags:
        for line in open(frag):
            m = re.match(r'^(CONFIG_\w+)=(.*)$', line)
            n = re.match(r'^# (CONFIG_\w+) is not set$', line)
            if m and have.get(m.group(1)) != m.group(2):
                print('  %s: %s=%s requested, got %s' % (os.path.basename(frag), m.group(1),
                      m.group(2), have.get(m.group(1), 'unset')), file=sys.stderr)
                bad = 1
            elif n and have.get(n.group(1)) not in (None, 'n'):
                print('  %s: %s requested off, got %s' % (os.path.basename(frag), n.group(1),
                      have[n.group(1)]), file=sys.stderr)
                bad = 1
    return bad


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'targets':
        print('\n'.join(targets(args[0], args[1:])))
    elif cmd == 'files':
        print('\n'.join(touched(args)))
    elif cmd == 'config-check':
        sys.exit(config_check(args[0], args[1:]))
    elif cmd == 'collect-cc':
        print('\n'.join(collect_cc(*args)))
    elif cmd == 'norm':
        print('\n'.join(sorted(set(norm(sys.stdin, args)))))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
