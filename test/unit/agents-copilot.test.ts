import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { hooks, pairKey } from '../../src/agents/copilot/hooks.js';
import { CONFIG_FILE, hookCommand, hooksInstalled, planInstall, removeHooks } from '../../src/agents/copilot/install.js';
import { defaultEventsPath, priceModelId, readCopilotSession, summarizeCopilotEvents } from '../../src/agents/copilot/session.js';
import { SimulatedCopilot } from '../../src/agents/copilot/simulator.js';
import type { CaptureEvent } from '../../src/agents/types.js';

// The real data, beside the clone (never copied into the project).
const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/agents/copilot/', import.meta.url));
const HOOK_INPUTS = join(FIXTURES, 'hooks', 'computermode_copilot1.0.12+1.0.20_hook-inputs-from-events.jsonl');
const ENTIRE_CAPTURE = join(FIXTURES, 'hooks', 'entire-AGENT.md_copilot0.0.420_captured.jsonl');
const EVENTS_1012 = join(FIXTURES, 'events', 'computermode_69-9504f045e2-0_copilot1.0.12_events.jsonl');
const EVENTS_1020 = join(FIXTURES, 'events', 'computermode_d6-c5b42b281b-0_copilot1.0.20_events.jsonl');

const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** The event argument the installed config passes for each Copilot hook. */
const ARG: Record<string, string> = {
  sessionStart: 'session-start',
  sessionEnd: 'session-end',
  userPromptSubmitted: 'user-prompt-submit',
  preToolUse: 'pre-tool-use',
  postToolUse: 'post-tool-use',
  agentStop: 'agent-stop',
};

/** The entire capture has no hook names: each payload says which it is by its fields. */
function entireHookType(payload: Record<string, unknown>): string {
  if ('source' in payload) return 'sessionStart';
  if ('transcriptPath' in payload) return 'agentStop';
  if ('reason' in payload) return 'sessionEnd';
  if ('prompt' in payload) return 'userPromptSubmitted';
  throw new Error(`unknown payload ${JSON.stringify(payload)}`);
}

const realPayloads: { hookType: string; payload: Record<string, unknown> }[] = [
  ...lines(HOOK_INPUTS).map((line) => ({ hookType: line._hookType as string, payload: line.input as Record<string, unknown> })),
  ...lines(ENTIRE_CAPTURE).map((payload) => ({ hookType: entireHookType(payload), payload })),
];

function parseAll(): { hookType: string; events: CaptureEvent[] }[] {
  return realPayloads.map(({ hookType, payload }) => {
    const result = hooks.parse(ARG[hookType]!, payload);
    if (!result.ok) throw new Error(`${hookType}: ${result.problems.join('; ')}`);
    return { hookType, events: result.events };
  });
}

