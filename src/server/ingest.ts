// The one way in: a Sigstore bundle, from POST /api/v1/attestations or a synced note line, is checked
// for shape, scope and signature before anything is written; then one transaction stores the bundle,
// its commits and a merged summary row per session, and recomputes the day roll-ups it touched
// (src/server/rollups.ts: the (repository, day) keys of its sessions, before and after, and of its commits).
// Idempotent by digest (a unique key, ON CONFLICT DO NOTHING); concurrent ingests of one repository
// take turns on a transaction-scoped advisory lock in PostgreSQL (SQLite has one writer anyway).
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Statement } from '../core/predicate.js';
import { signerLabel } from '../verify/trust.js';
import { repositoryMatches, type ResolvedToken } from './config.js';
import { writeTransaction, type ServerDatabase, type ServerDb, type SessionsTable } from './db.js';
import { attestationFacts, subjectRepository, type SessionFacts } from './facts.js';
import { COMMIT_ORG_ROLLUPS, COMMIT_ROLLUPS, recompute, recomputeOrg, SESSION_ORG_ROLLUPS, SESSION_ROLLUPS } from './rollups.js';
import type { Trust } from './trust.js';

export type IngestOutcome =
  | { status: 201; body: { digest: string; repository: string; signer: string; commits: number; sessions: number } }
  | { status: 200; body: { digest: string; repository: string; duplicate: true } }
  | { status: 400 | 403 | 413 | 422; body: IngestError };

/** The API's error shape (as `trace ui`'s): `reason` is the verifier's code for a bundle that does not verify. */
export interface IngestError {
  error: { code: 'MALFORMED' | 'OUT_OF_SCOPE' | 'TOO_LARGE' | 'UNVERIFIED' | 'FORBIDDEN'; message: string; reason?: string };
}

export interface IngestContext {
  store: ServerDb;
  trust: Trust;
  now: () => Date;
  maxBytes: number;
}

/** Who is writing: a token's scope, or a sync remote's (`repositories` globs). */
export type IngestScope = Pick<ResolvedToken, 'repositories' | 'name'>;

/** The namespace of the per-repository transaction locks (ingest, and purge's roll-up recompute). */
export const REPOSITORY_LOCK = 7_311_502;

export function bundleDigest(bundleJson: unknown): string {
  return createHash('sha256').update(JSON.stringify(bundleJson)).digest('hex');
}

export async function ingestBundle(context: IngestContext, scope: IngestScope, body: Buffer | string): Promise<IngestOutcome> {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size > context.maxBytes) return reject(413, 'TOO_LARGE', `the bundle is ${size} bytes, over the server's limit of ${context.maxBytes} (limits.bundleBytes)`);
  let bundle: unknown;
  try {
    bundle = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (error) {
    return reject(400, 'MALFORMED', `the body is not JSON: ${(error as Error).message}`);
  }
  const peek = peekStatement(bundle);
  if (typeof peek === 'string') return reject(400, 'MALFORMED', peek);
  // Compact JSON of what was parsed: the same bundle sent with other whitespace is the same bundle.
  const digest = bundleDigest(bundle);

  const outside = peek.repositories.filter((r) => !scope.repositories.some((glob) => repositoryMatches(glob, r)));
  if (outside.length > 0) return reject(403, 'OUT_OF_SCOPE', `the bundle attests commits of ${outside.join(', ')}, which ${scope.name} may not write (it may write ${scope.repositories.join(', ')})`);

  const known = await context.store.db
    .selectFrom('bundles')
    .innerJoin('repos', 'repos.id', 'bundles.repo_id')
    .select(['bundles.digest', 'repos.name'])
    .where('bundles.digest', '=', digest)
    .executeTakeFirst();
  if (known) return { status: 200, body: { digest, repository: known.name, duplicate: true } };

  if (peek.repositories.length !== 1) return reject(422, 'UNVERIFIED', `the bundle's subjects name ${peek.repositories.length} repositories (${peek.repositories.join(', ')}); an attestation covers one`, 'SUBJECT');
  const repository = peek.repositories[0]!;
  const checked = await context.trust.verify(bundle, repository);
  if (!checked.ok) return reject(422, 'UNVERIFIED', checked.message, checked.code);
  const statement = checked.statement;
  // What was signed must say what was peeked at (it does unless the peek was fooled) and be one repository.
  if (statement.predicate.repository.name !== repository || statement.subject.some((s) => subjectRepository(s.name) !== repository)) {
    return reject(422, 'UNVERIFIED', `the signed statement names the repository ${JSON.stringify(statement.predicate.repository.name)} but its subjects are of ${repository}`, 'SUBJECT');
  }
  const signer = signerLabel(checked.signer);
  const signerJson = checked.signer.kind === 'key' ? { kind: 'key', key_id: checked.signer.keyId, owner: context.trust.owner(checked.signer.keyId) } : { kind: 'keyless', subject: checked.signer.subject, issuer: checked.signer.issuer };
  const stored = await store(context, { digest, repository, signer, signerJson: JSON.stringify(signerJson), statement, raw: JSON.stringify(bundle), size });
  if (stored.duplicate) return { status: 200, body: { digest, repository, duplicate: true } };
  return { status: 201, body: { digest, repository, signer, commits: stored.commits, sessions: stored.sessions } };
}

