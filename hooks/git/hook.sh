#!/bin/sh
# chainloop-trace managed hook: installed by `trace init`; `trace uninstall` removes it and restores
# the hook it chained (kept next to it as <name>.pre-trace). A missing `trace` never breaks git.
# Git runs these hooks hundreds of times in a rebase: what runs when there is nothing to do is shell
# built-ins only (no mktemp, cat, grep, no git), and attribution runs in a detached `trace`.
hook=__HOOK_NAME__
dir=${0%/*}
previous="$dir/$hook.pre-trace"
# While a rebase runs, git would start the reference-transaction hook some ten times a commit and
# post-commit once a commit, which costs more than the rebase itself: trace's copies are set aside
# (git then silently skips them) from the rebase's first ref update or commit to its end (post-rewrite, which then
# attributes every commit of the rebase). After an aborted rebase, the next trace command puts them
# back and attributes the commits HEAD's reflog shows were made meanwhile (attribution/queue.ts).
# Only hooks of the repository's own .git/hooks that chain nothing are set aside, both with one `mv`
# into .trace-paused/ (made by `trace init`) and back with one: each process counts in a rebase.
pause_hooks() {
  case "$dir" in .git/hooks | */.git/hooks) ;; *) return 0 ;; esac
  [ -d "$dir/.trace-paused" ] || return 0
  set --
  for name in reference-transaction post-commit; do
    [ -f "$dir/$name" ] && [ ! -e "$dir/$name.pre-trace" ] || continue
    { read -r _ && read -r marker; } <"$dir/$name" || continue
    case "$marker" in *"chainloop-trace managed hook"*) set -- "$@" "$dir/$name" ;; esac
  done
  [ "$#" -eq 0 ] || mv -f "$@" "$dir/.trace-paused/" 2>/dev/null
  return 0
}
resume_hooks() {
  set --
  for name in reference-transaction post-commit; do
    [ -f "$dir/.trace-paused/$name" ] || continue
    if [ -e "$dir/$name" ]; then rm -f "$dir/.trace-paused/$name"; else set -- "$@" "$dir/.trace-paused/$name"; fi
  done
  [ "$#" -eq 0 ] || mv -f "$@" "$dir/" 2>/dev/null
  return 0
}
# A squashing rebase amends once a squash, and git runs post-rewrite for each: the rebase's own
# post-rewrite covers those, so they end here, before anything else is read.
if [ "$hook" = post-rewrite ] && [ "$1" = amend ] && [ ! -x "$previous" ]; then
  case "$dir" in .git/hooks | */.git/hooks) [ -f "${dir%/hooks}/rebase-merge/current-fixups" ] && exit 0 ;; esac
fi
if [ "$hook" = reference-transaction ] && [ "$1" != committed ] && [ ! -x "$previous" ]; then
  # Git runs this hook for every ref update of every transaction, rebases included: stay cheap. A
  # rebase's first transaction sets trace's hooks aside (a squashing rebase makes no other commit
  # whose post-commit would).
  case "$dir" in .git/hooks | */.git/hooks) [ -d "${dir%/hooks}/rebase-merge" ] && pause_hooks ;; esac
  exit 0
fi
# This work tree's git directory and the common one (trace's state is there), read from .git when
# it can be rather than asked of git. Git runs hooks at the top of the work tree.
if [ -n "$GIT_DIR" ]; then
  git_dir=$GIT_DIR
elif [ -d .git ]; then
  git_dir=.git
