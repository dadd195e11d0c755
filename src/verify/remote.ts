// Remotes named on the command line (`trace verify --remote`, `trace fetch`): a name that is not a
// remote is a usage error said once, with the remotes there are, before git says it its own way.
import { TraceError } from '../errors.js';
import { git } from '../git.js';

/** Throws BAD_ARGUMENT when `remote` is a name (not a URL or path) that this repository has no remote for. */
export async function assertRemote(cwd: string, remote: string, alternative?: string): Promise<void> {
  if (/[:/\\]/.test(remote) || remote.startsWith('.')) return; // a URL or a path: git reports those itself
  const remotes = (await git(['remote'], { cwd })).split('\n').filter(Boolean);
  if (remotes.includes(remote)) return;
  const other = alternative ? `, or ${alternative}` : '';
  throw new TraceError('BAD_ARGUMENT', `there is no remote named "${remote}" in this repository`, {
    hint: remotes.length > 0 ? `name one of its remotes (${remotes.join(', ')})${other}` : `add one with \`git remote add origin URL\`${other}`,
  });
}
