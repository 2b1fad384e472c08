#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Add up the kselftest cases of several runs: totals.py <results-dir>...

Prints the per-run counts (from each run's summary.json, which
parse-results.py wrote from the KTAP files next to it) and ends with the
line "N passed, N failed, N skipped". A run without a summary (never ran,
or crashed before) counts as one failure. Exit 1 when anything failed.
"""
import json
import os
import sys

total = {'passed': 0, 'failed': 0, 'skipped': 0}
bad = False
for res in sys.argv[1:]:
    path = os.path.join(res, 'summary.json')
    if not os.path.exists(path):
        print('%s: no results' % res)
        total['failed'] += 1
        bad = True
        continue
    s = json.load(open(path))
    # results/<base>/<arch>: name a run by its base and arch.
    name = '/'.join(os.path.normpath(res).split(os.sep)[-2:][::-1])
    print('%s: %d passed, %d failed, %d skipped — %s'
          % (name, s['passed'], s['failed'], s['skipped'], s['outcome']))
    for k in total:
        total[k] += s[k]
    bad |= s['outcome'] != 'pass'
print('%d passed, %d failed, %d skipped' % (total['passed'], total['failed'], total['skipped']))
sys.exit(1 if bad or total['failed'] or not total['passed'] else 0)
