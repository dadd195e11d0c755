// Attestations as git notes: one note per commit in NOTES_REF, one Sigstore bundle per line (JSON Lines).
// Everything happens in git's object store and refs, never in a work tree, so it works from any
// (linked) worktree and never disturbs the developer's files.
import { createHash, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TraceError, errorMessage } from '../errors.js';
import { commitId, git, gitRaw } from '../git.js';

export const NOTES_REF = 'refs/notes/chainloop-trace';
/** Where `fetchNotes` keeps each remote's notes ref before merging it. */
export const REMOTE_NOTES_PREFIX = 'refs/notes/chainloop-trace-remote/';
/** Notes from a remote larger than this are refused without being read. */
export const MAX_NOTE_BYTES = 32 * 1024 * 1024;

export interface BundleNoteEntry {
  commit: string;
  /** One Sigstore bundle serialised as a single JSON line. */
  bundleLine: string;
}

export interface AddBundleNotesResult {
  /** Commits whose note changed (a line already present is not added twice). */
  changed: number;
  /** The notes commit written, or undefined when nothing changed. */
  notesCommit: string | undefined;
}

/** Something wrong with notes that came from a remote; the bad part was left out, nothing else. */
export interface NoteProblem {
  /** The annotated commit, or undefined when the problem is with the notes ref as a whole. */
  commit: string | undefined;
  reason: string;
}

export interface FetchNotesResult {
  /** False when the remote has no notes ref yet. */
  remoteHasNotes: boolean;
  /** True when the local notes ref changed. */
  merged: boolean;
  problems: NoteProblem[];
}

export interface PushNotesResult {
  pushed: boolean;
  attempts: number;
  error?: string;
  /** Problems found in the remote's notes while merging them between attempts. */
  problems: NoteProblem[];
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const NO_ZERO_SHA = '0000000000000000000000000000000000000000';

function fullNotesRef(ref: string): string {
  return ref.startsWith('refs/') ? ref : `refs/notes/${ref}`;
}

/** The tracking ref for a remote, given as a name or a URL. */
export function remoteNotesRef(remote: string): string {
  const safe = /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(remote) ? remote : `url-${createHash('sha256').update(remote).digest('hex').slice(0, 16)}`;
  return `${REMOTE_NOTES_PREFIX}${safe}`;
}

interface NoteEntry {
  blob: string;
  size: number;
}

/** Every note of a notes commit, whatever its fanout: annotated object → note blob. */
async function listNotes(cwd: string, notesCommit: string): Promise<Map<string, NoteEntry>> {
  const out = await git(['ls-tree', '-r', '-l', '-z', '--end-of-options', notesCommit], { cwd });
  const notes = new Map<string, NoteEntry>();
  for (const record of out.split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const [, type, blob, size] = record.slice(0, tab).split(/ +/);
    const object = record.slice(tab + 1).replaceAll('/', '').toLowerCase();
    // Paths that do not spell an object name are not notes (git keeps them but ignores them too).
    if (type !== 'blob' || blob === undefined || !SHA.test(object)) continue;
    notes.set(object, { blob, size: Number(size) });
  }
  return notes;
}

/** The contents of many blobs from one `git cat-file --batch`. */
async function readBlobs(cwd: string, blobs: Iterable<string>): Promise<Map<string, Buffer>> {
  const wanted = [...new Set(blobs)];
  const contents = new Map<string, Buffer>();
  if (wanted.length === 0) return contents;
  const out = (await gitRaw(['cat-file', '--batch'], { cwd, input: `${wanted.join('\n')}\n` })).stdout;
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(0x0a, at);
    if (eol < 0) break;
    const [oid, type, size] = out.subarray(at, eol).toString('utf8').split(' ');
    at = eol + 1;
    if (oid === undefined || type === 'missing' || size === undefined) continue;
    const length = Number(size);
    contents.set(oid, out.subarray(at, at + length));
    at += length + 1;
  }
  return contents;
}

function noteLines(content: Buffer): string[] {
  return content
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0);
}

