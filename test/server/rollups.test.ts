// The day roll-ups the org dashboard reads (usage_daily, models_daily, commits_daily) against a
// recomputation from the raw rows, on both engines: after ingest, after a merged session moves to
// another day, after a replay, after purge; the migration that adds them upgrading a database of
// the first schema that already holds data; and has=denied from the attested guard record.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningKey } from '../../src/signing/key.js';
import { createApp } from '../../src/server/app.js';
import { resolveServerConfig, serverConfigSchema } from '../../src/server/config.js';
import { openServerDb, type ServerDb } from '../../src/server/db.js';
import { createMetrics } from '../../src/server/metrics.js';
import { migrate } from '../../src/server/migrate.js';
import * as m001 from '../../src/server/migrations/001_initial.js';
import { purge } from '../../src/server/purge.js';
import { orgStats } from '../../src/server/read.js';
import { loadTrust } from '../../src/server/trust.js';
import { type BundleSpec, keyPair, pushStatement, serverBed, signedBundle } from './support.js';

const ADMIN = 'admin-token-rollups-000000000';

let key: { key: SigningKey; pemFile: string };
const bed = serverBed('rollups', async (dir) => {
  key = await keyPair(dir, 'ada');
});

type Sums = Record<string, number>;
type Table = Map<string, Sums>;

const add = (table: Table, key: string, values: Sums) => {
  const sum = table.get(key) ?? Object.fromEntries(Object.keys(values).map((k) => [k, 0]));
  for (const [k, v] of Object.entries(values)) sum[k] = (sum[k] ?? 0) + v;
  table.set(key, sum);
};
const who = (email: string | null, name: string | null) => email ?? name ?? '';

/** The four roll-ups summed in JavaScript from the raw rows. */
type Tables = Record<'usage' | 'people' | 'models' | 'commits' | 'people_org' | 'models_org' | 'commits_org', Table>;

async function fromRaw(store: ServerDb): Promise<Tables> {
  const sessions = await store.db.selectFrom('sessions').selectAll().execute();
  const usage: Table = new Map();
  const people: Table = new Map();
  for (const s of sessions) {
    add(people, [s.last_active_at.slice(0, 10), s.repo_id, who(s.initiator_email, s.initiator_name)].join('|'), {
      sessions: 1, threads: Number(s.threads), tool_calls: Number(s.tool_calls), tool_errors: Number(s.tool_errors), input_tokens: Number(s.input_tokens),
      output_tokens: Number(s.output_tokens), cache_read_tokens: Number(s.cache_read_tokens), cache_write_tokens: Number(s.cache_write_tokens),
      cost_micros: Number(s.cost_micros ?? 0), unpriced_sessions: Number(s.unpriced), ai_lines_added: Number(s.ai_lines_added),
    });
    add(usage, [s.last_active_at.slice(0, 10), s.repo_id, who(s.initiator_email, s.initiator_name), s.agent].join('|'), {
      sessions: 1, threads: Number(s.threads), tool_calls: Number(s.tool_calls), tool_errors: Number(s.tool_errors), input_tokens: Number(s.input_tokens),
      output_tokens: Number(s.output_tokens), cache_read_tokens: Number(s.cache_read_tokens), cache_write_tokens: Number(s.cache_write_tokens),
      cost_micros: Number(s.cost_micros ?? 0), unpriced_sessions: Number(s.unpriced), commits: Number(s.commits), lines_added: Number(s.lines_added), ai_lines_added: Number(s.ai_lines_added),
    });
  }
  const byId = new Map(sessions.map((s) => [Number(s.id), s]));
  const models: Table = new Map();
  for (const m of await store.db.selectFrom('session_models').selectAll().execute()) {
    const s = byId.get(Number(m.session_pk))!;
    add(models, [s.last_active_at.slice(0, 10), s.repo_id, who(s.initiator_email, s.initiator_name), m.model].join('|'), {
      sessions: 1, responses: Number(m.responses), input_tokens: Number(m.input_tokens), output_tokens: Number(m.output_tokens), cache_read_tokens: Number(m.cache_read_tokens),
      cache_write_tokens: Number(m.cache_write_tokens), cost_micros: Number(m.cost_micros ?? 0), priced_sessions: m.cost_micros === null ? 0 : 1,
    });
  }
  const commits: Table = new Map();
  for (const c of await store.db.selectFrom('commits').selectAll().execute()) {
    add(commits, [c.committed_at.slice(0, 10), c.repo_id, who(c.author_email, c.author_name)].join('|'), {
      commits: 1, ai_commits: Number(c.ai_lines_added) > 0 ? 1 : 0, lines_added: Number(c.lines_added), ai_lines_added: Number(c.ai_lines_added),
    });
  }
  /** The organisation's tables: the same sums with the repository (for models also the person) left out of the key. */
  const org = (table: Table, drop: number[]): Table => {
    const out: Table = new Map();
    for (const [key, sums] of table) add(out, key.split('|').filter((_, i) => !drop.includes(i)).join('|'), sums);
    return out;
  };
  return { usage, people, models, commits, people_org: org(people, [1]), models_org: org(models, [1, 2]), commits_org: org(commits, [1]) };
}

