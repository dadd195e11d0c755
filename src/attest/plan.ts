// Which commits a push attests: exactly those the pushed refs add to the remote and that carry no
// attestation yet. Deletions, tags and notes refs attest nothing.
import { git, gitRaw } from '../git.js';
import { NOTES_REF, readNotes } from '../upload/notes.js';

export interface RefUpdate {
  localRef: string;
  localSha: string;
  remoteRef: string;
  remoteSha: string;
}

const ZERO = /^0+$/;

/** The lines git gives pre-push on stdin: `<local ref> <local sha> <remote ref> <remote sha>`. */
export function parsePrePushInput(text: string): RefUpdate[] {
  const updates: RefUpdate[] = [];
  for (const line of text.split('\n')) {
    const [localRef, localSha, remoteRef, remoteSha] = line.trim().split(/\s+/);
    if (!localRef || !localSha || !remoteRef || !remoteSha) continue;
    updates.push({ localRef, localSha, remoteRef, remoteSha });
  }
  return updates;
}

/** Only branch-like updates carry commits to attest. */
export function attestable(update: RefUpdate): boolean {
  if (ZERO.test(update.localSha)) return false; // deletion
  return !update.remoteRef.startsWith('refs/tags/') && !update.remoteRef.startsWith('refs/notes/');
}

async function exists(cwd: string, sha: string): Promise<boolean> {
  return (await gitRaw(['cat-file', '-e', `${sha}^{commit}`], { cwd, okCodes: [1, 128] })).code === 0;
}

/** Commits the updates add to `remote` (oldest first), leaving out those already attested. */
export async function commitsToAttest(cwd: string, remote: string, updates: readonly RefUpdate[]): Promise<{ commits: string[]; alreadyAttested: string[] }> {
  const tips = updates.filter(attestable);
  if (tips.length === 0) return { commits: [], alreadyAttested: [] };
  const exclude: string[] = [];
  for (const update of tips) if (!ZERO.test(update.remoteSha) && (await exists(cwd, update.remoteSha))) exclude.push(`^${update.remoteSha}`);
  const isNamedRemote = /^[A-Za-z0-9._-]+$/.test(remote) && (await gitRaw(['config', '--get', `remote.${remote}.url`], { cwd, okCodes: [1] })).code === 0;
  const args = ['rev-list', '--reverse', '--topo-order', ...tips.map((t) => t.localSha), ...exclude];
  if (isNamedRemote) args.push('--not', `--remotes=${remote}`);
  const listed = (await git(args, { cwd })).split('\n').filter(Boolean);
  const notes = await readNotes(cwd, listed, NOTES_REF);
  const commits = listed.filter((sha) => !notes.has(sha));
  return { commits, alreadyAttested: listed.filter((sha) => notes.has(sha)) };
}

/** The commits of a range expression (`A..B`, a single commit = just it) for `trace attest`. */
export async function commitsInRange(cwd: string, range: string): Promise<string[]> {
  const args = range.includes('..') ? ['rev-list', '--reverse', '--topo-order', range] : ['rev-list', '--no-walk', range];
  return (await git(args, { cwd })).split('\n').filter(Boolean);
}
