// Teammates' attested sessions: every bundle in the notes ref, verified once (keyed by its digest)
// with trace verify's rules, its sessions written into the summary rows `trace sessions` lists.
// A session captured here keeps its local row and gains the attestation; one known only from the
// notes gets a row of what the attestation holds (source `notes`). An unverified bundle's sessions
// are listed as unverified with the reason; a verified bundle's are preferred whenever there is one.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { statementIssues } from '../core/predicate.js';
import type { CommitAttribution } from '../core/types.js';
import { errorMessage } from '../errors.js';
import { gitRaw } from '../git.js';
import type { Repo } from '../repo.js';
import type { BundleSigner } from '../signing/verify.js';
import { sessionLines, type Store } from '../store.js';
import { sessionAttestations } from './notes-detail.js';
import type { SignerJson } from './query.js';
import { NOTES_REF, readNotes } from '../upload/notes.js';
import { trustAt, trustPolicy, type RevisionTrust } from '../verify/trust.js';
import { isRecord } from '../agents/payload.js';


export interface NotesIndexResult {
  /** The notes ref's tip now indexed (null: no notes). */
  tip: string | null;
  /** Distinct bundles in the notes. */
  bundles: number;
  verified: number;
  unverified: number;
  /** Bundles checked on this run (new since the last one); the others were checked before. */
  checked_now: number;
  /** Sessions whose rows this run wrote. */
  sessions_updated: number;
}

/** One session's commits as a bundle attests them: its lines in each. */
export interface NotesCommit {
  sha: string;
  lines_added: number;
  ai_lines_added: number;
  author: { name: string; email: string } | null;
}