/** What the roll-up tables hold, keyed as fromRaw keys them. */
async function held(store: ServerDb): Promise<Tables> {
  const table = (rows: Record<string, unknown>[], keys: string[]): Table =>
    new Map(rows.map((r) => [keys.map((k) => String(r[k])).join('|'), Object.fromEntries(Object.entries(r).filter(([k]) => !keys.includes(k)).map(([k, v]) => [k, Number(v)]))]));
  return {
    usage: table(await store.db.selectFrom('usage_daily').selectAll().execute(), ['day', 'repo_id', 'initiator', 'agent']),
    people: table(await store.db.selectFrom('people_daily').selectAll().execute(), ['day', 'repo_id', 'initiator']),
    models: table(await store.db.selectFrom('models_daily').selectAll().execute(), ['day', 'repo_id', 'initiator', 'model']),
    commits: table(await store.db.selectFrom('commits_daily').selectAll().execute(), ['day', 'repo_id', 'author']),
    people_org: table(await store.db.selectFrom('people_org_daily').selectAll().execute(), ['day', 'initiator']),
    models_org: table(await store.db.selectFrom('models_org_daily').selectAll().execute(), ['day', 'model']),
    commits_org: table(await store.db.selectFrom('commits_org_daily').selectAll().execute(), ['day', 'author']),
  };
}

const sorted = (table: Table) => [...table].sort(([a], [b]) => (a < b ? -1 : 1));

async function expectRollupsMatchRaw(store: ServerDb): Promise<void> {
  const [raw, kept] = [await fromRaw(store), await held(store)];
  expect(sorted(kept.usage)).toEqual(sorted(raw.usage));
  expect(sorted(kept.people)).toEqual(sorted(raw.people));
  expect(sorted(kept.models)).toEqual(sorted(raw.models));
  expect(sorted(kept.commits)).toEqual(sorted(raw.commits));
  expect(sorted(kept.people_org)).toEqual(sorted(raw.people_org));
  expect(sorted(kept.models_org)).toEqual(sorted(raw.models_org));
  expect(sorted(kept.commits_org)).toEqual(sorted(raw.commits_org));
}

/** The org dashboard's figures of a window, from the raw rows (what orgStats used to group at read time). */
async function dashboardFromRaw(store: ServerDb, since: string, until: string, repository?: string) {
  const inWindow = (t: string) => t.slice(0, 10) >= since && t.slice(0, 10) < until;
  const repo = repository === undefined ? undefined : Number((await store.db.selectFrom('repos').select('id').where('name', '=', repository).executeTakeFirstOrThrow()).id);
  const inRepo = (id: number) => repo === undefined || Number(id) === repo;
  const sessions = (await store.db.selectFrom('sessions').selectAll().execute()).filter((s) => inWindow(s.last_active_at) && inRepo(s.repo_id));
  const commits = (await store.db.selectFrom('commits').selectAll().execute()).filter((c) => inWindow(c.committed_at) && inRepo(c.repo_id));
  const ids = new Set(sessions.map((s) => Number(s.id)));
  const models = new Map<string, { sessions: number; cost: number | null; tokens: number }>();
  for (const m of await store.db.selectFrom('session_models').selectAll().execute()) {
    if (!ids.has(Number(m.session_pk))) continue;
    const e = models.get(m.model) ?? { sessions: 0, cost: null, tokens: 0 };
    e.sessions += 1;
    if (m.cost_micros !== null) e.cost = (e.cost ?? 0) + Number(m.cost_micros);
    e.tokens += Number(m.input_tokens) + Number(m.output_tokens) + Number(m.cache_read_tokens) + Number(m.cache_write_tokens);
    models.set(m.model, e);
  }
  const users = new Map<string, { initiator: string; sessions: number; cost_usd: number; ai_lines_added: number }>();
  for (const s of sessions) {
    const key = who(s.initiator_email, s.initiator_name);
    const e = users.get(key) ?? { initiator: key, sessions: 0, cost_usd: 0, ai_lines_added: 0 };
    e.sessions += 1;
    e.cost_usd += Number(s.cost_micros ?? 0) / 1e6;
    e.ai_lines_added += Number(s.ai_lines_added);
    users.set(key, e);
  }
  return {
    top_users: [...users.values()].sort((a, b) => b.sessions - a.sessions || (a.initiator < b.initiator ? -1 : 1)).slice(0, 10),
    sessions: sessions.length,
    threads: sessions.reduce((n, s) => n + Number(s.threads), 0),
    active_users: new Set(sessions.map((s) => who(s.initiator_email, s.initiator_name))).size,
    cost_usd: sessions.reduce((n, s) => n + Number(s.cost_micros ?? 0), 0) / 1e6,
    commits: commits.length,
    ai_assisted_commits: commits.filter((c) => Number(c.ai_lines_added) > 0).length,
    lines_added: commits.reduce((n, c) => n + Number(c.lines_added), 0),
    ai_lines_added: commits.reduce((n, c) => n + Number(c.ai_lines_added), 0),
    models: [...models].map(([model, e]) => ({ model, sessions: e.sessions, cost_usd: e.cost === null ? null : e.cost / 1e6, tokens: e.tokens })).sort((a, b) => b.sessions - a.sessions || (a.model < b.model ? -1 : 1)),
  };
}

