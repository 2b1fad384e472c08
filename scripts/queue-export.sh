#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Export build/<BASE>/linux (base..HEAD) to the base's queue (bases/*.base) with git format-patch
# --cover-letter --base=base. Keeps the cover letter's subject and text
# across exports; output is deterministic (zero commit ids, no signature).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ -z "$(kgit status --porcelain --untracked-files=no)" ] ||
	die "$KTREE has uncommitted changes: commit them first"
cover=$QDIR/0000-cover-letter.patch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
subject="*** SUBJECT HERE ***"
if [ -f "$cover" ]; then
	python3 "$TOP/scripts/cover-letter.py" extract "$cover" "$tmp/blurb" > "$tmp/subject"
	subject=$(cat "$tmp/subject")
fi
rm -f "$QDIR"/[0-9][0-9][0-9][0-9]-*.patch "$QDIR/series"
mkdir -p "$QDIR"
n=$(kgit rev-list --count base..HEAD)
if [ "$n" -gt 0 ]; then
	kgit format-patch -q --zero-commit --no-signature --cover-letter --base=base \
		--subject-prefix=PATCH -o "$QDIR" base..HEAD
	if [ -f "$tmp/blurb" ]; then
		python3 "$TOP/scripts/cover-letter.py" insert "$cover" "$subject" "$tmp/blurb"
	fi
fi
(cd "$QDIR" && ls [0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '^0000-' || true) > "$QDIR/series"
"$TOP/scripts/queue-status.sh" --record
say "exported $n patches to $(qname)"
grep -q '\*\*\* SUBJECT HERE \*\*\*' "$cover" 2>/dev/null &&
	say "NOTE: write the cover letter's subject and text in $(qname)0000-cover-letter.patch"
exit 0
