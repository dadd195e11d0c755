// Finds the repository and trace's state directory without spawning git: the hook hot path uses it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export interface Repo {
  /** The work tree's top directory. */
  root: string;
  /** This work tree's git dir (differs from commonDir in a linked worktree). */
  gitDir: string;
  /** The git dir shared by all worktrees; trace's state lives here. */
  commonDir: string;
  /** `<commonDir>/chainloop-trace`. */
  stateDir: string;
}

export const STATE_DIR_NAME = 'chainloop-trace';

export function repoFromGitDirs(root: string, gitDir: string, commonDir: string): Repo {
  return { root, gitDir, commonDir, stateDir: join(commonDir, STATE_DIR_NAME) };
}

/** Walks up from `start` to the nearest `.git` (directory, or file of a linked worktree or submodule). */
export function findRepo(start: string): Repo | null {
  let dir = resolve(start);
  for (;;) {
    const dotGit = join(dir, '.git');
    const stat = statSync(dotGit, { throwIfNoEntry: false });
    if (stat?.isDirectory()) return repoFromGitDirs(dir, dotGit, commonDirOf(dotGit));
    if (stat?.isFile()) {
      const match = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
      if (match?.[1]) {
        const gitDir = isAbsolute(match[1]) ? match[1] : resolve(dir, match[1]);
        return repoFromGitDirs(dir, gitDir, commonDirOf(gitDir));
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function commonDirOf(gitDir: string): string {
  const file = join(gitDir, 'commondir');
  if (!existsSync(file)) return gitDir;
  return resolve(gitDir, readFileSync(file, 'utf8').trim());
}

export function isInitialised(repo: Repo): boolean {
  return existsSync(repo.stateDir);
}