/** The lines of each commit's note in `ref`; commits without a note are absent from the map. */
export async function readNotes(cwd: string, commits: string[], ref: string = NOTES_REF): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  const tip = await commitId(cwd, fullNotesRef(ref));
  if (tip === undefined || commits.length === 0) return result;
  const notes = await listNotes(cwd, tip);
  const wanted = new Map<string, string>();
  for (const commit of commits) {
    const entry = notes.get(commit.toLowerCase());
    if (entry) wanted.set(commit, entry.blob);
  }
  const blobs = await readBlobs(cwd, wanted.values());
  for (const [commit, blob] of wanted) {
    const content = blobs.get(blob);
    if (content) result.set(commit, noteLines(content));
  }
  return result;
}

/** A note's text the way `git notes merge -s cat_sort_uniq` writes it: unique lines in byte order. */
export function formatNote(lines: Iterable<string>): string {
  const unique = [...new Set([...lines].filter((line) => line.length > 0))];
  unique.sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  return unique.length === 0 ? '' : `${unique.join('\n')}\n`;
}

interface Committer {
  /** `Name <email> time zone`, as fast-import's raw date format wants it. */
  ident: string;
  /** An environment giving git an identity when none is configured; undefined when one is. */
  env: NodeJS.ProcessEnv | undefined;
}

async function committer(cwd: string): Promise<Committer> {
  const result = await gitRaw(['var', 'GIT_COMMITTER_IDENT'], { cwd, okCodes: [128] });
  const ident = result.stdout.toString('utf8').trim();
  if (result.code === 0 && ident) return { ident, env: undefined };
  // No identity configured (or user.useConfigOnly): notes commits still need one.
  const name = 'trace';
  const email = 'trace@localhost';
  return {
    ident: `${name} <${email}> ${Math.floor(Date.now() / 1000)} +0000`,
    env: { ...process.env, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email, GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email },
  };
}

/**
 * Commit a new version of a notes ref with `git fast-import`: it writes every note blob, keeps git's
 * notes fanout, and moves the ref only if it still contains `parent` (a compare-and-swap).
 * `notes` maps an annotated commit to its new text; an empty text removes the note.
 * Returns the new notes commit, or undefined when another writer moved the ref first.
 */
async function commitNotes(cwd: string, ref: string, parent: string | undefined, notes: Map<string, string>, message: string): Promise<string | undefined> {
  const parts: (string | Buffer)[] = [];
  const data = (text: string | Buffer): void => {
    parts.push(`data ${Buffer.byteLength(text)}\n`, text, '\n');
  };
  parts.push('feature done\n');
  // One push attests many commits with the same bundle: each distinct note text is sent (and
  // hashed) once as a marked blob, however many commits it annotates.
  const marks = new Map<string, number>();
  for (const text of notes.values()) {
    if (text.length === 0 || marks.has(text)) continue;
    marks.set(text, marks.size + 2);
    parts.push('blob\n', `mark :${marks.size + 1}\n`);
    data(text);
  }
  parts.push(`commit ${ref}\n`, 'mark :1\n', `committer ${(await committer(cwd)).ident}\n`);
  data(message);
  if (parent !== undefined) parts.push(`from ${parent}\n`);
  for (const [commit, text] of notes) {
    parts.push(text.length === 0 ? `N ${NO_ZERO_SHA} ${commit}\n` : `N :${marks.get(text)!} ${commit}\n`);
  }
  parts.push('get-mark :1\n', 'done\n');
  const result = await gitRaw(['fast-import', '--quiet', '--date-format=raw'], { cwd, input: parts, okCodes: [1] });
  const created = result.stdout.toString('utf8').trim();
  if (result.code === 0 && SHA.test(created)) return created;
  // Lost the race: the ref moved after we read it, or another writer holds its lock right now.
  if (/Not updating|cannot lock ref|Unable to create .*\.lock/.test(result.stderr)) return undefined;
  throw new TraceError('GIT_FAILED', `git fast-import could not write ${ref}: ${result.stderr.trim().split('\n').slice(-2).join(' ')}`);
}

/**
 * Append each bundle line to its commit's note in the local notes ref, keeping the lines already
 * there, unique and sorted like `cat_sort_uniq`. One notes commit for all entries, whatever their number.
 */
