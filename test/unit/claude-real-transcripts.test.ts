// The Claude Code summariser and session object against real transcripts (../shared/fixtures, see its
// PROVENANCE.md). Every expected figure is computed here by a separate, plain reading of the fixture
// (JSON.parse each line, group by message id, sum), never by the code under test.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { buildSessionObject, type BuildSessionInput } from '../../src/core/session.js';
import { summarizeClaudeTranscript } from '../../src/agents/claude/summary.js';

const DIR = fileURLToPath(new URL('../../../shared/fixtures/agents/claude/transcripts/', import.meta.url));
const read = (name: string): string => readFileSync(join(DIR, name), 'utf8');

const FAST = 'benchmark_cb-190e483db3-0_cc2.1.181_opus-4-8.jsonl';
const PROGRESS = 'entire-cli_84-6dc1c1b06e-0_cc2.1.37_task-agent-progress.jsonl';
const TWO_MODELS = 'entire-cli_b9-6b93f2526f-2_cc2.1.17-2.1.37_two-models_task.jsonl';
const OLD_RANGE = 'entire-cli_5a-c45bc32212-0_cc2.1.7-2.1.12_opus-sonnet_invalid-line.jsonl';
const OPUS_47 = 'computermode_89-baae121731-0_opus-4-7.jsonl';

interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_creation?: { ephemeral_1h_input_tokens?: number };
  speed?: string;
}
interface Block {
  type?: string;
  id?: string;
  text?: string;
}
interface Message {
  id?: string;
  model?: string;
  usage?: Usage;
  content?: string | Block[];
}
/** The fields of a transcript line this test reads. */
interface Line {
  type?: string;
  version?: string;
  timestamp?: string;
  isMeta?: boolean;
  isSidechain?: boolean;
  message?: Message;
  data?: { type?: string; agentId?: string; message?: { type?: string; message?: Message } };
  toolUseResult?: { agentId?: string; totalTokens?: number; usage?: Usage };
}
const blocks = (m: Message | undefined): Block[] => (Array.isArray(m?.content) ? m.content : []);

function lines(text: string): Line[] {
  const out: Line[] = [];
  for (const raw of text.split('\n')) {
    try {
      const value: unknown = JSON.parse(raw);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) out.push(value);
    } catch {
      // not a line of JSON: the summariser skips it too
    }
  }
  return out;
}

interface Call {
  model: string;
  /** '' for the main thread, else the subagent id. */
  owner: string;
  input: number;
  output: number;
  cacheRead: number;
  w5m: number;
  w1h: number;
  fast: boolean;
  versions: Set<string>;
}

/** API responses by message id, top-level assistant lines and `agent_progress` messages, keeping the max-output snapshot. */
function responses(text: string): Map<string, Call> {
  const calls = new Map<string, Call>();
  for (const line of lines(text)) {
    let message: Message | undefined;
    let owner = '';
    if (line.type === 'assistant') message = line.message;
    if (line.type === 'progress' && line.data?.type === 'agent_progress' && line.data.message?.type === 'assistant') {
      message = line.data.message.message;
      owner = line.data.agentId ?? '?';
    }
    if (message?.id === undefined || message.model === undefined || message.model === '<synthetic>') continue;
    const u = message.usage ?? {};
    const flat = u.cache_creation_input_tokens ?? 0;
    const w1h = u.cache_creation?.ephemeral_1h_input_tokens ?? 0;
    const version = line.version ?? '';
    const next: Call = {
      model: message.model,
      owner,
      input: u.input_tokens ?? 0,
      output: u.output_tokens ?? 0,
      cacheRead: u.cache_read_input_tokens ?? 0,
      w5m: flat - w1h,
      w1h,
      fast: u.speed === 'fast',
      versions: new Set([version]),
    };
    const seen = calls.get(message.id);
    if (seen === undefined) calls.set(message.id, next);
    else if (next.output >= seen.output) calls.set(message.id, { ...next, owner: seen.owner, versions: new Set([...seen.versions, version]) });
    else seen.versions.add(version);
  }
  return calls;
}

