// The guard's settings on the hot path: parsed once by the cold side (yaml + zod, via config.js),
// cached in the state dir keyed by .chainloop.yml's size and mtime, so a guarded call reads one small
// JSON file. An invalid config is cached too, with whether it asks for `enforce` (then the guard
// fails closed), read from the raw text since the config as a whole does not parse.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ConfigModule from '../config.js';
import type { GuardSettings } from './engine.js';

export interface LoadedGuard {
  settings: GuardSettings;
  redaction: { patterns: { id: string; pattern: string }[] };
}

export type GuardSettingsResult = { ok: true; loaded: LoadedGuard } | { ok: false; error: string; enforce: boolean };

interface CacheFile {
  key: string;
  version: 1;
  result: GuardSettingsResult;
}

const CACHE_FILE = 'guard-config-cache.json';

/** Whether the raw text asks for the guard to enforce (for a config that does not validate). */
export function saysEnforce(text: string): boolean {
  return /^\s*mode:\s*["']?enforce\b/m.test(text) && /^\s*guard:/m.test(text);
}

/** The settings from a parsed config (cold side: `trace guard check/test` and the cache fill). */
export function settingsFromConfig(config: { trace: { guard: GuardSettings['guard']; policies: { forbiddenCommands: GuardSettings['forbiddenCommands'] }; redaction: LoadedGuard['redaction'] } }): LoadedGuard {
  return { settings: { guard: config.trace.guard, forbiddenCommands: config.trace.policies.forbiddenCommands }, redaction: { patterns: config.trace.redaction.patterns } };
}

/** Loads one of trace's ES modules the hook bundle leaves out, by its path from the bundle (dist/commands/). */
export type ImportModule = (specifier: string) => Promise<unknown>;

/**
 * Parses .chainloop.yml with the full schema (loads yaml and zod). Only a config that does not validate
 * is a result; anything else (the schema module failing to load) throws, so it is never cached.
 */
export async function parseGuardSettings(root: string, importModule?: ImportModule): Promise<GuardSettingsResult> {
  const { loadConfig } = (importModule ? await importModule('../config.js') : await import('../config.js')) as typeof ConfigModule;
  try {
    return { ok: true, loaded: settingsFromConfig(loadConfig(root)) };
  } catch (error) {
    // TraceError BAD_CONFIG, from dist/config.js's own copy of the class.
    if ((error as { code?: unknown }).code !== 'BAD_CONFIG') throw error;
    let text = '';
    try {
      text = readFileSync(join(root, '.chainloop.yml'), 'utf8');
    } catch {
      // No file: nothing asks for enforce.
    }
    return { ok: false, error: (error as Error).message, enforce: saysEnforce(text) };
  }
}

/**
 * The settings for a guarded call: from the cache when the config is unchanged, else parsed (and
 * cached when `stateDir` exists); `key` names the config they come from (size, mtime, inode).
 */
export async function guardSettings(root: string, stateDir: string | undefined, importModule?: ImportModule): Promise<{ key: string; result: GuardSettingsResult }> {
  const stat = statSync(join(root, '.chainloop.yml'), { throwIfNoEntry: false });
  const key = stat ? `${stat.size}:${stat.mtimeMs}:${stat.ino}` : 'none';
  const cachePath = stateDir === undefined ? undefined : join(stateDir, CACHE_FILE);
  if (cachePath !== undefined) {
    try {
      const cached = JSON.parse(readFileSync(cachePath, 'utf8')) as CacheFile;
      if (cached.key === key && cached.version === 1) return { key, result: cached.result };
    } catch {
      // No cache yet, or an unreadable one: parse below.
    }
  }
  const result = await parseGuardSettings(root, importModule);
  if (cachePath !== undefined) {
    try {
      writeFileSync(cachePath, JSON.stringify({ key, version: 1, result } satisfies CacheFile));
    } catch {
      // A read-only state dir: parse again next time.
    }
  }
  return { key, result };
}