describe('hooks.parse on every real Copilot payload', () => {
  it('parses all 18 payloads without a problem', () => {
    expect(realPayloads).toHaveLength(18);
    expect(() => parseAll()).not.toThrow();
  });

  it('turns the 1.0.12 session into a prompt, one create call (pre and post paired), the turn end and the session end', () => {
    const session = '31b0eadb-c44b-41ef-b46b-16c3f8e1fdd6';
    const cwd = '/Users/ninawork/entire/test-repos/test-repo/copilot-cli-attach';
    const events = parseAll()
      .flatMap((p) => p.events)
      .filter((e) => e.sessionId === session);
    expect(events.map((e) => [e.name, e.tool?.name])).toEqual([
      ['user-prompt-submit', undefined],
      ['pre-tool-use', 'create'],
      ['post-tool-use', 'create'],
      ['turn-usage', undefined],
      ['session-end', undefined],
    ]);
    expect(events.every((e) => e.cwd === cwd)).toBe(true);
    expect(events[0]!.prompt).toBe('create a file in this folder that states this is for testing copilot cli');
    const [pre, post] = [events[1]!.tool!, events[2]!.tool!];
    expect(pre).toMatchObject({ kind: 'file', filePaths: [`${cwd}/README.md`], input: { path: `${cwd}/README.md`, file_text: 'This folder is for testing Copilot CLI.\n' } });
    expect(post.useId).toBe(pre.useId);
    expect(post.filePaths).toEqual(pre.filePaths);
    expect(events[3]!.transcriptPath).toBe(`/Users/ninawork/.copilot/session-state/${session}/events.jsonl`);
    expect(events[4]!.reason).toBe('complete');
  });

  it('classifies bash as a shell call and pairs it across the batch with report_intent, which is not captured', () => {
    const session = 'b4257b63-a7e8-4e3f-9bf0-019c98db1744';
    const parsed = parseAll().filter((p) => p.events.some((e) => e.sessionId === session) || (p.hookType === 'postToolUse' && p.events.length === 0));
    const tools = parsed.flatMap((p) => p.events).filter((e) => e.tool !== undefined && e.sessionId === session);
    expect(tools.map((e) => [e.name, e.tool!.name, e.tool!.kind])).toEqual([
      ['pre-tool-use', 'bash', 'shell'],
      ['post-tool-use', 'bash', 'shell'],
      ['pre-tool-use', 'create', 'file'],
      ['post-tool-use', 'create', 'file'],
    ]);
    expect(tools[0]!.tool!.useId).toBe(tools[1]!.tool!.useId);
    expect(tools[2]!.tool!.useId).toBe(tools[3]!.tool!.useId);
    expect(tools[0]!.tool!.useId).not.toBe(tools[2]!.tool!.useId);
    expect(tools[0]!.tool!.filePaths).toEqual([]);
    expect(hooks.shellCommand('bash', tools[1]!.tool!.input)).toBe('mkdir /Users/ninawork/entire/test-repos/test-repo/test-copilot');
    // report_intent's post events give nothing.
    const intents = realPayloads.filter(({ payload }) => payload.toolName === 'report_intent');
    expect(intents).toHaveLength(2);
    for (const { payload } of intents) expect(hooks.parse('post-tool-use', payload)).toEqual({ ok: true, events: [] });
  });

  it('reads the sessionStart of the captured 0.0.420 session (fires after userPromptSubmitted)', () => {
    const events = parseAll()
      .flatMap((p) => p.events)
      .filter((e) => e.sessionId === 'b0ff98c0-8e01-4b73-bf92-9649b139931b');
    expect(events.map((e) => e.name)).toEqual(['user-prompt-submit', 'session-start', 'turn-usage', 'session-end']);
    expect(events[1]!.source).toBe('new');
  });

  it('takes the documented single-call preToolUse form too, pairing it with the post', () => {
    const args = { path: '/r/a.ts', old_str: 'a', new_str: 'b' };
    const pre = hooks.parse('pre-tool-use', { sessionId: 's1', cwd: '/r', toolName: 'edit', toolArgs: JSON.stringify(args) });
    const post = hooks.parse('post-tool-use', { sessionId: 's1', cwd: '/r', toolName: 'edit', toolArgs: { new_str: 'b', path: '/r/a.ts', old_str: 'a' }, toolResult: { resultType: 'success' } });
    expect(pre.ok && post.ok).toBe(true);
    if (!pre.ok || !post.ok) return;
    expect(pre.events[0]!.tool!.useId).toBe(post.events[0]!.tool!.useId);
    expect(pre.events[0]!.tool!.useId).toBe(pairKey('edit', args));
    expect(pairKey('edit', { ...args, new_str: 'c' })).not.toBe(pairKey('edit', args));
  });

  it('turns a failed result and postToolUseFailure into post-tool-use-failure with the error', () => {
    const toolArgs = { command: 'false' };
    const denied = hooks.parse('post-tool-use', { sessionId: 's1', toolName: 'bash', toolArgs, toolResult: { resultType: 'denied', textResultForLlm: 'The user denied it' } });
    const failure = hooks.parse('post-tool-use-failure', { sessionId: 's1', toolName: 'bash', toolArgs, error: 'exit 1' });
    expect(denied).toMatchObject({ ok: true, events: [{ name: 'post-tool-use-failure', error: 'The user denied it' }] });
    expect(failure).toMatchObject({ ok: true, events: [{ name: 'post-tool-use-failure', error: 'exit 1' }] });
  });

  it('records a subagent’s calls under its parent’s session, the subagent as agentId, and drops its start, prompt and end', () => {
    // As Copilot 1.0.102 sent them from a `task` subagent (sessionId is the subagent's own id).
    const parent = '080c4a28-ed18-438e-9bbd-fe520898d14b';
    const sub = { sessionId: '3019acf0-dfa8-41b7-825a-0d513ad79ce9', agentId: '3019acf0-dfa8-41b7-825a-0d513ad79ce9', agentType: 'general-purpose', parentAgentId: parent, cwd: '/r' };
    const toolArgs = { path: '/r/sub.ts', file_text: 'export const sub = 1;\n' };
    const pre = hooks.parse('pre-tool-use', { ...sub, timestamp: 1, toolName: 'create', toolArgs });
    const post = hooks.parse('post-tool-use', { ...sub, timestamp: 2, toolName: 'create', toolArgs, toolResult: { resultType: 'success', textResultForLlm: 'Created file' } });
    expect(pre).toMatchObject({ ok: true, events: [{ name: 'pre-tool-use', sessionId: parent, agentId: sub.agentId }] });
    expect(post).toMatchObject({ ok: true, events: [{ name: 'post-tool-use', sessionId: parent, agentId: sub.agentId }] });
    expect(hooks.parse('user-prompt-submit', { ...sub, prompt: 'Write sub.ts' })).toEqual({ ok: true, events: [] });
    expect(hooks.parse('session-start', { ...sub, source: 'new' })).toEqual({ ok: true, events: [] });
    // The main agent's own payloads are unchanged.
    expect(hooks.parse('pre-tool-use', { sessionId: parent, cwd: '/r', toolName: 'create', toolArgs })).toMatchObject({ ok: true, events: [{ sessionId: parent, agentId: undefined }] });
    expect(hooks.parse('pre-tool-use', { ...sub, parentAgentId: 'a b', toolName: 'create', toolArgs })).toMatchObject({ ok: false, problems: ['parentAgentId: not a plain identifier (letters, digits, . _ : -)'] });
  });

  it('ignores payloads of other formats (Claude-style from VS Code, Cursor) without calling them errors', () => {
    expect(hooks.parse('pre-tool-use', { session_id: 'x', hook_event_name: 'PreToolUse', tool_name: 'Edit' })).toMatchObject({ ok: false, ignored: true });
    expect(hooks.parse('pre-tool-use', { sessionId: 'x', cursor_version: '1.7', toolCalls: [] })).toMatchObject({ ok: false, ignored: true });
  });

  it('reports every problem at once as field: message', () => {
    const result = hooks.parse('pre-tool-use', { sessionId: 'a b', cwd: 3, toolCalls: [{ id: 'x', name: 'create', args: '{not json' }, 'y', { id: 'z', name: 'edit', args: '{"old_str":"a"}' }] });
    expect(result).toEqual({
      ok: false,
      ignored: false,
      problems: [
        'sessionId: not a plain identifier (letters, digits, . _ : -)',
        'cwd: expected a string',
        'toolCalls[0].args: expected a JSON object in the string',
        'toolCalls[1]: expected an object',
        'toolCalls[2].args.path: expected a path',
      ],
    });
    expect(hooks.parse('user-prompt-submit', { sessionId: 's' })).toEqual({ ok: false, ignored: false, problems: ['prompt: missing'] });
    expect(hooks.parse('nonsense', { sessionId: 's' })).toMatchObject({ ok: false, ignored: false });
    expect(hooks.parse('error-occurred', { sessionId: 's', error: { message: 'x' } })).toEqual({ ok: true, events: [] });
  });
});