elif [ -f .git ] && read -r gitfile <.git && [ "${gitfile#gitdir: }" != "$gitfile" ]; then
  git_dir=${gitfile#gitdir: }
else
  git_dir=$(git rev-parse --git-dir 2>/dev/null)
fi
common_dir=$git_dir
if [ -f "$git_dir/commondir" ] && read -r common <"$git_dir/commondir"; then
  case "$common" in /*) common_dir=$common ;; *) common_dir="$git_dir/$common" ;; esac
fi
queue="$common_dir/chainloop-trace/queue"

# Attribution waits in trace's queue, taken by a detached `trace git-hook settle`; every command that
# reads attributions (show, blame, status, attest, pre-push) settles the queue first.
can_queue() {
  [ -d "$common_dir/chainloop-trace" ] && command -v trace >/dev/null 2>&1 || return 1
  [ -d "$queue" ] || mkdir -p "$queue" 2>/dev/null
}
# HEAD into $sha, read from its files when it can be (a loose ref), else asked of git.
head_sha() {
  sha=
  if read -r head_ref <"$git_dir/HEAD"; then
    case "$head_ref" in
      "ref: refs/"*) [ -f "$common_dir/${head_ref#ref: }" ] && read -r sha <"$common_dir/${head_ref#ref: }" ;;
      *) sha=$head_ref ;;
    esac
  fi
  case "$sha" in *[!0-9a-f]*) sha= ;; esac
  if [ "${#sha}" -ne 40 ] && [ "${#sha}" -ne 64 ]; then sha=$(git rev-parse HEAD 2>/dev/null); fi
}
settle_detached() {
  # At the lowest priority: git (and what the developer runs next) goes first.
  (
    trap '' HUP INT
    if command -v nice >/dev/null 2>&1; then exec nice -n 19 trace git-hook settle; fi
    exec trace git-hook settle
  ) </dev/null >/dev/null 2>&1 &
}

status=0
input=
case "$hook" in
  pre-push | reference-transaction | post-rewrite)
    # A chained hook reads the same input: keep it in a file. Otherwise read it as it is needed.
    if [ "$hook" = pre-push ] || [ -x "$previous" ]; then
      input=$(mktemp "${TMPDIR:-/tmp}/trace-$hook.XXXXXX") || exit 0
      cat >"$input"
    fi
    ;;
esac
if [ -x "$previous" ]; then
  if [ -n "$input" ]; then "$previous" "$@" <"$input"; else "$previous" "$@"; fi
  status=$?
fi
run_trace=yes
rebasing=no
[ -d "$git_dir/rebase-merge" ] && rebasing=yes
if [ "$hook" = post-commit ]; then
  if [ "$rebasing" = yes ]; then
    pause_hooks
    # A commit a rebase replays is attributed by post-rewrite when the rebase ends (git names it in
    # CHERRY_PICK_HEAD meanwhile, or it is a squash's); a commit made by hand during the rebase is
    # not, so it is queued (the rebase's post-rewrite starts the attribution).
    if [ -f "$git_dir/CHERRY_PICK_HEAD" ] || [ -f "$git_dir/rebase-merge/current-fixups" ]; then run_trace=no; fi
  elif [ ! -d "$git_dir/rebase-apply" ]; then
    resume_hooks
  fi
  if [ "$run_trace" = yes ] && can_queue; then
    head_sha
    picked=-
    if [ -f "$git_dir/CHERRY_PICK_HEAD" ]; then read -r picked <"$git_dir/CHERRY_PICK_HEAD" || picked=-; fi
    if [ -n "$sha" ] && printf 'post-commit %s %s\n%s\nend\n' "$sha" "$picked" "$PWD" >"$queue/$sha.$$"; then
      [ "$rebasing" = yes ] || settle_detached
      run_trace=no
    fi
  fi
elif [ "$hook" = post-rewrite ]; then
  # During a rebase, git amends for each squash or fixup: the rebase's own post-rewrite covers those.
  if [ "$rebasing" = yes ] && [ "$1" = amend ] && [ -f "$git_dir/rebase-merge/current-fixups" ]; then
    run_trace=no
  elif can_queue; then
    # The rebase's commits git does not list (made by hand at a stop) are found from onto to HEAD.
    range=
    if [ "$1" = rebase ] && [ -f "$git_dir/rebase-merge/onto" ] && read -r onto <"$git_dir/rebase-merge/onto"; then
      head_sha
      range="$onto $sha"
    fi
    entry="$queue/rewrite.$$"
    {
      printf 'post-rewrite %s %s\n%s\n' "$1" "$range" "$PWD"
      if [ -n "$input" ]; then cat "$input"; else
        while read -r line || [ -n "$line" ]; do printf '%s\n' "$line"; done
      fi
      printf 'end\n'
    } >"$entry" && run_trace=no
    if [ "$rebasing" = no ] || [ "$1" = rebase ]; then settle_detached; fi
  elif [ -z "$input" ]; then
    input=$(mktemp "${TMPDIR:-/tmp}/trace-$hook.XXXXXX") || exit 0
    cat >"$input"
  fi
  [ "$1" = rebase ] || [ "$rebasing" = no ] && resume_hooks
elif [ "$hook" = reference-transaction ]; then
  # trace only needs to see a finished `git reset` of this work tree (it moves HEAD), which may have
  # discarded uncommitted agent lines.
  run_trace=no
  head_moved=no
  updates=
  if [ -n "$input" ]; then exec 3<"$input"; else exec 3<&0; fi
  while read -r old new ref <&3 || [ -n "$ref" ]; do
    [ "$ref" = HEAD ] && head_moved=yes
    updates="$updates$old $new $ref
"
  done
  exec 3<&-
  if [ "$head_moved" = yes ] && [ -f "$git_dir/logs/HEAD" ]; then
    case "$(tail -n 1 "$git_dir/logs/HEAD")" in *"	reset: moving to"*) run_trace=yes ;; esac
  fi
  if [ "$run_trace" = yes ] && [ -z "$input" ]; then
    if command -v trace >/dev/null 2>&1; then printf '%s' "$updates" | trace git-hook "$hook" "$@"; fi
    run_trace=no
  fi
fi
if [ "$run_trace" = yes ] && { [ "$hook" != pre-push ] || [ "$status" -eq 0 ]; }; then
  if command -v trace >/dev/null 2>&1; then
    if [ -n "$input" ]; then trace git-hook "$hook" "$@" <"$input"; else trace git-hook "$hook" "$@" </dev/null; fi
    trace_status=$?
    if [ "$hook" = pre-push ] && [ "$trace_status" -ne 0 ]; then status=$trace_status; fi
  elif [ "$hook" = pre-push ]; then
    echo "trace: not on PATH; this push is not attested (install trace or run \`trace uninstall\`)" >&2
  fi
fi
[ -n "$input" ] && rm -f "$input"
exit "$status"
