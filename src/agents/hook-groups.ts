// Hook configs in Claude Code's shape, which Codex CLI and Gemini CLI took over: `hooks` maps each
// event to groups `{ matcher?, hooks: [{ type: "command", command, timeout? }] }`. Merging trace's
// hooks in and taking them out again, keeping everything else, for each of those agents.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TraceError } from '../errors.js';
import type { InstallPlan } from './types.js';
import { isRecord } from './payload.js';

interface Handler {
  type?: string;
  command?: string;
  timeout?: number;
  [key: string]: unknown;
}
interface Group {
  matcher?: string;
  hooks?: Handler[];
  [key: string]: unknown;
}
export interface HookGroupsConfig {
  hooks?: Record<string, unknown>;
  [key: string]: unknown;
}

/** One agent's file of this shape. */
export interface HookGroupsFormat {
  /** The agent of trace's commands in it: `trace hook <hookName> <event>`. */
  hookName: string;
  /** Repository-relative. */
  file: string;
  /** Where the agent documents the file, for the hint of a file trace cannot read. */
  docs: string;
  /** trace's hooks, as a config of their own. */
  template(): HookGroupsConfig;
  /** Keys of `hooks` that are settings, not events (Gemini's `enabled`, `disabled`, `notifications`). */
  switches?: readonly string[];
}


/** How `traceEventOf` names a spooling command's event (`spooled:post-tool-use`), apart from the Node hook of the same event. */
export const SPOOLED = 'spooled:';

/**
 * A spooling command (see capture/spool.ts): a shell step, no Node, that renames the payload into
 * `<git common dir>/chainloop-trace/spool/` as `<ns>.<pid>.<agent>.<event>.json` (or, when that
 * folder is missing, as made by a trace that does not take the spool in, runs `trace hook` instead).
 */
const SPOOL_COMMAND = /^\s*command -v trace >\/dev\/null 2>&1 && .*\/spool\/\$\(date \+%s%N\)\.\$\$\.([a-z][a-z-]*)\.([a-z][a-z-]*)\.json".*; exit 0\s*$/;

/** How `traceEventOf` names a command that sources a lane (see guard/lane.ts) before it runs `trace hook`. */
export const LANED = 'laned:';

/** A laned command: `command -v trace … || exit 0; f=<lane file>; [ -f "$f" ] && . "$f"; exec trace hook <agent> <event>`. */
const LANE_COMMAND = /^\s*command -v trace >\/dev\/null 2>&1 \|\| exit 0; f=.*\/lanes\/[a-z-]+\.sh"; \[ -f "\$f" \] && \. "\$f"; exec trace hook ([a-z][a-z-]*) ([a-z][a-z-]*)\s*$/;

/**
 * The event of one of trace's commands for `hookName`, in the old bare form `trace hook <agent> <event>`
 * or the guarded one (`if command -v trace …; then …; fi`, which does nothing for a teammate without
 * trace), with or without `exec` (Gemini's template execs: Gemini CLI kills the hook's shell at the
 * timeout but waits for its stdout to close, so a trace left as the shell's child would hold it),
 * a spooling command (`spooled:<event>`) or a laned one (`laned:<event>`); null for any other command.
 */
export function traceEventOf(command: unknown, hookName: string): string | null {
  if (typeof command !== 'string') return null;
  const match = /^\s*(?:if command -v trace >\/dev\/null 2>&1; then )?(?:exec )?trace hook ([a-z][a-z-]*) ([a-z][a-z-]*)(?:; fi)?\s*$/.exec(command);
  if (match) return match[1] === hookName ? match[2]! : null;
  const spooled = SPOOL_COMMAND.exec(command);
  if (spooled) return spooled[1] === hookName ? `${SPOOLED}${spooled[2]!}` : null;
  const laned = LANE_COMMAND.exec(command);
  return laned && laned[1] === hookName ? `${LANED}${laned[2]!}` : null;
}

