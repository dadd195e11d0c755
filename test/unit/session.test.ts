import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { PRICES_AS_OF } from '../../src/core/prices.js';
import { buildSessionObject, type BuildSessionInput, type SessionFileChange } from '../../src/core/session.js';
import { summarizeClaudeTranscript } from '../../src/agents/claude/summary.js';
import type { TranscriptSummary } from '../../src/agents/types.js';

const SESSION = '00893aaf-19fa-41d2-8238-13269b9b3ca0';
const AGENT = 'a4f2c1e9b07d';
const fixture = (rel: string): Promise<string> =>
  readFile(fileURLToPath(new URL(`../fixtures/claude/projects/-Users-ana-src-acme/${rel}`, import.meta.url)), 'utf8');

const schema = JSON.parse(
  await readFile(fileURLToPath(new URL('../../schemas/chainloop-ai-coding-session-0.1.schema.json', import.meta.url)), 'utf8'),
) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
function expectValid(value: unknown): void {
  const ok = validate(value);
  expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
  expect(ok).toBe(true);
}

async function transcript(): Promise<TranscriptSummary> {
  return summarizeClaudeTranscript({
    main: await fixture(`${SESSION}.jsonl`),
    subagents: [
      {
        agentId: AGENT,
        text: await fixture(`${SESSION}/subagents/agent-${AGENT}.jsonl`),
        meta: JSON.parse(await fixture(`${SESSION}/subagents/agent-${AGENT}.meta.json`)) as unknown,
      },
    ],
  });
}

const C1 = '1111111111111111111111111111111111111111';
const C2 = '2222222222222222222222222222222222222222';

const files: SessionFileChange[] = [
  {
    commit: C1,
    path: 'src/cli.ts',
    status: 'modified',
    lines_added: 4,
    lines_removed: 1,
    ai_lines_added: 3,
    ai_lines_removed: 1,
    human_lines_added: 1,
    human_lines_removed: 0,
    lines: [
      { start: 1, end: 2, attribution: 'ai', session_id: SESSION },
      { start: 3, end: 3, attribution: 'human' },
      { start: 4, end: 4, attribution: 'ai', session_id: SESSION },
    ],
  },
  {
    commit: C1,
    path: 'src/json.ts',
    status: 'created',
    lines_added: 5,
    lines_removed: 0,
    ai_lines_added: 5,
    ai_lines_removed: 0,
    human_lines_added: 0,
    human_lines_removed: 0,
    lines: [{ start: 1, end: 5, attribution: 'ai', session_id: SESSION }],
  },
  {
    commit: C2,
    path: 'src/json.ts',
    status: 'modified',
    lines_added: 2,
    lines_removed: 1,
    ai_lines_added: 2,
    ai_lines_removed: 1,
    human_lines_added: 0,
    human_lines_removed: 0,
    lines: [
      { start: 6, end: 6, attribution: 'ai', session_id: SESSION },
      { start: 7, end: 7, attribution: 'ai', session_id: SESSION },
    ],
  },
  {
    commit: C2,
    path: 'package-lock.json',
    status: 'modified',
    generated: true,
    lines_added: 100,
    lines_removed: 90,
    ai_lines_added: 100,
    ai_lines_removed: 90,
    human_lines_added: 0,
    human_lines_removed: 0,
    lines: [{ start: 10, end: 109, attribution: 'ai', session_id: SESSION }],
  },
  {
    commit: C2,
    path: 'docs/old.md',
    status: 'deleted',
    lines_added: 0,
    lines_removed: 3,
    ai_lines_added: 0,
    ai_lines_removed: 0,
    human_lines_added: 0,
    human_lines_removed: 3,
    lines: [],
  },
];

