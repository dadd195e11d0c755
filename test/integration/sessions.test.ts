// `trace sessions` and `trace sessions show` over sessions driven through the installed Claude Code
// hooks, with real transcripts (../shared/fixtures) and one written to match the hooks' calls.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionShowSchema, sessionsListSchema, sessionStatsSchema } from '../../src/sessions/schema.js';
import { decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, tempDir, type TestRepo } from '../support/repo.js';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/agents/claude/transcripts/', import.meta.url));
const REAL = 'entire-cli_5a-c45bc32212-0_cc2.1.7-2.1.12_opus-sonnet_invalid-line.jsonl';

interface Row {
  id: string;
  threads: number;
  models: string[];
  last_active_at: string;
  tool_calls: { total: number; errors: number };
  token_usage: { input: number; cache_read: number; cache_write: number; output: number };
  code: { commits: number; ai_lines_added: number; lines_added: number };
  last_prompt: string | null;
}
interface Page {
  sessions: Row[];
  count: number;
  offset: number;
  has_next_page: boolean;
  next_cursor: string | null;
}
interface Step {
  kind: string;
  tool?: string;
  tool_use_id?: string;
  status?: string;
  seen_by?: string;
  files?: { path: string; lines_added: number; lines_removed: number }[];
  model?: string;
}
interface Thread {
  idx: number;
  prompt: string | null;
  token_usage: { input: number; cache_read: number; cache_write: number; output: number };
  steps: Step[];
}
interface Show {
  session: Row;
  threads: Thread[];
  commits: { sha: string; ai_lines_added: number }[];
  warnings: string[];
  diffs?: Record<string, string | null>;
}

const A = 'aaaa1111-0000-4000-8000-000000000001';
const B = 'bbbb2222-0000-4000-8000-000000000002';
const QUICK = ['cccc0001', 'cccc0002', 'cccc0003', 'cccc0004', 'cccc0005', 'cccc0006'].map((p) => `${p}-0000-4000-8000-000000000000`);

let repo: TestRepo;
let commit: string;
let bTools: { write: string; edit: string };
let realPath: string;

