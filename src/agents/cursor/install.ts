// Merging trace's hooks into `.cursor/hooks.json` (`{"version":1,"hooks":{"<event>":[{command,…}]}}`)
// and taking them out again, keeping everything else.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TraceError } from '../../errors.js';
import { readAsset } from '../../install/assets.js';
import { formatJson } from '../hook-groups.js';
import type { InstallPlan } from '../types.js';
import { isRecord } from '../payload.js';

export const CONFIG_FILE = '.cursor/hooks.json';

/**
 * trace's hook commands, bare (`trace hook cursor <event>`) or guarded (`if command -v trace …; then
 * trace hook cursor <event>; fi`, which does nothing for a teammate without trace). Group 1: `<agent> <event>`.
 */
const TRACE_COMMAND = /^\s*(?:if command -v trace >\/dev\/null 2>&1; then )?trace hook ([a-z][a-z-]* [a-z][a-z-]*)(?:; fi)?\s*$/;

export interface HookEntry {
  command?: string;
  matcher?: string;
  timeout?: number;
  [key: string]: unknown;
}
export interface CursorHooksFile {
  version?: number;
  hooks?: Record<string, HookEntry[]>;
  [key: string]: unknown;
}


/** `<agent> <event>` when `command` is one of trace's hook commands, bare or guarded. */
export function traceHookOf(command: unknown): string | null {
  return typeof command === 'string' ? (TRACE_COMMAND.exec(command)?.[1] ?? null) : null;
}

const isOurs = (entry: unknown): boolean => isRecord(entry) && traceHookOf(entry.command) !== null;

/** Every problem of the file's shape, as `path: message` (Cursor ignores the whole file for one bad entry). */
function problemsOf(value: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (value.version !== undefined && value.version !== 1) problems.push(`version: Cursor reads version 1, found ${JSON.stringify(value.version)}`);
  const hooks = value.hooks;
  if (hooks === undefined) return problems;
  if (!isRecord(hooks)) return [...problems, 'hooks: must be an object of event names to arrays of hooks'];
  for (const [event, entries] of Object.entries(hooks)) {
    if (!Array.isArray(entries)) {
      problems.push(`hooks.${event}: must be an array of hooks ({ "command": ... }), found ${JSON.stringify(entries)}`);
      continue;
    }
    entries.forEach((entry: unknown, index) => {
      if (!isRecord(entry)) problems.push(`hooks.${event}[${index}]: must be an object, found ${JSON.stringify(entry)}`);
    });
  }
  return problems;
}

export function parseHooksFile(text: string, file: string): CursorHooksFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new TraceError('BAD_CONFIG', `${file} is not valid JSON (${(cause as Error).message}); it was left untouched`, { cause, hint: `fix ${file} by hand, then run \`trace init --cursor\` again` });
  }
  if (!isRecord(value)) throw new TraceError('BAD_CONFIG', `${file} must hold a JSON object; it was left untouched`, { hint: `fix ${file} by hand, then run \`trace init --cursor\` again` });
  const problems = problemsOf(value);
  if (problems.length > 0) {
    throw new TraceError('BAD_CONFIG', `${file} has invalid hooks; it was left untouched:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      hint: `fix the values named above in ${file} (see https://cursor.com/docs/agent/hooks), then run \`trace init --cursor\` again`,
    });
  }
  return value;
}

export function template(): CursorHooksFile {
  return JSON.parse(readAsset('cursor/hooks.json')) as CursorHooksFile;
}

const sameEntry = (a: HookEntry, b: HookEntry) => a.command === b.command && a.matcher === b.matcher && a.timeout === b.timeout;

/**
 * Adds each template hook that is not installed yet (at the end of its event's list) and rewrites in
 * place one of trace's entries whose command, matcher or timeout is out of date; returns the events
 * it added to or upgraded. A file without `version` gets `"version": 1`, which Cursor requires.
 */
export function mergeHooks(config: CursorHooksFile, wanted: CursorHooksFile): { config: CursorHooksFile; added: string[]; upgraded: string[] } {
  const hooks: Record<string, HookEntry[]> = { ...(config.hooks ?? {}) };
  const added: string[] = [];
  const upgraded: string[] = [];
  for (const [event, entries] of Object.entries(wanted.hooks ?? {})) {
    const existing = [...(hooks[event] ?? [])];
    for (const entry of entries) {
      const which = traceHookOf(entry.command);
      const index = existing.findIndex((other) => traceHookOf(other.command) === which);
      if (index < 0) {
        existing.push(structuredClone(entry));
        added.push(event);
      } else if (!sameEntry(existing[index]!, entry)) {
        // The user's other keys (failClosed, loop_limit) stay; command, matcher and timeout are trace's.
        const current = { ...existing[index]! };
        delete current.matcher;
        delete current.timeout;
        existing[index] = { ...current, ...structuredClone(entry) };
        upgraded.push(event);
      }
    }
    hooks[event] = existing;
  }
  if (added.length === 0 && upgraded.length === 0) return { config, added, upgraded };
  const merged: CursorHooksFile = config.version === undefined ? { version: 1, ...config, hooks } : { ...config, hooks };
  return { config: merged, added: [...new Set(added)], upgraded: [...new Set(upgraded)] };
}

/** Removes trace's entries (and the events they leave empty); returns the events it touched. */
export function removeHooks(config: CursorHooksFile): { config: CursorHooksFile; removed: string[] } {
  const removed: string[] = [];
  const hooks: Record<string, HookEntry[]> = {};
  for (const [event, entries] of Object.entries(config.hooks ?? {})) {
    const kept = entries.filter((entry) => !isOurs(entry));
    if (kept.length !== entries.length) removed.push(event);
    if (kept.length > 0 || entries.length === 0) hooks[event] = kept;
  }
  if (removed.length === 0) return { config, removed };
  return { config: { ...config, hooks }, removed };
}

/** Whether nothing but what trace writes is left: `version` and an empty `hooks`. */
function leftEmpty(config: CursorHooksFile): boolean {
  return Object.keys(config).every((key) => key === 'version' || (key === 'hooks' && Object.keys(config.hooks ?? {}).length === 0));
}

export function planInstall(root: string): InstallPlan {
  const path = join(root, CONFIG_FILE);
  const original = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  const config = original !== undefined && original.trim() !== '' ? parseHooksFile(original, path) : {};
  const { config: merged, added, upgraded } = mergeHooks(config, template());
  if (added.length === 0 && upgraded.length === 0) return { file: CONFIG_FILE, text: undefined, original, status: 'unchanged' };
  return { file: CONFIG_FILE, text: formatJson(merged, original?.trim() ? original : undefined), original, status: added.length === 0 ? 'upgraded' : 'installed' };
}

/** `text` without trace's entries; null when nothing trace did not put there is left (the file can go). */
export function removeHooksText(text: string, file: string): { text: string | null; removed: number } {
  const config = parseHooksFile(text, file);
  const { config: rest, removed } = removeHooks(config);
  const count = (c: CursorHooksFile) => Object.values(c.hooks ?? {}).reduce((sum, entries) => sum + entries.length, 0);
  const entries = count(config) - count(rest);
  if (leftEmpty(rest)) return { text: null, removed: entries };
  return { text: removed.length === 0 ? text : formatJson(rest, text), removed: entries };
}

/** Whether the file has every hook of the template, current. */
export function hooksInstalled(text: string, file: string): boolean {
  let config: CursorHooksFile;
  try {
    config = parseHooksFile(text, file);
  } catch {
    return false;
  }
  const { added, upgraded } = mergeHooks(config, template());
  return added.length === 0 && upgraded.length === 0;
}
