// trace's hooks in Copilot CLI's project config, `.github/hooks/trace.json`:
// `{"version": 1, "hooks": {"<event>": [{"type": "command", "bash": "…", "timeoutSec": N}]}}`.
// Every entry needs a `bash` (or `powershell`) key: without one Copilot fails the hook on every event.
// A hook failure or timeout never blocks Copilot.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TraceError } from '../../errors.js';
import { formatJson } from '../hook-groups.js';
import type { InstallPlan } from '../types.js';
import { isRecord } from '../payload.js';

export const CONFIG_FILE = '.github/hooks/trace.json';

/** Copilot's event → trace's `trace hook copilot <event>` argument, and its timeout in seconds. */
const EVENTS: readonly { event: string; hook: string; timeoutSec: number }[] = [
  { event: 'sessionStart', hook: 'session-start', timeoutSec: 10 },
  { event: 'sessionEnd', hook: 'session-end', timeoutSec: 5 },
  { event: 'userPromptSubmitted', hook: 'user-prompt-submit', timeoutSec: 10 },
  { event: 'preToolUse', hook: 'pre-tool-use', timeoutSec: 30 },
  // The guard: its own entry (a Copilot hook failure never blocks, so the guard cannot fail closed here).
  { event: 'preToolUse', hook: 'guard', timeoutSec: 10 },
  { event: 'postToolUse', hook: 'post-tool-use', timeoutSec: 30 },
  // Newer builds send failed calls here instead of to postToolUse; older builds ignore the key.
  { event: 'postToolUseFailure', hook: 'post-tool-use-failure', timeoutSec: 30 },
  // The end of a turn: the only payload naming the session's events.jsonl.
  { event: 'agentStop', hook: 'agent-stop', timeoutSec: 10 },
];

/** Does nothing for a teammate who has not installed trace. */
export function hookCommand(hook: string): string {
  return `if command -v trace >/dev/null 2>&1; then trace hook copilot ${hook}; fi`;
}

/** trace's command, guarded or bare; group 1 is the event argument. */
const TRACE_COMMAND = /^\s*(?:if command -v trace >\/dev\/null 2>&1; then )?trace hook copilot ([A-Za-z][A-Za-z-]*)(?:; fi)?\s*$/;

export function traceHookOf(command: unknown): string | null {
  return typeof command === 'string' ? (TRACE_COMMAND.exec(command)?.[1] ?? null) : null;
}

type Json = Record<string, unknown>;
const isOurs = (entry: unknown): boolean => isRecord(entry) && traceHookOf(entry.bash) !== null;

export interface CopilotHooksFile {
  version?: unknown;
  hooks?: Record<string, unknown[]>;
  [key: string]: unknown;
}

/** Every problem of the file's shape, as `path: message`. */
function problems(value: Json): string[] {
  const found: string[] = [];
  if (value.version !== undefined && value.version !== 1) found.push(`version: must be 1, found ${JSON.stringify(value.version)}`);
  if (value.hooks === undefined) return found;
  if (!isRecord(value.hooks)) return [...found, 'hooks: must be an object of event names to arrays of hook entries'];
  for (const [event, entries] of Object.entries(value.hooks)) {
    if (!Array.isArray(entries)) {
      found.push(`hooks.${event}: must be an array of hook entries, found ${JSON.stringify(entries)}`);
      continue;
    }
    entries.forEach((entry: unknown, index) => {
      if (!isRecord(entry)) found.push(`hooks.${event}[${index}]: must be an object, found ${JSON.stringify(entry)}`);
    });
  }
  return found;
}

export function parseHooksFile(text: string, file: string): CopilotHooksFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new TraceError('BAD_CONFIG', `${file} is not valid JSON (${(cause as Error).message}); it was left untouched`, { cause, hint: `fix ${file} by hand, then run \`trace init\` again` });
  }
  if (!isRecord(value)) throw new TraceError('BAD_CONFIG', `${file} must hold a JSON object; it was left untouched`);
  const found = problems(value);
  if (found.length > 0) {
    throw new TraceError('BAD_CONFIG', `${file} has invalid hooks; it was left untouched:\n${found.map((p) => `  ${p}`).join('\n')}`, {
      hint: `fix the values named above in ${file} (see https://docs.github.com/en/copilot/reference/copilot-cli-reference/cli-hooks-reference), then run \`trace init\` again`,
    });
  }
  return value;
}

