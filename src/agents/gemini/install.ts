// Merging trace's hooks into `.gemini/settings.json` and taking them out again, keeping everything else.
// Gemini CLI's shape: `hooks.<Event>: [{ matcher?, sequential?, hooks: [{ name?, type: "command",
// command, timeout (ms), description? }] }]`. Older builds kept their switches inside `hooks`
// (`enabled`, `disabled`, `notifications`); they are left as they are. Hooks run unless
// `hooksConfig.enabled` (or the older `hooks.enabled`) is false.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TraceError } from '../../errors.js';
import { readAsset } from '../../install/assets.js';
import type { InstallPlan } from '../types.js';

export const CONFIG_FILE = '.gemini/settings.json';

/** Keys of `hooks` that are switches, not events (gemini-cli HOOKS_CONFIG_FIELDS). */
const SWITCHES = new Set(['enabled', 'disabled', 'notifications']);

/**
 * trace's Gemini hook commands, bare or guarded (`if command -v trace …; then …; fi`, which does
 * nothing for a teammate without trace), with or without `exec`. The template execs: Gemini CLI kills
 * the hook's shell at the timeout but waits for its stdout to close, so a trace left as the shell's
 * child would hold Gemini for as long as it hangs (test/agents/gemini-cli.test.ts). Group 1 is the event.
 */
const TRACE_COMMAND = /^\s*(?:if command -v trace >\/dev\/null 2>&1; then )?(?:exec )?trace hook gemini ([a-z][a-z-]*)(?:; fi)?\s*$/;

interface Handler {
  type?: string;
  command?: string;
  [key: string]: unknown;
}
interface Group {
  matcher?: string;
  hooks?: Handler[];
  [key: string]: unknown;
}
export interface GeminiSettings {
  hooks?: Record<string, unknown>;
  hooksConfig?: unknown;
  [key: string]: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The event trace's hook command runs for, or null for any other command. */
export function traceEventOf(command: unknown): string | null {
  return typeof command === 'string' ? (TRACE_COMMAND.exec(command)?.[1] ?? null) : null;
}

const isOurs = (handler: unknown): boolean => isObject(handler) && traceEventOf(handler.command) !== null;

/** Every problem of the `hooks` value, as `path: message` (the shape Gemini CLI reads). */
function hookProblems(hooks: unknown): string[] {
  if (hooks === undefined) return [];
  if (!isObject(hooks)) return ['hooks: must be an object of event names to arrays of hook definitions'];
  const problems: string[] = [];
  for (const [event, groups] of Object.entries(hooks)) {
    if (SWITCHES.has(event)) continue;
    const at = `hooks.${event}`;
    if (!Array.isArray(groups)) {
      problems.push(`${at}: must be an array of hook definitions ({ "matcher"?, "hooks": [...] }), found ${JSON.stringify(groups)}`);
      continue;
    }
    groups.forEach((group: unknown, index) => {
      if (!isObject(group)) return problems.push(`${at}[${index}]: must be an object, found ${JSON.stringify(group)}`);
      if (!Array.isArray(group.hooks)) return problems.push(`${at}[${index}].hooks: must be an array of hooks`);
      group.hooks.forEach((handler: unknown, h) => {
        if (!isObject(handler)) problems.push(`${at}[${index}].hooks[${h}]: must be an object, found ${JSON.stringify(handler)}`);
      });
    });
  }
  return problems;
}

export function parseSettings(text: string, file: string): GeminiSettings {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new TraceError('BAD_CONFIG', `${file} is not valid JSON (${(cause as Error).message}); it was left untouched`, {
      cause,
      hint: `fix ${file} by hand (trace does not edit a settings file with comments: move them out), then run \`trace init --gemini\` again`,
    });
  }
  if (!isObject(value)) throw new TraceError('BAD_CONFIG', `${file} must hold a JSON object; it was left untouched`);
  const problems = hookProblems(value.hooks);
  if (problems.length > 0) {
    throw new TraceError('BAD_CONFIG', `${file} has invalid hooks; it was left untouched:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      hint: `fix the values named above in ${file} (see https://geminicli.com/docs/hooks/reference), then run \`trace init --gemini\` again`,
    });
  }
  return value;
}

const groupsOf = (hooks: Record<string, unknown>, event: string): Group[] => (Array.isArray(hooks[event]) ? (hooks[event] as Group[]) : []);

/**
 * Adds every template hook not installed yet, and brings one that is installed in another form (an old
 * command, another timeout) to the template's; returns the events it added to or upgraded.
 */