async function expectDashboardMatchesRaw(store: ServerDb, since: string, until: string, repository?: string): Promise<void> {
  const stats = await orgStats(store, { since, until, repository });
  const raw = await dashboardFromRaw(store, since, until, repository);
  const { models, top_users: top, ...figures } = raw;
  expect({ ...stats.current, ai_share: undefined, tool_calls: undefined, token_usage: undefined, unpriced_sessions: undefined }).toEqual({ ...figures, ai_share: undefined, tool_calls: undefined, token_usage: undefined, unpriced_sessions: undefined });
  expect(stats.models).toEqual(models);
  expect(stats.top_users.map((u) => ({ ...u, cost_usd: Math.round(u.cost_usd * 1e6) }))).toEqual(top.map((u) => ({ ...u, cost_usd: Math.round(u.cost_usd * 1e6) })));
}

const session = (id: string, day: string, extra: object = {}) => ({ id, startedAt: `${day}T09:00:00.000Z`, endedAt: `${day}T10:00:00.000Z`, ...extra });

describe.each(bed.engines)('day roll-ups on %s', (engine) => {
  let store: ServerDb;
  let app: ReturnType<typeof createApp>;
  const now = () => new Date('2026-12-01T12:00:00Z');
  const post = async (spec: BundleSpec | string) => {
    const body = typeof spec === 'string' ? spec : await signedBundle(key.key, pushStatement(spec));
    return app.request('/api/v1/attestations', { method: 'POST', body, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } });
  };
  const get = async <T>(path: string) => (await (await app.request(path, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as T;

  beforeAll(async () => {
    store = await openServerDb(await bed.database(engine));
    await migrate(store);
    const cfg = resolveServerConfig(serverConfigSchema.parse({ tokens: [{ token: ADMIN, role: 'admin' }], trust: [{ repositories: ['acme/*'], keys: [key.pemFile] }] }), { baseDir: bed.dir, env: {} });
    app = createApp({ config: cfg, store, trust: loadTrust(cfg), metrics: createMetrics({ defaults: false }), now });
  });
  afterAll(async () => {
    await store.close();
  });

  it('equal a recomputation from the raw rows after ingest, a merge that moves a session to another day, a replay and a purge', async () => {
    const ada = { name: 'Ada', email: 'ada@example.com' };
    const bob = { name: 'Bob', email: 'bob@example.com' };
    const pushes: BundleSpec[] = [
      { repository: 'acme/api', createdAt: '2026-11-20T12:00:00Z', author: ada, commits: 3, sessions: [session('s-api-1', '2026-11-20'), session('s-api-2', '2026-11-20', { model: 'gpt-5', agent: 'codex' })] },
      { repository: 'acme/api', createdAt: '2026-11-22T12:00:00Z', author: bob, commits: 2, sessions: [session('s-api-3', '2026-11-22', { costUsd: 2, toolErrors: 1 })] },
      { repository: 'acme/web', createdAt: '2026-11-22T13:00:00Z', author: ada, commits: 1, sessions: [session('s-web-1', '2026-11-22', { model: 'gpt-5', agent: 'codex' })] },
      { repository: 'acme/web', createdAt: '2026-10-01T12:00:00Z', author: bob, commits: 2, sessions: [session('s-web-old', '2026-10-01')] },
      { repository: 'acme/api', createdAt: '2026-11-25T12:00:00Z', author: ada, sessions: [], shas: ['a'.repeat(40)] },
    ];
    const bodies = await Promise.all(pushes.map(async (push) => signedBundle(key.key, pushStatement(push))));
    for (const body of bodies) expect((await post(body)).status).toBe(201);
    await expectRollupsMatchRaw(store);
    await expectDashboardMatchesRaw(store, '2026-11-01', '2026-12-01');

    // The session is pushed again later: its newest snapshot moves its last activity from the 20th to
    // the 27th and adds a model; the 20th's rows must lose it, the 27th's gain it.
    const moved = { ...session('s-api-1', '2026-11-20'), endedAt: '2026-11-27T18:00:00.000Z', prompts: ['one', 'two'], inputTokens: 5000, costUsd: 4 };
    expect((await post({ repository: 'acme/api', createdAt: '2026-11-27T19:00:00Z', author: ada, commits: 2, sessions: [moved] })).status).toBe(201);
    const row = await store.db.selectFrom('sessions').select(['last_active_at', 'commits']).where('session_id', '=', 's-api-1').executeTakeFirstOrThrow();
    expect(row.last_active_at.slice(0, 10)).toBe('2026-11-27');
    expect(Number(row.commits)).toBe(4);
    const day20 = await store.db.selectFrom('usage_daily').select((eb) => eb.fn.sum<number>('sessions').as('n')).where('day', '=', '2026-11-20').executeTakeFirstOrThrow();
    expect(Number(day20.n)).toBe(1);
    await expectRollupsMatchRaw(store);
    await expectDashboardMatchesRaw(store, '2026-11-01', '2026-12-01');
    await expectDashboardMatchesRaw(store, '2026-11-21', '2026-11-28');
    await expectDashboardMatchesRaw(store, '2026-11-01', '2026-12-01', 'acme/api');

    // A replay changes no figure.
    const before = await held(store);
    expect((await post(bodies[1]!)).status).toBe(200);
    expect(sorted((await held(store)).usage)).toEqual(sorted(before.usage));
    await expectRollupsMatchRaw(store);

    // Purge with a cutoff inside the window (2026-11-21): the 20th and October go, batch by batch.
    const purged = await purge(store, { contentDays: 0, metadataDays: 10, batch: 1, now, pauseMs: 0 });
    expect(purged.sessions).toBe(2);
    expect(purged.commits).toBe(5);
    expect(await store.db.selectFrom('usage_daily').select('day').where('day', '<', '2026-11-21').execute()).toEqual([]);
    expect(await store.db.selectFrom('commits_daily').select('day').where('day', '<', '2026-11-21').execute()).toEqual([]);
    await expectRollupsMatchRaw(store);
    await expectDashboardMatchesRaw(store, '2026-11-01', '2026-12-01');
    await expectDashboardMatchesRaw(store, '2026-11-01', '2026-12-01', 'acme/web');
    const stats = await orgStats(store, { since: '2026-11-01', until: '2026-12-01', initiator: 'ada@example.com' });
    expect(stats.current.sessions).toBe(2);
    expect(stats.models.map((m) => m.model).sort()).toEqual(['claude-opus-4-5', 'gpt-5']);
  });

  it('stay equal to the raw rows when ingests of two repositories of one day and a purge run at once', async () => {
    const people = [{ name: 'Cy', email: 'cy@example.com' }, { name: 'Di', email: 'di@example.com' }];
    const bodies = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        signedBundle(key.key, pushStatement({ repository: i % 2 ? 'acme/api' : 'acme/web', createdAt: `2026-11-30T${String(10 + i).padStart(2, '0')}:00:00Z`, author: people[i % 2]!, commits: 2, sessions: [session(`s-race-${i}`, '2026-11-30', { model: i % 3 ? 'gpt-5' : 'claude-opus-4-5' })] })),
      ),
    );
    const old = await signedBundle(key.key, pushStatement({ repository: 'acme/api', createdAt: '2026-09-01T12:00:00Z', author: people[0]!, commits: 3, sessions: [session('s-race-old', '2026-09-01')] }));
    expect((await post(old)).status).toBe(201);
    const answers = await Promise.all([...bodies.map(async (body) => (await post(body)).status), purge(store, { contentDays: 0, metadataDays: 60, batch: 1, now, pauseMs: 0 }).then(() => 0)]);
    expect(answers.filter((status) => status === 201)).toHaveLength(12);
    expect(await store.db.selectFrom('sessions').select('id').where('session_id', '=', 's-race-old').execute()).toEqual([]);
    await expectRollupsMatchRaw(store);
    await expectDashboardMatchesRaw(store, '2026-11-01', '2026-12-01');
  });

  it('filters has=denied by the attested guard record, and keeps the largest count a push shows', async () => {
    const ada = { name: 'Ada', email: 'ada@example.com' };
    expect((await post({ repository: 'acme/web', createdAt: '2026-11-29T12:00:00Z', author: ada, sessions: [session('s-guarded', '2026-11-29'), session('s-calm', '2026-11-29')], denials: { 's-guarded': 2, 's-calm': 0 } })).status).toBe(201);
    const denied = await get<{ sessions: { id: string }[]; count: number }>('/api/v1/sessions?has=denied&count=exact');
    expect(denied.sessions.map((s) => s.id)).toEqual(['s-guarded']);
    expect(denied.count).toBe(1);
    expect((await get<{ sessions: { id: string }[] }>('/api/v1/sessions?has=denied&has=errors')).sessions).toEqual([]);
    // The denied calls are steps of their own (the record kept no call of theirs), with the rule.
    const detail = await get<{ threads: { steps: { tool_use_id: string; status: string; guard: { rule: string } | null }[] }[] }>('/api/v1/sessions/s-guarded');
    const deniedSteps = detail.threads.flatMap((t) => t.steps).filter((step) => step.status === 'denied');
    expect(deniedSteps.map((step) => [step.tool_use_id, step.guard?.rule])).toEqual([
      ['toolu_0', 'no-force-push'],
      ['toolu_1', 'no-force-push'],
    ]);
    // An older push of the session with fewer denials, then a newer one without the guard's record: the count stays 2.
    expect((await post({ repository: 'acme/web', createdAt: '2026-11-29T11:00:00Z', author: ada, sessions: [session('s-guarded', '2026-11-29')], denials: { 's-guarded': 1 } })).status).toBe(201);
    expect((await post({ repository: 'acme/web', createdAt: '2026-11-29T15:00:00Z', author: ada, sessions: [session('s-guarded', '2026-11-29')] })).status).toBe(201);
    const kept = await store.db.selectFrom('sessions').select('guard_denied').where('session_id', '=', 's-guarded').executeTakeFirstOrThrow();
    expect(Number(kept.guard_denied)).toBe(2);
    // A newer push with more denials raises it.
    expect((await post({ repository: 'acme/web', createdAt: '2026-11-29T16:00:00Z', author: ada, sessions: [session('s-calm', '2026-11-29')], denials: { 's-calm': 1 } })).status).toBe(201);
    expect((await get<{ sessions: { id: string }[] }>('/api/v1/sessions?has=denied')).sessions.map((s) => s.id).sort()).toEqual(['s-calm', 's-guarded']);
    await expectRollupsMatchRaw(store);
  });

  it('upgrades a database of the first schema that holds data: the new roll-ups and usage_daily summed from its rows', async () => {
    const old = await openServerDb(await bed.database(engine));
    try {
      // Migration 1 only, as a server of the previous release left it.
      await sql`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)`.execute(old.db);
      for (const statement of m001.statements(engine)) await sql.raw(statement).execute(old.db);
      await old.db.insertInto('schema_migrations').values({ version: 1, name: m001.name, applied_at: '2026-11-01T00:00:00.000Z' }).execute();
      await old.db.insertInto('repos').values([{ name: 'acme/api', first_seen_at: '2026-11-01T00:00:00.000Z' }, { name: 'acme/web', first_seen_at: '2026-11-01T00:00:00.000Z' }]).execute();
      const base = { agent_version: '1', branch: 'main', started_at: null, ended_at: null, threads: 2, tool_calls: 6, tool_errors: 0, input_tokens: 100, cache_read_tokens: 10, cache_write_tokens: 1, output_tokens: 20, prices_as_of: null, commits: 1, lines_added: 10, ai_lines_added: 6, last_prompt: 'x', signer: '{}', latest_bundle: 'd', updated_at: '2026-11-30T00:00:00.000Z' };
      const rows = [
        { repo_id: 1, session_id: 'u1', agent: 'claude-code', models: '["claude-opus-4-5"]', initiator_name: 'Ada', initiator_email: 'ada@example.com', last_active_at: '2026-11-20T10:00:00.000Z', cost_micros: 500_000, unpriced: 0, snapshot_at: '2026-11-20T10:00:00.000Z' },
        { repo_id: 1, session_id: 'u2', agent: 'codex', models: '["gpt-5"]', initiator_name: 'Bob', initiator_email: null, last_active_at: '2026-11-20T11:00:00.000Z', cost_micros: null, unpriced: 1, snapshot_at: '2026-11-20T11:00:00.000Z' },
        { repo_id: 2, session_id: 'u3', agent: 'claude-code', models: '["claude-opus-4-5"]', initiator_name: 'Ada', initiator_email: 'ada@example.com', last_active_at: '2026-11-21T10:00:00.000Z', cost_micros: 250_000, unpriced: 0, snapshot_at: '2026-11-21T10:00:00.000Z' },
      ];
      // The legacy columns only: guard_denied does not exist yet.
      await old.db.insertInto('sessions').values(rows.map((r) => ({ ...base, ...r })) as never).execute();
      const ids = (await old.db.selectFrom('sessions').select(['id', 'session_id']).orderBy('id').execute()).map((r) => Number(r.id));
      await old.db.insertInto('session_models').values([
        { session_pk: ids[0]!, model: 'claude-opus-4-5', responses: 3, input_tokens: 100, output_tokens: 20, cache_read_tokens: 10, cache_write_tokens: 1, cost_micros: 500_000 },
        { session_pk: ids[1]!, model: 'gpt-5', responses: 2, input_tokens: 100, output_tokens: 20, cache_read_tokens: 10, cache_write_tokens: 1, cost_micros: null },
        { session_pk: ids[2]!, model: 'claude-opus-4-5', responses: 1, input_tokens: 100, output_tokens: 20, cache_read_tokens: 10, cache_write_tokens: 1, cost_micros: 250_000 },
      ]).execute();
      await old.db.insertInto('commits').values([
        { repo_id: 1, sha: 'a'.repeat(40), author_name: 'Ada', author_email: 'ada@example.com', committed_at: '2026-11-20T09:00:00.000Z', lines_added: 10, ai_lines_added: 6, captured: 1, received_at: '2026-11-20T12:00:00.000Z' },
        { repo_id: 1, sha: 'b'.repeat(40), author_name: 'Bob', author_email: null, committed_at: '2026-11-20T09:30:00.000Z', lines_added: 5, ai_lines_added: 0, captured: 1, received_at: '2026-11-20T12:00:00.000Z' },
        { repo_id: 2, sha: 'c'.repeat(40), author_name: 'Ada', author_email: 'ada@example.com', committed_at: '2026-11-21T09:00:00.000Z', lines_added: 8, ai_lines_added: 8, captured: 1, received_at: '2026-11-21T12:00:00.000Z' },
      ]).execute();
      // A usage_daily row a purge of the first release left behind (its session is gone).
      await old.db.insertInto('usage_daily').values({ day: '2026-06-01', repo_id: 1, initiator: 'gone@example.com', agent: 'codex', sessions: 9, threads: 0, tool_calls: 0, tool_errors: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cost_micros: 0, unpriced_sessions: 0, commits: 0, lines_added: 0, ai_lines_added: 0 }).execute();

      expect((await migrate(old)).applied).toEqual([2, 3]);
      await expectRollupsMatchRaw(old);
      expect((await held(old)).models.get('2026-11-20|1|Bob|gpt-5')).toMatchObject({ sessions: 1, cost_micros: 0, priced_sessions: 0 });
      const stats = await orgStats(old, { since: '2026-11-01', until: '2026-12-01' });
      expect(stats.current).toMatchObject({ sessions: 3, active_users: 2, commits: 3, ai_assisted_commits: 2, lines_added: 23, ai_lines_added: 14 });
      expect(stats.models).toEqual([
        { model: 'claude-opus-4-5', sessions: 2, cost_usd: 0.75, tokens: 262 },
        { model: 'gpt-5', sessions: 1, cost_usd: null, tokens: 131 },
      ]);
      expect((await old.db.selectFrom('sessions').select('guard_denied').execute()).map((r) => Number(r.guard_denied))).toEqual([0, 0, 0]);
      expect((await migrate(old)).applied).toEqual([]);
    } finally {
      await old.close();
    }
  });
});