/**
 * Adds each of trace's entries that is missing and rewrites in place one of an older form (same hook,
 * other command text or no guard), keeping its other keys; returns the events it added to or upgraded.
 */
export function mergeHooks(config: CopilotHooksFile): { config: CopilotHooksFile; added: string[]; upgraded: string[] } {
  const hooks: Record<string, unknown[]> = { ...(config.hooks ?? {}) };
  const added: string[] = [];
  const upgraded: string[] = [];
  for (const { event, hook, timeoutSec } of EVENTS) {
    const entries = [...(hooks[event] ?? [])];
    const index = entries.findIndex((entry) => isRecord(entry) && traceHookOf(entry.bash) === hook);
    const wanted = hookCommand(hook);
    if (index === -1) {
      entries.push({ type: 'command', bash: wanted, timeoutSec });
      added.push(event);
    } else {
      const current = entries[index] as Json;
      if (current.bash !== wanted || current.type !== 'command') {
        entries[index] = { ...current, type: 'command', bash: wanted };
        upgraded.push(event);
      }
    }
    hooks[event] = entries;
  }
  if (added.length === 0 && upgraded.length === 0) return { config, added, upgraded };
  return { config: { version: 1, ...config, hooks }, added, upgraded };
}

/** `config` without trace's entries (and the events they leave empty); returns the events it touched. */
export function withoutTraceHooks(config: CopilotHooksFile): { config: CopilotHooksFile; removed: string[] } {
  const removed: string[] = [];
  const hooks: Record<string, unknown[]> = {};
  for (const [event, entries] of Object.entries(config.hooks ?? {})) {
    const kept = entries.filter((entry) => !isOurs(entry));
    if (kept.length !== entries.length) removed.push(event);
    if (kept.length > 0 || entries.length === 0) hooks[event] = kept.length === entries.length ? entries : kept;
  }
  const result: CopilotHooksFile = { ...config, hooks };
  if (Object.keys(hooks).length === 0) delete result.hooks;
  return { config: result, removed };
}

export function planInstall(root: string): InstallPlan {
  const path = join(root, CONFIG_FILE);
  const original = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  const config = original !== undefined ? parseHooksFile(original, path) : {};
  const { config: merged, added, upgraded } = mergeHooks(config);
  if (added.length === 0 && upgraded.length === 0) return { file: CONFIG_FILE, text: undefined, original, status: 'unchanged' };
  return { file: CONFIG_FILE, text: formatJson(merged, original), original, status: added.length === 0 ? 'upgraded' : 'installed' };
}

/** `text` without trace's entries; null when nothing trace did not put there is left (only `version` and no hooks). */
export function removeHooks(text: string, file: string): { text: string | null; removed: number } {
  const config = parseHooksFile(text, file);
  const removedCount = Object.values(config.hooks ?? {}).reduce((sum, entries) => sum + entries.filter(isOurs).length, 0);
  if (removedCount === 0) return { text, removed: 0 };
  const { config: rest } = withoutTraceHooks(config);
  const others = Object.keys(rest).filter((key) => !(key === 'version' && rest.version === 1));
  if (others.length === 0) return { text: null, removed: removedCount };
  return { text: formatJson(rest, text), removed: removedCount };
}

/** Whether `text` has every one of trace's entries in its current form. */
export function hooksInstalled(text: string, file: string): boolean {
  let config: CopilotHooksFile;
  try {
    config = parseHooksFile(text, file);
  } catch {
    return false;
  }
  return EVENTS.every(({ event, hook }) => (config.hooks?.[event] ?? []).some((entry) => isRecord(entry) && entry.type === 'command' && entry.bash === hookCommand(hook)));
}