export async function addBundleNotes(cwd: string, entries: BundleNoteEntry[]): Promise<AddBundleNotesResult> {
  const additions = new Map<string, Set<string>>();
  for (const { commit, bundleLine } of entries) {
    const sha = commit.toLowerCase();
    if (!SHA.test(sha)) throw new TraceError('BAD_INPUT', `cannot attach a note to "${commit}": not a full commit id`);
    if (bundleLine.length === 0 || /[\r\n]/.test(bundleLine)) {
      throw new TraceError('BAD_INPUT', `the bundle for ${sha} must be one non-empty JSON line (no line breaks inside)`);
    }
    const lines = additions.get(sha) ?? new Set<string>();
    lines.add(bundleLine);
    additions.set(sha, lines);
  }
  if (additions.size === 0) return { changed: 0, notesCommit: undefined };

  // Another local writer (a second push, `git notes`) may move the ref between our read and write.
  for (let attempt = 1; attempt <= 8; attempt++) {
    const parent = await commitId(cwd, NOTES_REF);
    const existing = parent === undefined ? new Map<string, NoteEntry>() : await listNotes(cwd, parent);
    const blobs = await readBlobs(
      cwd,
      [...additions.keys()].flatMap((sha) => existing.get(sha)?.blob ?? []),
    );
    const updates = new Map<string, string>();
    // The commits of one push get the same bundle line: a new note of one line is built once, not
    // one (multi-megabyte) copy a commit.
    const single = new Map<string, string>();
    for (const [sha, lines] of additions) {
      const entry = existing.get(sha);
      const [only] = lines;
      if (entry === undefined && lines.size === 1 && only !== undefined) {
        const text = single.get(only) ?? formatNote(lines);
        single.set(only, text);
        updates.set(sha, text);
        continue;
      }
      const old = entry ? (blobs.get(entry.blob) ?? Buffer.alloc(0)) : Buffer.alloc(0);
      const text = formatNote([...noteLines(old), ...lines]);
      if (text !== old.toString('utf8')) updates.set(sha, text);
    }
    if (updates.size === 0) return { changed: 0, notesCommit: undefined };
    const created = await commitNotes(cwd, NOTES_REF, parent, updates, `trace: attest ${updates.size} commit(s)\n`);
    if (created !== undefined) return { changed: updates.size, notesCommit: created };
    await sleep(10 * attempt + randomInt(20));
  }
  throw new TraceError('GIT_FAILED', `could not update ${NOTES_REF}: it kept changing or stayed locked while trace was adding notes`, {
    hint: 'Run `git push` again; if it keeps failing, remove a stale `refs/notes/chainloop-trace.lock` under the .git directory.',
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Why a line from a remote note is not a bundle line, or undefined when it is acceptable. */
function lineProblem(line: string): string | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is JSON but not an object';
    return undefined;
  } catch (error) {
    return `is not JSON (${errorMessage(error).slice(0, 80)})`;
  }
}

interface CheckedNote {
  /** The note's acceptable lines, or undefined when it is fine as it is. */
  keep: string[] | undefined;
  reason: string | undefined;
}

function checkNote(content: Buffer): CheckedNote {
  let text: string;
  try {
    text = utf8.decode(content);
  } catch {
    return { keep: [], reason: 'note is not valid UTF-8 text (binary data); dropped' };
  }
  const keep: string[] = [];
  const bad: string[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.length === 0) return;
    const problem = lineProblem(line);
    if (problem === undefined) keep.push(line);
    else bad.push(`line ${index + 1} ${problem}`);
  });
  if (bad.length === 0) return { keep: undefined, reason: undefined };
  const shown = bad.slice(0, 3).join('; ') + (bad.length > 3 ? `; and ${bad.length - 3} more` : '');
  return { keep, reason: `${bad.length} line(s) dropped: ${shown}` };
}

/**
 * Check the notes a remote sent before they reach the local ref. Only notes that differ from the
 * local ones are read. When some are bad, the tracking ref is moved to a cleaned commit on top of
 * the remote's, so merging it keeps the remote's history (our next push fast-forwards) without
 * the bad lines.
 */
