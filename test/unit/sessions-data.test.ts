// Session audit data: summary rows kept by every write, their migration, Claude steps and threads.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { claudeSteps } from '../../src/agents/claude/steps.js';
import { summarizeClaudeTranscript } from '../../src/agents/claude/summary.js';
import { buildThreads } from '../../src/core/threads.js';
import { dbPath, Store } from '../../src/store.js';

const DIR = fileURLToPath(new URL('../../../shared/fixtures/agents/claude/transcripts/', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempState(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trace-sessions-data-'));
  dirs.push(dir);
  return dir;
}
const summaryRow = (store: Store, id: string) => store.db.prepare('SELECT * FROM session_summaries WHERE session_id = ?').get(id) as Record<string, unknown>;

describe('session summary rows', () => {
  it('are kept up to date by the writes: threads, tool calls, errors, last activity, last prompt, dirty', () => {
    const store = Store.open(tempState());
    store.write(() => store.upsertSession({ id: 's', agent: 'claude-code', at: '2026-11-20T10:00:00.000Z', started_at: '2026-11-20T10:00:00.000Z', model: 'claude-opus-4-5' }));
    store.write(() => store.addPrompt('s', '2026-11-20T10:01:00.000Z', null, 'first'));
    store.write(() => store.addPrompt('s', '2026-11-20T10:02:00.000Z', null, 'second'));
    const a = store.write(() => store.startToolCall({ sessionId: 's', toolUseId: 't1', agentId: null, toolName: 'Bash', inputJson: '{}', at: '2026-11-20T10:03:00.000Z' }));
    store.write(() => store.startToolCall({ sessionId: 's', toolUseId: 't1', agentId: null, toolName: 'Bash', inputJson: '{}', at: '2026-11-20T10:03:00.000Z' }));
    store.write(() => store.finishToolCall(a, 'failed', '2026-11-20T10:04:00.000Z', 'exit 1'));
    const b = store.write(() => store.startToolCall({ sessionId: 's', toolUseId: 't2', agentId: null, toolName: 'Edit', inputJson: '{}', at: '2026-11-20T10:05:00.000Z' }));
    store.write(() => store.finishToolCall(b, 'done', '2026-11-20T10:06:00.000Z', null));
    const row = summaryRow(store, 's');
    expect(row).toMatchObject({ agent: 'claude-code', threads: 2, tool_calls: 2, tool_errors: 1, last_prompt: 'second', last_active_at: '2026-11-20T10:06:00.000Z', hook_model: 'claude-opus-4-5' });
    expect(row.dirty as number).toBeGreaterThan(0);
    // A failed call later reported done is no longer an error.
    store.write(() => store.finishToolCall(a, 'done', '2026-11-20T10:07:00.000Z', null));
    expect(summaryRow(store, 's')).toMatchObject({ tool_errors: 0, last_active_at: '2026-11-20T10:07:00.000Z' });
    store.close();
  });

  it('count a commit’s AI lines per session, and recount both sessions when an amend moves lines', () => {
    const store = Store.open(tempState());
    for (const id of ['s1', 's2']) store.write(() => store.upsertSession({ id, agent: 'claude-code', at: '2026-11-20T10:00:00.000Z' }));
    const file = (sessions: string[]) => ({
      path: 'a.ts', status: 'modified' as const, lines_added: 10, lines_removed: 0, ai_lines_added: 6, ai_lines_removed: 0, human_lines_added: 4, human_lines_removed: 0,
      lines: sessions.map((id, i) => ({ start: 1 + i * 3, end: 3 + i * 3, attribution: 'ai' as const, session_id: id })),
    });
    const commit = (sessions: string[]) => ({ sha: 'c1', parents: [], author: { name: 'A', email: 'a@x', date: '' }, captured: true, files: [file(sessions)], session_ids: sessions });
    store.saveCommit(commit(['s1', 's2']), new Map(), '2026-11-20T11:00:00.000Z');
    expect(summaryRow(store, 's1')).toMatchObject({ commits: 1, ai_lines_added: 3, lines_added: 10 });
    store.saveCommit(commit(['s2']), new Map(), '2026-11-20T11:00:00.000Z');
    expect(summaryRow(store, 's1')).toMatchObject({ commits: 0, ai_lines_added: 0 });
    expect(summaryRow(store, 's2')).toMatchObject({ commits: 1, ai_lines_added: 3 });
    store.close();
  });

  it('are filled by the version 5 migration from the rows a version 4 store holds', () => {
    const dir = tempState();
    Store.open(dir).close();
    const db = new BetterSqlite3(dbPath(dir));
    db.exec('DROP TABLE session_summaries; DROP TABLE session_commits');
    db.exec(`INSERT INTO sessions (id, agent, started_at, updated_at) VALUES ('old', 'claude-code', '2026-11-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z'), ('idle', 'cursor', NULL, '2026-11-02T00:00:00.000Z')`);
    db.exec(`INSERT INTO prompts (session_id, at, text) VALUES ('old', '2026-11-01T00:01:00.000Z', 'one'), ('old', '2026-11-01T00:02:00.000Z', 'two')`);
    db.exec(`INSERT INTO tool_calls (session_id, tool_use_id, tool_name, started_at, ended_at, status) VALUES ('old', 't1', 'Bash', '2026-11-01T00:03:00.000Z', '2026-11-01T00:04:00.000Z', 'failed')`);
    const attribution = { sha: 'c9', parents: [], author: { name: 'A', email: 'a@x', date: '' }, captured: true, session_ids: ['old'], files: [{ path: 'a', status: 'added', lines_added: 4, lines_removed: 0, ai_lines_added: 2, ai_lines_removed: 0, human_lines_added: 2, human_lines_removed: 0, lines: [{ start: 1, end: 2, attribution: 'ai', session_id: 'old' }] }] };
    db.prepare("INSERT INTO commits (sha, attribution, attributed_at) VALUES ('c9', ?, '2026-11-01')").run(JSON.stringify(attribution));
    db.pragma('user_version = 4');
    db.close();
    const store = Store.open(dir);
    expect(summaryRow(store, 'old')).toMatchObject({ threads: 2, tool_calls: 1, tool_errors: 1, last_prompt: 'two', last_active_at: '2026-11-01T00:04:00.000Z', commits: 1, ai_lines_added: 2, lines_added: 4, dirty: 1 });
    expect(summaryRow(store, 'idle')).toMatchObject({ threads: 0, last_active_at: '2026-11-02T00:00:00.000Z' });
    store.close();
  });
});

/** Tokens per human prompt, summed independently: each message.id once, its largest output snapshot. */
type Line = {
  type?: string;
  isSidechain?: boolean;
  isMeta?: boolean;
  isCompactSummary?: boolean;
  requestId?: string;
  uuid?: string;
  message?: { id?: string; model?: string; content?: unknown; usage?: { input_tokens?: number; output_tokens?: number; cache_read_input_tokens?: number } };
};
type Block = { type?: string; text?: string };
function independentTurns(text: string): { input: number; output: number; cacheRead: number }[] {
  const turns: { input: number; output: number; cacheRead: number }[] = [];
  const seen = new Map<string, { turn: number; input: number; output: number; cacheRead: number }>();
  text.split('\n').forEach((line, index) => {
    let r: Line;
    try {
      r = JSON.parse(line) as Line;
    } catch {
      return;
    }
    if (r.type === 'user' && !r.isSidechain && !r.isMeta && !r.isCompactSummary) {
      const c = r.message?.content;
      const blocks = Array.isArray(c) ? (c as Block[]) : [];
      const said = typeof c === 'string' ? c : blocks.some((b) => b.type === 'tool_result') ? '' : blocks.filter((b) => b.type === 'text').map((b) => b.text ?? '').join('\n');
      if (said.trim() !== '' && !/^\s*(<command-|<local-command-|\[Request interrupted by user)/.test(said)) turns.push({ input: 0, output: 0, cacheRead: 0 });
    }
    if (r.type === 'assistant' && r.message?.model !== '<synthetic>') {
      const id = r.message?.id ?? r.requestId ?? r.uuid ?? String(index);
      const u = r.message?.usage ?? {};
      const prev = seen.get(id);
      if (prev && (u.output_tokens ?? 0) < prev.output) return;
      seen.set(id, { turn: prev?.turn ?? Math.max(turns.length - 1, 0), input: u.input_tokens ?? 0, output: u.output_tokens ?? 0, cacheRead: u.cache_read_input_tokens ?? 0 });
    }
  });
  if (turns.length === 0) turns.push({ input: 0, output: 0, cacheRead: 0 });
  for (const r of seen.values()) {
    turns[r.turn]!.input += r.input;
    turns[r.turn]!.output += r.output;
    turns[r.turn]!.cacheRead += r.cacheRead;
  }
  return turns;
}

describe('Claude steps and threads from real transcripts', () => {
  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.jsonl'))) {
    it(`${name}: threads' tokens add up to the summary, and each thread's to an independent sum`, () => {
      const main = readFileSync(join(DIR, name), 'utf8');
      const summary = summarizeClaudeTranscript({ main, subagents: [] });
      const threads = buildThreads({ prompts: [], toolCalls: [], agentSteps: claudeSteps({ main, subagents: [] }) });
      const total = threads.reduce((sum, t) => ({ input: sum.input + t.token_usage.input, output: sum.output + t.token_usage.output, cache_read: sum.cache_read + t.token_usage.cache_read, cache_write: sum.cache_write + t.token_usage.cache_write }), { input: 0, output: 0, cache_read: 0, cache_write: 0 });
      expect(total).toEqual({ input: summary.usage.inputTokens, output: summary.usage.outputTokens, cache_read: summary.usage.cacheReadInputTokens, cache_write: summary.usage.cacheCreationInputTokens });
      const prompted = threads.filter((t) => t.prompt !== null);
      expect(prompted.length).toBe(summary.messages.user);
      if (!main.includes('"isSidechain":true') && !main.includes('agent_progress')) {
        const expected = independentTurns(main);
        const got = threads.map((t) => ({ input: t.token_usage.input, output: t.token_usage.output, cacheRead: t.token_usage.cache_read }));
        expect(got.slice(-expected.length)).toEqual(expected);
      }
      const tools = threads.flatMap((t) => t.steps.filter((s) => s.kind === 'tool_call'));
      expect(tools.length).toBe(summary.totalToolInvocations);
    });
  }
});

describe('threads without the agent’s responses', () => {
  it('are the hooks’ prompts with the calls that followed each', () => {
    const threads = buildThreads({
      prompts: [{ at: '2026-11-20T10:00:00.000Z', text: 'one' }, { at: '2026-11-20T10:10:00.000Z', text: 'two' }],
      toolCalls: [
        { toolUseId: 'a', agentId: null, tool: 'Edit', input: {}, startedAt: '2026-11-20T10:01:00.000Z', endedAt: '2026-11-20T10:01:02.000Z', status: 'done', error: null, files: [] },
        { toolUseId: 'b', agentId: null, tool: 'Bash', input: {}, startedAt: '2026-11-20T10:11:00.000Z', endedAt: '2026-11-20T10:11:01.500Z', status: 'failed', error: 'exit 1', files: [] },
      ],
      agentSteps: undefined,
    });
    expect(threads.map((t) => [t.idx, t.prompt, t.steps.map((s) => (s.kind === 'tool_call' ? [s.tool, s.status, s.duration_ms] : s.kind))])).toEqual([
      [1, 'one', [['Edit', 'ok', 2000]]],
      [2, 'two', [['Bash', 'error', 1500]]],
    ]);
    expect(threads[1]!.tool_calls).toEqual({ total: 1, errors: 1 });
  });
});
