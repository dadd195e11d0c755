// An isolated place to run git and trace: a HOME of its own (git identity, XDG config with the
// signing key) and the package's bin/ first on the PATH. Used by the tests, the demo and the bench.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (dist/simulate/ or src/simulate/ are two levels below it). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Creates `home` with a git identity and returns the environment for processes run there. */
export function sandboxEnv(home: string, identity: { name: string; email: string } = { name: 'Dev', email: 'dev@example.com' }): NodeJS.ProcessEnv {
  mkdirSync(home, { recursive: true });
  writeFileSync(
    join(home, '.gitconfig'),
    `[user]\n\tname = ${identity.name}\n\temail = ${identity.email}\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n`,
  );
  return {
    PATH: `${join(PACKAGE_ROOT, 'bin')}:${process.env.PATH ?? ''}`,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    LANG: 'C.UTF-8',
    TMPDIR: process.env.TMPDIR ?? tmpdir(),
  };
}
