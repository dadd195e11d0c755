// Which commits a push attests: those the pushed refs add to the remote and that carry no
// attestation yet, plus those an earlier push left unattested on the remote. Deletions, tags and
// notes refs attest nothing.
import { git, gitRaw } from '../git.js';
import type { Store } from '../store.js';
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

/** How many recent unattested commits of the store `pushedUnattested` looks at. */
const UNATTESTED_LOOKED_AT = 500;

/**
 * Commits attributed here, not attested, that `remote` already has: a push went through while
 * signing failed (a missing key, a full disk). Oldest first. A named remote only: its
 * remote-tracking branches say what it has.
 */
export async function pushedUnattested(cwd: string, remote: string, store: Store, exclude: ReadonlySet<string> = new Set()): Promise<string[]> {
  if (!/^[A-Za-z0-9._-]+$/.test(remote)) return [];
  const candidates = store.unattestedCommits(UNATTESTED_LOOKED_AT).filter((row) => !exclude.has(row.sha));
  if (candidates.length === 0) return [];
  // Walk the remote's branches back only to a day before the oldest candidate was attributed (at commit time).
  const oldest = Math.min(...candidates.map((row) => Date.parse(row.attributed_at)));
  const since = new Date((Number.isNaN(oldest) ? 0 : oldest) - 24 * 60 * 60 * 1000).toISOString();
  const wanted = new Set(candidates.map((row) => row.sha));
  const listed = (await git(['rev-list', '--reverse', '--topo-order', `--remotes=${remote}`, `--since=${since}`], { cwd })).split('\n').filter((sha) => wanted.has(sha));
  const notes = await readNotes(cwd, listed, NOTES_REF);
  return listed.filter((sha) => !notes.has(sha));
}

export interface CommitsToAttest {
  /** What to attest, oldest first: the pushed-unattested commits, then the new ones. */
  commits: string[];
  alreadyAttested: string[];
  /** The part of `commits` that an earlier push put on the remote without an attestation. */
  pushedUnattested: string[];
}

/**
 * Commits the updates add to `remote` (oldest first), leaving out those already attested; with the
 * store, also every commit an earlier push left unattested that the remote already has, so a failed
 * attestation is made up by the next push.
 */
export async function commitsToAttest(cwd: string, remote: string, updates: readonly RefUpdate[], store?: Store): Promise<CommitsToAttest> {
  const tips = updates.filter(attestable);
  if (tips.length === 0) return { commits: [], alreadyAttested: [], pushedUnattested: [] };
  const exclude: string[] = [];
  for (const update of tips) if (!ZERO.test(update.remoteSha) && (await exists(cwd, update.remoteSha))) exclude.push(`^${update.remoteSha}`);
  const isNamedRemote = /^[A-Za-z0-9._-]+$/.test(remote) && (await gitRaw(['config', '--get', `remote.${remote}.url`], { cwd, okCodes: [1] })).code === 0;
  const args = ['rev-list', '--reverse', '--topo-order', ...tips.map((t) => t.localSha), ...exclude];
  if (isNamedRemote) args.push('--not', `--remotes=${remote}`);
  const listed = (await git(args, { cwd })).split('\n').filter(Boolean);
  const notes = await readNotes(cwd, listed, NOTES_REF);
  const fresh = listed.filter((sha) => !notes.has(sha));
  const earlier = store && isNamedRemote ? await pushedUnattested(cwd, remote, store, new Set(listed)) : [];
  return { commits: [...earlier, ...fresh], alreadyAttested: listed.filter((sha) => notes.has(sha)), pushedUnattested: earlier };
}

/** The commits of a range expression (`A..B`, a single commit = just it) for `trace attest`. */
export async function commitsInRange(cwd: string, range: string): Promise<string[]> {
  const args = range.includes('..') ? ['rev-list', '--reverse', '--topo-order', range] : ['rev-list', '--no-walk', range];
  return (await git(args, { cwd })).split('\n').filter(Boolean);
}