describe('what an edit says and how to undo it', () => {
  const [, , , createPost] = lines(HOOK_INPUTS).map((line) => line.input as Record<string, unknown>);

  it('knows a successful create made a new file, from the real result', () => {
    const parsed = hooks.parse('post-tool-use', createPost);
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    const tool = parsed.events[0]!.tool!;
    expect(hooks.contentBeforeCall(tool, 'README.md', 'This folder is for testing Copilot CLI.\n')).toBeNull();
    expect(hooks.declaredWrites('create', tool.input, 'README.md')).toEqual({ kind: 'content', text: 'This folder is for testing Copilot CLI.\n' });
  });

  it('reverse-applies an edit whose new text occurs once, and gives up when it is ambiguous', () => {
    const tool = { name: 'edit', useId: 'u', kind: 'file' as const, input: { path: '/r/a', old_str: 'let x = 1;', new_str: 'const x = 2;' }, response: { resultType: 'success' }, filePaths: ['/r/a'] };
    expect(hooks.contentBeforeCall(tool, 'a', 'a\nconst x = 2;\nb\n')).toBe('a\nlet x = 1;\nb\n');
    expect(hooks.contentBeforeCall(tool, 'a', 'const x = 2;\nconst x = 2;\n')).toBeUndefined();
    expect(hooks.contentBeforeCall(tool, 'a', null)).toBeUndefined();
    expect(hooks.declaredWrites('edit', tool.input, 'a')).toEqual({ kind: 'fragments', fragments: ['const x = 2;'] });
    expect(hooks.declaredWrites('edit', { path: 'a', new_str: 'é' }, 'a')).toEqual({ kind: 'fragments', fragments: ['Ã©'] });
    expect(hooks.declaredWrites('view', { path: 'a' }, 'a')).toBeUndefined();
  });
});

