#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Self-test of scripts/lint.sh: makes throwaway series on top of base (git
# plumbing only: no checkout, no branch, build/<BASE>/linux untouched) and checks
# that lint passes the good one and fails each planted defect:
#   good/            2 patches: a helper in include/linux/iommu.h, its user
#   bad-checkpatch/  good, with "foo( resv )" planted in patch 2
#   bad-format/      good, with the cover letter left as the template and
#                    a non-imperative, unprefixed subject in patch 1
#   bad-build/       3 patches: patch 2 calls a function patch 3 adds
#   bad-warning/     good, with patch 2 adding an unused variable (W=1)
# tests/lint-selftest.sh [--make-only] [DIR]   (default: a temp dir)
# LINT_ARCHES limits the build checks (default here: x86_64, to be quick).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

make_only=0
[ "${1:-}" = --make-only ] && { make_only=1; shift; }
out=${1:-$(mktemp -d /tmp/lint-selftest.XXXXXX)}
mkdir -p "$out"
export GIT_AUTHOR_NAME="$IDENT_NAME" GIT_AUTHOR_EMAIL="$IDENT_EMAIL"
export GIT_COMMITTER_NAME="$IDENT_NAME" GIT_COMMITTER_EMAIL="$IDENT_EMAIL"
export GIT_AUTHOR_DATE=2025-01-01T00:00:00Z GIT_COMMITTER_DATE=2025-01-01T00:00:00Z
SOB="Signed-off-by: $IDENT_NAME <$IDENT_EMAIL>"
H=include/linux/iommu.h
C=drivers/iommu/iommufd/io_pagetable.c

# commit PARENT MSG-ARGS... with files from $work/<path> replacing the tree's.
commit() {
	local parent=$1 f b t
	shift
	export GIT_INDEX_FILE=$out/.index
	git -C "$KTREE" read-tree "$parent"
	for f in $H $C; do
		[ -f "$work/$f" ] || continue
		b=$(git -C "$KTREE" hash-object -w "$work/$f")
		git -C "$KTREE" update-index --cacheinfo "100644,$b,$f"
	done
	t=$(git -C "$KTREE" write-tree)
	unset GIT_INDEX_FILE
	rm -rf "$work"
	git -C "$KTREE" commit-tree "$t" -p "$parent" "$@"
}

# edit PARENT PATH PYTHON-EXPR: $work/PATH = PARENT:PATH transformed by s -> expr.
edit() {
	mkdir -p "$work/$(dirname "$2")"
	git -C "$KTREE" show "$1:$2" | python3 -c "import sys; s = sys.stdin.read(); $3; sys.stdout.write(s)" > "$work/$2"
}

export_series() { # DIR TIP SUBJECT
	rm -rf "${out:?}/$1"
	git -C "$KTREE" format-patch -q --zero-commit --no-signature --cover-letter --base=base \
		-o "$out/$1" "base..$2"
	(cd "$out/$1" && for p in [0-9][0-9][0-9][0-9]-*.patch; do
		[ "$p" = 0000-cover-letter.patch ] || echo "$p"
	done > series)
	sed -i "s/\*\*\* SUBJECT HERE \*\*\*/$3/; s/\*\*\* BLURB HERE \*\*\*/Throwaway series made by tests\/lint-selftest.sh./" \
		"$out/$1/0000-cover-letter.patch"
}

work=$out/.work
base=$(git -C "$KTREE" rev-parse 'base^{commit}')
edit "$base" $H "s = s.replace('struct iommu_iort_rmr_data {', '''/**
 * iommu_resv_region_last - Last address of a reserved region
 * @region: the reserved region
 *
 * Return: the last byte address covered by @region (inclusive).
 */
static inline phys_addr_t iommu_resv_region_last(const struct iommu_resv_region *region)
{
	return region->start + region->length - 1;
}

