// Numbered migrations (src/server/migrations/NNN_name.ts), applied at start in order, each once.
// PostgreSQL: under a session advisory lock, so servers starting together take turns; SQLite: in
// one immediate transaction (the file's write lock does the same).
import { sql, type Kysely } from 'kysely';
import type { Engine, ServerDatabase, ServerDb } from './db.js';
import * as m001 from './migrations/001_initial.js';
import * as m002 from './migrations/002_rollups.js';
import * as m003 from './migrations/003_tool_calls.js';

interface Migration {
  version: number;
  name: string;
  statements: (engine: Engine) => string[];
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: m001.name, statements: m001.statements },
  { version: 2, name: m002.name, statements: m002.statements },
  { version: 3, name: m003.name, statements: m003.statements },
];

/** An arbitrary constant: the advisory lock key of trace server migrations. */
const LOCK_KEY = 7_311_502_019;

export async function migrate(store: ServerDb, now: () => Date = () => new Date()): Promise<{ applied: number[] }> {
  return store.db.connection().execute(async (conn) => {
    if (store.engine === 'postgres') await sql`SELECT pg_advisory_lock(${LOCK_KEY})`.execute(conn);
    else await sql`BEGIN IMMEDIATE`.execute(conn);
    try {
      const applied = await pending(conn, store.engine, now);
      if (store.engine === 'sqlite') await sql`COMMIT`.execute(conn);
      return { applied };
    } catch (error) {
      if (store.engine === 'sqlite') await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw error;
    } finally {
      if (store.engine === 'postgres') await sql`SELECT pg_advisory_unlock(${LOCK_KEY})`.execute(conn);
    }
  });
}

async function pending(conn: Kysely<ServerDatabase>, engine: Engine, now: () => Date): Promise<number[]> {
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)`.execute(conn);
  const done = new Set((await conn.selectFrom('schema_migrations').select('version').execute()).map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (done.has(migration.version)) continue;
    const run = async (tx: Kysely<ServerDatabase>) => {
      for (const statement of migration.statements(engine)) await sql.raw(statement).execute(tx);
      await tx.insertInto('schema_migrations').values({ version: migration.version, name: migration.name, applied_at: now().toISOString() }).execute();
    };
    // PostgreSQL runs DDL in transactions: a migration applies whole or not at all. SQLite is already in one.
    if (engine === 'postgres') await conn.transaction().execute(run);
    else await run(conn);
    applied.push(migration.version);
  }
  return applied;
}
