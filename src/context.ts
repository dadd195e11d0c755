// What every command but the hook needs: the repository as git sees it, its state and its store.
import { isAbsolute, resolve } from 'node:path';
import { TraceError } from './errors.js';
import { git } from './git.js';
import { isInitialised, type Repo, repoFromGitDirs } from './repo.js';

export async function openRepo(cwd: string): Promise<Repo> {
  let out: string;
  try {
    out = await git(['rev-parse', '--show-toplevel', '--absolute-git-dir', '--git-common-dir'], { cwd });
  } catch (cause) {
    throw new TraceError('NOT_A_REPOSITORY', `${cwd} is not inside a git work tree`, { cause, hint: 'run trace inside your repository, or `git init` first' });
  }
  const [root, gitDir, commonDir] = out.trim().split('\n') as [string, string, string];
  return repoFromGitDirs(root, gitDir, isAbsolute(commonDir) ? commonDir : resolve(cwd, commonDir));
}

export function requireInitialised(repo: Repo): void {
  if (!isInitialised(repo)) {
    throw new TraceError('NOT_INITIALISED', `trace is not set up in ${repo.root}`, { hint: 'run `trace init` in the repository' });
  }
}

/**
 * The repository, with trace's local part set up first when the committed `.chainloop.yml` says it
 * is traced and this clone has none yet (unless the person opted out with `trace.autoInit false`).
 */
export async function openRepoSettingUp(cwd: string): Promise<Repo> {
  const repo = await openRepo(cwd);
  if (!isInitialised(repo)) {
    const { autoInit } = await import('./install/auto-init.js');
    await autoInit(repo);
  }
  return repo;
}
