#!/bin/sh
# chainloop-trace managed hook: installed by `trace init`; `trace uninstall` removes it and restores
# the hook it chained (kept next to it as <name>.pre-trace). A missing `trace` never breaks git.
hook=__HOOK_NAME__
dir=$(dirname -- "$0")
status=0
input=
case "$hook" in
  pre-push | post-rewrite | reference-transaction)
    input=$(mktemp "${TMPDIR:-/tmp}/trace-$hook.XXXXXX") || exit 0
    cat >"$input"
    ;;
esac
if [ -x "$dir/$hook.pre-trace" ]; then
  if [ -n "$input" ]; then "$dir/$hook.pre-trace" "$@" <"$input"; else "$dir/$hook.pre-trace" "$@"; fi
  status=$?
fi
run_trace=yes
if [ "$hook" = reference-transaction ]; then
  # Git runs this for every ref update; trace only needs to see a finished `git reset`, which may
  # have discarded uncommitted agent lines. A cheap test keeps node off the other updates.
  run_trace=no
  if [ "$1" = committed ]; then
    logs="$(git rev-parse --git-dir 2>/dev/null)/logs/HEAD"
    if [ -f "$logs" ] && tail -n 1 "$logs" | grep -q "	reset: moving to"; then run_trace=yes; fi
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
