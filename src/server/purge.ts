// Retention: content (bundle bytes, prompts, tool inputs) and metadata (sessions, commits, bundles) each have
// their own days; 0 keeps forever. Rows go in bounded batches, each its own short statement, with a
// pause between, so readers are never behind one long delete. Cascades remove a session's rows; the
// day roll-ups of what a batch deleted are summed again in its transaction, under the repositories'
// ingest locks (PostgreSQL), so they always equal their rows and never race an ingest's recompute.
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import { writeTransaction, type ServerDatabase, type ServerDb } from './db.js';
import { REPOSITORY_LOCK } from './ingest.js';
import { COMMIT_ORG_ROLLUPS, COMMIT_ROLLUPS, recompute, recomputeOrg, SESSION_ORG_ROLLUPS, SESSION_ROLLUPS } from './rollups.js';

export interface PurgeOptions {
  contentDays: number;
  metadataDays: number;
  batch: number;
  now: () => Date;
  /** Between batches (ms); default: as long as the batch took, at least 100. */
  pauseMs?: number;
  onBatch?: (kind: PurgeKind, rows: number) => void;
}

export type PurgeKind = 'bundle_content' | 'prompts' | 'sessions' | 'commits' | 'bundles';

export type PurgeResult = Record<PurgeKind, number>;

export async function purge(store: ServerDb, options: PurgeOptions): Promise<PurgeResult> {
  const result: PurgeResult = { bundle_content: 0, prompts: 0, sessions: 0, commits: 0, bundles: 0 };
  const { db } = store;
  const cutoff = (days: number) => new Date(options.now().getTime() - days * 86_400_000).toISOString();
  const loop = async (kind: PurgeKind, step: () => Promise<number>) => {
    for (;;) {
      const started = performance.now();
      const n = await step();
      result[kind] += n;
      if (n > 0) options.onBatch?.(kind, n);
      if (n < options.batch) return;
      // By default at least as long as the batch took (and 100 ms): the purge holds the database at
      // most about half the time, whatever a batch cascades to (a session's threads, models, commits).
      const pause = options.pauseMs ?? Math.max(100, performance.now() - started);
      if (pause > 0) await sleep(pause);
    }
  };
  if (options.contentDays > 0) {
    const before = cutoff(options.contentDays);
    await loop('bundle_content', async () => {
      const digests = (await db.selectFrom('bundles').select('digest').where('raw', 'is not', null).where('received_at', '<', before).limit(options.batch).execute()).map((r) => r.digest);
      if (digests.length === 0) return 0;
      await db.updateTable('bundles').set({ raw: null }).where('digest', 'in', digests).execute();
      return digests.length;
    });
    await loop('prompts', async () => {
      const ids = (
        await db
          .selectFrom('sessions')
          .select('id')
          .where('last_active_at', '<', before)
          .where((eb) =>
            eb.or([
              eb('last_prompt', 'is not', null),
              eb.exists(eb.selectFrom('threads').select('threads.idx').whereRef('threads.session_pk', '=', 'sessions.id').where('threads.prompt', 'is not', null)),
              eb.exists(eb.selectFrom('tool_calls').select('tool_calls.seq').whereRef('tool_calls.session_pk', '=', 'sessions.id').where('tool_calls.input', 'is not', null)),
            ]),
          )
          .limit(options.batch)
          .execute()
      ).map((r) => Number(r.id));
      if (ids.length === 0) return 0;
      await writeTransaction(store, async (tx) => {
        await tx.updateTable('threads').set({ prompt: null }).where('session_pk', 'in', ids).execute();
        await tx.updateTable('sessions').set({ last_prompt: null }).where('id', 'in', ids).execute();
        await tx.updateTable('tool_calls').set({ input: null }).where('session_pk', 'in', ids).where('input', 'is not', null).execute();
      });
      return ids.length;
    });
  }
  if (options.metadataDays > 0) {
    const before = cutoff(options.metadataDays);
    // Oldest first, so a batch spans few days: its roll-ups are summed again for those (repository, day) keys.
    await loop('sessions', async () => {
      const victims = await db.selectFrom('sessions').select(['id', 'repo_id', 'last_active_at']).where('last_active_at', '<', before).orderBy('last_active_at').limit(options.batch).execute();
      if (victims.length === 0) return 0;
      const keys = { repoIds: victims.map((v) => Number(v.repo_id)), days: victims.map((v) => v.last_active_at.slice(0, 10)) };
      return writeTransaction(store, async (tx) => {
        await lockRepositories(store, tx, keys.repoIds);
        const gone = await tx.deleteFrom('sessions').where('id', 'in', victims.map((v) => Number(v.id))).where('last_active_at', '<', before).executeTakeFirst();
        await recompute(tx, SESSION_ROLLUPS, keys);
        await recomputeOrg(tx, store.engine, [{ rollups: SESSION_ORG_ROLLUPS, days: keys.days }]);
        return Number(gone.numDeletedRows);
      });
    });
    await loop('commits', async () => {
      const victims = await db.selectFrom('commits').select(['repo_id', 'sha', 'committed_at']).where('committed_at', '<', before).orderBy('committed_at').limit(options.batch).execute();
      if (victims.length === 0) return 0;
      const byRepo = new Map<number, string[]>();
      for (const v of victims) byRepo.set(Number(v.repo_id), [...(byRepo.get(Number(v.repo_id)) ?? []), v.sha]);
      const keys = { repoIds: [...byRepo.keys()], days: victims.map((v) => v.committed_at.slice(0, 10)) };
      return writeTransaction(store, async (tx) => {
        await lockRepositories(store, tx, keys.repoIds);
        let n = 0;
        for (const [repoId, shas] of byRepo) n += Number((await tx.deleteFrom('commits').where('repo_id', '=', repoId).where('sha', 'in', shas).where('committed_at', '<', before).executeTakeFirst()).numDeletedRows);
        await recompute(tx, COMMIT_ROLLUPS, keys);
        await recomputeOrg(tx, store.engine, [{ rollups: COMMIT_ORG_ROLLUPS, days: keys.days }]);
        return n;
      });
    });
    await loop('bundles', async () => {
      const digests = (await db.selectFrom('bundles').select('digest').where('received_at', '<', before).limit(options.batch).execute()).map((r) => r.digest);
      if (digests.length === 0) return 0;
      await db.deleteFrom('bundles').where('digest', 'in', digests).execute();
      return digests.length;
    });
  }
  return result;
}

/** PostgreSQL: the ingest's per-repository transaction locks, taken in id order (no deadlock between two purges); SQLite has one writer. */
async function lockRepositories(store: ServerDb, tx: Kysely<ServerDatabase>, repoIds: readonly number[]): Promise<void> {
  if (store.engine !== 'postgres') return;
  const ids = [...new Set(repoIds)].sort((a, b) => a - b);
  await sql`SELECT pg_advisory_xact_lock(${REPOSITORY_LOCK}, t.r) FROM (SELECT r FROM unnest(${ids}::int[]) AS r ORDER BY r) t`.execute(tx);
}