export function mergeHooks(settings: GeminiSettings, template: GeminiSettings): { settings: GeminiSettings; added: string[]; upgraded: string[] } {
  const hooks: Record<string, unknown> = { ...(settings.hooks ?? {}) };
  const added = new Set<string>();
  const upgraded = new Set<string>();
  for (const [event, wantedGroups] of Object.entries(template.hooks ?? {})) {
    const groups = groupsOf(hooks, event).map((group) => ({ ...group, hooks: [...(group.hooks ?? [])] }));
    for (const wantedGroup of wantedGroups as Group[]) {
      for (const wanted of wantedGroup.hooks ?? []) {
        const which = traceEventOf(wanted.command);
        const holder = groups.find((group) => group.hooks.some((handler) => traceEventOf(handler.command) === which));
        if (!holder) {
          groups.push({ ...structuredClone(wantedGroup), hooks: [structuredClone(wanted)] });
          added.add(event);
          continue;
        }
        const index = holder.hooks.findIndex((handler) => traceEventOf(handler.command) === which);
        const current = holder.hooks[index]!;
        if (current.command !== wanted.command || current.timeout !== wanted.timeout || holder.matcher !== wantedGroup.matcher) {
          holder.hooks[index] = { ...current, command: wanted.command, timeout: wanted.timeout };
          if (holder.matcher !== wantedGroup.matcher) {
            if (holder.hooks.length === 1) holder.matcher = wantedGroup.matcher;
            else {
              // Someone else's hooks share the group: trace's moves to a group of its own.
              holder.hooks.splice(index, 1);
              groups.push({ ...structuredClone(wantedGroup), hooks: [structuredClone(wanted)] });
            }
          }
          upgraded.add(event);
        }
      }
    }
    hooks[event] = groups;
  }
  const changed = added.size > 0 || upgraded.size > 0;
  return { settings: changed ? { ...settings, hooks } : settings, added: [...added], upgraded: [...upgraded] };
}

/** Removes trace's hooks (and the groups and events they leave empty); returns the events it touched. */
export function removeTraceHooks(settings: GeminiSettings): { settings: GeminiSettings; removed: string[] } {
  if (!isObject(settings.hooks)) return { settings, removed: [] };
  const removed: string[] = [];
  const hooks: Record<string, unknown> = {};
  for (const [event, groups] of Object.entries(settings.hooks)) {
    if (!Array.isArray(groups)) {
      hooks[event] = groups;
      continue;
    }
    const kept: Group[] = [];
    for (const group of groups as Group[]) {
      const handlers = Array.isArray(group.hooks) ? group.hooks : [];
      const remaining = handlers.filter((handler) => !isOurs(handler));
      if (remaining.length !== handlers.length) removed.push(event);
      if (remaining.length > 0 || handlers.length === 0) kept.push(remaining.length === handlers.length ? group : { ...group, hooks: remaining });
    }
    if (kept.length > 0 || groups.length === 0) hooks[event] = kept;
  }
  if (removed.length === 0) return { settings, removed };
  const result: GeminiSettings = { ...settings, hooks };
  if (Object.keys(hooks).length === 0) delete result.hooks;
  return { settings: result, removed: [...new Set(removed)] };
}

/** Whether every hook of the template is installed, in its current form. */
export function hasAllHooks(settings: GeminiSettings, template: GeminiSettings): boolean {
  return mergeHooks(settings, template).settings === settings;
}

/** False when the settings switch Gemini CLI's hooks off (then installed hooks never run). */
export function hooksEnabled(settings: GeminiSettings): boolean {
  const config = settings.hooksConfig;
  if (isObject(config) && config.enabled === false) return false;
  return !(isObject(settings.hooks) && settings.hooks.enabled === false);
}

/** The indentation of a JSON text (two spaces when it has none to copy). */
function jsonIndent(text: string): string {
  return /^[{[][^\n]*\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
}

/** `settings` as JSON in the style of `like` (its indentation, its final newline or none). */
export function formatSettings(settings: GeminiSettings, like?: string): string {
  const text = JSON.stringify(settings, null, like === undefined ? 2 : jsonIndent(like));
  return like === undefined || like.endsWith('\n') ? `${text}\n` : text;
}

export function template(): GeminiSettings {
  return JSON.parse(readAsset('gemini/settings.json')) as GeminiSettings;
}

export function planInstall(root: string): InstallPlan {
  const path = join(root, CONFIG_FILE);
  const original = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  const settings = original !== undefined ? parseSettings(original, path) : {};
  const { settings: merged, added, upgraded } = mergeHooks(settings, template());
  if (added.length === 0 && upgraded.length === 0) return { file: CONFIG_FILE, text: undefined, original, status: 'unchanged' };
  return { file: CONFIG_FILE, text: formatSettings(merged, original), original, status: added.length === 0 ? 'upgraded' : 'installed' };
}

export function removeHooks(text: string, file: string): { text: string | null; removed: number } {
  const { settings, removed } = removeTraceHooks(parseSettings(text, file));
  if (removed.length === 0) return { text, removed: 0 };
  return { text: Object.keys(settings).length === 0 ? null : formatSettings(settings, text), removed: removed.length };
}

export function hooksInstalled(text: string, file: string): boolean {
  return hasAllHooks(parseSettings(text, file), template());
}