async function checkRemoteNotes(cwd: string, tracking: string, remoteTip: string, localTip: string | undefined): Promise<NoteProblem[]> {
  const remote = await listNotes(cwd, remoteTip);
  const local = localTip === undefined ? new Map<string, NoteEntry>() : await listNotes(cwd, localTip);
  const problems: NoteProblem[] = [];
  const cleaned = new Map<string, string>();
  const toRead = new Map<string, string>();
  for (const [commit, entry] of remote) {
    if (local.get(commit)?.blob === entry.blob) continue;
    if (entry.size > MAX_NOTE_BYTES) {
      problems.push({ commit, reason: `note is ${entry.size} bytes, more than the ${MAX_NOTE_BYTES} allowed; dropped` });
      cleaned.set(commit, '');
    } else {
      toRead.set(commit, entry.blob);
    }
  }
  const blobs = await readBlobs(cwd, toRead.values());
  for (const [commit, blob] of toRead) {
    const content = blobs.get(blob);
    if (content === undefined) {
      problems.push({ commit, reason: `note blob ${blob} is missing from the fetched objects; dropped` });
      cleaned.set(commit, '');
      continue;
    }
    const checked = checkNote(content);
    if (checked.keep === undefined) continue;
    problems.push({ commit, reason: checked.reason ?? 'dropped' });
    cleaned.set(commit, formatNote(checked.keep));
  }
  if (cleaned.size > 0) {
    const created = await commitNotes(cwd, tracking, remoteTip, cleaned, `trace: drop ${cleaned.size} invalid note(s) received from the remote\n`);
    if (created === undefined) throw new TraceError('GIT_FAILED', `${tracking} changed while trace was checking it`, { hint: 'Run `git push` again.' });
  }
  return problems;
}

/**
 * Fetch the remote's notes into its tracking ref, check them, and merge them into the local notes
 * ref with `cat_sort_uniq` (lines from both sides are kept). A corrupt remote note is reported and
 * left out; it never removes a local line.
 */
