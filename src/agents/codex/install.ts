// Merging trace's hooks into `.codex/hooks.json` and taking them out again, keeping everything else.
// Codex reads the same shape as Claude Code (`{"hooks":{"<Event>":[{"matcher"?,"hooks":[{"type":"command",
// "command","timeout"}]}]}}`, timeouts in seconds, SessionEnd capped at about 3 s), from a trusted project only.
import { hookGroupsInstaller, type HookGroupsConfig } from '../hook-groups.js';

export const CONFIG_FILE = '.codex/hooks.json';

/** The tools trace's tool hooks fire for: the edit tool (and the matcher aliases Codex maps to it) and the shell. */
export const TOOL_MATCHER = 'apply_patch|Edit|Write|Bash';

/** Codex event → trace's event argument, the group's matcher and the timeout in seconds. */
const EVENTS: readonly { event: string; arg: string; matcher?: string; timeout: number }[] = [
  { event: 'SessionStart', arg: 'session-start', timeout: 10 },
  { event: 'SessionEnd', arg: 'session-end', timeout: 3 },
  { event: 'UserPromptSubmit', arg: 'user-prompt-submit', timeout: 10 },
  { event: 'PreToolUse', arg: 'pre-tool-use', matcher: TOOL_MATCHER, timeout: 30 },
  // The guard: its own entry, so capture and guard cannot break each other (Codex can only deny).
  { event: 'PreToolUse', arg: 'guard', matcher: TOOL_MATCHER, timeout: 10 },
  { event: 'PostToolUse', arg: 'post-tool-use', matcher: TOOL_MATCHER, timeout: 30 },
];

/** Does nothing for a teammate who has not installed trace. */
export function hookCommand(arg: string): string {
  return `if command -v trace >/dev/null 2>&1; then trace hook codex ${arg}; fi`;
}

/** trace's hooks as a config of their own: what `trace init --codex` merges in. */
export function traceHooks(): HookGroupsConfig {
  const hooks: Record<string, unknown> = {};
  for (const { event, arg, matcher, timeout } of EVENTS) {
    const handler = { type: 'command', command: hookCommand(arg), timeout };
    hooks[event] = [...((hooks[event] as unknown[] | undefined) ?? []), matcher === undefined ? { hooks: [handler] } : { matcher, hooks: [handler] }];
  }
  return { hooks };
}

export const { planInstallText, planInstall, removeHooks, hooksInstalled } = hookGroupsInstaller({
  hookName: 'codex',
  file: CONFIG_FILE,
  docs: 'https://developers.openai.com/codex/hooks',
  template: traceHooks,
});

/** How to let Codex run the hooks: project hooks run only in a trusted project, once reviewed. */
export const AFTER_INSTALL = [
  `Codex runs project hooks only in a trusted project and only once they are reviewed: open Codex in this repository, trust the project when asked, then run /hooks and trust trace's hooks (${CONFIG_FILE}).`,
  'Untrusted hooks are skipped silently, and editing a hook asks for review again; `codex exec --dangerously-bypass-hook-trust` skips the check for one run.',
  'Codex releases before about 0.13x also need `[features] codex_hooks = true` in ~/.codex/config.toml; `[features] hooks = false` turns hooks off.',
];
