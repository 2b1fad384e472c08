#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Compiler wrapper for the lint kernels (CC="lint-cc.sh ccache gcc"):
# runs the compiler and keeps its diagnostics in <object>.lintwarn, so that
# scripts/lint-bisect.sh can take the warning set of a whole directory
# without recompiling objects make considers up to date. ccache replays a
# cached compile's warnings, so a cache hit records them too.
out= compile=
prev=
for a in "$@"; do
	case "$prev" in -o) out=$a ;; esac
	case "$a" in -c|-S) compile=1 ;; esac
	prev=$a
done
case "$compile:$out" in
1:*.o|1:*.s) ;;
*) exec "$@" ;;
esac
"$@" 2>"$out.lintwarn.tmp"
rc=$?
cat "$out.lintwarn.tmp" >&2
mv -f "$out.lintwarn.tmp" "$out.lintwarn"
exit $rc
