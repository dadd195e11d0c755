// Sessions: `trace sessions` over a generated store of 200,000 sessions and 2,000,000 tool calls
// (direct SQLite inserts, the summary rows filled as the hooks would keep them). A page of 25 with and
// without each filter (query time, in-process), the whole `trace sessions --json` process next to bare
// `node -e 0`, `show` of a 200-thread session, and a 40-page cursor walk that must return every session once.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bareNode, formatCount, formatMs, makeRepo, median, PACKAGE_ROOT, TRACE_BIN, timedSpawn } from './util.mjs';

export const name = 'sessions';
export const description = 'trace sessions over 200,000 sessions / 2,000,000 tool calls: page query per filter, whole process, show of 200 threads, cursor walk';

const SESSIONS = 200_000;
const TOOL_CALLS = 2_000_000;
const PAGE_TARGET_MS = 20;
const PROCESS_RATIO_TARGET = 2.5;
const SHOW_TARGET_MS = 150;
const AGENTS = ['claude-code', 'cursor', 'codex', 'gemini', 'copilot'];
const MODELS = ['claude-opus-4-5', 'claude-sonnet-4-5', 'gpt-5-codex', 'gemini-2.5-pro', 'claude-haiku-4-5'];

function figure(id, label, fields) {
  return { section: name, id, label, ...fields };
}

const iso = (ms) => new Date(ms).toISOString();

/**
 * Fills the store in SQL (recursive CTEs, one transaction, no journal): sessions, summary rows as the
 * hooks keep them, prompts, tool calls (3% failed), commits (30% of sessions), files and models.
 * Values are spread by multiplicative hashing of the row number, so every run makes the same store.
 */
export function generateStore(store, { sessions = SESSIONS, toolCalls = TOOL_CALLS, now = Date.parse('2026-12-01T00:00:00Z') } = {}) {
  const db = store.db;
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const perSession = Math.round(toolCalls / sessions);
  const models = `json_array(${MODELS.map((m) => `'${m}'`).join(', ')})`;
  const agents = `json_array(${AGENTS.map((a) => `'${a}'`).join(', ')})`;
  // Session i: id, start (one a minute, oldest first), its model, agent, threads, calls.
  const base = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${sessions - 1}),
    g AS (SELECT i, printf('%08x-%04x-4000-8000-000000000000', i, (i * 2654435761) % 65536) AS id,
      strftime('%Y-%m-%dT%H:%M:%fZ', (${now} - (${sessions} - i) * 60000 - (i * 7919) % 30000) / 1000.0, 'unixepoch') AS start,
      json_extract(${models}, '$[' || ((i * 48271) % ${MODELS.length}) || ']') AS model,
      json_extract(${agents}, '$[' || (i % ${AGENTS.length}) || ']') AS agent,
      1 + (i * 16807) % 5 AS threads,
      ${perSession} AS calls,
      CASE WHEN (i * 69621) % 100 < 30 THEN 1 ELSE 0 END AS committed,
      CASE WHEN (i * 31337) % 100 < 2 THEN 1 ELSE 0 END AS unpriced
    FROM n)`;
  db.transaction(() => {
    db.exec(`CREATE TEMP TABLE gen AS ${base} SELECT * FROM g`);
    db.exec("INSERT INTO sessions (id, agent, model, started_at, updated_at) SELECT id, agent, model, start, start FROM gen");
    db.exec("INSERT INTO session_models (session_id, model) SELECT id, model FROM gen");
    db.exec(`INSERT INTO prompts (session_id, at, text)
      SELECT g.id, g.start, 'task ' || g.i || ' step ' || t.value || ': make the ' || json_extract('["parser","cache","router","schema"]', '$[' || (t.value % 4) || ']') || ' faster'
      FROM gen g, json_each('[0,1,2,3,4]') t WHERE t.value < g.threads`);
    db.exec(`WITH RECURSIVE c(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM c WHERE k < ${perSession - 1})
      INSERT INTO tool_calls (session_id, tool_use_id, tool_name, input_json, started_at, ended_at, status, error)
      SELECT g.id, 'toolu_' || g.i || '_' || c.k, CASE WHEN c.k % 3 = 0 THEN 'Bash' ELSE 'Edit' END,
        CASE WHEN c.k % 3 = 0 THEN '{"command":"npm test -- ' || c.k || '"}' ELSE '{"file_path":"src/m' || (c.k % 50) || '.ts"}' END,
        g.start, g.start, CASE WHEN (g.i * 31 + c.k * 17) % 100 < 3 THEN 'failed' ELSE 'done' END,
        CASE WHEN (g.i * 31 + c.k * 17) % 100 < 3 THEN 'exit 1' END
      FROM gen g, c ORDER BY g.id, c.k`);
    db.exec("INSERT INTO session_commits (session_id, sha, lines_added, ai_lines_added) SELECT id, printf('%08x', (i * 40503) % 4294967296) || substr('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 1, 32), 20, 15 FROM gen WHERE committed = 1");
    db.exec("INSERT INTO session_files (session_id, path, edits) SELECT id, 'src/m' || (i % 500) || '.ts', 1 FROM gen");
    db.exec(`INSERT INTO session_summaries (session_id, agent, hook_model, models_json, author_name, author_email, branch, started_at, last_active_at, threads, tool_calls, tool_errors,
        input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, cost_micros, unpriced, commits, lines_added, ai_lines_added, last_prompt, dirty, refreshed_at)
      SELECT id, agent, model, json_array(model), 'Dev ' || (i % 20), 'dev' || (i % 20) || '@example.com', 'feature/' || (i % 50), start,
        strftime('%Y-%m-%dT%H:%M:%fZ', julianday(start) + calls * 0.5 / 86400.0), threads, calls,
        (SELECT count(*) FROM tool_calls t WHERE t.session_id = gen.id AND t.status = 'failed'),
        1000 + i % 997, 50000 + i, 2000, 3000 + i % 1000, CASE WHEN unpriced = 1 THEN NULL ELSE 100000 + i END, unpriced,
        committed, committed * 20, committed * 15, 'task ' || i || ' step ' || (threads - 1), 0, '${new Date(now).toISOString()}'
      FROM gen`);
    db.exec('DROP TABLE gen');
  })();
  db.pragma('journal_mode = WAL');
  // The id SQL gave session i (the product stays below 2^53, so it is exact here too).
  const idAt = (i) => `${i.toString(16).padStart(8, '0')}-${((i * 2654435761) % 65536).toString(16).padStart(4, '0')}-4000-8000-000000000000`;
  return { count: sessions, idAt };
}

/** A Claude transcript of `threads` prompts, each followed by 3 responses with a tool call each. */
export function bigTranscript(threads, start) {
  const lines = [];
  let n = 0;
  for (let t = 0; t < threads; t++) {
    lines.push({ type: 'user', uuid: `u${t}`, timestamp: iso(start + n++ * 1000), message: { role: 'user', content: `prompt ${t}: refactor module ${t}` } });
    for (let r = 0; r < 3; r++) {
      const id = `toolu_big_${t}_${r}`;
      lines.push({ type: 'assistant', timestamp: iso(start + n++ * 1000), message: { id: `msg_${t}_${r}`, model: 'claude-opus-4-5', content: [{ type: 'text', text: 'working on it '.repeat(20) }, { type: 'tool_use', id, name: 'Read', input: { file_path: `src/m${t}.ts` } }], usage: { input_tokens: 10, output_tokens: 200, cache_read_input_tokens: 40_000, cache_creation_input_tokens: 500 } } });
      lines.push({ type: 'user', uuid: `r${t}_${r}`, timestamp: iso(start + n++ * 1000), message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'x'.repeat(400) }] } });
    }
  }
  return `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
}

