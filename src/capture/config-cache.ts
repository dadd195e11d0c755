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

/** `importModule`: how the hook bundle, run from V8's code cache by bin/trace, loads the config module it leaves out. */
export async function captureSettings(root: string, stateDir: string, logger: Logger, importModule?: ImportModule): Promise<CaptureSettings> {
  const stat = statSync(join(root, '.chainloop.yml'), { throwIfNoEntry: false });
  const key = stat ? `${stat.size}:${stat.mtimeMs}` : 'none';
  const cachePath = join(stateDir, 'config-cache.json');
  try {
    const cached = JSON.parse(readFileSync(cachePath, 'utf8')) as CacheFile;
    if (cached.key === key && typeof cached.capture?.maxFileBytes === 'number') return cached.capture;
  } catch {
    // No cache yet, or an unreadable one: parse the config below.
  }
  try {
    const { loadConfig } = (importModule ? await importModule('../config.js') : await import('../config.js')) as typeof ConfigModule;
    const capture = loadConfig(root).trace.capture;
    writeFileSync(cachePath, JSON.stringify({ key, capture } satisfies CacheFile));
    return capture;
  } catch (error) {
    logger.log('warn', `using default capture settings: ${(error as Error).message}`);
    return { maxFileBytes: DEFAULT_MAX_FILE_BYTES };
  }
}
