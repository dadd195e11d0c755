// Merging trace's hooks into `.claude/settings.json` and taking them out again, keeping everything else.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TraceError } from '../../errors.js';
import { readAsset } from '../../install/assets.js';
import type { InstallPlan } from '../types.js';

/**
 * trace's hook commands, in both forms: the old bare `trace hook claude <event>` and the current
 * guarded `if command -v trace >/dev/null 2>&1; then trace hook claude <event>; fi`, which does
 * nothing for a teammate who has not installed trace. Group 1 is the `<agent> <event>` part.
 */
const TRACE_COMMAND = /^\s*(?:if command -v trace >\/dev\/null 2>&1; then )?trace hook ([a-z][a-z-]* [a-z][a-z-]*)(?:; fi)?\s*$/;

interface HookHandler {
  type?: string;
  command?: string;
  [key: string]: unknown;
}
interface HookGroup {
  matcher?: string;
  hooks?: HookHandler[];
  [key: string]: unknown;
}
export interface ClaudeSettings {
  hooks?: Record<string, HookGroup[]>;
  [key: string]: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every problem of the `hooks` value, as `path: message` (the shape Claude Code reads). */
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

export function parseSettings(text: string, file: string): ClaudeSettings {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new TraceError('BAD_CONFIG', `${file} is not valid JSON (${(cause as Error).message}); it was left untouched`, {
      cause,
      hint: `fix ${file} by hand, then run \`trace init\` again`,
    });
  }
  if (!isObject(value)) throw new TraceError('BAD_CONFIG', `${file} must hold a JSON object; it was left untouched`);
  const problems = hookProblems(value.hooks);
  if (problems.length > 0) {
    throw new TraceError('BAD_CONFIG', `${file} has invalid hooks; it was left untouched:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      hint: `fix the values named above in ${file} (see https://docs.claude.com/en/docs/claude-code/hooks), then run \`trace init\` again`,
    });
  }
  return value;
}

/** `<agent> <event>` when `command` is one of trace's hook commands, old or current form. */
export function traceHookOf(command: unknown): string | null {
  return typeof command === 'string' ? (TRACE_COMMAND.exec(command)?.[1] ?? null) : null;
}

const isOurs = (handler: HookHandler) => traceHookOf(handler.command) !== null;

/**
 * Adds every template group whose hook is not installed yet, and rewrites in place a trace command
 * of an older form (same hook, other text); returns the events it added to or upgraded.
 */
export function mergeHooks(settings: ClaudeSettings, template: ClaudeSettings): { settings: ClaudeSettings; added: string[]; upgraded: string[] } {
  const hooks: Record<string, HookGroup[]> = { ...(settings.hooks ?? {}) };
  const added: string[] = [];
  const upgraded: string[] = [];
  for (const [event, groups] of Object.entries(template.hooks ?? {})) {
    const existing = Array.isArray(hooks[event]) ? hooks[event].map((group) => ({ ...group, hooks: [...(group.hooks ?? [])] })) : [];
    for (const group of groups) {
      for (const wanted of group.hooks ?? []) {
        const which = traceHookOf(wanted.command);
        const holder = existing.find((other) => other.matcher === group.matcher && other.hooks.some((handler) => traceHookOf(handler.command) === which));
        if (!holder) {
          // The hook under an older matcher (PreToolUse once matched the file tools too): it moves to
          // the current one, so it neither runs twice nor for tools it no longer needs.
          const stale = existing.find((other) => other.hooks.some((handler) => traceHookOf(handler.command) === which));
          if (stale) {
            if (stale.hooks.every((handler) => traceHookOf(handler.command) === which)) {
              if (group.matcher === undefined) delete stale.matcher;
              else stale.matcher = group.matcher;
              stale.hooks = stale.hooks.map((handler) => ({ ...handler, command: wanted.command }));
            } else {
              // The group holds someone else's handlers too: theirs keep their matcher.
              stale.hooks = stale.hooks.filter((handler) => traceHookOf(handler.command) !== which);
              existing.push({ ...structuredClone(group), hooks: [structuredClone(wanted)] });
            }
            upgraded.push(event);
            continue;
          }
          existing.push({ ...structuredClone(group), hooks: [structuredClone(wanted)] });
          added.push(event);
          continue;
        }
        const index = holder.hooks.findIndex((handler) => traceHookOf(handler.command) === which);
        const current = holder.hooks[index]!;
        if (current.command !== wanted.command) {
          holder.hooks[index] = { ...current, command: wanted.command };
          upgraded.push(event);
        }
      }
    }
    hooks[event] = existing;
  }
  const changed = added.length > 0 || upgraded.length > 0;
  return { settings: changed ? { ...settings, hooks } : settings, added: [...new Set(added)], upgraded: [...new Set(upgraded)] };
}