/** Tokens per human prompt of a transcript, summed here without trace's code: each message.id once, its largest output. */
function independentTurns(text: string): { input: number; cache_read: number; output: number }[] {
  const turns: { input: number; cache_read: number; output: number }[] = [];
  const seen = new Map<string, { turn: number; input: number; cache_read: number; output: number }>();
  for (const line of text.split('\n')) {
    let r: { type?: string; isSidechain?: boolean; isMeta?: boolean; message?: { id?: string; model?: string; content?: unknown; usage?: Record<string, number> } };
    try {
      r = JSON.parse(line) as typeof r;
    } catch {
      continue;
    }
    if (r.type === 'user' && !r.isSidechain && !r.isMeta) {
      const c = r.message?.content;
      const blocks = Array.isArray(c) ? (c as { type?: string; text?: string }[]) : [];
      const said = typeof c === 'string' ? c : blocks.some((b) => b.type === 'tool_result') ? '' : blocks.map((b) => b.text ?? '').join('');
      if (said.trim() !== '' && !/^\s*(<command-|<local-command-|\[Request interrupted)/.test(said)) turns.push({ input: 0, cache_read: 0, output: 0 });
    }
    if (r.type === 'assistant' && r.message?.id && r.message.model !== '<synthetic>') {
      const u = r.message.usage ?? {};
      const prev = seen.get(r.message.id);
      if (prev && (u.output_tokens ?? 0) < prev.output) continue;
      seen.set(r.message.id, { turn: prev?.turn ?? turns.length - 1, input: u.input_tokens ?? 0, cache_read: u.cache_read_input_tokens ?? 0, output: u.output_tokens ?? 0 });
    }
  }
  for (const r of seen.values()) {
    const t = turns[r.turn]!;
    t.input += r.input;
    t.cache_read += r.cache_read;
    t.output += r.output;
  }
  return turns;
}

function json<T>(args: string[]): T {
  const result = repo.trace([...args, '--json']);
  if (result.code !== 0) throw new Error(`trace ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

beforeAll(() => {
  repo = makeRepo();
  repo.git(['config', 'user.email', 'ada@example.com']);
  const dir = tempDir('trace-sessions-transcripts-');
  realPath = join(dir, `${A}.jsonl`);
  copyFileSync(join(FIXTURES, REAL), realPath);

  // A: a real transcript (4 prompts, two models); through the hooks: a prompt, a write, a failing command; committed.
  const a = new FakeClaude(repo, { sessionId: A, transcriptPath: realPath });
  a.start('claude-opus-4-5');
  a.prompt('pull entire/sessions automatically on resume');
  a.write('src/a.ts', 'export const a = 1;\nexport const b = 2;\n');
  a.bash('echo boom >&2; exit 3');
  commit = repo.commit('add a');

  // B: a transcript written to match the hooks' calls (the ids Claude Code would have written).
  const bPath = join(dir, `${B}.jsonl`);
  const b = new FakeClaude(repo, { sessionId: B, transcriptPath: bPath });
  b.start('claude-sonnet-4-5');
  b.prompt('fix the bug in b');
  const write = b.write('src/b.ts', 'one\ntwo\n');
  const edit = b.edit('src/b.ts', 'two\n', 'two\nthree\nfour\n');
  bTools = { write, edit };
  const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
  const lines = [
    { type: 'user', uuid: 'u1', timestamp: at(0), message: { role: 'user', content: 'fix the bug in b' } },
    { type: 'assistant', timestamp: at(1), message: { id: 'm1', model: 'claude-sonnet-4-5', content: [{ type: 'tool_use', id: write, name: 'Write', input: { file_path: 'src/b.ts' } }], usage: { input_tokens: 100, output_tokens: 50, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200 } } },
    { type: 'user', uuid: 'u2', timestamp: at(2), message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: write, content: 'ok' }] } },
    { type: 'assistant', timestamp: at(3), message: { id: 'm2', model: 'claude-sonnet-4-5', content: [{ type: 'tool_use', id: edit, name: 'Edit', input: { file_path: 'src/b.ts' } }, { type: 'tool_use', id: 'toolu_read_only', name: 'Read', input: { file_path: 'README.md' } }], usage: { input_tokens: 10, output_tokens: 70, cache_read_input_tokens: 1200, cache_creation_input_tokens: 0 } } },
    { type: 'user', uuid: 'u3', timestamp: at(4), message: { role: 'user', content: 'now add a test' } },
    { type: 'assistant', timestamp: at(5), message: { id: 'm3', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'done' }], usage: { input_tokens: 5, output_tokens: 9, cache_read_input_tokens: 1300, cache_creation_input_tokens: 40 } } },
  ];
  writeFileSync(bPath, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);

  // Six more sessions: a prompt each, for paging.
  for (const id of QUICK) new FakeClaude(repo, { sessionId: id, transcriptPath: join(dir, `${id}.jsonl`) }).prompt(`quick ${id.slice(0, 8)}`);
}, 120_000);

afterAll(() => cleanupTemps());

describe('trace sessions', () => {
  it('lists every session, newest activity first, with the columns and a footer', () => {
    const page = json<Page>(['sessions']);
    expect(sessionsListSchema.parse(page)).toEqual(page);
    expect(page.count).toBe(8);
    expect(page.sessions.map((s) => s.id)).toEqual([...[...QUICK].reverse(), B, A]);
    const a = page.sessions.find((s) => s.id === A)!;
    expect(a.threads).toBe(4);
    expect(a.models).toEqual(expect.arrayContaining(['claude-opus-4-5-20251101', 'claude-sonnet-4-5-20250929']));
    expect(a.tool_calls.errors).toBe(1);
    expect(a.code).toEqual({ commits: 1, lines_added: 2, ai_lines_added: 2 });
    const text = repo.trace(['sessions', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/SESSION\s+LAST ACTIVE\s+AGENT\s+MODELS\s+THREADS\s+TOOLS\s+TOKENS\s+COST\s+AI LINES\s+COMMITS\s+LAST PROMPT/);
    expect(text.stdout).toContain('aaaa1111');
    expect(text.stdout).toContain('1–8 of 8');
  });

  it('pages by cursor (every session once, in order) and by offset, and names the next command', () => {
    const all = json<Page>(['sessions']).sessions.map((s) => s.id);
    const walked: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 5; i++) {
      const page: Page = json<Page>(['sessions', '--limit', '3', ...(after ? ['--after', after] : [])]);
      walked.push(...page.sessions.map((s) => s.id));
      expect(page.offset).toBe(i * 3);
      after = page.next_cursor;
      if (!after) break;
    }
    expect(walked).toEqual(all);
    const byOffset = json<Page>(['sessions', '--limit', '3', '--offset', '3']);
    expect(byOffset.sessions.map((s) => s.id)).toEqual(all.slice(3, 6));
    const text = repo.trace(['sessions', '--limit', '3', '--offset', '3']).stdout;
    expect(text).toMatch(/4–6 of 8 · next: trace sessions --limit 3 --after \S+/);
  });

  it('refuses --after with --offset, a bad cursor and a cursor of another query (exit 2)', () => {
    const cursor = json<Page>(['sessions', '--limit', '2']).next_cursor!;
    const both = repo.trace(['sessions', '--after', cursor, '--offset', '2']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--after and --offset/);
    const bad = repo.trace(['sessions', '--after', 'not-a-cursor']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a cursor');
    const foreign = repo.trace(['sessions', '--agent', 'claude-code', '--after', cursor]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('another query');
  });

  it('filters by agent, model, author, commit, file, time, id, has and search', () => {
    const ids = (args: string[]) => json<Page>(['sessions', ...args]).sessions.map((s) => s.id).sort();
    expect(ids(['--agent', 'claude-code'])).toHaveLength(8);
    expect(ids(['--agent', 'cursor'])).toEqual([]);
    expect(ids(['--model', 'claude-sonnet-4-5-2025*'])).toEqual([A]);
    expect(ids(['--model', 'claude-sonnet-4-5'])).toEqual([B]);
    expect(ids(['--author', 'me'])).toHaveLength(8);
    expect(ids(['--author', 'bob@example.com'])).toEqual([]);
    expect(ids(['--commit', commit.slice(0, 7)])).toEqual([A]);
    expect(ids(['--file', 'src/b.ts'])).toEqual([B]);
    expect(ids(['--since', '2020-01-01'])).toHaveLength(8);
    expect(ids(['--until', '2020-01-01'])).toEqual([]);
    expect(ids(['--since', '1h'])).toHaveLength(8);
    expect(ids(['--id', 'cccc0003'])).toEqual([QUICK[2]]);
    expect(ids(['--has', 'errors'])).toEqual([A]);
    expect(ids(['--has', 'commits'])).toEqual([A]);
    expect(ids(['--search', 'bug in b'])).toEqual([B]);
    expect(ids(['--search', 'boom'])).toEqual([A]);
    for (const [args, message] of [
      [['--agent', 'nope'], /--agent: unknown agent "nope"/],
      [['--since', 'yesterday'], /--since: "yesterday" is not a time/],
      [['--has', 'bugs'], /--has: unknown value "bugs"/],
      [['--limit', '501'], /--limit/],
      [['--commit', 'xyz'], /--commit/],
    ] as const) {
      const result = repo.trace(['sessions', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    const none = repo.trace(['sessions', '--agent', 'cursor']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('No session matches');
  });
});

describe('trace sessions show', () => {
  it('shows a real transcript as threads whose tokens are each an independent sum over the transcript', () => {
    const show = json<Show>(['sessions', 'show', 'aaaa']);
    expect(show.session.id).toBe(A);
    const expected = independentTurns(readFileSync(realPath, 'utf8'));
    const prompted = show.threads.filter((t) => t.prompt !== null);
    expect(prompted).toHaveLength(4);
    expect(prompted.map((t) => ({ input: t.token_usage.input, cache_read: t.token_usage.cache_read, output: t.token_usage.output }))).toEqual(expected);
    const sum = show.threads.reduce((n, t) => n + t.token_usage.output, 0);
    expect(sum).toBe(show.session.token_usage.output);
    // The hooks' calls are there with their status; the invalid transcript line is a warning, not a failure.
    const calls = show.threads.flatMap((t) => t.steps).filter((s) => s.seen_by === 'hooks');
    expect(calls.map((c) => [c.tool, c.status])).toEqual([['Write', 'ok'], ['Bash', 'error']]);
    expect(show.warnings.join('\n')).toContain('not JSON objects');
    expect(show.commits.map((c) => c.sha)).toEqual([commit]);
  });

  it('joins the hooks’ calls with the transcript’s, with files, diffs and one thread', () => {
    const show = json<Show>(['sessions', 'show', B, '--diffs']);
    expect(sessionShowSchema.parse(show)).toEqual(show);
    expect(show.threads.map((t) => t.prompt)).toEqual(['fix the bug in b', 'now add a test']);
    const first = show.threads[0]!;
    expect(first.token_usage).toEqual({ input: 110, cache_read: 2200, cache_write: 200, output: 120 });
    const tools = first.steps.filter((s) => s.kind === 'tool_call');
    expect(tools.map((t) => [t.tool, t.seen_by])).toEqual([['Write', 'both'], ['Edit', 'both'], ['Read', 'records']]);
    expect(tools[1]!.files).toEqual([expect.objectContaining({ path: 'src/b.ts', lines_added: 2, lines_removed: 0 })]);
    const diff = show.diffs![`${bTools.edit}:src/b.ts`]!;
    expect(diff).toContain('+three');
    expect(diff).toContain('+four');
    const one = json<Show>(['sessions', 'show', B, '--thread', '2']);
    expect(one.threads.map((t) => t.idx)).toEqual([2]);
    const text = repo.trace(['sessions', 'show', B, '--diffs']).stdout;
    expect(text).toContain('thread 1');
    expect(text).toContain('> fix the bug in b');
    expect(text).toMatch(/assistant {2}claude-sonnet-4-5 {2}in 100 · cache 1k\/200 · out 50/);
    expect(text).toContain('+four');
  });

  it('refuses an ambiguous prefix (listing the candidates), an unknown id and a thread out of range (exit 2)', () => {
    const ambiguous = repo.trace(['sessions', 'show', 'cccc']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('is the start of 6 sessions');
    expect(ambiguous.stderr).toContain(QUICK[0]);
    expect(repo.trace(['sessions', 'show', 'zzzz']).code).toBe(2);
    const thread = repo.trace(['sessions', 'show', B, '--thread', '9']);
    expect(thread.code).toBe(2);
    expect(thread.stderr).toContain('has 2 thread(s)');
  });
});

describe('trace why', () => {
  it('names the session, thread prompt, tool call and model of AI lines, and the commit and author of human ones', () => {
    const ai = json<{ lines: { line: number; attribution: string; commit: string; session: { id: string; agent: string } | null; thread: { idx: number; prompt: string } | null; tool_call: { tool: string } | null; source: string }[] }>(['why', 'src/a.ts:1-2']);
    expect(ai.lines.map((l) => [l.line, l.attribution, l.commit, l.session?.id, l.session?.agent, l.thread?.prompt, l.tool_call?.tool, l.source])).toEqual([
      [1, 'ai', commit, A, 'claude-code', 'pull entire/sessions automatically on resume', 'Write', 'local'],
      [2, 'ai', commit, A, 'claude-code', 'pull entire/sessions automatically on resume', 'Write', 'local'],
    ]);
    const text = repo.trace(['why', 'src/a.ts:1-2']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('lines 1-2: AI, claude-code');
    expect(text.stdout).toContain(`session ${A}`);
    expect(text.stdout).toContain('thread 1');
    expect(text.stdout).toContain('tool call Write');
    const human = repo.trace(['why', 'README.md:1']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/line 1: human, in commit [0-9a-f]{12} by /);
    for (const bad of ['src/a.ts', 'src/a.ts:0', 'src/a.ts:3-1', 'src/a.ts:99']) {
      const result = repo.trace(['why', bad]);
      expect(result.code, bad).toBe(2);
    }
  });
});

describe('trace sessions stats and export', () => {
  it('gives the period’s figures with the change against the period before, and a breakdown', () => {
    const page = json<Page>(['sessions']);
    const oldest = page.sessions.map((s) => s.last_active_at).sort();
    // Current period: the six quick sessions; the one before it (as long) holds A and B.
    const since = oldest[2]!;
    const until = new Date(Date.now() + 60_000).toISOString();
    type Stats = { current: { sessions: number; tool_calls: number; tool_errors: number; ai_lines_added: number; token_usage: { output: number } }; previous: { sessions: number; tool_errors: number; ai_lines_added: number; token_usage: { output: number } }; change: Record<string, number | null>; breakdown: { key: string; sessions: number }[] };
    const stats = json<Stats>(['sessions', 'stats', '--since', since, '--until', until, '--by', 'model']);
    expect(stats.current.sessions).toBe(6);
    expect(stats.previous.sessions).toBe(2);
    expect(stats.change.sessions).toBe(2);
    expect(stats.previous.tool_errors).toBe(1);
    expect(stats.previous.ai_lines_added).toBe(2);
    const a = page.sessions.find((s) => s.id === A)!;
    const b = page.sessions.find((s) => s.id === B)!;
    expect(stats.previous.token_usage.output).toBe(a.token_usage.output + b.token_usage.output);
    expect(stats.breakdown.length).toBe(0); // the quick sessions have no model
    const byModel = json<Stats>(['sessions', 'stats', '--since', '2020-01-01', '--by', 'model']);
    expect(byModel.breakdown.map((r) => [r.key, r.sessions])).toEqual(expect.arrayContaining([['claude-sonnet-4-5', 1], ['claude-opus-4-5-20251101', 1]]));
    // The dashboard's figures: distinct AI-assisted commits, and the hooks' calls per tool with their errors.
    const all = sessionStatsSchema.parse(byModel);
    expect(all.current.ai_commits).toBe(1);
    expect(all.breakdown.every((r) => r.ai_commits === 0)).toBe(true);
    expect(all.top_tools.find((t) => t.tool === 'Bash')).toEqual({ tool: 'Bash', calls: 1, errors: 1, error_rate: 1, sessions: 1 });
    expect(all.top_tools.find((t) => t.tool === 'Write')).toMatchObject({ calls: 2, errors: 0, sessions: 2 });
    expect(all.top_tools.map((t) => t.calls)).toEqual([...all.top_tools.map((t) => t.calls)].sort((x, y) => y - x));
    expect(sessionStatsSchema.parse(stats).previous.ai_commits).toBe(1);
    const text = repo.trace(['sessions', 'stats', '--since', since, '--until', until]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/sessions\s+6\s+\+200%/);
    expect(repo.trace(['sessions', 'stats', '--by', 'planet']).code).toBe(2);
  });

  it('exports JSON Lines and CSV, redacting prompts and neutralising formulas', () => {
    const secret = ['sk', '-', 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0'].join('');
    new FakeClaude(repo, { sessionId: QUICK[0]! }).prompt(`=HYPERLINK("http://evil") use ${secret}`);
    const jsonl = repo.trace(['sessions', 'export', '--format', 'jsonl']);
    expect(jsonl.code).toBe(0);
    const rows = jsonl.stdout.trim().split('\n').map((line) => JSON.parse(line) as Row);
    expect(rows).toHaveLength(8);
    expect(rows[0]!.id).toBe(QUICK[0]);
    expect(rows[0]!.last_prompt).not.toContain(secret);
    expect(rows[0]!.last_prompt).toContain('[REDACTED');
    const csv = repo.trace(['sessions', 'export', '--format', 'csv', '--agent', 'claude-code']);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^id,agent,agent_version,models,/);
    expect(lines).toHaveLength(9);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil"") use [REDACTED`);
    expect(csv.stdout).not.toContain(secret);
    expect(repo.trace(['sessions', 'export', '--format', 'xml']).code).toBe(2);
  });
});

