#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness self-test: feed scripts/parse-results.py recorded console logs
# (tests/harness/cases/<case>/console.log, trimmed from real runs, some with
# a planted panic, WARN, leak, skip or cut) and check that it classifies
# each one as tests/harness/cases/<case>/expect says (0 pass, 1 test
# failure, 2 kernel trouble, 3 timeout). A case with a file "timed-out"
# is a run that QEMU's timeout killed; one with "expect-trouble-in" must
# put its kernel reports there (summary.json trouble_in: its keys, sorted,
# one a line). Then scripts/bench-report.py on a recorded icount bench (one
# boot per kernel of make bench on mainline, tests/harness/bench-cases/data)
# as tests/harness/bench-cases/<case>/ says: "edit", a sed script applied to
# the patched boot's msi-bench.ktap first, "expect" the exit code (0 a
# table, 1 no table: a missing number, a number the patched kernel must
# have, a boot under another clock). Prints KTAP; exit 1 on a mismatch.
#   run.sh [work-dir]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${1:-$(mktemp -d)}
rm -rf "$work"
mkdir -p "$work"
cases=("$here"/cases/*/)
bcases=()
for c in "$here"/bench-cases/*/; do [ -f "$c/expect" ] && bcases+=("$c"); done
echo "TAP version 13"
echo "1..$(( ${#cases[@]} + ${#bcases[@]} ))"
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
data=$here/bench-cases/data
for c in "${bcases[@]}"; do
	name=bench-$(basename "$c")
	n=$((n + 1))
	w=$work/$name
	mkdir -p "$w"
	cp -r "$data"/. "$w/"
	[ ! -f "$c/edit" ] || sed -i -f "$c/edit" "$w/patched-1/msi-bench.ktap"
	python3 "$top/scripts/bench-report.py" --mode smoke --clock icount --base mainline \
		--workloads "$top/tests/bench/workloads.mainline" \
		--structs "$top/tests/bench/structs.mainline" --rounds 1 --runs "$w" \
		--sizes "$w/sizes" --out "$w/table" --side base=recorded --side patched=recorded \
		> "$w/report.out" 2>&1
	got=$?
	want=$(cat "$c/expect")
	if [ "$got" = "$want" ] && { [ "$got" != 0 ] || [ -f "$w/table.txt" ]; } &&
		{ [ "$got" = 0 ] || [ ! -f "$w/table.txt" ]; }; then
		echo "ok $n harness.$name # bench-report exit $got$( [ "$got" = 0 ] || echo ": $(tail -1 "$w/report.out")")"
	else
		sed 's/^/# /' "$w/report.out"
		echo "not ok $n harness.$name # expected exit $want, got $got"
		bad=1
	fi
done
exit $bad
