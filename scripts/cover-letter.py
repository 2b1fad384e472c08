#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Keep a cover letter's subject and text across git format-patch runs.

cover-letter.py extract <cover.patch> <blurb-file>   prints the subject
cover-letter.py insert <cover.patch> <subject> <blurb-file>

The blurb is everything between the headers and the generated shortlog
(the first line of the form "<name> (<n>):").
"""
import re
import sys

SHORTLOG = re.compile(r'^.+ \(\d+\):$')


def split(path):
    text = open(path).read()
    head, _, body = text.partition('\n\n')
    m = re.search(r'^Subject: \[PATCH[^\]]*\] (.*(?:\n .*)*)', head, re.M)
    subject = re.sub(r'\n ', ' ', m.group(1)) if m else '*** SUBJECT HERE ***'
    lines = body.split('\n')
    for i, line in enumerate(lines):
        if SHORTLOG.match(line):
            return head, subject, '\n'.join(lines[:i]), '\n'.join(lines[i:])
    return head, subject, body, ''


def main():
    if sys.argv[1] == 'extract':
        _, subject, blurb, _ = split(sys.argv[2])
        open(sys.argv[3], 'w').write(blurb)
        print(subject)
    elif sys.argv[1] == 'insert':
        path, subject, blurb = sys.argv[2], sys.argv[3], open(sys.argv[4]).read()
        head, _, _, rest = split(path)
        head = re.sub(r'^(Subject: \[PATCH[^\]]*\] ).*(?:\n .*)*', lambda m: m.group(1) + subject,
                      head, flags=re.M)
        open(path, 'w').write(head + '\n\n' + blurb.rstrip('\n') + '\n\n' + rest)


if __name__ == '__main__':
    main()
