#!/bin/sh
# chainloop-trace managed hook: installed by `trace init`; `trace uninstall` removes it and restores
# the hook it chained (kept next to it as <name>.pre-trace). A missing `trace` never breaks git.
hook=__HOOK_NAME__
dir=${0%/*}
previous="$dir/$hook.pre-trace"
if [ "$hook" = reference-transaction ] && [ "$1" != committed ] && [ ! -x "$previous" ]; then
  # Git runs this hook for every ref update of every transaction, rebases included: stay cheap.
  exit 0
fi
status=0
input=
case "$hook" in
  pre-push | post-rewrite | reference-transaction)
    input=$(mktemp "${TMPDIR:-/tmp}/trace-$hook.XXXXXX") || exit 0
    cat >"$input"
    ;;
esac
if [ -x "$previous" ]; then
  if [ -n "$input" ]; then "$previous" "$@" <"$input"; else "$previous" "$@"; fi
  status=$?
fi
run_trace=yes
if [ "$hook" = post-commit ]; then
  # A commit a rebase replays is attributed by post-rewrite when the rebase ends (git names it in
  # CHERRY_PICK_HEAD meanwhile); a commit made by hand during the rebase is not, so it still counts.
  git_dir=${GIT_DIR:-$(git rev-parse --git-dir 2>/dev/null)}
  if [ -d "$git_dir/rebase-merge" ] && [ -f "$git_dir/CHERRY_PICK_HEAD" ]; then run_trace=no; fi
elif [ "$hook" = reference-transaction ]; then
  # trace only needs to see a finished `git reset` of this work tree (it moves HEAD), which may have
  # discarded uncommitted agent lines.
  run_trace=no
  if [ "$1" = committed ] && grep -q ' HEAD$' "$input"; then
    logs="${GIT_DIR:-$(git rev-parse --git-dir 2>/dev/null)}/logs/HEAD"
    if [ -f "$logs" ]; then
      case "$(tail -n 1 "$logs")" in *"	reset: moving to"*) run_trace=yes ;; esac
    fi
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