describe('per-turn usage in the attestation, and why in a fresh clone', () => {
  it('pushes usage.by_thread equal to show’s threads, and answers why from the notes in a fresh clone', () => {
    const push = repo.git(['push', 'origin', 'main']);
    expect(push.stderr).toContain('trace: attested');
    const statement = decodeStatement(remoteNoteLines(repo, commit)[0]!);
    const session = statement.predicate.sessions.find((s) => (s as unknown as { session: { id: string } }).session.id === A) as unknown as { usage: { by_thread: { idx: number; input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number; tool_calls: number }[] } };
    const show = json<Show>(['sessions', 'show', A]);
    expect(session.usage.by_thread.map((t) => [t.idx, t.input_tokens, t.cache_read_input_tokens, t.cache_creation_input_tokens, t.output_tokens])).toEqual(
      show.threads.map((t) => [t.idx, t.token_usage.input, t.token_usage.cache_read, t.token_usage.cache_write, t.token_usage.output]),
    );
    expect(session.usage.by_thread).toHaveLength(4);

    const clone = join(tempDir('trace-sessions-clone-'), 'clone');
    repo.git(['clone', '-q', repo.remote, clone]);
    repo.git(['fetch', '-q', 'origin', 'refs/notes/chainloop-trace:refs/notes/chainloop-trace'], { cwd: clone });
    const why = repo.trace(['why', 'src/a.ts:1', '--json'], { cwd: clone });
    expect(why.code, why.stderr).toBe(0);
    const line = (JSON.parse(why.stdout) as { lines: { attribution: string; source: string; session: { id: string; agent: string } | null }[] }).lines[0]!;
    expect(line).toMatchObject({ attribution: 'ai', source: 'attestation', session: { id: A, agent: 'claude-code' } });
  });
});

