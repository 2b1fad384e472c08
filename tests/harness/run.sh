#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: feed scripts/parse-results.py recorded console logs
# (tests/harness/cases/<case>/console.log, trimmed from real runs, some with
# a planted panic, WARN, leak, skip or cut) and check that it classifies
# each one as tests/harness/cases/<case>/expect says (0 pass, 1 test
# failure, 2 kernel trouble, 3 timeout). A case with a file "timed-out"
# is a run that QEMU's timeout killed; one with "expect-trouble-in" must
# put its kernel reports there (summary.json trouble_in: its keys, sorted,
# one a line). Prints KTAP; exit 1 on a mismatch.
#   run.sh [work-dir]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${1:-$(mktemp -d)}
rm -rf "$work"
mkdir -p "$work"
cases=("$here"/cases/*/)
echo "TAP version 13"
echo "1..${#cases[@]}"
n=0 bad=0
for c in "${cases[@]}"; do
	name=$(basename "$c")
	n=$((n + 1))
	mkdir -p "$work/$name"
	cp "$c"/console.log "$work/$name/"
	[ -f "$c/timed-out" ] && touch "$work/$name/timed-out"
	python3 "$top/scripts/parse-results.py" "$work/$name" > "$work/$name/parse.out" 2>&1
	got=$?
	want=$(cat "$c/expect")
	if [ -f "$c/expect-trouble-in" ]; then
		where=$(python3 -c 'import json, sys
print("\n".join(sorted(json.load(open(sys.argv[1]))["trouble_in"])))' "$work/$name/summary.json")
		if [ "$where" != "$(cat "$c/expect-trouble-in")" ]; then
			got="$got, reports seen in: $(echo $where)"
			want="$want, reports seen in: $(echo $(cat "$c/expect-trouble-in"))"
		fi
	fi
	if [ "$got" = "$want" ]; then
		echo "ok $n harness.$name # classified as $(tail -1 "$work/$name/parse.out")"
	else
		sed 's/^/# /' "$work/$name/parse.out"
		echo "not ok $n harness.$name # expected exit $want, got $got"
		bad=1
	fi
done
exit $bad
