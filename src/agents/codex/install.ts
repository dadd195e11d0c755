// Merging trace's hooks into `.codex/hooks.json` and taking them out again, keeping everything else.
// Codex reads the same shape as Claude Code (`{"hooks":{"<Event>":[{"matcher"?,"hooks":[{"type":"command",
// "command","timeout"}]}]}}`, timeouts in seconds, SessionEnd capped at about 3 s), from a trusted project only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TraceError } from '../../errors.js';
import type { InstallPlan } from '../types.js';

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

/** trace's Codex commands, bare or guarded; group 1 is the event argument. */
const TRACE_COMMAND = /^\s*(?:if command -v trace >\/dev\/null 2>&1; then )?trace hook codex ([a-z][a-z-]*)(?:; fi)?\s*$/;

interface HookHandler {
  type?: string;
  command?: string;
  timeout?: number;
  [key: string]: unknown;
}
interface HookGroup {
  matcher?: string;
  hooks?: HookHandler[];
  [key: string]: unknown;
}
export interface CodexHooksConfig {
  hooks?: Record<string, HookGroup[]>;
  [key: string]: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The event argument when `command` is one of trace's Codex hook commands. */
export function traceHookOf(command: unknown): string | null {
  return typeof command === 'string' ? (TRACE_COMMAND.exec(command)?.[1] ?? null) : null;
}
const isOurs = (handler: unknown): boolean => isObject(handler) && traceHookOf(handler.command) !== null;

/** trace's hooks as a config of their own: what `trace init --codex` merges in. */
export function traceHooks(): CodexHooksConfig {
  const hooks: Record<string, HookGroup[]> = {};
  for (const { event, arg, matcher, timeout } of EVENTS) {
    const handler: HookHandler = { type: 'command', command: hookCommand(arg), timeout };
    (hooks[event] ??= []).push(matcher === undefined ? { hooks: [handler] } : { matcher, hooks: [handler] });
  }
  return { hooks };
}

/** Every problem of the `hooks` value, as `path: message`. */
function hookProblems(hooks: unknown): string[] {
  if (hooks === undefined) return [];
  if (!isObject(hooks)) return ['hooks: must be an object of event names to arrays of hook groups'];
  const problems: string[] = [];
  for (const [event, groups] of Object.entries(hooks)) {
    const at = `hooks.${event}`;
    if (!Array.isArray(groups)) {
      problems.push(`${at}: must be an array of hook groups ({ "matcher"?, "hooks": [...] }), found ${JSON.stringify(groups)}`);
      continue;
    }
    groups.forEach((group: unknown, index) => {
      if (!isObject(group)) return problems.push(`${at}[${index}]: must be an object, found ${JSON.stringify(group)}`);
      if (!Array.isArray(group.hooks)) return problems.push(`${at}[${index}].hooks: must be an array of hook handlers`);
      group.hooks.forEach((handler: unknown, h) => {
        if (!isObject(handler)) problems.push(`${at}[${index}].hooks[${h}]: must be an object, found ${JSON.stringify(handler)}`);
      });
    });
  }
  return problems;
}

export function parseConfig(text: string, file: string): CodexHooksConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new TraceError('BAD_CONFIG', `${file} is not valid JSON (${(cause as Error).message}); it was left untouched`, {
      cause,
      hint: `fix ${file} by hand, then run \`trace init --codex\` again`,
    });
  }
  if (!isObject(value)) throw new TraceError('BAD_CONFIG', `${file} must hold a JSON object; it was left untouched`);
  const problems = hookProblems(value.hooks);
  if (problems.length > 0) {
    throw new TraceError('BAD_CONFIG', `${file} has invalid hooks; it was left untouched:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      hint: `fix the values named above in ${file} (see https://developers.openai.com/codex/hooks), then run \`trace init --codex\` again`,
    });
  }
  return value;
}

/**
 * Adds each of trace's hooks that is missing, and rewrites in place one of another form (same event
 * argument, other command text or timeout); returns how many it added and upgraded.
 */
