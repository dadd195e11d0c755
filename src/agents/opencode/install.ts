// Installing trace into OpenCode: OpenCode has no hook config, it loads every plugin file of
// .opencode/plugins/. trace writes its own plugin there (template hooks/opencode/trace.js) and owns
// the whole file, so removing trace's hooks removes the file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TraceError } from '../../errors.js';
import { readAsset } from '../../install/assets.js';
import type { InstallPlan } from '../types.js';

export const PLUGIN_FILE = '.opencode/plugins/trace.ts';
/** The first line of every plugin trace writes; what tells trace's file from one a person wrote. */
export const PLUGIN_MARKER = '// chainloop-trace OpenCode plugin';

/** The plugin trace installs now. */
export function pluginText(): string {
  return readAsset('opencode/trace.js');
}

export function isTracePlugin(text: string): boolean {
  return text.startsWith(PLUGIN_MARKER);
}

export function planInstall(root: string): InstallPlan {
  const path = join(root, PLUGIN_FILE);
  let original: string | undefined;
  try {
    original = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new TraceError('BAD_CONFIG', `cannot read ${PLUGIN_FILE}: ${(error as Error).message}; it was left untouched`, { cause: error });
    }
  }
  const text = pluginText();
  if (original === undefined) return { file: PLUGIN_FILE, text, original, status: 'installed' };
  if (!isTracePlugin(original)) {
    throw new TraceError('BAD_CONFIG', `${PLUGIN_FILE} exists and was not written by trace; it was left untouched`, {
      hint: `rename it (OpenCode loads every file of .opencode/plugins/), then run \`trace init --opencode\` again`,
    });
  }
  if (original === text) return { file: PLUGIN_FILE, text: undefined, original, status: 'unchanged' };
  return { file: PLUGIN_FILE, text, original, status: 'upgraded' };
}

/** trace owns the whole plugin file: without trace's hooks nothing is left. */
export function removeHooks(text: string, _file: string): { text: string | null; removed: number } {
  if (!isTracePlugin(text)) return { text, removed: 0 };
  return { text: null, removed: 1 };
}

export function hooksInstalled(text: string, _file: string): boolean {
  return text === pluginText();
}
