// The hot path needs one setting (the file size cap) without paying for yaml and zod on every call:
// the parsed config is cached in the state dir, keyed by the config file's size and mtime.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ConfigModule from '../config.js';
import type { ImportModule } from '../guard/settings.js';
import type { Logger } from '../log.js';
import { DEFAULT_MAX_FILE_BYTES } from './limits.js';

export interface CaptureSettings {
  maxFileBytes: number;
}

interface CacheFile {
  key: string;
  capture: CaptureSettings;
}

function cacheKey(root: string): string {
  const stat = statSync(join(root, '.chainloop.yml'), { throwIfNoEntry: false });
  return stat ? `${stat.size}:${stat.mtimeMs}` : 'none';
}

/** The cached settings while the config is unchanged since they were cached; undefined otherwise. */
export function cachedCaptureSettings(root: string, stateDir: string): CaptureSettings | undefined {
  try {
    const cached = JSON.parse(readFileSync(join(stateDir, 'config-cache.json'), 'utf8')) as CacheFile;
    if (cached.key === cacheKey(root) && typeof cached.capture?.maxFileBytes === 'number') return cached.capture;
  } catch {
    // No cache yet, or an unreadable one.
  }
  return undefined;
}

/** The settings from the config (loaded with `load`, which parses `.chainloop.yml`), cached for the next hook. */
export function refreshCaptureSettings(root: string, stateDir: string, logger: Logger, load: (root: string) => CaptureSettings): CaptureSettings {
  const key = cacheKey(root);
  try {
    const capture = load(root);
    writeFileSync(join(stateDir, 'config-cache.json'), JSON.stringify({ key, capture } satisfies CacheFile));
    return capture;
  } catch (error) {
    logger.log('warn', `using default capture settings: ${(error as Error).message}`);
    return { maxFileBytes: DEFAULT_MAX_FILE_BYTES };
  }
}

/** `importModule`: how the hook bundle, run from V8's code cache by bin/trace, loads the config module it leaves out. */
export async function captureSettings(root: string, stateDir: string, logger: Logger, importModule?: ImportModule): Promise<CaptureSettings> {
  const cached = cachedCaptureSettings(root, stateDir);
  if (cached) return cached;
  let load: (root: string) => CaptureSettings;
  try {
    const { loadConfig } = (importModule ? await importModule('../config.js') : await import('../config.js')) as typeof ConfigModule;
    load = (at) => loadConfig(at).trace.capture;
  } catch (error) {
    load = () => {
      throw error;
    };
  }
  return refreshCaptureSettings(root, stateDir, logger, load);
}
