// Installing trace's git hooks into the directory git really uses, chaining any hook already there.
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { TraceError } from '../errors.js';
import { git } from '../git.js';
import { readAsset } from './assets.js';

export const GIT_HOOKS = ['post-commit', 'post-rewrite', 'pre-push', 'reference-transaction'] as const;
export const HOOK_MARKER = 'chainloop-trace managed hook';
export const CHAINED_SUFFIX = '.pre-trace';
/** Where hook.sh sets trace's hooks aside while a rebase runs (git skips them): made by install. */
export const PAUSED_DIR = '.trace-paused';
/** Where older hook scripts set them aside: `<name>.paused` beside the hook. */
const PAUSED_SUFFIX = '.paused';

/** Trace's copy of a hook a rebase set aside, in either place, when there is one. */
export function setAsideHook(dir: string, name: string): string | undefined {
  return [join(dir, PAUSED_DIR, name), join(dir, name + PAUSED_SUFFIX)].find((path) => isTraceHook(path));
}

/** Puts back every hook a rebase set aside (a copy installed meanwhile wins); returns their names. */
export function putBackSetAsideHooks(dir: string, names: readonly string[] = GIT_HOOKS): string[] {
  return names.filter((name) => {
    const paused = setAsideHook(dir, name);
    if (paused === undefined) return false;
    const path = join(dir, name);
    if (existsSync(path)) rmSync(paused);
    else renameSync(paused, path);
    return true;
  });
}

/** pause_hooks (hook.sh) sets hooks aside only in a repository's own `.git/hooks`. */
const pausable = (dir: string): boolean => basename(dir) === 'hooks' && basename(dirname(dir)) === '.git';

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

/** A hook script as this version of trace writes it. */
export function hookScript(name: string): string {
  return readAsset('git/hook.sh').replace('__HOOK_NAME__', name);
}

/** Throws when a hook cannot be installed in `dir`, before anything is written. */
export function checkGitHooks(dir: string): void {
  for (const name of GIT_HOOKS) {
    const path = join(dir, name);
    const chainedPath = path + CHAINED_SUFFIX;
    if (!isTraceHook(path) && existsSync(path) && existsSync(chainedPath)) {
      throw new TraceError('BAD_CONFIG', `cannot chain ${path}: ${chainedPath} already exists; nothing was changed`, {
        hint: `merge or remove one of the two hooks, then run \`trace init\` again`,
      });
    }
  }
}

/** `dir` relative to the work tree when it is inside it (a versioned hooks folder such as husky's), else null. */
export function hooksFolderInWorkTree(root: string, dir: string): string | null {
  const path = relative(root, dir);
  return path !== '' && !path.startsWith('..') && !isAbsolute(path) && !path.split(/[\\/]/).includes('.git') ? path : null;
}

/** The hook manager that owns a hooks folder, when one can be recognised. */
export function hookManager(root: string, dir: string): 'husky' | 'lefthook' | null {
  if (dir.split(/[\\/]/).includes('.husky')) return 'husky';
  if (['lefthook.yml', '.lefthook.yml', 'lefthook.yaml', '.lefthook.yaml'].some((file) => existsSync(join(root, file)))) return 'lefthook';
  for (const name of GIT_HOOKS) {
    const path = join(dir, name + CHAINED_SUFFIX);
    if (existsSync(path) && /lefthook/.test(readFileSync(path, 'utf8'))) return 'lefthook';
  }
  return null;
}

export async function installGitHooks(dir: string): Promise<HookInstall[]> {
  await mkdir(dir, { recursive: true });
  // A hook set aside by a rebase that never ended comes back as installed now.
  putBackSetAsideHooks(dir);
  if (pausable(dir)) await mkdir(join(dir, PAUSED_DIR), { recursive: true });
  return GIT_HOOKS.map((name) => {
    const path = join(dir, name);
    const script = hookScript(name);
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
  putBackSetAsideHooks(dir);
  rmSync(join(dir, PAUSED_DIR), { recursive: true, force: true });
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
  return GIT_HOOKS.filter((name) => isTraceHook(join(dir, name)) || setAsideHook(dir, name) !== undefined);
}