function sum(calls: Iterable<Call>): { input: number; output: number; cacheRead: number; cacheWrite: number } {
  const t = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  for (const c of calls) {
    t.input += c.input;
    t.output += c.output;
    t.cacheRead += c.cacheRead;
    t.cacheWrite += c.w5m + c.w1h;
  }
  return t;
}

const inRange = (version: string): boolean => {
  const [major, minor, patch] = version.split('.').map(Number);
  return major === 2 && minor === 1 && patch !== undefined && patch >= 7 && patch <= 42;
};

const validate = new Ajv({ allErrors: true, strict: false }).compile(
  JSON.parse(readFileSync(fileURLToPath(new URL('../../schemas/chainloop-ai-coding-session-0.1.schema.json', import.meta.url)), 'utf8')) as object,
);

/** The session object, checked against Chainloop's schema on the way. */
function session(transcript: BuildSessionInput['transcript'], extra: Partial<BuildSessionInput['session']> = {}): ReturnType<typeof buildSessionObject> {
  const built = buildSessionObject({
    session: { id: 's-1', agent: 'claude-code', startedAt: '2030-01-01T00:00:00.000Z', endedAt: '2030-01-01T01:00:00.000Z', ...extra },
    transcript,
    files: [],
    git: { commits: [] },
  });
  validate(built);
  expect(validate.errors ?? []).toEqual([]);
  return built;
}