export async function fetchNotes(cwd: string, remote: string): Promise<FetchNotesResult> {
  const tracking = remoteNotesRef(remote);
  const fetched = await gitRaw(
    ['fetch', '--quiet', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head', '--end-of-options', remote, `+${NOTES_REF}:${tracking}`],
    { cwd, okCodes: [1, 128] },
  );
  if (fetched.code !== 0) {
    if (/couldn't find remote ref/i.test(fetched.stderr)) {
      await gitRaw(['update-ref', '-d', tracking], { cwd, okCodes: [1] });
      return { remoteHasNotes: false, merged: false, problems: [] };
    }
    const detail = fetched.stderr.trim().split('\n').slice(-3).join(' ');
    throw new TraceError('GIT_FAILED', `could not fetch ${NOTES_REF} from ${remote}: ${detail}`, {
      hint: `Check that \`git fetch ${remote}\` works.`,
    });
  }
  const remoteTip = await commitId(cwd, tracking);
  if (remoteTip === undefined) {
    return { remoteHasNotes: true, merged: false, problems: [{ commit: undefined, reason: `${NOTES_REF} on ${remote} does not point to a commit; ignored` }] };
  }
  const localTip = await commitId(cwd, NOTES_REF);
  if (localTip === remoteTip) return { remoteHasNotes: true, merged: false, problems: [] };
  if (localTip !== undefined) {
    const contained = await gitRaw(['merge-base', '--is-ancestor', remoteTip, localTip], { cwd, okCodes: [1] });
    if (contained.code === 0) return { remoteHasNotes: true, merged: false, problems: [] };
  }
  const problems = await checkRemoteNotes(cwd, tracking, remoteTip, localTip);
  const { env } = await committer(cwd);
  await git(['notes', `--ref=${NOTES_REF}`, 'merge', '--quiet', '--strategy=cat_sort_uniq', tracking], { cwd, ...(env ? { env } : {}) });
  const merged = (await commitId(cwd, NOTES_REF)) !== localTip;
  return { remoteHasNotes: true, merged, problems };
}

type PushOutcome = { kind: 'ok' } | { kind: 'retry'; reason: string } | { kind: 'fail'; reason: string };

/** Read `git push --porcelain`: one status line for our ref, plus what the remote said. */
function pushOutcome(stdout: string, stderr: string, code: number): PushOutcome {
  const line = stdout.split('\n').find((l) => l.split('\t')[1]?.endsWith(`:${NOTES_REF}`));
  const remoteSaid = stderr
    .split('\n')
    .filter((l) => l.startsWith('remote: ') && l.trim() !== 'remote:')
    .map((l) => l.slice('remote: '.length).trim())
    .slice(0, 5)
    .join(' / ');
  if (line === undefined) {
    if (code === 0) return { kind: 'ok' };
    const detail = stderr.trim().split('\n').slice(-3).join(' ') || `git push exited with ${code}`;
    return { kind: 'fail', reason: detail };
  }
  const [flag, , summary = ''] = line.split('\t');
  if (flag !== '!') return { kind: 'ok' };
  const said = remoteSaid ? ` (remote said: ${remoteSaid})` : '';
  // Someone else pushed notes first, or two pushes raced for the ref lock: merge theirs and retry.
  if (/\[rejected\]|cannot lock ref|failed to update ref|incorrect old value|stale info/.test(summary)) {
    return { kind: 'retry', reason: `${summary.trim()}${said}` };
  }
  return { kind: 'fail', reason: `${summary.trim()}${said}` };
}

/** True when the local notes ref has attestations the remote was not seen to receive (an earlier notes push failed). */
export async function notesWaiting(cwd: string, remote: string): Promise<boolean> {
  const local = await commitId(cwd, NOTES_REF);
  return local !== undefined && local !== (await commitId(cwd, remoteNotesRef(remote)));
}

/**
 * Push the local notes ref. When the remote's notes moved on (another clone pushed), fetch and
 * merge them, then try again after a short, growing, jittered pause.
 */
export async function pushNotes(cwd: string, remote: string, options: { retries?: number; backoffMs?: number } = {}): Promise<PushNotesResult> {
  const retries = options.retries ?? 4;
  const backoffMs = options.backoffMs ?? 100;
  const problems: NoteProblem[] = [];
  if ((await commitId(cwd, NOTES_REF)) === undefined) {
    return { pushed: false, attempts: 0, error: `there are no attestations to push: ${NOTES_REF} does not exist`, problems };
  }
  let lastReason = '';
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (attempt > 1) {
      await sleep(backoffMs * 2 ** (attempt - 2) + randomInt(Math.max(1, backoffMs)));
      try {
        problems.push(...(await fetchNotes(cwd, remote)).problems);
      } catch (error) {
        return { pushed: false, attempts: attempt - 1, error: `${lastReason}; then fetching the remote's notes failed: ${errorMessage(error)}`, problems };
      }
    }
    const result = await gitRaw(
      // --no-verify: we usually run inside pre-push, which must not run again for the notes.
      ['push', '--porcelain', '--no-verify', '--no-follow-tags', '--no-signed', '--recurse-submodules=no', '--end-of-options', remote, `${NOTES_REF}:${NOTES_REF}`],
      { cwd, okCodes: [1, 128] },
    );
    const outcome = pushOutcome(result.stdout.toString('utf8'), result.stderr, result.code);
    if (outcome.kind === 'ok') {
      // Remember what the remote has now, so a later push can tell whether notes are still waiting.
      const tip = await commitId(cwd, NOTES_REF);
      if (tip !== undefined) await gitRaw(['update-ref', remoteNotesRef(remote), tip], { cwd });
      return { pushed: true, attempts: attempt, problems };
    }
    lastReason = outcome.reason;
    if (outcome.kind === 'fail') {
      return { pushed: false, attempts: attempt, error: `${remote} refused ${NOTES_REF}: ${outcome.reason}`, problems };
    }
  }
  return {
    pushed: false,
    attempts: retries + 1,
    error: `${remote} kept rejecting ${NOTES_REF} after ${retries + 1} attempts (others keep pushing notes): ${lastReason}`,
    problems,
  };
}
