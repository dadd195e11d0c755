// Installing trace's git hooks into the directory git really uses, chaining any hook already there.
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { TraceError } from '../errors.js';
import { git } from '../git.js';
import { readAsset } from './assets.js';

export const GIT_HOOKS = ['post-commit', 'post-rewrite', 'pre-push', 'reference-transaction'] as const;
export const HOOK_MARKER = 'chainloop-trace managed hook';
export const CHAINED_SUFFIX = '.pre-trace';

export interface HookInstall {
  name: string;
  path: string;
  /** An existing hook was kept and is run first. */
  chained: boolean;
  /** False when the same hook was already installed. */
  changed: boolean;
}

/** The hooks directory git uses for this work tree: `core.hooksPath` honoured, shared by linked worktrees. */
export async function hooksDirectory(cwd: string): Promise<string> {
  const path = (await git(['rev-parse', '--git-path', 'hooks'], { cwd })).trim();
  return isAbsolute(path) ? path : resolve(cwd, path);
}

export function isTraceHook(path: string): boolean {
  return existsSync(path) && readFileSync(path, 'utf8').includes(HOOK_MARKER);
}

export async function installGitHooks(dir: string): Promise<HookInstall[]> {
  await mkdir(dir, { recursive: true });
  const template = readAsset('git/hook.sh');
  return GIT_HOOKS.map((name) => {
    const path = join(dir, name);
    const script = template.replace('__HOOK_NAME__', name);
    const chainedPath = path + CHAINED_SUFFIX;
    if (isTraceHook(path)) {
      const changed = readFileSync(path, 'utf8') !== script;
      if (changed) writeFileSync(path, script, { mode: 0o755 });
      return { name, path, chained: existsSync(chainedPath), changed };
    }
    let chained = false;
    if (existsSync(path)) {
      if (existsSync(chainedPath)) {
        throw new TraceError('BAD_CONFIG', `cannot chain ${path}: ${chainedPath} already exists`, {
          hint: `merge or remove one of the two hooks, then run \`trace init\` again`,
        });
      }
      renameSync(path, chainedPath);
      chained = true;
    }
    writeFileSync(path, script, { mode: 0o755 });
    chmodSync(path, 0o755);
    return { name, path, chained, changed: true };
  });
}

export function uninstallGitHooks(dir: string): { name: string; removed: boolean; restored: boolean }[] {
  return GIT_HOOKS.map((name) => {
    const path = join(dir, name);
    if (!isTraceHook(path)) return { name, removed: false, restored: false };
    rmSync(path);
    const chainedPath = path + CHAINED_SUFFIX;
    const restored = existsSync(chainedPath);
    if (restored) renameSync(chainedPath, path);
    return { name, removed: true, restored };
  });
}

export function installedGitHooks(dir: string): string[] {
  return GIT_HOOKS.filter((name) => isTraceHook(join(dir, name)));
}