interface CheckedBundle {
  digest: string;
  status: 'verified' | 'unverified';
  signer: SignerJson | null;
  reason: string | null;
  base: string | null;
  createdAt: string | null;
  sessions: { id: string; object: Record<string, unknown>; commits: NotesCommit[] }[];
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The statement a bundle line carries, read without trusting it (its signature is checked apart). */
function decodePayload(bundle: unknown): Record<string, unknown> | undefined {
  const payload = isRecord(bundle) && isRecord(bundle.dsseEnvelope) ? bundle.dsseEnvelope.payload : undefined;
  if (typeof payload !== 'string') return undefined;
  try {
    const statement: unknown = JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
    return isRecord(statement) ? statement : undefined;
  } catch {
    return undefined;
  }
}

/** The sessions of a statement, each with its commits and lines (what the predicate holds, checked field by field). */
function statementSessions(statement: Record<string, unknown> | undefined): CheckedBundle['sessions'] {
  const predicate = statement && isRecord(statement.predicate) ? statement.predicate : undefined;
  if (!predicate || !Array.isArray(predicate.sessions)) return [];
  const commits = Array.isArray(predicate.commits) ? predicate.commits.filter(isRecord) : [];
  const out: CheckedBundle['sessions'] = [];
  for (const object of predicate.sessions) {
    const id = isRecord(object) && isRecord(object.session) ? str(object.session.id) : null;
    if (!id || !isRecord(object)) continue;
    const mine: NotesCommit[] = [];
    for (const commit of commits) {
      const sha = str(commit.sha);
      if (!sha || !Array.isArray(commit.session_ids) || !commit.session_ids.includes(id) || !Array.isArray(commit.files)) continue;
      let lines = { linesAdded: 0, aiLinesAdded: 0 };
      try {
        lines = sessionLines(commit as unknown as CommitAttribution).get(id) ?? lines;
      } catch {
        // A malformed commit (only in a bundle that does not verify): its lines are unknown.
      }
      const author = isRecord(commit.author) ? { name: str(commit.author.name) ?? '', email: str(commit.author.email) ?? '' } : null;
      mine.push({ sha, lines_added: lines.linesAdded, ai_lines_added: lines.aiLinesAdded, author });
    }
    out.push({ id, object, commits: mine });
  }
  return out;
}

function signerJson(signer: BundleSigner, trust: RevisionTrust): SignerJson {
  return signer.kind === 'key' ? { kind: 'key', key_id: signer.keyId, owner: trust.owners.get(signer.keyId) ?? null } : { kind: 'keyless', subject: signer.subject, issuer: signer.issuer };
}

/** The commits a bundle attests, as git has them (parents from git, not from the statement). */
async function parentsInGit(cwd: string, shas: string[]): Promise<Map<string, string[]> | string> {
  const listed = await gitRaw(['rev-list', '--no-walk=unsorted', '--parents', '--stdin'], { cwd, input: `${shas.join('\n')}\n`, okCodes: [128] });
  if (listed.code !== 0) return `its commits are not all in this clone (${listed.stderr.trim().split('\n')[0] ?? 'git rev-list failed'}): fetch the history, then run \`trace fetch\``;
  const parents = new Map<string, string[]>();
  for (const line of listed.stdout.toString('utf8').split('\n').filter(Boolean)) {
    const [sha, ...rest] = line.split(' ');
    parents.set(sha!, rest);
  }
  return parents;
}

/**
 * Verifies one bundle the way `trace verify` does: signature and trusted signer (keys and identity
 * committed at the base of the bundle's own commits, so a push cannot vouch for itself), the
 * predicate schema, and that each commit it attributes is a subject. Git consistency of each commit's
 * lines is left to `trace verify` (it needs every commit's diff).
 */
async function checkBundle(cwd: string, line: string, trustCache: Map<string | null, Promise<RevisionTrust>>): Promise<CheckedBundle> {
  const digest = createHash('sha256').update(line).digest('hex');
  let bundle: unknown;
  try {
    bundle = JSON.parse(line);
  } catch {
    return { digest, status: 'unverified', signer: null, reason: 'the note line is not JSON', base: null, createdAt: null, sessions: [] };
  }
  const statement = decodePayload(bundle);
  const sessions = statementSessions(statement);
  const predicate = statement && isRecord(statement.predicate) ? statement.predicate : undefined;
  const createdAt = predicate ? str(predicate.created_at) : null;
  const failed = (reason: string, base: string | null = null, signer: SignerJson | null = null): CheckedBundle => ({ digest, status: 'unverified', signer, reason, base, createdAt, sessions });
  if (!statement) return failed('the bundle carries no readable in-toto statement');

  const subjects = (Array.isArray(statement.subject) ? statement.subject : []).flatMap((s) => (isRecord(s) && isRecord(s.digest) && typeof s.digest.gitCommit === 'string' ? [s.digest.gitCommit.toLowerCase()] : []));
  if (subjects.length === 0) return failed('the statement names no commit as its subject');
  const notSha = subjects.find((sha) => !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha));
  if (notSha !== undefined) return failed(`its subject ${JSON.stringify(notSha.slice(0, 80))} is not a commit id`);
  const parents = await parentsInGit(cwd, subjects);
  if (typeof parents === 'string') return failed(parents);
  // The base: the first parent, outside the bundle's commits, of the oldest of them (verify's range base).
  const order = predicate && Array.isArray(predicate.commits) ? predicate.commits.flatMap((c) => (isRecord(c) && typeof c.sha === 'string' ? [c.sha] : [])) : [];
  const inBundle = new Set(subjects);
  let base: string | null = null;
  for (const sha of [...order, ...subjects]) {
    const first = parents.get(sha)?.[0];
    if (first !== undefined && !inBundle.has(first)) {
      base = first;
      break;
    }
  }

