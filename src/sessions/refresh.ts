// Reads the agents' records into the session summary rows, lazily: only rows the hooks wrote to since
// the last read (dirty), and each session's parsed records are cached by the files' size and mtime, so
// reading a session a second time costs a stat.
import { statSync } from 'node:fs';
import type { Agent, AgentSessionRead, AgentStep } from '../agents/types.js';
import { errorMessage } from '../errors.js';
import type { SessionRecord, Store } from '../store.js';

/** What the sessions views keep of an agent's read (not the raw records or the retained conversation). */
export type CachedRead = Pick<AgentSessionRead, 'summary' | 'warnings'> & { steps?: AgentStep[] };

export interface Identity {
  name: string | null;
  email: string | null;
}

function recordsKey(store: Store, session: SessionRecord): string {
  const turns = (store.db.prepare('SELECT count(*) AS n FROM turn_usage WHERE session_id = ?').get(session.id) as { n: number }).n;
  if (!session.transcript_path) return `none:${turns}`;
  const stat = statSync(session.transcript_path, { throwIfNoEntry: false });
  return stat ? `${session.transcript_path}:${stat.size}:${Math.trunc(stat.mtimeMs)}:${turns}` : `missing:${session.transcript_path}:${turns}`;
}

/** The session as its agent's records show it, from the cache when the records have not changed. */
export async function readRecords(store: Store, session: SessionRecord, loadAgent: (name: string) => Agent | undefined | Promise<Agent | undefined>): Promise<CachedRead> {
  let key: string;
  try {
    key = recordsKey(store, session);
  } catch (error) {
    return { summary: null, warnings: [`cannot read the records of session ${session.id}: ${errorMessage(error)}`] };
  }
  const cached = store.db.prepare('SELECT key, read_json FROM transcript_cache WHERE session_id = ?').get(session.id) as { key: string; read_json: string } | undefined;
  if (cached?.key === key) return JSON.parse(cached.read_json) as CachedRead;
  // The agent's code is loaded only on a cache miss.
  const agent = await loadAgent(session.agent);
  if (!agent) return { summary: null, warnings: [`unknown agent "${session.agent}": its records are not read`] };
  let read: AgentSessionRead;
  try {
    read = await agent.readSession(session, store);
  } catch (error) {
    return { summary: null, warnings: [`cannot read the records of session ${session.id}: ${errorMessage(error)}`] };
  }
  const kept: CachedRead = { summary: read.summary, warnings: read.warnings, ...(read.steps ? { steps: read.steps } : {}) };
  store.db.prepare('INSERT OR REPLACE INTO transcript_cache (session_id, key, read_json) VALUES (?, ?, ?)').run(session.id, key, JSON.stringify(kept));
  return kept;
}

/**
 * Brings every dirty summary row up to date from its agent's records. A row a hook writes to while it
 * is being read stays dirty (the write bumped its counter) and is read again next time.
 */
export async function refreshSummaries(store: Store, options: { agentByName: (name: string) => Agent | undefined; author: Identity; now: Date }): Promise<number> {
  const rows = store.db.prepare('SELECT session_id, dirty FROM session_summaries WHERE dirty > 0').all() as { session_id: string; dirty: number }[];
  for (const row of rows) {
    const session = store.session(row.session_id);
    if (!session) continue;
    const read = await readRecords(store, session, options.agentByName);
    const summary = read.summary;
    const models = summary && summary.modelsUsed.length > 0 ? summary.modelsUsed : session.model ? [session.model] : [];
    const cost = summary?.estimatedCostUsd;
    store.db
      .prepare(
        `UPDATE session_summaries SET models_json = @models, input_tokens = @input, cache_read_tokens = @cacheRead, cache_write_tokens = @cacheWrite,
           output_tokens = @output, records_threads = @threads, records_tool_calls = @tools, cost_micros = @cost, unpriced = @unpriced, branch = coalesce(@branch, branch),
           author_name = coalesce(author_name, @authorName), author_email = coalesce(author_email, @authorEmail),
           refreshed_at = @now, dirty = CASE WHEN dirty = @seen THEN 0 ELSE dirty END
         WHERE session_id = @id`,
      )
      .run({
        id: row.session_id,
        seen: row.dirty,
        models: JSON.stringify(models),
        input: summary?.usage.inputTokens ?? 0,
        cacheRead: summary?.usage.cacheReadInputTokens ?? 0,
        cacheWrite: summary?.usage.cacheCreationInputTokens ?? 0,
        output: summary?.usage.outputTokens ?? 0,
        threads: summary?.messages.user ?? null,
        tools: summary?.totalToolInvocations ?? null,
        cost: cost === undefined ? null : Math.round(cost * 1e6),
        unpriced: summary !== null && !summary.costComplete ? 1 : 0,
        branch: summary?.gitBranch ?? null,
        authorName: options.author.name,
        authorEmail: options.author.email,
        now: options.now.toISOString(),
      });
    store.db.prepare('DELETE FROM session_models WHERE session_id = ?').run(row.session_id);
    const insert = store.db.prepare('INSERT OR IGNORE INTO session_models (session_id, model) VALUES (?, ?)');
    for (const model of models) insert.run(row.session_id, model);
  }
  return rows.length;
}