export async function run(context) {
  const { log, quick } = context;
  const runs = quick ? 5 : Math.max(context.runs ?? 21, 11);
  const { Store } = await import(join(PACKAGE_ROOT, 'dist', 'store.js'));
  const { listSessions, queryKey } = await import(join(PACKAGE_ROOT, 'dist', 'sessions', 'query.js'));
  const repo = makeRepo();
  try {
    const store = Store.open(repo.stateDir);
    const started = performance.now();
    const generated = generateStore(store);
    const genMs = performance.now() - started;
    // The 200-thread session: newest, with a transcript.
    const bigId = 'ffffffff-big0-4000-8000-000000000000';
    const transcript = join(repo.base, 'big.jsonl');
    writeFileSync(transcript, bigTranscript(200, Date.parse('2026-12-01T01:00:00Z')));
    store.upsertSession({ id: bigId, agent: 'claude-code', at: '2026-12-01T01:00:00.000Z', started_at: '2026-12-01T01:00:00.000Z', transcript_path: transcript });
    for (let t = 0; t < 200; t++) store.addPrompt(bigId, iso(Date.parse('2026-12-01T01:00:00Z') + t * 7000), null, `prompt ${t}: refactor module ${t}`);
    store.db.exec('ANALYZE');
    const counts = store.db.prepare('SELECT (SELECT count(*) FROM session_summaries) AS sessions, (SELECT count(*) FROM tool_calls) AS calls').get();
    store.close();
    log(`generated ${formatCount(counts.sessions)} sessions, ${formatCount(counts.calls)} tool calls, prompts, commits and files in ${formatMs(genMs)} (SQL inserts)`);

    // The first command reads the big session's transcript into its summary row (it is dirty); not timed.
    const first = repo.trace(['sessions', '--json', '--limit', '1']);
    if (first.code !== 0) throw new Error(`trace sessions failed: ${first.stderr}`);

    const reader = Store.open(repo.stateDir);
    const someCommit = reader.db.prepare('SELECT sha FROM session_commits LIMIT 1 OFFSET 5000').get().sha;
    const filters = {
      none: {},
      agent: { agent: 'codex' },
      model: { model: 'claude-opus*' },
      author: { author: 'dev7@example.com' },
      branch: { branch: 'feature/17' },
      commit: { commit: someCommit.slice(0, 8) },
      file: { file: 'src/m42.ts' },
      since: { since: '2026-11-20T00:00:00.000Z' },
      id: { id: generated.idAt(123_456).slice(0, 8) },
      'has errors': { has: ['errors'] },
      'has unpriced': { has: ['unpriced'] },
      'has commits': { has: ['commits'] },
      search: { search: 'router' },
    };
    const perFilter = [];
    for (const [label, f] of Object.entries(filters)) {
      const times = [];
      let page;
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        page = listSessions(reader, f, { limit: 25 }, queryKey(f));
        times.push(performance.now() - t0);
      }
      perFilter.push({ label, ms: median(times), count: page.count, capped: page.count_is_capped, rows: page.sessions.length });
    }
    const worst = perFilter.reduce((a, b) => (b.ms > a.ms ? b : a));
    log(`page of 25, query time per filter (median of ${runs}): ${perFilter.map((p) => `${p.label} ${p.ms.toFixed(1)} ms (${formatCount(p.count)}${p.capped ? '+' : ''})`).join('; ')}`);

    // Cursor walk: 40 pages of 25, every session once and in order.
    const walked = [];
    let after;
    const walkStart = performance.now();
    for (let p = 0; p < 40; p++) {
      const page = listSessions(reader, {}, { limit: 25, after }, queryKey({}));
      walked.push(...page.sessions.map((s) => `${s.last_active_at}|${s.id}`));
      after = page.next_cursor;
    }
    const walkMs = performance.now() - walkStart;
    const expected = reader.db.prepare('SELECT last_active_at, session_id FROM session_summaries ORDER BY last_active_at DESC, session_id DESC LIMIT 1000').all().map((r) => `${r.last_active_at}|${r.session_id}`);
    const walkOk = walked.length === 1000 && new Set(walked).size === 1000 && walked.every((w, i) => w === expected[i]);
    reader.close();
    log(`cursor walk of 40 pages: ${walkOk ? 'every session once, in order' : 'WRONG'} in ${formatMs(walkMs)}`);

    // Whole process against bare node.
    const processMs = [];
    const nodeMs = [];
    for (let r = 0; r < runs; r++) {
      nodeMs.push(bareNode({ cwd: repo.dir, env: repo.env }).ms);
      const out = timedSpawn(process.execPath, [TRACE_BIN, 'sessions', '--json'], { cwd: repo.dir, env: repo.env });
      if (out.code !== 0) throw new Error(`trace sessions failed: ${out.stderr}`);
      processMs.push(out.ms);
    }
    const ratio = median(processMs) / median(nodeMs);
    log(`trace sessions --json: ${formatMs(median(processMs))} vs node -e 0 ${formatMs(median(nodeMs))} (${ratio.toFixed(2)}x)`);

    // show of the 200-thread session (its records cached after the first read).
    const showMs = [];
    let threads = 0;
    for (let r = 0; r < runs; r++) {
      const out = timedSpawn(process.execPath, [TRACE_BIN, 'sessions', 'show', bigId.slice(0, 12), '--json'], { cwd: repo.dir, env: repo.env });
      if (out.code !== 0) throw new Error(`trace sessions show failed: ${out.stderr}`);
      threads = JSON.parse(out.stdout).threads.length;
      showMs.push(out.ms);
    }
    log(`trace sessions show (200 threads, 600 responses, 600 tool calls): ${formatMs(median(showMs))}, ${threads} threads`);

    return [
      figure('sessions.page_query', 'sessions: a page of 25, worst filter (query time)', {
        value: Number(worst.ms.toFixed(2)),
        unit: 'ms',
        result: `${worst.ms.toFixed(1)} ms (${worst.label}); no filter ${perFilter[0].ms.toFixed(1)} ms; n=${runs}`,
        target: `≤ ${PAGE_TARGET_MS} ms`,
        met: worst.ms <= PAGE_TARGET_MS,
        details: { perFilter, generateMs: genMs },
      }),
      figure('sessions.process', 'sessions: whole `trace sessions --json` process', {
        value: Number(ratio.toFixed(2)),
        unit: 'x node -e 0',
        result: `${formatMs(median(processMs))} vs ${formatMs(median(nodeMs))} (${ratio.toFixed(2)}x)`,
        target: `≤ ${PROCESS_RATIO_TARGET}x`,
        met: ratio <= PROCESS_RATIO_TARGET,
        details: { processMs, nodeMs },
      }),
      figure('sessions.show_200_threads', 'sessions: show of a 200-thread session (whole process)', {
        value: Math.round(median(showMs)),
        unit: 'ms',
        result: `${formatMs(median(showMs))} (${threads} threads)`,
        target: `≤ ${SHOW_TARGET_MS} ms`,
        met: median(showMs) <= SHOW_TARGET_MS && threads === 200,
        details: { showMs },
      }),
      figure('sessions.cursor_walk', 'sessions: 40-page cursor walk', {
        value: Math.round(walkMs),
        unit: 'ms',
        result: `${walkOk ? 'every session once, in order' : 'WRONG ORDER OR REPEATS'} (${formatMs(walkMs)})`,
        target: 'every session once, in order',
        met: walkOk,
        details: {},
      }),
    ];
  } finally {
    repo.cleanup();
  }
}