function reject(status: 400 | 403 | 413 | 422, code: IngestError['error']['code'], message: string, reason?: string): IngestOutcome {
  return { status, body: { error: { code, message, ...(reason !== undefined ? { reason } : {}) } } };
}

/** The repositories the (not yet verified) statement's subjects name, to pick the trust and check scope. */
function peekStatement(bundle: unknown): { repositories: string[] } | string {
  const envelope = (bundle as { dsseEnvelope?: { payload?: unknown } } | null)?.dsseEnvelope;
  if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle)) return 'the body is not a Sigstore bundle (a JSON object)';
  if (typeof envelope?.payload !== 'string') return 'the body is not a Sigstore bundle with a DSSE envelope (dsseEnvelope.payload)';
  let statement: unknown;
  try {
    statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
  } catch {
    return 'the DSSE payload is not base64 JSON';
  }
  const subjects = (statement as { subject?: unknown } | null)?.subject;
  if (!Array.isArray(subjects) || subjects.length === 0) return 'the DSSE payload has no subjects: it is not an in-toto statement';
  const names = subjects.map((s) => (s as { name?: unknown } | null)?.name);
  if (!names.every((n): n is string => typeof n === 'string' && n.includes('@'))) return 'every subject must be named <repository>@<sha>';
  return { repositories: [...new Set(names.map(subjectRepository))] };
}

interface ToStore {
  digest: string;
  repository: string;
  signer: string;
  signerJson: string;
  statement: Statement;
  raw: string;
  size: number;
}

async function store(context: IngestContext, input: ToStore): Promise<{ duplicate: boolean; commits: number; sessions: number }> {
  const { engine } = context.store;
  const now = context.now().toISOString();
  const facts = attestationFacts(input.statement);
  return writeTransaction(context.store, async (tx) => {
    const known = await tx.selectFrom('repos').select('id').where('name', '=', input.repository).executeTakeFirst();
    if (!known) await tx.insertInto('repos').values({ name: input.repository, first_seen_at: now }).onConflict((oc) => oc.column('name').doNothing()).execute();
    const repoId = Number((known ?? (await tx.selectFrom('repos').select('id').where('name', '=', input.repository).executeTakeFirstOrThrow())).id);
    if (engine === 'postgres') await sql`SELECT pg_advisory_xact_lock(${REPOSITORY_LOCK}, ${repoId}::int)`.execute(tx);
    const inserted = await tx
      .insertInto('bundles')
      .values({ digest: input.digest, repo_id: repoId, signer: input.signer, created_at: facts.created_at, received_at: now, size: input.size, raw: input.raw })
      .onConflict((oc) => oc.column('digest').doNothing())
      .returning('digest')
      .executeTakeFirst();
    if (!inserted) return { duplicate: true, commits: 0, sessions: 0 };
    if (facts.commits.length > 0) {
      await tx
        .insertInto('commits')
        .values(facts.commits.map((c) => ({ repo_id: repoId, sha: c.sha, author_name: c.author_name, author_email: c.author_email, committed_at: c.committed_at, lines_added: c.lines_added, ai_lines_added: c.ai_lines_added, captured: c.captured ? 1 : 0, received_at: now })))
        .onConflict((oc) => oc.columns(['repo_id', 'sha']).doNothing())
        .execute();
      await tx
        .insertInto('bundle_commits')
        .values(facts.commits.map((c) => ({ digest: input.digest, repo_id: repoId, sha: c.sha })))
        .onConflict((oc) => oc.columns(['digest', 'sha']).doNothing())
        .execute();
    }
    const days = await mergeSessions(tx, repoId, facts.sessions, { digest: input.digest, createdAt: facts.created_at, now, signer: input.signerJson });
    const commitDays = facts.commits.map((c) => c.committed_at.slice(0, 10));
    await recompute(tx, SESSION_ROLLUPS, { repoIds: [repoId], days: [...days] });
    await recompute(tx, COMMIT_ROLLUPS, { repoIds: [repoId], days: commitDays });
    await recomputeOrg(tx, engine, [
      { rollups: SESSION_ORG_ROLLUPS, days: [...days] },
      { rollups: COMMIT_ORG_ROLLUPS, days: commitDays },
    ]);
    return { duplicate: false, commits: facts.commits.length, sessions: facts.sessions.length };
  });
}

