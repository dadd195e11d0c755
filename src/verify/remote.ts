// Remotes named on the command line (`trace verify --remote`, `trace fetch`): a name that is not a
// remote is a usage error said once, with the remotes there are, before git says it its own way.
import { TraceError } from '../errors.js';
import { commitId, git, gitRaw } from '../git.js';

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

/** The remote's default branch as a local ref (refs/remotes/<remote>/HEAD, else main, else master), or null. */
export async function remoteDefault(cwd: string, remote: string): Promise<string | null> {
  if (!/^[A-Za-z0-9._-]+$/.test(remote)) return null; // a URL or a path has no remote-tracking refs
  const symbolic = await gitRaw(['symbolic-ref', '--quiet', `refs/remotes/${remote}/HEAD`], { cwd, okCodes: [1, 128] });
  const candidates = [symbolic.code === 0 ? symbolic.stdout.toString('utf8').trim() : '', `refs/remotes/${remote}/main`, `refs/remotes/${remote}/master`];
  for (const ref of candidates) if (ref && (await commitId(cwd, ref))) return ref;
  return null;
}