describe('trace sessions prune', () => {
  it('keeps everything at retention 0, refuses an age of 0, and deletes old sessions’ captured data but not their figures', () => {
    const keep = repo.trace(['sessions', 'prune']);
    expect(keep.code).toBe(0);
    expect(keep.stdout).toContain('Nothing pruned');
    expect(repo.trace(['sessions', 'prune', '--older-than', '0d']).code).toBe(2);
    // Nothing is older than 90 days here.
    const none = JSON.parse(repo.trace(['sessions', 'prune', '--older-than', '90d', '--json']).stdout) as { sessions: string[] };
    expect(none.sessions).toEqual([]);
    // Age every session by a year (as time would): B's uncommitted edit of src/b.ts must be kept.
    const store = new BetterSqlite3(join(repo.dir, '.git', 'chainloop-trace', 'trace.db'));
    store.prepare("UPDATE session_summaries SET last_active_at = '2025-01-01T00:00:00.000Z' WHERE session_id IN (?, ?)").run(A, B);
    store.close();
    const before = json<Page>(['sessions', '--id', 'bbbb']).sessions[0]!;
    const dry = JSON.parse(repo.trace(['sessions', 'prune', '--older-than', '90d', '--dry-run', '--json']).stdout) as { sessions: string[]; prompts: number; kept_for_pending: number; pruned: boolean };
    expect(dry.sessions.sort()).toEqual([A, B].sort());
    expect(dry.pruned).toBe(false);
    expect(dry.kept_for_pending).toBe(2); // B's two edits of the uncommitted src/b.ts
    expect(json<Show>(['sessions', 'show', B]).session.last_prompt).toBe(before.last_prompt);
    const done = repo.trace(['sessions', 'prune', '--older-than', '90d']);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('deleted');
    const after = json<Page>(['sessions', '--id', 'bbbb']).sessions[0]!;
    expect(after.last_prompt).toBeNull();
    expect(after.token_usage).toEqual(before.token_usage);
    expect(after.tool_calls).toEqual(before.tool_calls);
    expect(json<Page>(['sessions', '--search', 'fix the bug']).sessions).toEqual([]);
    // The edits a later commit of src/b.ts needs are still there.
    const b = json<Show>(['sessions', 'show', B]);
    expect(b.threads.flatMap((t) => t.steps).filter((s) => s.files?.length).map((s) => s.files![0]!.path)).toEqual(['src/b.ts', 'src/b.ts']);
  });
});
