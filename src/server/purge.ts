// Retention: content (bundle bytes, prompts, tool inputs) and metadata (sessions, commits, bundles) each have
// their own days; 0 keeps forever. Rows go in bounded batches, each its own short statement, with a
// pause between, so readers are never behind one long delete. Cascades remove a session's rows.
import { setTimeout as sleep } from 'node:timers/promises';
import { writeTransaction, type ServerDb } from './db.js';

export interface PurgeOptions {
  contentDays: number;
  metadataDays: number;
  batch: number;
  now: () => Date;
  /** Between batches (ms). */
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
      const n = await step();
      result[kind] += n;
      if (n > 0) options.onBatch?.(kind, n);
      if (n < options.batch) return;
      if (options.pauseMs !== 0) await sleep(options.pauseMs ?? 100);
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
    await loop('sessions', async () => {
      const ids = (await db.selectFrom('sessions').select('id').where('last_active_at', '<', before).limit(options.batch).execute()).map((r) => Number(r.id));
      if (ids.length === 0) return 0;
      await db.deleteFrom('sessions').where('id', 'in', ids).execute();
      return ids.length;
    });
    await loop('commits', async () => {
      const keys = await db.selectFrom('commits').select(['repo_id', 'sha']).where('committed_at', '<', before).limit(options.batch).execute();
      if (keys.length === 0) return 0;
      await writeTransaction(store, async (tx) => {
        for (const key of keys) await tx.deleteFrom('commits').where('repo_id', '=', key.repo_id).where('sha', '=', key.sha).execute();
      });
      return keys.length;
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
