#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Make the copy of a series that a person sends: send-copy.py SENDER OUT PATCH...

The queue's patches carry the project identity ("msi-doorbell developers
<msi-doorbell@invalid>"), which is no one's Developer's Certificate of
Origin. The copy in OUT has, in every patch and the cover letter, the
sender as From: and the sender's Signed-off-by: in place of the project
identity's (added after the other trailers when a patch has none); the
project identity is then nowhere in the mail headers or trailers.
Nothing else changes. SENDER is "Full Name <address>".
"""
import os
import re
import sys

PROJECT = 'msi-doorbell developers <msi-doorbell@invalid>'


def main():
    sender, out, patches = sys.argv[1], sys.argv[2], sys.argv[3:]
    m = re.fullmatch(r'([^<>@]*\S) <([^<>@\s]+@[^<>@\s]+\.[^<>@\s]+)>', sender)
    if not m or sender == PROJECT or m.group(2).endswith('.invalid'):
        sys.exit('send-copy: SENDER must be "Full Name <real address>", not %r' % sender)
    os.makedirs(out, exist_ok=True)
    for p in patches:
        text = open(p).read()
        head, sep, body = text.partition('\n\n')
        head = head.replace('From: ' + PROJECT, 'From: ' + sender)
        sob = 'Signed-off-by: ' + sender
        if os.path.basename(p) != '0000-cover-letter.patch':
            msg, dashes, rest = body.partition('\n---\n')
            if not dashes:
                sys.exit('send-copy: %s has no "---" line' % p)
            msg = msg.replace('Signed-off-by: ' + PROJECT, sob)
            if sob not in msg:
                msg = msg.rstrip('\n') + '\n' + sob
            body = msg + dashes + rest
        else:
            # The shortlog names the author, who is now the sender.
            body = body.replace('\nmsi-doorbell developers (', '\n%s (' % m.group(1))
        new = head + sep + body
        if PROJECT in new.split('\n---\n')[0]:
            sys.exit('send-copy: %s still names the project identity' % p)
        with open(os.path.join(out, os.path.basename(p)), 'w') as f:
            f.write(new)
    print('%d file(s) for %s in %s' % (len(patches), sender, out))


if __name__ == '__main__':
    main()