struct iommu_iort_rmr_data {''', 1)"
c1=$(commit "$base" -m "iommu: Add iommu_resv_region_last()" -m "Several users compute the last address of a reserved region by hand as
start + length - 1, and each of them has to get the off-by-one right.

Add a helper that does it once." -m "$SOB")
OLD="resv->length - 1 + resv->start, dev);"
edit "$c1" $C "s = s.replace('$OLD', 'iommu_resv_region_last(resv), dev);')"
c2=$(commit "$c1" -m "iommufd: Use iommu_resv_region_last() for reserved regions" -m "iopt_table_enforce_dev_resv_regions() computes the last address of each
reserved region by hand.

Use iommu_resv_region_last() instead." -m "$SOB")
export_series good "$c2" "iommu: Name the last address of a reserved region"

rm -rf "$out/bad-checkpatch"
cp -r "$out/good" "$out/bad-checkpatch"
sed -i 's/^\(+.*\)iommu_resv_region_last(resv)/\1iommu_resv_region_last( resv )/' "$out"/bad-checkpatch/0002-*.patch

rm -rf "$out/bad-format"
cp -r "$out/good" "$out/bad-format"
sed -i 's/^Subject: \(.*\)iommu: Add iommu_resv_region_last()/Subject: \1Added iommu_resv_region_last()/' "$out"/bad-format/0001-*.patch
git -C "$KTREE" format-patch -q --zero-commit --no-signature --cover-letter --base=base \
	-o "$out/.cover" "base..$c2"
mv "$out"/.cover/0000-cover-letter.patch "$out/bad-format/" && rm -rf "$out/.cover"

edit "$c1" $C "s = s.replace('$OLD', 'iopt_resv_last(resv), dev);')"
b2=$(commit "$c1" -m "iommufd: Use a helper for the last address of a reserved region" -m "iopt_table_enforce_dev_resv_regions() computes the last address of each
reserved region by hand.

Call iopt_resv_last() instead (planted: it only comes in the next patch,
so this step does not build)." -m "$SOB")
edit "$b2" $C "s = s.replace('/* Narrow the valid_iova_itree', '''static phys_addr_t iopt_resv_last(const struct iommu_resv_region *resv)
{
	return iommu_resv_region_last(resv);
}

/* Narrow the valid_iova_itree''', 1)"
b3=$(commit "$b2" -m "iommufd: Add iopt_resv_last()" -m "The previous patch calls a helper that does not exist yet.

Add it, so that the tip of the series builds again." -m "$SOB")
export_series bad-build "$b3" "iommufd: Planted build break in patch 2 of 3"

edit "$c1" $C "s = s.replace('$OLD', 'iommu_resv_region_last(resv), dev);').replace('\tunsigned int num_sw_msi = 0;\n', '\tunsigned int num_sw_msi = 0;\n\tunsigned int unused_planted;\n', 1)"
w2=$(commit "$c1" -m "iommufd: Use iommu_resv_region_last() for reserved regions" -m "iopt_table_enforce_dev_resv_regions() computes the last address of each
reserved region by hand.

Use iommu_resv_region_last() instead (planted: an unused variable)." -m "$SOB")
export_series bad-warning "$w2" "iommu: Planted W=1 warning"
say "series made in $out: good bad-checkpatch bad-format bad-build bad-warning"
[ "$make_only" = 1 ] && exit 0

export LINT_ARCHES=${LINT_ARCHES:-x86_64}
fail=0
expect() { # pass|fail CHECKS DIR
	local rc=0
	LINT_CHECKS="$2" "$TOP/scripts/lint.sh" "$out/$3" > "$out/$3.log" 2>&1 || rc=$?
	if { [ "$1" = pass ] && [ "$rc" = 0 ]; } || { [ "$1" = fail ] && [ "$rc" != 0 ]; }; then
		echo "ok   $3: lint ${1}ed as expected ($2)"
	else
		echo "FAIL $3: lint should $1 ($2), rc $rc: see $out/$3.log"
		fail=1
	fi
}
expect pass "checkpatch format kernel-doc" good
expect fail checkpatch bad-checkpatch
expect fail format bad-format
expect fail bisect bad-build
expect fail bisect bad-warning
expect pass bisect good
exit "$fail"
