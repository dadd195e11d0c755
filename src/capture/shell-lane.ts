// The shell lanes: POSIX sh files the Bash hook commands trace installs for Claude Code source before
// they start Node (hooks/claude/settings.json). Each takes the call's snapshot of the work tree itself
// (capture/shell.ts: `git add --all` into the private index, `git write-tree`) and spools the payload
// with the tree in its name (`<ns>.<pid>.<agent>.<event>.<tree>.json`): no Node start around a shell
// call. Whatever opens the store next takes the spool in (capture/spool.ts): the pre event becomes
// the call's pending record, the post event's tree is diffed against it. When the lane cannot take
// the snapshot (no spool or shell folder, git failing) it returns without reading the payload, and
// the command runs `trace hook` as before.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Repo } from '../repo.js';
import { LANES_DIR, SHELL_DIR, SPOOL_DIR } from './spool-dir.js';

/** The events whose Bash calls go through a lane. */
export const SHELL_LANE_EVENTS = ['pre-tool-use', 'post-tool-use', 'post-tool-use-failure'] as const;

export function shellLaneFile(stateDir: string, hookName: string, event: string): string {
  return join(stateDir, LANES_DIR, `${hookName}-${event}.sh`);
}

/** The lane's text: the same in every repository (it finds the state dir from `$f`, the path the command sourced). */
export function shellLaneScript(hookName: string, event: string): string {
  return [
    `# trace shell lane for ${hookName} ${event} (src/capture/shell-lane.ts): written by trace, do not edit.`,
    `tl_state=\${f%/${LANES_DIR}/*}`,
    `if [ -d "$tl_state/${SPOOL_DIR}" ] && [ -d "$tl_state/${SHELL_DIR}" ] && cd "\${tl_state%/.git/chainloop-trace}" 2>/dev/null; then`,
    // The last snapshot's index, written in place under git's own lock: a hook running at the same
    // time (parallel tool calls) finds it locked and leaves its call to Node.
    `  tl_index="$tl_state/${SHELL_DIR}/base.index"`,
    '  [ -f "$tl_index" ] || [ ! -f .git/index ] || cp .git/index "$tl_index" 2>/dev/null',
    '  GIT_INDEX_FILE=$tl_index GIT_LITERAL_PATHSPECS=1 git add --all --ignore-errors >/dev/null 2>&1',
    // 1: a file could not be read (it keeps its last snapshot); anything else: no snapshot.
    '  if [ $? -le 1 ]; then',
    '    tl_tree=$(GIT_INDEX_FILE=$tl_index git write-tree 2>/dev/null)',
    '    case $tl_tree in',
    `      '' | *[!0-9a-f]*) ;;`,
    '      *)',
    '        tl_stamp=$(date +%s%N).$$',
    `        tl_tmp="$tl_state/${SPOOL_DIR}/.$tl_stamp.tmp"`,
    `        { cat >"$tl_tmp" && mv -f "$tl_tmp" "$tl_state/${SPOOL_DIR}/$tl_stamp.${hookName}.${event}.$tl_tree.json"; } || rm -f "$tl_tmp"`,
    '        exit 0 ;;',
    '    esac',
    '  fi',
    'fi',
    '',
  ].join('\n');
}

/**
 * Writes the lanes of `hookName` where one is missing or (with `rewrite`: init, a session's start)
 * differs from this trace's. Never throws: without a lane the command runs `trace hook`.
 */
export function ensureShellLanes(repo: Repo, hookName: string, rewrite: boolean): void {
  try {
    mkdirSync(join(repo.stateDir, SHELL_DIR), { recursive: true });
    mkdirSync(join(repo.stateDir, LANES_DIR), { recursive: true });
    for (const event of SHELL_LANE_EVENTS) {
      const file = shellLaneFile(repo.stateDir, hookName, event);
      const wanted = shellLaneScript(hookName, event);
      let current: string | undefined;
      try {
        current = readFileSync(file, 'utf8');
      } catch {
        // none yet
      }
      if (current === wanted || (current !== undefined && !rewrite)) continue;
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, wanted);
      renameSync(temporary, file);
    }
  } catch {
    // A read-only state dir: the commands run `trace hook`.
  }
}

/** The lanes of every agent that uses them, rewritten: `trace init` and auto-init. */
export async function writeShellLanes(repo: Repo): Promise<void> {
  const { AGENT_HOOKS } = await import('../agents/hooks.js');
  for (const agent of AGENT_HOOKS) if (agent.shellLanes) ensureShellLanes(repo, agent.hookName, true);
}