  let trust: RevisionTrust;
  try {
    let pending = trustCache.get(base);
    if (!pending) trustCache.set(base, (pending = trustAt(cwd, base)));
    trust = await pending;
  } catch (error) {
    return failed(`the trust configuration at its base ${base?.slice(0, 10) ?? '(none)'} cannot be read: ${errorMessage(error)}`, base);
  }
  let trustedRoot: object | undefined;
  if (trust.trustedRootFile) {
    try {
      trustedRoot = JSON.parse(readFileSync(trust.trustedRootFile, 'utf8')) as object;
    } catch (error) {
      return failed(`the trusted root ${trust.trustedRootFile} cannot be read: ${errorMessage(error)}`, base);
    }
  }
  const { verifyBundle } = await import('../signing/verify.js');
  const outcome = await verifyBundle(bundle, trustPolicy(trust, trustedRoot ? { trustedRoot } : {}));
  const where = base ? `at its base ${base.slice(0, 10)}` : 'at its base (it starts at the first commit)';
  if (!outcome.ok) {
    let reason = outcome.message;
    if (outcome.code === 'UNTRUSTED_KEY') {
      const hint = isRecord(bundle) && isRecord(bundle.verificationMaterial) && isRecord(bundle.verificationMaterial.publicKey) ? str(bundle.verificationMaterial.publicKey.hint) : null;
      reason = `signed with key ${hint?.slice(0, 16) ?? '(no key id)'}, which is not trusted ${where} (${trust.publicKeys.size} key(s) trusted there; its owner runs \`trace keys add\` and a maintainer merges the key file)`;
    } else if (outcome.code === 'NO_TRUST_POLICY' && !trustedRoot) {
      reason = `${outcome.message} The sessions index does not fetch Sigstore's public root: set trace.verify.trustedRoot, or check it with \`trace verify\``;
    }
    if (!trust.configExists) reason += ` (no .chainloop.yml ${where}: trace was adopted in that push, so nothing there vouches for a signer)`;
    return failed(reason, base);
  }
  const signer = signerJson(outcome.signer, trust);
  const issues = statementIssues(outcome.statement);
  if (issues.length > 0) return failed(`the statement does not match the predicate schema: ${issues.slice(0, 5).join('; ')}`, base, signer);
  const notSubject = order.filter((sha) => !inBundle.has(sha.toLowerCase()));
  if (notSubject.length > 0) return failed(`it attributes commit ${notSubject[0]!.slice(0, 12)} without naming it as a subject`, base, signer);
  return { digest, status: 'verified', signer, reason: null, base, createdAt, sessions };
}

/** Every note line of the notes ref, by commit. */
async function allNoteLines(cwd: string): Promise<Map<string, string[]>> {
  const listed = await gitRaw(['notes', `--ref=${NOTES_REF}`, 'list'], { cwd, okCodes: [1, 128] });
  if (listed.code !== 0) return new Map();
  const commits = listed.stdout.toString('utf8').split('\n').flatMap((line) => line.split(' ')[1] ?? []);
  return readNotes(cwd, commits, NOTES_REF);
}

