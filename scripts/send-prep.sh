#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepare to post the series: To/Cc from the tree's get_maintainer.pl and
# the exact git send-email command (cover letter first), plus the b4
# alternative. Sends nothing.
#   send-prep.sh [PATCHDIR]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lint-lib.sh"

pdir=$(lint_pdir "${1:-}")
mapfile -t PATCHES < <(lint_series "$pdir")
if [ "${#PATCHES[@]}" = 0 ]; then
	say "send-prep: the series is empty: nothing to send"
	exit 0
fi
cover=$pdir/0000-cover-letter.patch
[ -f "$cover" ] || die "no cover letter $cover"
gm() {
	(cd "$KTREE" && scripts/get_maintainer.pl --no-rolestats --no-git --no-git-fallback \
		--no-tree --no-multiline --separator ', ' "$@" "${PATCHES[@]}")
}
# Maintainers go in To; reviewers and mailing lists in Cc.
to=$(gm --m --no-r --no-l)
cc=$(gm --no-m --r --l)
# Whoever is in To already is not repeated in Cc.
cc=$(python3 -c 'import sys; to = [a.strip() for a in sys.argv[1].split(",")]
print(", ".join(a.strip() for a in sys.argv[2].split(",") if a.strip() not in to))' "$to" "$cc")
echo "To: $to"
echo "Cc: $cc"
args=()
IFS=',' read -ra TO <<< "$to"
IFS=',' read -ra CC <<< "$cc"
for a in "${TO[@]}"; do a=$(echo "$a" | sed 's/^ *//'); [ -n "$a" ] && args+=("--to=$a"); done
for a in "${CC[@]}"; do a=$(echo "$a" | sed 's/^ *//'); [ -n "$a" ] && args+=("--cc=$a"); done
# Paths relative to the repository when inside it (commands run from $TOP).
rel() { case "$1" in "$TOP"/*) echo "${1#"$TOP"/}" ;; *) echo "$1" ;; esac; }
echo
echo "# 1. Check first: make lint. Then look at what would be sent:"
echo "cd $TOP"
printf 'git send-email --dry-run --confirm=always --suppress-cc=self'
printf ' %q' "${args[@]}" "$(rel "$cover")"
for p in "${PATCHES[@]}"; do printf ' %q' "$(rel "$p")"; done
echo
echo "# 2. Send: the same command without --dry-run (needs the git-email package"
echo "#    and sendemail.smtpServer/smtpUser in ~/.gitconfig)."
echo
echo "# Alternative with b4, from the queue branch in build/linux (base + series):"
echo "cd $KTREE"
echo "b4 prep --enroll base          # once: this branch, fork point 'base'"
echo "b4 prep --edit-cover           # paste subject and text of $(rel "$cover")"
echo "b4 prep --auto-to-cc           # To/Cc from scripts/get_maintainer.pl, as above"
echo "b4 send --dry-run              # then: b4 send"