describe('Claude Code 2.1.7-2.1.42 write no final usage: output is a lower bound', () => {
  const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.jsonl'));

  it.each(fixtures)('%s', (name) => {
    const text = read(name);
    const calls = [...responses(text).values()];
    const flagged = calls.filter((c) => [...c.versions].some(inRange)).length;
    const s = summarizeClaudeTranscript({ main: text, subagents: [] });
    const obj = session(s);
    if (flagged === 0) {
      expect(s.outputTokensLowerBound).toBeUndefined();
      expect(obj.usage?.output_tokens_lower_bound).toBeUndefined();
      expect(obj.warnings.join('\n')).not.toMatch(/lower bound/);
    } else {
      expect(s.outputTokensLowerBound).toBe(true);
      expect(obj.usage?.output_tokens_lower_bound).toBe(true);
      expect(obj.warnings).toContainEqual(expect.stringMatching(new RegExp(`of ${flagged} of ${calls.length} responses are lower bounds`)));
    }
  });

  it('names the versions of a transcript resumed across two of them', () => {
    const s = summarizeClaudeTranscript({ main: read(OLD_RANGE), subagents: [] });
    expect(s.warnings).toContainEqual(expect.stringMatching(/^Claude Code 2\.1\.7-2\.1\.12 never writes a response's final usage/));
    const b9 = summarizeClaudeTranscript({ main: read(TWO_MODELS), subagents: [] });
    expect(b9.warnings).toContainEqual(expect.stringMatching(/^Claude Code 2\.1\.17-2\.1\.37 /));
  });

  it('does not flag 2.1.181, whose lines carry the final usage', () => {
    // The figure that makes the difference: the median response there has hundreds of output tokens.
    const outputs = [...responses(read(FAST)).values()].map((c) => c.output).sort((a, b) => a - b);
    expect(outputs[Math.floor(outputs.length / 2)]).toBeGreaterThan(100);
    expect(summarizeClaudeTranscript({ main: read(FAST), subagents: [] }).outputTokensLowerBound).toBeUndefined();
  });
});

describe('subagent usage embedded in agent_progress lines', () => {
  it('counts the Explore subagent of 2.1.37 from its progress lines, with its own model', () => {
    const text = read(PROGRESS);
    const calls = responses(text);
    const sub = [...calls.values()].filter((c) => c.owner === 'a44eb3e');
    const all = sum(calls.values());
    const own = sum(sub);
    expect(sub.length).toBe(14);
    expect(own.cacheRead + own.cacheWrite).toBeGreaterThan(700_000);

    const s = summarizeClaudeTranscript({ main: text, subagents: [] });
    expect(s.modelsUsed).toEqual(expect.arrayContaining(['claude-opus-4-6', 'claude-haiku-4-5-20251001']));
    expect(s.primaryModel).toBe('claude-opus-4-6');
    expect(s.usage).toMatchObject({ inputTokens: all.input, outputTokens: all.output, cacheReadInputTokens: all.cacheRead, cacheCreationInputTokens: all.cacheWrite });
    expect(s.usageByModel.find((m) => m.model === 'claude-haiku-4-5-20251001')?.responses).toBe(14);
    expect(s.subagents).toEqual([
      expect.objectContaining({
        id: 'a44eb3e',
        type: 'Explore',
        toolUseId: 'toolu_0131mUHnLpiv1HY9ZUv4g3DX',
        transcriptFound: false,
        models: ['claude-haiku-4-5-20251001'],
        usage: expect.objectContaining({ inputTokens: own.input, outputTokens: own.output, cacheReadInputTokens: own.cacheRead, cacheCreationInputTokens: own.cacheWrite }) as unknown,
      }),
    ]);
    expect(s.subagents[0]?.estimatedCostUsd).toBeGreaterThan(0);
    // The subagent's own tool calls count, once each.
    const subTools = new Set(
      lines(text).flatMap((l) =>
        l.type === 'progress' && l.data?.type === 'agent_progress' && l.data.message?.type === 'assistant'
          ? blocks(l.data.message.message).flatMap((b) => (b.type === 'tool_use' && b.id !== undefined ? [b.id] : []))
          : [],
      ),
    );
    const mainTools = new Set(
      lines(text).flatMap((l) => (l.type === 'assistant' ? blocks(l.message).flatMap((b) => (b.type === 'tool_use' && b.id !== undefined ? [b.id] : [])) : [])),
    );
    expect(s.totalToolInvocations).toBe(new Set([...subTools, ...mainTools]).size);

    const obj = session(s);
    expect(obj.subagents).toEqual([
      expect.objectContaining({ id: 'a44eb3e', tokens: { input: own.input + own.cacheRead + own.cacheWrite, output: own.output }, models: ['claude-haiku-4-5-20251001'], transcript_found: false }),
    ]);
    expect(obj.model?.models_used).toContain('claude-haiku-4-5-20251001');
  });

  it('never reports the tool result usage (the last API call) as the subagent spend', () => {
    const text = read(PROGRESS);
    const result = lines(text).find((l) => l.toolUseResult?.agentId === 'a44eb3e')?.toolUseResult;
    expect(result?.totalTokens).toBe(69_708);
    const s = summarizeClaudeTranscript({ main: text, subagents: [] });
    const usage = s.subagents[0]?.usage;
    expect(usage?.totalTokens).not.toBe(result?.totalTokens);
    expect(usage?.cacheReadInputTokens).not.toBe(result?.usage?.cache_read_input_tokens);
    expect(usage?.totalTokens).toBeGreaterThan(69_708);
  });

  it('gives each of three subagents its own model across a resumed session', () => {
    const text = read(TWO_MODELS);
    const calls = [...responses(text).values()];
    const all = sum(calls);
    const s = summarizeClaudeTranscript({ main: text, subagents: [] });
    expect(s.usage).toMatchObject({ inputTokens: all.input, outputTokens: all.output, cacheReadInputTokens: all.cacheRead, cacheCreationInputTokens: all.cacheWrite });
    const expected = ['a6cf6c1', 'a747a68', 'ab55bfe'].map((id) => {
      const own = calls.filter((c) => c.owner === id);
      return { id, models: [...new Set(own.map((c) => c.model))], output: sum(own).output };
    });
    expect(s.subagents.map((a) => ({ id: a.id, models: a.models, output: a.usage?.outputTokens })).sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual(expected);
    expect(s.subagents.find((a) => a.id === 'a6cf6c1')).toMatchObject({ type: 'Plan', models: ['claude-opus-4-6'] });
    expect(s.modelsUsed).toEqual(expect.arrayContaining(['claude-opus-4-5-20251101', 'claude-opus-4-6', 'claude-haiku-4-5-20251001']));
  });

  it('links a subagent that still runs (no tool result yet) through its progress lines', () => {
    const text = read(PROGRESS)
      .split('\n')
      .filter((raw) => !raw.includes('"toolUseResult"') || !raw.includes('a44eb3e'))
      .join('\n');
    expect(lines(text).some((l) => l.toolUseResult?.agentId === 'a44eb3e')).toBe(false);
    const s = summarizeClaudeTranscript({ main: text, subagents: [] });
    expect(s.subagents).toEqual([expect.objectContaining({ id: 'a44eb3e', type: 'Explore', toolUseId: 'toolu_0131mUHnLpiv1HY9ZUv4g3DX' })]);
    expect(s.warnings.join('\n')).not.toMatch(/no linked subagent/);
  });

  it('says a subagent\'s tokens are unknown, and reports none, when neither its file nor progress lines exist', () => {
    const text = read(PROGRESS)
      .split('\n')
      .filter((raw) => !raw.includes('"agent_progress"'))
      .join('\n');
    const s = summarizeClaudeTranscript({ main: text, subagents: [] });
    expect(s.subagents).toEqual([expect.objectContaining({ id: 'a44eb3e', transcriptFound: false, usage: undefined, estimatedCostUsd: undefined })]);
    expect(s.modelsUsed).not.toContain('claude-haiku-4-5-20251001');
    const obj = session(s);
    expect(obj.subagents?.[0]).not.toHaveProperty('tokens');
    expect(obj.warnings).toContainEqual(expect.stringMatching(/subagent a44eb3e: no transcript file and no progress lines.*tokens are unknown/));
  });

  it('dedupes progress messages against the subagent file that repeats them', () => {
    const text = read(PROGRESS);
    // The subagent's file, as Claude Code writes it beside the parent: the embedded messages as lines.
    const file = lines(text)
      .filter((l) => l.type === 'progress' && l.data?.type === 'agent_progress' && l.data.agentId === 'a44eb3e')
      .map((l) => JSON.stringify({ ...l.data?.message, isSidechain: true, agentId: 'a44eb3e', version: l.version }))
      .join('\n');
    const without = summarizeClaudeTranscript({ main: text, subagents: [] });
    const withFile = summarizeClaudeTranscript({ main: text, subagents: [{ agentId: 'a44eb3e', text: file }] });
    expect(withFile.usage).toEqual(without.usage);
    expect(withFile.totalToolInvocations).toBe(without.totalToolInvocations);
    expect(withFile.subagents).toEqual([{ ...without.subagents[0], transcriptFound: true }]);
  });
});

describe('fast mode', () => {
  it('prices every fast response of opus-4-8 at the fast rates (10/50, cache multipliers on top)', () => {
    const text = read(FAST);
    const calls = [...responses(text).values()];
    expect(calls.length).toBe(51);
    expect(calls.every((c) => c.fast && c.model === 'claude-opus-4-8')).toBe(true);
    const fast = calls.reduce((usd, c) => usd + (c.input * 10 + c.output * 50 + c.cacheRead * 1 + c.w5m * 12.5 + c.w1h * 20) / 1e6, 0);
    const standard = calls.reduce((usd, c) => usd + (c.input * 5 + c.output * 25 + c.cacheRead * 0.5 + c.w5m * 6.25 + c.w1h * 10) / 1e6, 0);

    const s = summarizeClaudeTranscript({ main: text, subagents: [] });
    expect(s.estimatedCostUsd).toBeCloseTo(fast, 5);
    expect(s.estimatedCostUsd).not.toBeCloseTo(standard, 2);
    expect(s.usageByModel).toEqual([expect.objectContaining({ model: 'claude-opus-4-8', responses: 51, fastResponses: 51 })]);
    expect(session(s).usage?.by_model).toEqual([expect.objectContaining({ model: 'claude-opus-4-8', fast_responses: 51 })]);
  });

  it('gives no figure, and says why, for fast mode on a model without a fast price', () => {
    const text = read(FAST).replaceAll('"claude-opus-4-8"', '"claude-opus-4-6"');
    const s = summarizeClaudeTranscript({ main: text, subagents: [] });
    expect(s.estimatedCostUsd).toBeUndefined();
    expect(s.costComplete).toBe(false);
    expect(s.warnings).toContainEqual(expect.stringMatching(/no fast-mode price for model "claude-opus-4-6"/));
  });
});

describe('session start, end and prompts', () => {
  it('takes start and end from the transcript lines, not from when the hooks ran', () => {
    const text = read(OPUS_47);
    const stamps = lines(text)
      .map((l) => l.timestamp)
      .filter((t): t is string => t !== undefined)
      .sort((a, b) => Date.parse(a) - Date.parse(b));
    const first = stamps[0]!;
    const last = stamps[stamps.length - 1]!;
    const s = summarizeClaudeTranscript({ main: text, subagents: [] });
    // A hook that ran before the first line (SessionStart) and one that ran long after the last.
    const before = new Date(Date.parse(first) - 60_000).toISOString();
    const after = new Date(Date.parse(last) + 3_600_000).toISOString();
    const obj = session(s, { startedAt: before, endedAt: after });
    expect(obj.session).toMatchObject({ started_at: first, ended_at: last, duration_seconds: Math.floor((Date.parse(last) - Date.parse(first)) / 1000) });
    // Hooks installed mid-session: the first hook runs after the first line.
    expect(session(s, { startedAt: last, endedAt: null }).session.started_at).toBe(first);
    // Without a transcript, the hooks' times.
    expect(session(null, { startedAt: before, endedAt: after }).session).toMatchObject({ started_at: before, ended_at: after, duration_seconds: 3600 + 60 + Math.floor((Date.parse(last) - Date.parse(first)) / 1000) });
  });

  it('counts prompts from the transcript and from the hooks, and reports the larger', () => {
    const text = read(PROGRESS);
    // Human prompts: main-thread user lines with text that are not meta, tool results or command wrappers.
    const prompts = lines(text).filter((l) => {
      if (l.type !== 'user' || l.isMeta === true || l.isSidechain === true) return false;
      const content = l.message?.content;
      const texts = typeof content === 'string' ? [content] : blocks(l.message).flatMap((b) => (b.type === 'text' && b.text !== undefined ? [b.text] : []));
      return texts.length > 0 && !/^\s*(<command-|<local-command-|\[Request interrupted)/.test(texts.join('\n'));
    }).length;
    expect(prompts).toBeGreaterThan(0);
    const s = summarizeClaudeTranscript({ main: text, subagents: [] });
    expect(s.messages.user).toBe(prompts);

    // The hooks saw only the last prompt (installed mid-session): the transcript's count.
    expect(session(s, { prompts: 1 }).conversation).toMatchObject({ user_messages: prompts, total_messages: prompts + s.messages.assistant });
    // The hooks saw more than the transcript kept: theirs.
    expect(session(s, { prompts: prompts + 2 }).conversation).toMatchObject({ user_messages: prompts + 2, total_messages: prompts + 2 + s.messages.assistant });
    // No transcript: the hooks' count alone.
    expect(session(null, { prompts: 3 }).conversation).toEqual({ user_messages: 3 });
    expect(session(null, { prompts: 0 }).conversation).toBeUndefined();
  });
});

describe('the [1m] context tag of SessionStart models', () => {
  it('is dropped before reporting and pricing', () => {
    const s = summarizeClaudeTranscript({ main: read(OPUS_47), subagents: [] });
    expect(s.modelsUsed).toEqual(['claude-opus-4-7']);
    const withTranscript = session(s, { model: 'claude-opus-4-7[1m]' });
    expect(withTranscript.model).toEqual({ primary: 'claude-opus-4-7', provider: 'anthropic', models_used: ['claude-opus-4-7'] });
    const hooksOnly = session(null, { model: 'claude-opus-4-7[1m]' });
    expect(hooksOnly.model).toEqual({ primary: 'claude-opus-4-7', provider: 'anthropic', models_used: ['claude-opus-4-7'] });
  });

  it('is dropped from a transcript model too, which is then priced without a prefix-match note', () => {
    const text = read(OPUS_47).replaceAll('"claude-opus-4-7"', '"claude-opus-4-7[1m]"');
    const s = summarizeClaudeTranscript({ main: text, subagents: [] });
    expect(s.modelsUsed).toEqual(['claude-opus-4-7']);
    expect(s.estimatedCostUsd).toBe(summarizeClaudeTranscript({ main: read(OPUS_47), subagents: [] }).estimatedCostUsd);
    expect(s.warnings.join('\n')).not.toMatch(/prefix match|no price/);
  });
});