/** Brings the index up to the notes ref's tip: checks the bundles it has not seen, drops those gone, rewrites the rows of the sessions they name. */
export async function indexNotes(repo: Repo, store: Store, options: { now: Date; tip?: string | null }): Promise<NotesIndexResult> {
  const cwd = repo.root;
  const tip = options.tip ?? ((await gitRaw(['rev-parse', '--verify', '--quiet', `${NOTES_REF}^{commit}`], { cwd, okCodes: [1, 128] })).stdout.toString('utf8').trim() || null);
  const indexed = store.db.prepare('SELECT tip FROM notes_index WHERE ref = ?').get(NOTES_REF) as { tip: string | null } | undefined;
  if (indexed ? indexed.tip === tip : tip === null) return { tip, ...bundleCounts(store), checked_now: 0, sessions_updated: 0 };
  const lines = tip ? await allNoteLines(cwd) : new Map<string, string[]>();
  const byDigest = new Map<string, string>();
  for (const noteLines of lines.values()) for (const line of noteLines) byDigest.set(createHash('sha256').update(line).digest('hex'), line);
  const known = new Set((store.db.prepare('SELECT digest FROM notes_bundles').all() as { digest: string }[]).map((r) => r.digest));
  const fresh: CheckedBundle[] = [];
  const trustCache = new Map<string | null, Promise<RevisionTrust>>();
  for (const [digest, line] of byDigest) if (!known.has(digest)) fresh.push(await checkBundle(cwd, line, trustCache));
  const removed = [...known].filter((digest) => !byDigest.has(digest));
  const now = options.now.toISOString();

  const affected = new Set<string>();
  store.write(() => {
    const sessionsOf = store.db.prepare('SELECT session_id FROM notes_sessions WHERE digest = ?');
    for (const digest of removed) {
      for (const row of sessionsOf.all(digest) as { session_id: string }[]) affected.add(row.session_id);
      store.db.prepare('DELETE FROM notes_sessions WHERE digest = ?').run(digest);
      store.db.prepare('DELETE FROM notes_bundles WHERE digest = ?').run(digest);
    }
    const addBundle = store.db.prepare('INSERT OR REPLACE INTO notes_bundles (digest, status, signer_json, reason, base, created_at, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const addSession = store.db.prepare('INSERT OR REPLACE INTO notes_sessions (session_id, digest, session_json, commits_json) VALUES (?, ?, ?, ?)');
    for (const b of fresh) {
      addBundle.run(b.digest, b.status, b.signer ? JSON.stringify(b.signer) : null, b.reason, b.base, b.createdAt, now);
      for (const s of b.sessions) {
        addSession.run(s.id, b.digest, JSON.stringify(s.object), JSON.stringify(s.commits));
        affected.add(s.id);
      }
    }
    for (const id of affected) writeSessionRow(store, id, now);
    store.db.prepare('INSERT OR REPLACE INTO notes_index (ref, tip, indexed_at) VALUES (?, ?, ?)').run(NOTES_REF, tip, now);
  });
  return { tip, ...bundleCounts(store), checked_now: fresh.length, sessions_updated: affected.size };
}

function bundleCounts(store: Store): { bundles: number; verified: number; unverified: number } {
  const counts = store.db.prepare("SELECT count(*) AS bundles, coalesce(sum(status = 'verified'), 0) AS verified FROM notes_bundles").get() as { bundles: number; verified: number };
  return { bundles: counts.bundles, verified: counts.verified, unverified: counts.bundles - counts.verified };
}

/** One session's row from the bundles that attest it: the attestation columns of a local row, or a whole `notes` row. */
function writeSessionRow(store: Store, id: string, now: string): void {
  const held = sessionAttestations(store, id);
  const row = store.db.prepare('SELECT source FROM session_summaries WHERE session_id = ?').get(id) as { source: string } | undefined;
  const local = row?.source === 'local';
  if (held.length === 0) {
    if (local) store.db.prepare('UPDATE session_summaries SET attestation = NULL, attested_by = NULL, attestation_reason = NULL WHERE session_id = ?').run(id);
    else if (row) deleteNotesRow(store, id);
    return;
  }
  const best = held[0]!;
  // A verified bundle's content and signer; only when none verifies, the unverified one's, marked so.
  const used = held.filter((h) => h.status === best.status);
  const attestation = { status: best.status, by: best.signer_json, reason: best.status === 'verified' ? null : best.reason };
  if (local) {
    store.db.prepare('UPDATE session_summaries SET attestation = ?, attested_by = ?, attestation_reason = ? WHERE session_id = ?').run(attestation.status, attestation.by, attestation.reason, id);
    return;
  }
  const o = JSON.parse(best.session_json) as Record<string, unknown>;
  const commits = new Map<string, NotesCommit>();
  for (const h of [...used].reverse()) for (const c of JSON.parse(h.commits_json) as NotesCommit[]) commits.set(c.sha, c);
  const agent = isRecord(o.agent) ? o.agent : {};
  const session = isRecord(o.session) ? o.session : {};
  const git = isRecord(o.git_context) ? o.git_context : {};
  const model = isRecord(o.model) ? o.model : {};
  const usage = isRecord(o.usage) ? o.usage : undefined;
  const byThread = usage && Array.isArray(usage.by_thread) ? usage.by_thread.filter(isRecord) : [];
  const tools = isRecord(o.tools_used) ? o.tools_used : {};
  const conversation = isRecord(o.conversation) ? o.conversation : {};
  const models = Array.isArray(model.models_used) ? model.models_used.filter((m): m is string => typeof m === 'string') : str(model.primary) ? [str(model.primary)!] : [];
  // Stored as the hooks store times (ISO, UTC), so rows from both sources sort together.
  const time = (v: unknown) => {
    const at = str(v) === null ? NaN : Date.parse(str(v)!);
    return Number.isFinite(at) ? new Date(at).toISOString() : null;
  };
  const startedAt = time(session.started_at);
  const endedAt = time(session.ended_at);
  const firstAuthor = [...commits.values()].find((c) => c.author)?.author ?? null;
  const cost = usage ? num(usage.estimated_cost_usd) : null;
  const tokens = (key: string) => (usage ? (num(usage[key]) ?? 0) : 0);
  const sum = (key: string) => byThread.reduce((n, t) => n + (num(t[key]) ?? 0), 0);
  const values = {
    id,
    agent: str(agent.name) ?? 'unknown',
    agent_version: str(agent.version),
    hook_model: str(model.primary),
    models_json: JSON.stringify(models),
    author_name: firstAuthor?.name || null,
    author_email: firstAuthor?.email || null,
    branch: str(git.branch),
    started_at: startedAt,
    ended_at: endedAt,
    last_active_at: endedAt ?? startedAt ?? time(best.created_at) ?? now,
    threads: num(conversation.user_messages) ?? byThread.length,
    tool_calls: num(tools.total_invocations) ?? sum('tool_calls'),
    tool_errors: sum('tool_errors'),
    input: tokens('input_tokens'),
    cache_read: tokens('cache_read_input_tokens'),
    cache_write: tokens('cache_creation_input_tokens'),
    output: tokens('output_tokens'),
    cost: cost === null ? null : Math.round(cost * 1e6),
    unpriced: byThread.some((t) => t.unpriced === true) || (usage !== undefined && cost === null && tokens('input_tokens') + tokens('output_tokens') > 0) ? 1 : 0,
    attestation: attestation.status,
    attested_by: attestation.by,
    attestation_reason: attestation.reason,
    now,
  };
  store.db
    .prepare(
      `INSERT OR REPLACE INTO session_summaries (session_id, agent, agent_version, hook_model, models_json, author_name, author_email, branch, started_at, ended_at,
         last_active_at, threads, tool_calls, tool_errors, records_threads, records_tool_calls, input_tokens, cache_read_tokens, cache_write_tokens, output_tokens,
         cost_micros, unpriced, commits, lines_added, ai_lines_added, last_prompt, dirty, refreshed_at, source, attestation, attested_by, attestation_reason)
       VALUES (@id, @agent, @agent_version, @hook_model, @models_json, @author_name, @author_email, @branch, @started_at, @ended_at,
         @last_active_at, @threads, @tool_calls, @tool_errors, NULL, NULL, @input, @cache_read, @cache_write, @output,
         @cost, @unpriced, 0, 0, 0, NULL, 0, @now, 'notes', @attestation, @attested_by, @attestation_reason)`,
    )
    .run(values);
  store.db.prepare('DELETE FROM session_models WHERE session_id = ?').run(id);
  const addModel = store.db.prepare('INSERT OR IGNORE INTO session_models (session_id, model) VALUES (?, ?)');
  for (const m of models) addModel.run(id, m);
  store.db.prepare('DELETE FROM session_commits WHERE session_id = ?').run(id);
  const addCommit = store.db.prepare('INSERT OR REPLACE INTO session_commits (session_id, sha, lines_added, ai_lines_added) VALUES (?, ?, ?, ?)');
  for (const c of commits.values()) addCommit.run(id, c.sha, c.lines_added, c.ai_lines_added);
  store.db
    .prepare('UPDATE session_summaries SET (commits, lines_added, ai_lines_added) = (SELECT count(*), coalesce(sum(lines_added), 0), coalesce(sum(ai_lines_added), 0) FROM session_commits WHERE session_id = ?) WHERE session_id = ?')
    .run(id, id);
  store.db.prepare('DELETE FROM session_files WHERE session_id = ?').run(id);
  const changes = isRecord(o.code_changes) && Array.isArray(o.code_changes.files) ? o.code_changes.files.filter(isRecord) : [];
  const addFile = store.db.prepare('INSERT OR IGNORE INTO session_files (session_id, path, edits) VALUES (?, ?, 0)');
  for (const f of changes) if (str(f.path)) addFile.run(id, str(f.path));
}

function deleteNotesRow(store: Store, id: string): void {
  for (const table of ['session_summaries', 'session_models', 'session_commits', 'session_files']) store.db.prepare(`DELETE FROM ${table} WHERE session_id = ?`).run(id);
}