async function fullInput(): Promise<BuildSessionInput> {
  return {
    session: {
      id: SESSION,
      agent: 'claude-code',
      agentVersion: '2.1.240',
      model: 'claude-opus-4-8',
      startedAt: '2026-11-20T10:01:00.000Z',
      endedAt: '2026-11-20T10:35:00.500Z',
      cwd: '/Users/ana/src/acme',
    },
    transcript: await transcript(),
    files,
    git: { repository: 'git@github.com:ana/acme.git', branch: 'main', commits: [C1, C2] },
    warnings: ['redacted 1 secret in raw_session'],
    rawSession: { main: [{ type: 'user', message: { role: 'user', content: 'Add a --json flag to the CLI' } }] },
  };
}

describe('buildSessionObject', () => {
  it('builds a schema-valid session from a transcript', async () => {
    const s = buildSessionObject(await fullInput());
    expectValid(s);
    expect(s.schema_version).toBe('0.1');
    expect(s.agent).toEqual({ name: 'claude-code', version: '2.1.240' });
    // A session recorded by an earlier version (as `claude`) gets Chainloop's name too.
    const old = await fullInput();
    expect(buildSessionObject({ ...old, session: { ...old.session, agent: 'claude' } }).agent.name).toBe('claude-code');
    // The transcript's first and last lines, not when the hooks ran (10:01:00.000 and 10:35:00.500).
    expect(s.session).toEqual({
      id: SESSION,
      slug: 'brave-purple-otter',
      started_at: '2026-11-20T10:01:02.123Z',
      ended_at: '2026-11-20T10:32:00.000Z',
      duration_seconds: 1857,
    });
    expect(s.git_context).toEqual({
      repository: 'git@github.com:ana/acme.git',
      branch: 'main',
      commits: [C1, C2],
      commit_start: C1,
      commit_end: C2,
      commit_count: 2,
    });
    expect(s.model).toEqual({
      primary: 'claude-opus-4-8',
      provider: 'anthropic',
      models_used: ['claude-opus-4-8', 'claude-sonnet-4-6', 'claude-haiku-4-5-20251001'],
    });
  });

  it('reports exact token sums and the cost to the cent', async () => {
    const s = buildSessionObject(await fullInput());
    expect(s.usage).toMatchObject({
      input_tokens: 63,
      output_tokens: 1877,
      total_tokens: 122_900,
      cache_read_input_tokens: 113_140,
      cache_creation_input_tokens: 7820,
      cache_creation_5m_input_tokens: 6320,
      cache_creation_1h_input_tokens: 1500,
      estimated_cost_usd: 0.12669,
      prices_as_of: PRICES_AS_OF,
    });
    expect(s.usage?.estimated_cost_usd?.toFixed(2)).toBe('0.13');
    expect(s.usage?.by_model.map((m) => [m.model, m.estimated_cost_usd])).toEqual([
      ['claude-opus-4-8', 0.10811],
      ['claude-sonnet-4-6', 0.01281],
      ['claude-haiku-4-5-20251001', 0.00577],
    ]);
  });

  it('reports tools, conversation and subagents', async () => {
    const s = buildSessionObject(await fullInput());
    expect(s.tools_used?.total_invocations).toBe(7);
    expect(s.tools_used?.summary).toContainEqual({ tool_name: 'Agent', invocation_count: 1 });
    expect(s.tools_used?.summary).not.toContainEqual(expect.objectContaining({ tool_name: 'Task' }));
    expect(s.tools_used?.mcp_servers).toEqual([{ server: 'github', invocation_count: 2 }]);
    expect(s.conversation).toEqual({ total_messages: 8, user_messages: 3, assistant_messages: 5, compactions: 1 });
    expect(s.subagents).toEqual([
      {
        id: AGENT,
        type: 'Explore',
        description: 'Find JSON printers',
        tokens: { input: 6020, output: 340 },
        models: ['claude-haiku-4-5-20251001'],
        estimated_cost_usd: 0.00577,
      },
    ]);
    expect(s.raw_session).toEqual({ main: [expect.objectContaining({ type: 'user' })] });
  });

  it('aggregates code changes per path across commits', async () => {
    const s = buildSessionObject(await fullInput());
    expect(s.code_changes).toEqual({
      files_modified: 2,
      files_created: 1,
      files_deleted: 1,
      lines_added: 11,
      lines_removed: 5,
      ai_lines_added: 10,
      ai_lines_removed: 2,
      human_lines_added: 1,
      human_lines_removed: 3,
      files: [
        { path: 'docs/old.md', status: 'deleted', lines_added: 0, lines_removed: 3, attribution: 'human', line_ranges: [], session_ids: [SESSION] },
        {
          path: 'package-lock.json',
          status: 'modified',
          generated: true,
          lines_added: 100,
          lines_removed: 90,
          attribution: 'ai',
          line_ranges: [{ start: 10, end: 109 }],
          session_ids: [SESSION],
        },
        {
          path: 'src/cli.ts',
          status: 'modified',
          lines_added: 4,
          lines_removed: 1,
          attribution: 'mixed',
          line_ranges: [
            { start: 1, end: 2 },
            { start: 4, end: 4 },
          ],
          session_ids: [SESSION],
        },
        {
          path: 'src/json.ts',
          status: 'created',
          lines_added: 7,
          lines_removed: 1,
          attribution: 'ai',
          line_ranges: [{ start: 6, end: 7 }],
          session_ids: [SESSION],
        },
      ],
    });
  });

  it('merges transcript warnings, caller warnings, once each', async () => {
    const input = await fullInput();
    input.warnings = [...(input.warnings ?? []), ...(input.transcript?.warnings ?? [])];
    const s = buildSessionObject(input);
    expect(s.warnings).toEqual([...(input.transcript?.warnings ?? []), 'redacted 1 secret in raw_session']);
  });

  it('stays valid without a transcript, from the stored record', () => {
    const s = buildSessionObject({
      session: { id: 's-2', agent: 'cursor', agentVersion: null, model: 'gpt-5.5', startedAt: '2026-11-20T09:00:00Z', endedAt: null },
      transcript: null,
      files: [],
      git: { commits: [] },
    });
    expectValid(s);
    expect(s.agent).toEqual({ name: 'cursor' });
    expect(s.session).toEqual({ id: 's-2', started_at: '2026-11-20T09:00:00Z', duration_seconds: 0 });
    expect(s.model).toEqual({ primary: 'gpt-5.5', provider: 'openai', models_used: ['gpt-5.5'] });
    expect(s.usage).toBeUndefined();
    expect(s.tools_used).toBeUndefined();
    expect(s.git_context).toEqual({ commits: [], commit_count: 0 });
    expect(s.warnings).toEqual([expect.stringMatching(/no transcript for cursor session s-2/)]);
  });

  it('stays valid with nothing known but the id', () => {
    const s = buildSessionObject({ session: { id: 'x', agent: 'kiro' }, transcript: null, files: [], git: { commits: [] } });
    expectValid(s);
    expect(s.agent.name).toBe('kiro');
    expect(s.session.started_at).toBe('unknown');
    expect(s.model).toBeUndefined();
    expect(s.warnings).toContainEqual(expect.stringMatching(/start time of session x is unknown/));
  });

  it('omits the cost, and keeps the object valid, when a model has no price', () => {
    const main = JSON.stringify({
      type: 'assistant',
      sessionId: 'u',
      timestamp: '2026-11-20T10:00:00.000Z',
      message: { id: 'm1', model: 'claude-nimbus-9', usage: { input_tokens: 10, output_tokens: 20 }, content: [] },
    });
    const s = buildSessionObject({
      session: { id: 'u', agent: 'claude' },
      transcript: summarizeClaudeTranscript({ main, subagents: [] }),
      files: [],
      git: { commits: [] },
    });
    expectValid(s);
    expect(s.usage?.estimated_cost_usd).toBeUndefined();
    expect(s.usage?.total_tokens).toBe(30);
    expect(s.warnings).toContainEqual(expect.stringContaining('claude-nimbus-9'));
  });

  it('the schema check can fail: extra keys in session are rejected', async () => {
    const s = buildSessionObject(await fullInput());
    expect(validate({ ...s, session: { ...s.session, mode: 'coding' } })).toBe(false);
    expect(validate({ ...s, extra: 1 })).toBe(false);
  });
});
