#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepare to post the series of the base: To/Cc from the tree's
# get_maintainer.pl, then, with SENDER="Full Name <address>", a copy of the
# series in build/<BASE>/send/ whose From: and Signed-off-by: are the
# sender's (scripts/send-copy.py: the project identity on the queue's
# patches is no one's DCO) and the exact git send-email command for that
# copy (cover letter first), plus the b4 alternative. Without SENDER it
# prints To/Cc and refuses to print a send command. Sends nothing.
#   [SENDER="Name <mail>"] send-prep.sh [PATCHDIR]
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
if [ -z "${SENDER:-}" ]; then
	die "send-prep: not printing a send command: the patches carry only the project identity ($IDENT_NAME <$IDENT_EMAIL>), which is no one's Signed-off-by. Re-run with SENDER='Full Name <address>' (make send-prep SENDER=...): the copy in build/$BASE/send/ then has your From: and Signed-off-by:"
fi
send=$BDIR/send
rm -rf "$send"
python3 "$TOP/scripts/send-copy.py" "$SENDER" "$send" "$cover" "${PATCHES[@]}" >&2 || exit 1
cover=$send/$(basename "$cover")
for i in "${!PATCHES[@]}"; do PATCHES[i]=$send/$(basename "${PATCHES[i]}"); done
args=()
IFS=',' read -ra TO <<< "$to"
IFS=',' read -ra CC <<< "$cc"
for a in "${TO[@]}"; do a=$(echo "$a" | sed 's/^ *//'); [ -n "$a" ] && args+=("--to=$a"); done
for a in "${CC[@]}"; do a=$(echo "$a" | sed 's/^ *//'); [ -n "$a" ] && args+=("--cc=$a"); done
# Paths relative to the repository when inside it (commands run from $TOP).
rel() { case "$1" in "$TOP"/*) echo "${1#"$TOP"/}" ;; *) echo "$1" ;; esac; }
echo
echo "# 1. Check first: make lint. The copy to send, with your From: and"
echo "#    Signed-off-by: (read it: by signing off you certify the DCO):"
echo "#    ${send#"$TOP"/}/. Then look at what would be sent:"
echo "cd $TOP"
printf 'git send-email --dry-run --confirm=always --suppress-cc=self'
printf ' %q' "${args[@]}" "$(rel "$cover")"
for p in "${PATCHES[@]}"; do printf ' %q' "$(rel "$p")"; done
echo
echo "# 2. Send: the same command without --dry-run (needs the git-email package"
echo "#    and sendemail.smtpServer/smtpUser in ~/.gitconfig)."
echo
echo "# Alternative with b4 (Debian package b4): a branch of your own in a worktree"
echo "# (the queue branch stays as it is), its commits re-authored and signed off by you:"
echo "git -C ${KTREE#"$TOP"/} worktree add -b send-$BASE ${BDIR#"$TOP"/}/send-tree series"
echo "cd ${BDIR#"$TOP"/}/send-tree"
echo "git -c user.name='${SENDER% <*}' -c user.email='$(echo "$SENDER" | sed 's/.*<\(.*\)>/\1/')' rebase base --exec 'git commit --amend --no-edit --reset-author -s'"
echo "b4 prep --enroll base          # once: this branch, fork point 'base'"
echo "b4 prep --edit-cover           # paste subject and text of $(rel "$cover")"
echo "b4 prep --auto-to-cc           # To/Cc from scripts/get_maintainer.pl, as above"
echo "b4 send --dry-run              # then: b4 send"