describe('install into .github/hooks/trace.json', () => {
  const root = mkdtempSync(join(tmpdir(), 'copilot-install-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const others = `${JSON.stringify(
    {
      version: 1,
      hooks: {
        preToolUse: [{ type: 'command', bash: './scripts/policy.sh', powershell: './scripts/policy.ps1', timeoutSec: 15 }],
        sessionEnd: [{ type: 'command', bash: 'echo bye >> /tmp/log' }],
      },
    },
    null,
    2,
  )}\n`;

  it('merges beside the hooks already there, idempotently, and removes only its own (byte-identical)', () => {
    mkdirSync(join(root, '.github', 'hooks'), { recursive: true });
    writeFileSync(join(root, CONFIG_FILE), others);
    const plan = planInstall(root);
    expect(plan).toMatchObject({ file: '.github/hooks/trace.json', original: others, status: 'installed' });
    const merged = JSON.parse(plan.text!) as { version: number; hooks: Record<string, Record<string, unknown>[]> };
    expect(merged.version).toBe(1);
    expect(merged.hooks.preToolUse).toEqual([
      { type: 'command', bash: './scripts/policy.sh', powershell: './scripts/policy.ps1', timeoutSec: 15 },
      { type: 'command', bash: 'if command -v trace >/dev/null 2>&1; then trace hook copilot pre-tool-use; fi', timeoutSec: 30 },
      { type: 'command', bash: 'if command -v trace >/dev/null 2>&1; then trace hook copilot guard; fi', timeoutSec: 10 },
    ]);
    expect(merged.hooks.sessionEnd).toHaveLength(2);
    expect(Object.keys(merged.hooks).sort()).toEqual(['agentStop', 'postToolUse', 'postToolUseFailure', 'preToolUse', 'sessionEnd', 'sessionStart', 'userPromptSubmitted']);
    // Copilot fails every event of an entry without a bash key.
    for (const entries of Object.values(merged.hooks)) for (const entry of entries) expect(typeof entry.bash).toBe('string');
    expect(hooksInstalled(plan.text!, CONFIG_FILE)).toBe(true);
    expect(hooksInstalled(others, CONFIG_FILE)).toBe(false);

    writeFileSync(join(root, CONFIG_FILE), plan.text!);
    expect(planInstall(root)).toMatchObject({ text: undefined, status: 'unchanged' });
    expect(removeHooks(plan.text!, CONFIG_FILE)).toEqual({ text: others, removed: 8 });
  });

  it('creates the file when there is none, and removing leaves nothing', () => {
    rmSync(join(root, CONFIG_FILE));
    const plan = planInstall(root);
    expect(plan.original).toBeUndefined();
    expect(removeHooks(plan.text!, CONFIG_FILE)).toEqual({ text: null, removed: 8 });
  });

  it('upgrades a bare trace command in place, keeping its other keys', () => {
    writeFileSync(join(root, CONFIG_FILE), JSON.stringify({ version: 1, hooks: { agentStop: [{ type: 'command', bash: 'trace hook copilot agent-stop', env: { A: '1' } }] } }));
    const plan = planInstall(root);
    const merged = JSON.parse(plan.text!) as { hooks: Record<string, Record<string, unknown>[]> };
    expect(merged.hooks.agentStop).toEqual([{ type: 'command', bash: hookCommand('agent-stop'), env: { A: '1' } }]);
    expect(plan.text!.endsWith('\n')).toBe(false);
  });

  it('refuses a config it cannot read, naming every bad value', () => {
    writeFileSync(join(root, CONFIG_FILE), '{"version":2,"hooks":{"preToolUse":{},"postToolUse":[3]}}');
    expect(() => planInstall(root)).toThrow(/version: must be 1[\s\S]*hooks\.preToolUse: must be an array[\s\S]*hooks\.postToolUse\[0\]: must be an object/);
  });
});

describe('summarizeCopilotEvents on the real events.jsonl files', () => {
  /** An independent reading: the shutdown's numbers and counts of lines, taken straight from the JSON. */
  function independent(path: string) {
    type Line = { type: string; timestamp: string; data: { modelMetrics?: Record<string, { requests: { count: number }; usage: Record<string, number> }>; toolCallId?: string; outputTokens?: number } };
    const records = lines(path) as unknown as Line[];
    const shutdown = records.find((r) => r.type === 'session.shutdown')!.data;
    const [model, metrics] = Object.entries(shutdown.modelMetrics!)[0]!;
    const toolIds = new Set(records.filter((r) => r.type === 'tool.execution_start').map((r) => r.data.toolCallId));
    return {
      model,
      requests: metrics.requests.count,
      usage: metrics.usage,
      users: records.filter((r) => r.type === 'user.message').length,
      assistants: records.filter((r) => r.type === 'assistant.message').length,
      outputsOfMessages: records.filter((r) => r.type === 'assistant.message').reduce((sum, r) => sum + (r.data.outputTokens ?? 0), 0),
      tools: toolIds.size,
      first: records[0]!.timestamp,
      last: records.at(-1)!.timestamp,
    };
  }
  // Sonnet 4.6 at API prices, USD per 1M tokens: input 3, output 15, cache read 0.3.
  const sonnet46 = (uncached: number, output: number, cacheRead: number) => Math.round(((uncached * 3 + output * 15 + cacheRead * 0.3) / 1e6) * 1e6) / 1e6;

  it.each([
    ['1.0.12', EVENTS_1012, '31b0eadb-c44b-41ef-b46b-16c3f8e1fdd6'],
    ['1.0.20', EVENTS_1020, 'b4257b63-a7e8-4e3f-9bf0-019c98db1744'],
  ])('Copilot %s: input includes cache reads, totals from session.shutdown', (version, path, sessionId) => {
    const truth = independent(path);
    const { summary, conversation } = summarizeCopilotEvents(readFileSync(path, 'utf8'));
    const uncached = truth.usage.inputTokens! - truth.usage.cacheReadTokens!;
    expect(summary).toMatchObject({
      sessionId,
      version,
      primaryModel: 'claude-sonnet-4.6',
      modelsUsed: ['claude-sonnet-4.6'],
      startedAt: truth.first,
      endedAt: truth.last,
      messages: { user: truth.users, assistant: truth.assistants, total: truth.users + truth.assistants },
      totalToolInvocations: truth.tools,
      invalidLines: 0,
      costComplete: true,
    });
    expect(summary.usage).toEqual({
      inputTokens: uncached,
      outputTokens: truth.usage.outputTokens,
      cacheReadInputTokens: truth.usage.cacheReadTokens,
      cacheCreationInputTokens: 0,
      cacheCreation5mInputTokens: 0,
      cacheCreation1hInputTokens: 0,
      totalTokens: truth.usage.inputTokens! + truth.usage.outputTokens!,
    });
    expect(summary.usageByModel[0]!.responses).toBe(truth.requests);
    // The responses' own output tokens add up to the shutdown's.
    expect(truth.outputsOfMessages).toBe(truth.usage.outputTokens);
    expect(summary.estimatedCostUsd).toBe(sonnet46(uncached, truth.usage.outputTokens!, truth.usage.cacheReadTokens!));
    expect(summary.warnings.join('\n')).toMatch(/premium requests \(1 in this session\)/);
    expect(conversation[0]).toMatchObject({ type: 'prompt' });
    expect(conversation.filter((entry) => entry.type === 'tool_call')).toHaveLength(truth.tools);
  });

  it('the 1.0.12 figures, by hand', () => {
    const { summary } = summarizeCopilotEvents(readFileSync(EVENTS_1012, 'utf8'));
    // 40,503 input of which 31,836 cache reads; 187 output.
    expect(summary.usage).toMatchObject({ inputTokens: 8667, cacheReadInputTokens: 31836, outputTokens: 187 });
    expect(summary.estimatedCostUsd).toBe(0.038357);
    expect(summary.tools).toEqual([
      { name: 'create', count: 1 },
      { name: 'report_intent', count: 1 },
    ]);
  });

  it('without session.shutdown (not written yet): output tokens from the responses, a lower bound, said in the warnings', () => {
    const text = readFileSync(EVENTS_1020, 'utf8')
      .split('\n')
      .filter((line) => !line.includes('"type":"session.shutdown"'))
      .join('\n');
    const { summary } = summarizeCopilotEvents(`${text}\n{broken`);
    const outputs = lines(EVENTS_1020)
      .filter((r) => r.type === 'assistant.message')
      .reduce((sum, r) => sum + ((r.data as { outputTokens: number }).outputTokens ?? 0), 0);
    expect(summary.usage).toMatchObject({ inputTokens: 0, outputTokens: outputs, cacheReadInputTokens: 0 });
    expect(summary.primaryModel).toBe('claude-sonnet-4.6');
    expect(summary.invalidLines).toBe(1);
    expect(summary.warnings.join('\n')).toMatch(/no session\.shutdown in events\.jsonl[\s\S]*lower bound/);
  });

  it('a task subagent (1.0.102): listed from subagent.started, its task not taken for the person’s prompt', () => {
    const event = (type: string, data: object) => JSON.stringify({ type, data, id: `e-${type}`, timestamp: '2026-12-02T02:55:46.000Z' });
    const text = [
      event('session.start', { sessionId: 's1', copilotVersion: '1.0.102', selectedModel: 'claude-sonnet-4.6' }),
      event('user.message', { content: 'delegate it' }),
      event('subagent.started', { toolCallId: 'call_1', agentName: 'general-purpose', agentDisplayName: 'writer', agentDescription: 'Write sub.ts', model: 'claude-sonnet-4.6' }),
      JSON.stringify({ type: 'user.message', data: { content: 'Write sub.ts with one constant.', source: 'agent-s1' }, id: 'e-sub-prompt' }),
      event('subagent.completed', { toolCallId: 'call_1', agentName: 'general-purpose', totalTokens: 854 }),
    ].join('\n');
    const { summary, conversation } = summarizeCopilotEvents(text);
    expect(summary.subagents).toEqual([{ id: 'call_1', toolUseId: 'call_1', type: 'general-purpose', description: 'Write sub.ts', transcriptFound: true, models: ['claude-sonnet-4.6'], usage: undefined, estimatedCostUsd: undefined }]);
    expect(conversation.filter((entry) => entry.type === 'prompt').map((entry) => (entry as { text: string }).text)).toEqual(['delegate it']);
    expect(summary.messages.user).toBe(1);
  });

  it('maps dotted Anthropic ids to the price table, leaving GPT and Gemini ids alone', () => {
    expect(priceModelId('claude-sonnet-4.6')).toBe('claude-sonnet-4-6');
    expect(priceModelId('claude-opus-4.5')).toBe('claude-opus-4-5');
    expect(priceModelId('gpt-5.1-codex')).toBe('gpt-5.1-codex');
    expect(priceModelId('gemini-2.5-pro')).toBe('gemini-2.5-pro');
  });
});

describe('readCopilotSession', () => {
  it('reads the path agentStop gave, else the default place, and warns when there is nothing', async () => {
    const read = (path: string) => Promise.resolve(readFileSync(path, 'utf8'));
    const found = await readCopilotSession({ id: 'x', transcript_path: EVENTS_1012 }, read);
    expect(found.summary?.usage.outputTokens).toBe(187);
    expect(found.records).toHaveLength(25);
    const missing = await readCopilotSession({ id: 'gone', transcript_path: null }, read, { HOME: '/nonexistent-home' });
    expect(missing.summary).toBeNull();
    expect(missing.warnings[0]).toMatch(/\/nonexistent-home\/\.copilot\/session-state\/gone\/events\.jsonl not found/);
    expect(defaultEventsPath('s', { HOME: '/h', COPILOT_HOME: '/c' })).toBe('/c/session-state/s/events.jsonl');
  });
});

describe('SimulatedCopilot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'copilot-sim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the installed config with payloads the parser reads as the real ones', () => {
    const log = join(dir, 'payloads.log');
    // The installed config, with each command replaced by one that records the event and its payload.
    const installed = JSON.parse(planInstall(dir).text!) as { hooks: Record<string, { bash: string }[]> };
    // The guard's entry answers; its payloads are the pre-tool-use ones (test/integration/guard-agents.test.ts).
    installed.hooks.preToolUse = installed.hooks.preToolUse!.filter((entry) => !entry.bash.includes('copilot guard'));
    for (const [event, entries] of Object.entries(installed.hooks)) {
      for (const entry of entries) entry.bash = `printf '%s\\t' ${event} >> ${log}; cat >> ${log}; echo >> ${log}`;
    }
    mkdirSync(join(dir, '.github', 'hooks'), { recursive: true });
    writeFileSync(join(dir, CONFIG_FILE), JSON.stringify(installed));
    const sim = new SimulatedCopilot({ dir, env: { PATH: process.env.PATH, HOME: join(dir, 'home') } });
    sim.start('claude-sonnet-4.6');
    sim.prompt('make a file');
    sim.write('a.txt', 'one\n');
    sim.edit('a.txt', 'one', 'two');
    sim.bash('true');
    sim.end();
    const fired = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split('\t') as [string, string]);
    expect(fired.map(([event]) => event)).toEqual([
      'userPromptSubmitted',
      'sessionStart',
      ...['preToolUse', 'postToolUse', 'preToolUse', 'postToolUse', 'preToolUse', 'postToolUse'],
      'agentStop',
      'sessionEnd',
    ]);
    const events = fired.flatMap(([event, payload]) => {
      const result = hooks.parse(ARG[event]!, JSON.parse(payload));
      if (!result.ok) throw new Error(`${event}: ${result.problems.join('; ')}`);
      return result.events;
    });
    const tools = events.filter((e) => e.tool);
    expect(tools.map((e) => [e.name, e.tool!.name])).toEqual([
      ['pre-tool-use', 'create'],
      ['post-tool-use', 'create'],
      ['pre-tool-use', 'edit'],
      ['post-tool-use', 'edit'],
      ['pre-tool-use', 'bash'],
      ['post-tool-use', 'bash'],
    ]);
    for (let i = 0; i < tools.length; i += 2) expect(tools[i]!.tool!.useId).toBe(tools[i + 1]!.tool!.useId);
    expect(events.every((e) => e.sessionId === sim.sessionId)).toBe(true);
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('two\n');
    // Its events.jsonl reads back with the model and the shutdown's usage.
    const { summary } = summarizeCopilotEvents(readFileSync(sim.eventsPath, 'utf8'));
    expect(summary).toMatchObject({ sessionId: sim.sessionId, primaryModel: 'claude-sonnet-4.6', usage: { outputTokens: 300 } });
  });
});