/** Every problem of the `hooks` value, as `path: message`. */
function hookProblems(hooks: unknown, switches: readonly string[]): string[] {
  if (hooks === undefined) return [];
  if (!isRecord(hooks)) return ['hooks: must be an object of event names to arrays of hook groups'];
  const problems: string[] = [];
  for (const [event, groups] of Object.entries(hooks)) {
    if (switches.includes(event)) continue;
    const at = `hooks.${event}`;
    if (!Array.isArray(groups)) {
      problems.push(`${at}: must be an array of hook groups ({ "matcher"?, "hooks": [...] }), found ${JSON.stringify(groups)}`);
      continue;
    }
    groups.forEach((group: unknown, index) => {
      if (!isRecord(group)) return problems.push(`${at}[${index}]: must be an object, found ${JSON.stringify(group)}`);
      if (!Array.isArray(group.hooks)) return problems.push(`${at}[${index}].hooks: must be an array of hook handlers`);
      group.hooks.forEach((handler: unknown, h) => {
        if (!isRecord(handler)) problems.push(`${at}[${index}].hooks[${h}]: must be an object, found ${JSON.stringify(handler)}`);
      });
    });
  }
  return problems;
}

/** The file's config; a file that is not JSON or whose hooks have the wrong shape is refused, naming every problem. */
export function parseHookGroups(text: string, file: string, format: Pick<HookGroupsFormat, 'hookName' | 'docs' | 'switches'>): HookGroupsConfig {
  const fix = `run \`trace init --${format.hookName}\` again`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new TraceError('BAD_CONFIG', `${file} is not valid JSON (${(cause as Error).message}); it was left untouched`, {
      cause,
      hint: `fix ${file} by hand (trace edits plain JSON only: move any comments out), then ${fix}`,
    });
  }
  if (!isRecord(value)) throw new TraceError('BAD_CONFIG', `${file} must hold a JSON object; it was left untouched`);
  const problems = hookProblems(value.hooks, format.switches ?? []);
  if (problems.length > 0) {
    throw new TraceError('BAD_CONFIG', `${file} has invalid hooks; it was left untouched:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      hint: `fix the values named above in ${file} (see ${format.docs}), then ${fix}`,
    });
  }
  return value;
}

const groupsOf = (hooks: Record<string, unknown>, event: string): Group[] => (Array.isArray(hooks[event]) ? (hooks[event] as Group[]) : []);

/**
 * Adds every template hook not installed yet, and brings one installed in another form (an old
 * command, another timeout or matcher) to the template's; returns the events it added to or upgraded.
 * The same object comes back when nothing changes.
 */
export function mergeHookGroups(config: HookGroupsConfig, template: HookGroupsConfig, hookName: string): { config: HookGroupsConfig; added: string[]; upgraded: string[] } {
  const hooks: Record<string, unknown> = { ...(config.hooks ?? {}) };
  const added = new Set<string>();
  const upgraded = new Set<string>();
  const ours = (handler: Handler, which: string | null) => traceEventOf(handler.command, hookName) === which;
  for (const [event, wantedGroups] of Object.entries(template.hooks ?? {})) {
    const groups = groupsOf(hooks, event).map((group) => ({ ...group, hooks: [...(group.hooks ?? [])] }));
    for (const wantedGroup of wantedGroups as Group[]) {
      for (const wanted of wantedGroup.hooks ?? []) {
        const which = traceEventOf(wanted.command, hookName);
        const holder = groups.find((group) => group.hooks.some((handler) => ours(handler, which)));
        if (!holder) {
          groups.push({ ...structuredClone(wantedGroup), hooks: [structuredClone(wanted)] });
          added.add(event);
          continue;
        }
        const index = holder.hooks.findIndex((handler) => ours(handler, which));
        const current = holder.hooks[index]!;
        if (current.command === wanted.command && current.timeout === wanted.timeout && holder.matcher === wantedGroup.matcher) continue;
        const handler = { ...current, command: wanted.command, ...(wanted.timeout !== undefined ? { timeout: wanted.timeout } : {}) };
        if (holder.matcher === wantedGroup.matcher || holder.hooks.length === 1) {
          holder.hooks[index] = handler;
          if (wantedGroup.matcher === undefined) delete holder.matcher;
          else holder.matcher = wantedGroup.matcher;
        } else {
          // Someone else's hooks share the group: trace's moves to a group of its own.
          holder.hooks.splice(index, 1);
          groups.push({ ...structuredClone(wantedGroup), hooks: [handler] });
        }
        upgraded.add(event);
      }
    }
    hooks[event] = groups;
  }
  if (added.size === 0 && upgraded.size === 0) return { config, added: [], upgraded: [] };
  return { config: { ...config, hooks }, added: [...added], upgraded: [...upgraded] };
}

/** Removes trace's handlers (and the groups and events they leave empty); returns the events it touched and how many handlers it took out. */
export function removeHookGroups(config: HookGroupsConfig, hookName: string): { config: HookGroupsConfig; removed: string[]; handlers: number } {
  if (!isRecord(config.hooks)) return { config, removed: [], handlers: 0 };
  const removed = new Set<string>();
  let count = 0;
  const hooks: Record<string, unknown> = {};
  for (const [event, groups] of Object.entries(config.hooks)) {
    if (!Array.isArray(groups)) {
      hooks[event] = groups;
      continue;
    }
    const kept: Group[] = [];
    for (const group of groups as Group[]) {
      const handlers = Array.isArray(group.hooks) ? group.hooks : [];
      const remaining = handlers.filter((handler) => traceEventOf(handler.command, hookName) === null);
      if (remaining.length !== handlers.length) removed.add(event);
      count += handlers.length - remaining.length;
      if (remaining.length > 0 || handlers.length === 0) kept.push(remaining.length === handlers.length ? group : { ...group, hooks: remaining });
    }
    if (kept.length > 0 || groups.length === 0) hooks[event] = kept;
  }
  if (removed.size === 0) return { config, removed: [], handlers: 0 };
  const result: HookGroupsConfig = { ...config, hooks };
  if (Object.keys(hooks).length === 0) delete result.hooks;
  return { config: result, removed: [...removed], handlers: count };
}

/** The indentation of a JSON text (two spaces when it has none to copy). */
export function jsonIndent(text: string): string {
  return /^[{[][^\n]*\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
}

/** `value` as JSON in the style of `like` (its indentation, its final newline or none). */
export function formatJson(value: unknown, like?: string): string {
  const text = JSON.stringify(value, null, like === undefined ? 2 : jsonIndent(like));
  return like === undefined || like.endsWith('\n') ? `${text}\n` : text;
}

/** The file's text, undefined when there is none; any other failure to read it is refused. */
export function readConfigText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new TraceError('BAD_CONFIG', `cannot read ${path}: ${(error as Error).message}; it was left untouched`, { cause: error });
  }
}

/** `planInstall`, `removeHooks` and `hooksInstalled` of an agent whose config has this shape. */
export function hookGroupsInstaller(format: HookGroupsFormat): {
  planInstallText: (original: string | undefined, path?: string) => InstallPlan;
  planInstall: (root: string) => InstallPlan;
  removeHooks: (text: string, file: string) => { text: string | null; removed: number };
  hooksInstalled: (text: string, file: string) => boolean;
} {
  const planInstallText = (original: string | undefined, path = format.file): InstallPlan => {
    const config = original === undefined ? {} : parseHookGroups(original, path, format);
    const { config: merged, added, upgraded } = mergeHookGroups(config, format.template(), format.hookName);
    if (added.length === 0 && upgraded.length === 0) return { file: format.file, text: undefined, original, status: 'unchanged' };
    return { file: format.file, text: formatJson(merged, original), original, status: added.length === 0 ? 'upgraded' : 'installed' };
  };
  return {
    planInstallText,
    planInstall: (root) => {
      const path = join(root, format.file);
      return planInstallText(readConfigText(path), path);
    },
    removeHooks: (text, file) => {
      const { config, handlers } = removeHookGroups(parseHookGroups(text, file, format), format.hookName);
      if (handlers === 0) return { text, removed: 0 };
      return { text: Object.keys(config).length === 0 ? null : formatJson(config, text), removed: handlers };
    },
    hooksInstalled: (text, file) => {
      const { added, upgraded } = mergeHookGroups(parseHookGroups(text, file, format), format.template(), format.hookName);
      return added.length === 0 && upgraded.length === 0;
    },
  };
}
