#!/bin/sh
# chainloop-trace managed hook: installed by `trace init`; `trace uninstall` removes it and restores
# the hook it chained (kept next to it as <name>.pre-trace). A missing `trace` never breaks git.
hook=__HOOK_NAME__
dir=$(dirname -- "$0")
status=0
input=
case "$hook" in
  pre-push | post-rewrite)
    input=$(mktemp "${TMPDIR:-/tmp}/trace-$hook.XXXXXX") || exit 0
    cat >"$input"
    ;;
esac
if [ -x "$dir/$hook.pre-trace" ]; then
  if [ -n "$input" ]; then "$dir/$hook.pre-trace" "$@" <"$input"; else "$dir/$hook.pre-trace" "$@"; fi
  status=$?
fi
if [ "$hook" != pre-push ] || [ "$status" -eq 0 ]; then
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