/** Removes trace's handlers (and the groups and events they leave empty); returns the events it touched. */
export function removeHooks(settings: ClaudeSettings): { settings: ClaudeSettings; removed: string[] } {
  const removed: string[] = [];
  const hooks: Record<string, HookGroup[]> = {};
  for (const [event, groups] of Object.entries(settings.hooks ?? {})) {
    if (!Array.isArray(groups)) {
      hooks[event] = groups;
      continue;
    }
    const kept: HookGroup[] = [];
    for (const group of groups) {
      const handlers = Array.isArray(group.hooks) ? group.hooks : [];
      const remaining = handlers.filter((handler) => !isOurs(handler));
      if (remaining.length !== handlers.length) removed.push(event);
      if (remaining.length > 0 || handlers.length === 0) kept.push(remaining.length === handlers.length ? group : { ...group, hooks: remaining });
    }
    if (kept.length > 0) hooks[event] = kept;
  }
  const result: ClaudeSettings = { ...settings, hooks };
  if (Object.keys(hooks).length === 0) delete result.hooks;
  return { settings: result, removed: [...new Set(removed)] };
}

export function hasTraceHooks(settings: ClaudeSettings): boolean {
  return Object.values(settings.hooks ?? {}).some((groups) => Array.isArray(groups) && groups.some((group) => (group.hooks ?? []).some(isOurs)));
}

/** The indentation of a JSON text (two spaces when it has none to copy). */
export function jsonIndent(text: string): string {
  return /^[{[][^\n]*\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
}

/** `settings` as JSON in the style of `like` (its indentation, its final newline or none). */
export function formatSettings(settings: ClaudeSettings, like?: string): string {
  const text = JSON.stringify(settings, null, like === undefined ? 2 : jsonIndent(like));
  return like === undefined || like.endsWith('\n') ? `${text}\n` : text;
}

export const SETTINGS_FILE = '.claude/settings.json';

function template(): ClaudeSettings {
  return JSON.parse(readAsset('claude/settings.json')) as ClaudeSettings;
}

/** trace's hooks merged into the project's `.claude/settings.json`. */
export function planInstall(root: string): InstallPlan {
  const path = join(root, SETTINGS_FILE);
  const original = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  const settings: ClaudeSettings = original !== undefined ? parseSettings(original, path) : {};
  const { settings: merged, added, upgraded } = mergeHooks(settings, template());
  if (added.length === 0 && upgraded.length === 0) return { file: SETTINGS_FILE, text: undefined, original, status: 'unchanged' };
  return { file: SETTINGS_FILE, text: formatSettings(merged, original), original, status: added.length === 0 ? 'upgraded' : 'installed' };
}

/** The settings text without trace's hooks; null when nothing else is left in it. */
export function removeFromText(text: string, file: string): { text: string | null; removed: number } {
  const { settings, removed } = removeHooks(parseSettings(text, file));
  if (removed.length === 0) return { text, removed: 0 };
  return { text: Object.keys(settings).length === 0 ? null : formatSettings(settings, text), removed: removed.length };
}

/** Whether every hook of trace's template is there, current. */
export function hooksInstalled(text: string, file: string): boolean {
  const { added, upgraded } = mergeHooks(parseSettings(text, file), template());
  return added.length === 0 && upgraded.length === 0;
}