export function mergeHooks(config: CodexHooksConfig, wanted: CodexHooksConfig = traceHooks()): { config: CodexHooksConfig; added: number; upgraded: number } {
  const hooks: Record<string, HookGroup[]> = { ...(config.hooks ?? {}) };
  let added = 0;
  let upgraded = 0;
  for (const [event, groups] of Object.entries(wanted.hooks ?? {})) {
    const existing = (hooks[event] ?? []).map((group) => ({ ...group, hooks: [...(group.hooks ?? [])] }));
    let changed = false;
    for (const group of groups) {
      for (const handler of group.hooks ?? []) {
        const which = traceHookOf(handler.command);
        const holder = existing.find((other) => other.matcher === group.matcher && other.hooks.some((h) => traceHookOf(h.command) === which));
        if (!holder) {
          existing.push({ ...structuredClone(group), hooks: [structuredClone(handler)] });
          added++;
          changed = true;
          continue;
        }
        const index = holder.hooks.findIndex((h) => traceHookOf(h.command) === which);
        const current = holder.hooks[index]!;
        if (current.command !== handler.command || current.timeout !== handler.timeout) {
          holder.hooks[index] = { ...current, command: handler.command, timeout: handler.timeout };
          upgraded++;
          changed = true;
        }
      }
    }
    if (changed) hooks[event] = existing;
  }
  return { config: added + upgraded > 0 ? { ...config, hooks } : config, added, upgraded };
}

/** The config without trace's handlers (and the groups and events they leave empty). */
function withoutTraceHooks(config: CodexHooksConfig): { config: CodexHooksConfig; removed: number } {
  let removed = 0;
  const hooks: Record<string, HookGroup[]> = {};
  for (const [event, groups] of Object.entries(config.hooks ?? {})) {
    const kept: HookGroup[] = [];
    for (const group of groups) {
      const handlers = group.hooks ?? [];
      const remaining = handlers.filter((handler) => !isOurs(handler));
      removed += handlers.length - remaining.length;
      if (remaining.length > 0 || handlers.length === 0) kept.push(remaining.length === handlers.length ? group : { ...group, hooks: remaining });
    }
    if (kept.length > 0) hooks[event] = kept;
  }
  const result: CodexHooksConfig = { ...config, hooks };
  if (Object.keys(hooks).length === 0) delete result.hooks;
  return { config: result, removed };
}

/** The indentation of a JSON text (two spaces when it has none to copy). */
function jsonIndent(text: string): string {
  return /^[{[][^\n]*\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
}

/** `config` as JSON in the style of `like` (its indentation, its final newline or none). */
export function formatConfig(config: CodexHooksConfig, like?: string): string {
  const text = JSON.stringify(config, null, like === undefined ? 2 : jsonIndent(like));
  return like === undefined || like.endsWith('\n') ? `${text}\n` : text;
}

/** The merge of trace's hooks into `original` (the file's text, undefined when there is none). */
export function planInstallText(original: string | undefined, file = CONFIG_FILE): InstallPlan {
  const config = original === undefined ? {} : parseConfig(original, file);
  const { config: merged, added, upgraded } = mergeHooks(config);
  if (added + upgraded === 0) return { file: CONFIG_FILE, text: undefined, original, status: 'unchanged' };
  return { file: CONFIG_FILE, text: formatConfig(merged, original), original, status: original !== undefined && added === 0 ? 'upgraded' : 'installed' };
}

export function planInstall(root: string): InstallPlan {
  const path = join(root, CONFIG_FILE);
  let original: string | undefined;
  try {
    original = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') {
      throw new TraceError('BAD_CONFIG', `cannot read ${path}: ${(error as Error).message}; it was left untouched`, { cause: error });
    }
  }
  return planInstallText(original, path);
}

/** `text` without trace's entries; null when nothing trace did not put there is left. */
export function removeHooks(text: string, file: string): { text: string | null; removed: number } {
  const { config, removed } = withoutTraceHooks(parseConfig(text, file));
  if (removed === 0) return { text, removed };
  if (Object.keys(config).length === 0) return { text: null, removed };
  return { text: formatConfig(config, text), removed };
}

/** Whether every one of trace's hooks is in `text`, in its current form. */
export function hooksInstalled(text: string, file: string): boolean {
  let config: CodexHooksConfig;
  try {
    config = parseConfig(text, file);
  } catch {
    return false;
  }
  const { added, upgraded } = mergeHooks(config);
  return added + upgraded === 0;
}

/** How to let Codex run the hooks: project hooks run only in a trusted project, once reviewed. */
export const AFTER_INSTALL = [
  `Codex runs project hooks only in a trusted project and only once they are reviewed: open Codex in this repository, trust the project when asked, then run /hooks and trust trace's hooks (${CONFIG_FILE}).`,
  'Untrusted hooks are skipped silently, and editing a hook asks for review again; `codex exec --dangerously-bypass-hook-trust` skips the check for one run.',
  'Codex releases before about 0.13x also need `[features] codex_hooks = true` in ~/.codex/config.toml; `[features] hooks = false` turns hooks off.',
];