type SessionRowValues = Omit<SessionsTable, 'id'>;

/**
 * Merge rules: usage, models, threads and last prompt are cumulative snapshots, so the one from the
 * newest attestation (its created_at) wins (guard denials: the largest count seen); commits are per push, so they are a union and the code
 * figures are summed again from it; start is the earliest seen, last activity the latest.
 * All of a bundle's sessions are merged together (a statement per step, not per session).
 * Returns the days (of last activity, before and after) whose roll-ups must be recomputed.
 */
async function mergeSessions(tx: Kysely<ServerDatabase>, repoId: number, sessions: readonly SessionFacts[], bundle: { digest: string; createdAt: string; now: string; signer: string }): Promise<Set<string>> {
  const days = new Set<string>();
  if (sessions.length === 0) return days;
  const unique = [...new Map(sessions.map((s) => [s.session_id, s])).values()].sort((a, b) => (a.session_id < b.session_id ? -1 : 1));
  const existingRows = await tx.selectFrom('sessions').selectAll().where('repo_id', '=', repoId).where('session_id', 'in', unique.map((s) => s.session_id)).execute();
  const existing = new Map(existingRows.map((row) => [row.session_id, row]));
  /** Session rows whose snapshot (models, threads) this bundle replaces or first writes. */
  const snapshotIds: number[] = [];
  const replaced: number[] = [];
  const ids = new Map<string, number>();
  for (const s of unique) {
    const old = existing.get(s.session_id);
    const snapshot = {
      agent: s.agent,
      agent_version: s.agent_version,
      models: JSON.stringify(s.models),
      initiator_name: s.initiator_name,
      initiator_email: s.initiator_email,
      branch: s.branch,
      ended_at: s.ended_at,
      threads: s.threads,
      tool_calls: s.tool_calls,
      tool_errors: s.tool_errors,
      input_tokens: s.input_tokens,
      cache_read_tokens: s.cache_read_tokens,
      cache_write_tokens: s.cache_write_tokens,
      output_tokens: s.output_tokens,
      cost_micros: s.cost_micros,
      unpriced: s.unpriced ? 1 : 0,
      prices_as_of: s.prices_as_of,
      last_prompt: s.last_prompt,
      signer: bundle.signer,
      snapshot_at: bundle.createdAt,
      latest_bundle: bundle.digest,
    };
    days.add(s.last_active_at.slice(0, 10));
    if (!old) {
      const values: SessionRowValues = { repo_id: repoId, session_id: s.session_id, ...snapshot, started_at: s.started_at, last_active_at: s.last_active_at, commits: 0, lines_added: 0, ai_lines_added: 0, guard_denied: s.guard_denied ?? 0, updated_at: bundle.now };
      const row = await tx.insertInto('sessions').values(values).returning('id').executeTakeFirstOrThrow();
      ids.set(s.session_id, Number(row.id));
      snapshotIds.push(Number(row.id));
      continue;
    }
    const id = Number(old.id);
    ids.set(s.session_id, id);
    days.add(old.last_active_at.slice(0, 10));
    const newer = bundle.createdAt >= old.snapshot_at;
    if (newer) {
      snapshotIds.push(id);
      replaced.push(id);
    }
    const earliest = [old.started_at, s.started_at].filter((t): t is string => t !== null).sort()[0] ?? null;
    const latest = old.last_active_at > s.last_active_at ? old.last_active_at : s.last_active_at;
    const kept = newer ? { ...snapshot, initiator_email: s.initiator_email ?? old.initiator_email, initiator_name: s.initiator_name ?? old.initiator_name, branch: s.branch ?? old.branch } : {};
    // The guard's record is cumulative (every decision so far): the most denials any snapshot shows,
    // whatever order the pushes arrive in, and a push without the record leaves the count as it was.
    const denied = Math.max(Number(old.guard_denied), s.guard_denied ?? 0);
    await tx.updateTable('sessions').set({ ...kept, started_at: earliest, last_active_at: latest, guard_denied: denied, updated_at: bundle.now }).where('id', '=', id).execute();
  }
  const all = [...ids.values()];
  const commits = unique.flatMap((s) => s.commits.map((c) => ({ session_pk: ids.get(s.session_id)!, sha: c.sha, lines_added: c.lines_added, ai_lines_added: c.ai_lines_added })));
  if (commits.length > 0) await tx.insertInto('session_commits').values(commits).onConflict((oc) => oc.columns(['session_pk', 'sha']).doNothing()).execute();
  // The code figures, summed again from the union of each session's commits.
  await tx
    .updateTable('sessions')
    .set({
      commits: sql<number>`(SELECT count(*) FROM session_commits c WHERE c.session_pk = sessions.id)`,
      lines_added: sql<number>`(SELECT coalesce(sum(c.lines_added), 0) FROM session_commits c WHERE c.session_pk = sessions.id)`,
      ai_lines_added: sql<number>`(SELECT coalesce(sum(c.ai_lines_added), 0) FROM session_commits c WHERE c.session_pk = sessions.id)`,
    })
    .where('id', 'in', all)
    .execute();
  if (replaced.length > 0) {
    await tx.deleteFrom('session_models').where('session_pk', 'in', replaced).execute();
    await tx.deleteFrom('threads').where('session_pk', 'in', replaced).execute();
    await tx.deleteFrom('tool_calls').where('session_pk', 'in', replaced).execute();
  }
  const takes = unique.filter((s) => snapshotIds.includes(ids.get(s.session_id)!));
  const models = takes.flatMap((s) => {
    const list = s.by_model.length > 0 ? s.by_model : s.models.map((model) => ({ model, responses: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_micros: null }));
    return [...new Map(list.map((m) => [m.model, m])).values()].map((m) => ({ session_pk: ids.get(s.session_id)!, ...m }));
  });
  if (models.length > 0) await tx.insertInto('session_models').values(models).execute();
  const threads = takes.flatMap((s) => [...new Map(s.by_thread.map((t) => [t.idx, t])).values()].map((t) => ({ session_pk: ids.get(s.session_id)!, ...t, models: JSON.stringify(t.models), unpriced: t.unpriced ? 1 : 0 })));
  if (threads.length > 0) await tx.insertInto('threads').values(threads).execute();
  const calls = takes.flatMap((s) =>
    s.calls.map((c, seq) => ({
      session_pk: ids.get(s.session_id)!,
      seq,
      thread_idx: c.thread,
      tool_use_id: c.id,
      tool: c.tool,
      input: c.input === null ? null : JSON.stringify(c.input),
      at: c.at,
      status: c.status,
      error: c.error,
      guard: c.guard === null ? null : JSON.stringify(c.guard),
    })),
  );
  // In slices: a statement's bound parameters are limited (SQLite 32,766).
  for (let i = 0; i < calls.length; i += 1000) await tx.insertInto('tool_calls').values(calls.slice(i, i + 1000)).execute();
  return days;
}
