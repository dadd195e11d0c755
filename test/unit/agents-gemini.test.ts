import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaptureEvent, ToolCall } from '../../src/agents/types.js';
import { geminiConversation, parseGeminiChat, summarizeGeminiChat } from '../../src/agents/gemini/chat.js';
import { agent } from '../../src/agents/gemini/index.js';
import { hooks } from '../../src/agents/gemini/hooks.js';
import { CONFIG_FILE, hooksEnabled, hooksInstalled, planInstall, removeHooks } from '../../src/agents/gemini/install.js';
import { readGeminiSession } from '../../src/agents/gemini/session.js';
import { SimulatedGemini } from '../../src/agents/gemini/simulator.js';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/agents/gemini/', import.meta.url));
const HOOK_PAYLOADS = readFileSync(join(FIXTURES, 'hooks', 'tma_gemini0.46.0_captured-redacted.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Record<string, unknown>);
const CHATS = join(FIXTURES, 'chats');

/** `BeforeTool` → `before-tool`: the event argument the installed config passes. */
const kebab = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();

function parseOk(event: string, payload: unknown): CaptureEvent[] {
  const result = hooks.parse(event, payload);
  if (!result.ok) throw new Error(`not parsed: ${result.problems.join('; ')}`);
  return result.events;
}

const envelope = HOOK_PAYLOADS[0]!;
const base = { session_id: envelope.session_id, transcript_path: '/home/ana/.gemini/tmp/acme/chats/session-2026-07-25T15-06-7ae9d79d.json', cwd: '/home/ana/src/acme', timestamp: '2026-07-25T15:07:15.436Z' };
const tool = (event: 'BeforeTool' | 'AfterTool', name: string, input: Record<string, unknown>, response?: unknown) => ({
  ...base,
  hook_event_name: event,
  tool_name: name,
  tool_input: input,
  ...(response === undefined ? {} : { tool_response: response }),
});

describe('hooks.parse on the real 0.46.0 payloads', () => {
  const byEvent = (name: string) => HOOK_PAYLOADS.find((p) => p.hook_event_name === name)!;

  it('parses every payload without a problem', () => {
    for (const payload of HOOK_PAYLOADS) {
      const result = hooks.parse(kebab(payload.hook_event_name as string), payload);
      expect(result, JSON.stringify(payload)).toMatchObject({ ok: true });
    }
  });

  it('SessionStart, BeforeAgent and SessionEnd become session-start, user-prompt-submit and session-end', () => {
    const [start] = parseOk('session-start', byEvent('SessionStart'));
    expect(start).toMatchObject({ name: 'session-start', sessionId: '7ae9d79d-9b49-45f4-bdb1-a5b2a6e90e0e', cwd: '<CWD>', transcriptPath: '<TRANSCRIPT>', source: 'startup', model: undefined });
    expect(parseOk('before-agent', byEvent('BeforeAgent'))).toMatchObject([{ name: 'user-prompt-submit', prompt: 'Run the shell command: echo hello-from-tma' }]);
    expect(parseOk('session-end', byEvent('SessionEnd'))).toMatchObject([{ name: 'session-end', reason: 'exit' }]);
  });

  it('BeforeTool and AfterTool of run_shell_command are one shell call, paired by the same id', () => {
    const [pre] = parseOk('before-tool', byEvent('BeforeTool'));
    const [post] = parseOk('after-tool', byEvent('AfterTool'));
    expect(pre).toMatchObject({ name: 'pre-tool-use', tool: { name: 'run_shell_command', kind: 'shell', filePaths: [] } });
    expect(post).toMatchObject({ name: 'post-tool-use', error: undefined, tool: { kind: 'shell', response: { llmContent: 'Output: hello-from-tma\nProcess Group PGID: 77665' } } });
    expect(post!.tool!.useId).toBe(pre!.tool!.useId);
    expect(hooks.shellCommand('run_shell_command', pre!.tool!.input)).toBe('echo hello-from-tma');
  });

  it('AfterAgent and Notification give no event', () => {
    expect(parseOk('after-agent', byEvent('AfterAgent'))).toEqual([]);
    expect(parseOk('notification', byEvent('Notification'))).toEqual([]);
  });

  it('goes by the event the payload names when the command line names another', () => {
    expect(parseOk('before-tool', byEvent('SessionEnd'))).toMatchObject([{ name: 'session-end' }]);
  });
});

describe('hooks.parse on file tools and bad payloads', () => {
  it('write_file and replace are file calls on their file_path, resolved against cwd', () => {
    const [write] = parseOk('before-tool', tool('BeforeTool', 'write_file', { file_path: '/home/ana/src/acme/src/json.ts', content: 'x\n' }));
    expect(write).toMatchObject({ name: 'pre-tool-use', cwd: '/home/ana/src/acme', tool: { kind: 'file', filePaths: ['/home/ana/src/acme/src/json.ts'] } });
    const [replace] = parseOk('after-tool', tool('AfterTool', 'replace', { file_path: 'src/cli.ts', old_string: '-v', new_string: '--json' }, { llmContent: 'ok', returnDisplay: 'ok' }));
    expect(replace).toMatchObject({ name: 'post-tool-use', tool: { kind: 'file', filePaths: ['src/cli.ts'] } });
  });

  it('pairs a call whose proposal the person edited in the confirmation dialog', () => {
    const proposed = { file_path: '/r/a.ts', content: 'model text\n' };
    const [pre] = parseOk('before-tool', tool('BeforeTool', 'write_file', proposed));
    const [post] = parseOk('after-tool', tool('AfterTool', 'write_file', { ...proposed, content: 'person text\n', ai_proposed_content: 'model text\n', modified_by_user: true }, { llmContent: 'ok' }));
    expect(post!.tool!.useId).toBe(pre!.tool!.useId);
  });

  it('gives two edits of one file two ids', () => {
    const [a] = parseOk('before-tool', tool('BeforeTool', 'replace', { file_path: '/r/a.ts', old_string: '1', new_string: '2' }));
    const [b] = parseOk('before-tool', tool('BeforeTool', 'replace', { file_path: '/r/a.ts', old_string: '2', new_string: '3' }));
    expect(a!.tool!.useId).not.toBe(b!.tool!.useId);
  });

  it('an AfterTool with an error is a failed call', () => {
    const [post] = parseOk('after-tool', tool('AfterTool', 'replace', { file_path: '/r/a.ts', old_string: 'x', new_string: 'y' }, { llmContent: 'Failed', returnDisplay: 'Error', error: { message: 'Failed to edit, 0 occurrences found', type: 'edit_no_occurrence_found' } }));
    expect(post).toMatchObject({ name: 'post-tool-use-failure', error: 'Failed to edit, 0 occurrences found' });
  });

  it('gives no event for a tool trace does not capture', () => {
    expect(parseOk('before-tool', tool('BeforeTool', 'read_file', { file_path: 'README.md' }))).toEqual([]);
    expect(parseOk('before-tool', tool('BeforeTool', 'mcp__github__create_issue', { title: 'x' }))).toEqual([]);
  });

  it('reports every problem as field: message', () => {
    const result = hooks.parse('before-tool', { session_id: 'bad id!', cwd: 3, hook_event_name: 'BeforeTool', tool_name: 'write_file', tool_input: { content: 'x' } });
    expect(result).toEqual({ ok: false, ignored: false, problems: ['session_id: not a plain identifier (letters, digits, . _ : -)', 'cwd: expected a string', 'tool_input.file_path: expected a path'] });
    expect(hooks.parse('before-agent', { ...base, hook_event_name: 'BeforeAgent' })).toEqual({ ok: false, ignored: false, problems: ['prompt: missing'] });
    expect(hooks.parse('whatever', { ...base })).toMatchObject({ ok: false, ignored: false });
    expect(hooks.parse('session-start', 'x')).toEqual({ ok: false, ignored: false, problems: ['payload: expected a JSON object'] });
  });

  it('ignores payloads of other agents relayed to these hooks', () => {
    expect(hooks.parse('before-tool', { ...base, hook_event_name: 'PreToolUse', tool_name: 'Write', tool_use_id: 't', tool_input: {} })).toMatchObject({ ok: false, ignored: true });
    expect(hooks.parse('before-tool', { ...base, cursor_version: '3.9.16', hook_event_name: 'BeforeTool' })).toMatchObject({ ok: false, ignored: true });
  });
});

describe('contentBeforeCall and declaredWrites', () => {
  const call = (name: string, input: Record<string, unknown>, response: unknown): ToolCall => ({ name, useId: 'u', kind: 'file', input, response, filePaths: [String(input.file_path)] });

  it('takes the FileDiff of the AfterTool response', () => {
    expect(hooks.contentBeforeCall(call('write_file', { file_path: 'a', content: 'b\n' }, { llmContent: 'x', returnDisplay: { originalContent: 'a\n', newContent: 'b\n', isNewFile: false } }), 'a', 'b\n')).toBe('a\n');
    expect(hooks.contentBeforeCall(call('write_file', { file_path: 'a', content: 'b\n' }, { llmContent: 'x', returnDisplay: { originalContent: '', newContent: 'b\n', isNewFile: true } }), 'a', 'b\n')).toBeNull();
    expect(hooks.contentBeforeCall(call('write_file', { file_path: 'a', content: 'b' }, { llmContent: 'Successfully created and wrote to new file: /r/a.' }), 'a', 'b')).toBeNull();
    expect(hooks.contentBeforeCall(call('write_file', { file_path: 'a', content: 'b' }, { llmContent: 'Successfully overwrote file: /r/a.' }), 'a', 'b')).toBeUndefined();
  });

  it('undoes a replace only where its new text is unambiguous', () => {
    const replace = (input: Record<string, unknown>) => call('replace', { file_path: 'a', ...input }, { llmContent: 'ok' });
    expect(hooks.contentBeforeCall(replace({ old_string: 'one', new_string: 'two' }), 'a', 'x two y')).toBe('x one y');
    expect(hooks.contentBeforeCall(replace({ old_string: 'one', new_string: 'two' }), 'a', 'two two')).toBeUndefined();
    expect(hooks.contentBeforeCall(replace({ old_string: 'one', new_string: 'two', allow_multiple: true }), 'a', 'two two')).toBe('one one');
    expect(hooks.contentBeforeCall(replace({ old_string: '', new_string: 'new file' }), 'a', 'new file')).toBeNull();
    expect(hooks.contentBeforeCall(replace({ old_string: 'one', new_string: 'two' }), 'a', null)).toBeUndefined();
  });

  it('declares what write_file and replace write', () => {
    expect(hooks.declaredWrites('write_file', { file_path: 'a', content: 'é\n' }, 'a')).toEqual({ kind: 'content', text: Buffer.from('é\n', 'utf8').toString('latin1') });
    expect(hooks.declaredWrites('replace', { file_path: 'a', old_string: 'x', new_string: 'y' }, 'a')).toEqual({ kind: 'fragments', fragments: ['y'] });
    expect(hooks.declaredWrites('run_shell_command', { command: 'ls' }, 'a')).toBeUndefined();
    expect(hooks.shellCommand('write_file', { command: 'ls' })).toBeUndefined();
  });
});

describe('install into .gemini/settings.json', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const repo = (settings?: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-gemini-'));
    dirs.push(dir);
    if (settings !== undefined) {
      mkdirSync(join(dir, '.gemini'));
      writeFileSync(join(dir, CONFIG_FILE), settings);
    }
    return dir;
  };
  const theirs = `${JSON.stringify(
    {
      model: { name: 'gemini-3-flash-preview' },
      hooksConfig: { enabled: true, disabled: ['slow-hook'] },
      hooks: {
        BeforeTool: [{ matcher: 'write_file', hooks: [{ name: 'lint', type: 'command', command: './lint.sh', timeout: 5000 }] }],
        AfterAgent: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }],
      },
    },
    null,
    2,
  )}\n`;

  it('merges trace hooks keeping the others, is idempotent, and comes out byte-identical', () => {
    const dir = repo(theirs);
    const plan = planInstall(dir);
    expect(plan).toMatchObject({ file: '.gemini/settings.json', status: 'installed', original: theirs });
    const installed = JSON.parse(plan.text!) as { hooks: Record<string, { matcher?: string; hooks: { command: string; timeout: number }[] }[]>; hooksConfig: unknown; model: unknown };
    expect(installed.model).toEqual({ name: 'gemini-3-flash-preview' });
    expect(installed.hooksConfig).toEqual({ enabled: true, disabled: ['slow-hook'] });
    expect(installed.hooks.BeforeTool![0]!.hooks[0]!.command).toBe('./lint.sh');
    expect(installed.hooks.BeforeTool![1]).toMatchObject({ matcher: '^(write_file|replace|run_shell_command)$', hooks: [{ command: 'if command -v trace >/dev/null 2>&1; then exec trace hook gemini before-tool; fi', timeout: 30000 }] });
    expect(Object.keys(installed.hooks).sort()).toEqual(['AfterAgent', 'AfterTool', 'BeforeAgent', 'BeforeTool', 'SessionEnd', 'SessionStart']);
    // Timeouts are milliseconds.
    for (const groups of Object.values(installed.hooks)) for (const group of groups) for (const h of group.hooks) if (h.command.includes('trace hook')) expect(h.timeout).toBeGreaterThanOrEqual(1000);
    expect(hooksInstalled(plan.text!, CONFIG_FILE)).toBe(true);
    expect(hooksInstalled(theirs, CONFIG_FILE)).toBe(false);

    writeFileSync(join(dir, CONFIG_FILE), plan.text!);
    expect(planInstall(dir)).toMatchObject({ status: 'unchanged', text: undefined });
    expect(removeHooks(plan.text!, CONFIG_FILE)).toEqual({ text: theirs, removed: 6 });
    expect(removeHooks(theirs, CONFIG_FILE)).toEqual({ text: theirs, removed: 0 });
  });

  it('creates the file when there is none, and removing leaves nothing', () => {
    const plan = planInstall(repo());
    expect(plan).toMatchObject({ status: 'installed', original: undefined });
    expect(removeHooks(plan.text!, CONFIG_FILE)).toEqual({ text: null, removed: 6 });
  });

  it('upgrades a bare command to the guarded form and keeps switches inside hooks', () => {
    const old = `${JSON.stringify({ hooks: { enabled: true, SessionStart: [{ hooks: [{ type: 'command', command: 'trace hook gemini session-start', timeout: 10000 }] }] } }, null, 2)}\n`;
    const plan = planInstall(repo(old));
    expect(plan.status).toBe('installed');
    const hooksValue = (JSON.parse(plan.text!) as { hooks: Record<string, unknown> }).hooks;
    expect(hooksValue.enabled).toBe(true);
    expect(hooksValue.SessionStart).toEqual([{ hooks: [{ type: 'command', command: 'if command -v trace >/dev/null 2>&1; then exec trace hook gemini session-start; fi', timeout: 10000 }] }]);
  });

  it('upgrades the guarded form without exec to the one with exec', () => {
    const old = `${JSON.stringify({ hooks: { SessionStart: [{ hooks: [{ type: 'command', command: 'if command -v trace >/dev/null 2>&1; then trace hook gemini session-start; fi', timeout: 10000 }] }] } }, null, 2)}\n`;
    const plan = planInstall(repo(old));
    expect(plan.status).toBe('installed');
    const hooksValue = (JSON.parse(plan.text!) as { hooks: Record<string, { hooks: { command: string }[] }[]> }).hooks;
    expect(hooksValue.SessionStart!.map((g) => g.hooks.map((h) => h.command))).toEqual([['if command -v trace >/dev/null 2>&1; then exec trace hook gemini session-start; fi']]);
  });

  it('moves trace hook out of a group whose matcher someone changed, leaving their hook where it was', () => {
    const shared = `${JSON.stringify({ hooks: { BeforeTool: [{ matcher: 'write_file', hooks: [{ type: 'command', command: './lint.sh' }, { type: 'command', command: 'trace hook gemini before-tool', timeout: 30000 }] }] } }, null, 2)}\n`;
    const plan = planInstall(repo(shared));
    const before = (JSON.parse(plan.text!) as { hooks: { BeforeTool: { matcher: string; hooks: { command: string }[] }[] } }).hooks.BeforeTool;
    expect(before.map((g) => [g.matcher, g.hooks.map((h) => h.command)])).toEqual([
      ['write_file', ['./lint.sh']],
      ['^(write_file|replace|run_shell_command)$', ['if command -v trace >/dev/null 2>&1; then exec trace hook gemini before-tool; fi']],
      ['^(write_file|replace|run_shell_command|mcp_.+)$', ['if command -v trace >/dev/null 2>&1; then exec trace hook gemini guard; fi']],
    ]);
  });

  it('knows when the settings switch hooks off', () => {
    expect(hooksEnabled({ hooksConfig: { enabled: false } })).toBe(false);
    expect(hooksEnabled({ hooks: { enabled: false } })).toBe(false);
    expect(hooksEnabled({ hooksConfig: { notifications: false } })).toBe(true);
  });

  it('refuses a file it cannot read, naming every bad value', () => {
    expect(() => planInstall(repo('{ // comment\n}'))).toThrow(/not valid JSON/);
    expect(() => planInstall(repo('{"hooks":{"BeforeTool":{},"AfterTool":[1]}}'))).toThrow(/hooks\.BeforeTool: must be an array[\s\S]*hooks\.AfterTool\[0\]: must be an object/);
  });

  it('names the agent the way the registry expects', () => {
    expect(agent).toMatchObject({ hooks: { name: 'gemini-cli', hookName: 'gemini' }, configFile: '.gemini/settings.json', configDir: '.gemini', executable: 'gemini' });
  });
});

/** An independent reading of a chat file: every `tokens` object summed as Gemini writes it. */
function tokenSums(messages: Record<string, unknown>[]) {
  const sum = { input: 0, output: 0, cached: 0, thoughts: 0, tool: 0, total: 0, cost: 0 };
  for (const m of messages) {
    const t = m.tokens as Record<keyof typeof sum, number> | undefined;
    if (m.type !== 'gemini' || !t) continue;
    for (const key of ['input', 'output', 'cached', 'thoughts', 'tool', 'total'] as const) sum[key] += t[key] ?? 0;
    // gemini-3-flash-preview: 0.50 input, 0.05 cached input, 3.00 output (thoughts billed as output), per 1M.
    sum.cost += ((t.input - t.cached + (t.tool ?? 0)) * 0.5 + t.cached * 0.05 + (t.output + (t.thoughts ?? 0)) * 3) / 1e6;
  }
  return sum;
}

describe('the real chat files through the summariser', () => {
  const files = readdirSync(CHATS).filter((name) => name.endsWith('.json'));

  it('has the nine single-object chats', () => {
    expect(files).toHaveLength(9);
  });

  it.each(files)('%s: totals match a reading of its tokens', (name) => {
    const text = readFileSync(join(CHATS, name), 'utf8');
    const chat = JSON.parse(text) as { sessionId: string; startTime: string; lastUpdated: string; messages: Record<string, unknown>[] };
    const sums = tokenSums(chat.messages);
    const summary = summarizeGeminiChat({ main: text });
    expect(summary.sessionId).toBe(chat.sessionId);
    expect(summary.usage).toEqual({
      inputTokens: sums.input - sums.cached + sums.tool,
      outputTokens: sums.output + sums.thoughts,
      cacheReadInputTokens: sums.cached,
      cacheCreationInputTokens: 0,
      cacheCreation5mInputTokens: 0,
      cacheCreation1hInputTokens: 0,
      totalTokens: sums.total,
    });
    expect(summary.estimatedCostUsd).toBeCloseTo(sums.cost, 6);
    expect(summary.costComplete).toBe(true);
    expect(summary.primaryModel).toBe('gemini-3-flash-preview');
    expect(summary.modelsUsed).toEqual(['gemini-3-flash-preview']);
    expect(summary.usageByModel[0]!.responses).toBe(chat.messages.filter((m) => m.type === 'gemini' && m.tokens).length);
    expect(summary.messages.user).toBe(chat.messages.filter((m) => m.type === 'user').length);
    expect(summary.messages.assistant).toBe(chat.messages.filter((m) => m.type === 'gemini').length);
    const calls = chat.messages.flatMap((m) => (m.toolCalls as { id: string; name: string }[] | undefined) ?? []);
    expect(summary.totalToolInvocations).toBe(calls.length);
    expect(summary.startedAt).toBe(chat.startTime);
    expect(summary.warnings).toEqual([]);
    const conversation = geminiConversation(parseGeminiChat(text));
    expect(conversation.filter((e) => e.type === 'prompt')).toHaveLength(summary.messages.user);
    expect(conversation.filter((e) => e.type === 'tool_call').map((e) => (e.type === 'tool_call' ? e.id : ''))).toEqual(calls.map((c) => c.id));
  });

  it('reads a prompt written as a plain string and one written as parts', () => {
    const partsFile = files.find((name) => name.includes('a324af07'))!;
    const stringFile = files.find((name) => name.includes('677ceb30'))!;
    const prompts = (name: string) => geminiConversation(parseGeminiChat(readFileSync(join(CHATS, name), 'utf8'))).filter((e) => e.type === 'prompt');
    expect(prompts(partsFile)).toEqual([{ type: 'prompt', text: 'echo "test"', timestamp: '2026-03-17T22:28:05.983Z' }]);
    expect(prompts(stringFile).map((p) => (p.type === 'prompt' ? p.text : ''))).toEqual(['what does this repo do?', 'Ok and explain what multi.py does']);
  });

  it('reads the JSONL form (git-ai fixture): $set, tools, a model without tokens', () => {
    const text = readFileSync(join(CHATS, 'git-ai_gemini-session-simple_DERIVED.jsonl'), 'utf8');
    const summary = summarizeGeminiChat({ main: text });
    expect(summary.usage.totalTokens).toBe(0);
    expect(summary.primaryModel).toBe('gemini-2.5-flash');
    expect(summary.tools).toEqual([
      { name: 'read_file', count: 2 },
      { name: 'replace', count: 2 },
    ]);
    expect(summary.messages).toEqual({ user: 1, assistant: 5, total: 6 });
    expect(summary.endedAt).toBe('2025-12-06T18:27:49.718Z');
    expect(summary.warnings).toEqual(["none of the chat file's 5 Gemini response(s) records tokens; usage is unknown"]);
    expect(parseGeminiChat(text).form).toBe('jsonl');
  });

  it('keeps the last version of a repeated message and counts rewound messages as spent', () => {
    const gemini = (id: string, input: number, output: number) => JSON.stringify({ id, timestamp: '2026-11-20T10:00:01Z', type: 'gemini', content: '', model: 'gemini-2.5-pro', tokens: { input, output, cached: 0, thoughts: 0, tool: 0, total: input + output } });
    const text = [
      JSON.stringify({ sessionId: 's1', projectHash: 'h', startTime: '2026-11-20T10:00:00Z', lastUpdated: '2026-11-20T10:00:00Z', kind: 'main' }),
      JSON.stringify({ id: 'u1', timestamp: '2026-11-20T10:00:00Z', type: 'user', content: [{ text: 'first' }] }),
      gemini('g1', 100, 1),
      gemini('g1', 100, 50),
      JSON.stringify({ id: 'u2', timestamp: '2026-11-20T10:00:02Z', type: 'user', content: [{ text: 'second' }] }),
      gemini('g2', 300, 7),
      JSON.stringify({ $rewindTo: 'u2' }),
      JSON.stringify({ id: 'u3', timestamp: '2026-11-20T10:00:03Z', type: 'user', content: '/stats' }),
      JSON.stringify({ $set: { lastUpdated: '2026-11-20T10:00:09Z' } }),
      '{"id":"torn',
    ].join('\n');
    const summary = summarizeGeminiChat({ main: text });
    expect(summary.usage).toMatchObject({ inputTokens: 400, outputTokens: 57, totalTokens: 457 });
    expect(summary.usageByModel[0]).toMatchObject({ model: 'gemini-2.5-pro', responses: 2 });
    expect(summary.messages).toEqual({ user: 1, assistant: 1, total: 2 });
    expect(summary.endedAt).toBe('2026-11-20T10:00:09Z');
    expect(summary.invalidLines).toBe(1);
    expect(summary.warnings).toEqual([
      'chat file: skipped 1 line(s) that are not JSON objects (the last line is incomplete: the file may still be being written)',
      '2 message(s) were rewound out of the conversation; their tokens are still counted, they were billed',
    ]);
  });
});

describe('reading a session from disk', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const home = () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-gemini-home-'));
    dirs.push(dir);
    return dir;
  };
  const real = readFileSync(join(CHATS, 'computermode_79-d52455f160-0_session-5ac8a003.json'), 'utf8');
  const sessionId = (JSON.parse(real) as { sessionId: string }).sessionId;

  it('reads the file the hooks named, with its subagents', async () => {
    const geminiHome = home();
    const chats = join(geminiHome, '.gemini', 'tmp', 'acme', 'chats');
    mkdirSync(join(chats, sessionId), { recursive: true });
    writeFileSync(join(chats, 'session-2026-03-20T10-00-5ac8a003.json'), real);
    const sub = [JSON.stringify({ sessionId: 'sub1', projectHash: 'h', kind: 'subagent' }), JSON.stringify({ id: 'g', timestamp: '2026-03-20T10:00:00Z', type: 'gemini', content: '', model: 'gemini-2.5-flash', tokens: { input: 10, output: 2, cached: 0, thoughts: 0, tool: 0, total: 12 } })].join('\n');
    writeFileSync(join(chats, sessionId, 'sub1.jsonl'), sub);
    const read = await readGeminiSession({ transcriptPath: join(chats, 'session-2026-03-20T10-00-5ac8a003.json'), sessionId, geminiHome });
    expect(read.warnings).toEqual([]);
    expect(read.summary!.subagents).toMatchObject([{ id: 'sub1', models: ['gemini-2.5-flash'], usage: { totalTokens: 12 } }]);
    expect(read.summary!.usage.totalTokens).toBe(26001 + 12);
    expect(read.records).toHaveLength(1);
    expect(read.conversation!.filter((e) => e.type === 'prompt')).toHaveLength(2);
  });

  it('finds the chat by session id when the hooks named none or a gone file, and says so', async () => {
    const geminiHome = home();
    const chats = join(geminiHome, '.gemini', 'tmp', '8b4f91c5', 'chats');
    mkdirSync(chats, { recursive: true });
    // A resumed session keeps the first file's name: found by its content.
    writeFileSync(join(chats, 'session-2026-03-20T10-00-0000aaaa.json'), real);
    const none = await readGeminiSession({ transcriptPath: null, sessionId, geminiHome });
    expect(none.summary!.sessionId).toBe(sessionId);
    expect(none.warnings).toEqual([`the hooks named no chat file; found session ${sessionId} in ${join(chats, 'session-2026-03-20T10-00-0000aaaa.json')} by its id`]);
    const gone = await readGeminiSession({ transcriptPath: join(chats, 'gone.json'), sessionId, geminiHome });
    expect(gone.summary).not.toBeNull();
    expect(gone.warnings[0]).toMatch(/gone\.json not found/);
  });

  it('says so when there is no chat', async () => {
    const read = await readGeminiSession({ transcriptPath: null, sessionId: 'nope', geminiHome: home() });
    expect(read).toMatchObject({ summary: null, conversation: null, records: null });
    expect(read.warnings[0]).toMatch(/no Gemini CLI chat file for session nope .*the hooks named none/);
  });
});

describe('the simulator', () => {
  it('sends payloads with the real 0.46.0 fields to the installed hooks, and keeps a chat file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-gemini-sim-'));
    try {
      const log = join(dir, 'payloads.jsonl');
      mkdirSync(join(dir, '.gemini'));
      const record = { type: 'command', command: `cat >> ${JSON.stringify(log)}; echo >> ${JSON.stringify(log)}`, timeout: 5000 };
      const settings = { hooks: Object.fromEntries(['SessionStart', 'BeforeAgent', 'BeforeTool', 'AfterTool', 'SessionEnd'].map((event) => [event, [{ hooks: [record] }]])) };
      writeFileSync(join(dir, CONFIG_FILE), JSON.stringify(settings));
      const gemini = new SimulatedGemini({ dir, env: { ...process.env, HOME: dir } });
      gemini.start();
      gemini.prompt('echo something');
      gemini.bash('echo hello');
      gemini.write('a.txt', 'one\n');
      gemini.end();
      const sent = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(sent.map((p) => p.hook_event_name)).toEqual(['SessionStart', 'BeforeAgent', 'BeforeTool', 'AfterTool', 'BeforeTool', 'AfterTool', 'SessionEnd']);
      for (const name of ['SessionStart', 'BeforeAgent', 'BeforeTool', 'AfterTool', 'SessionEnd']) {
        const realKeys = Object.keys(HOOK_PAYLOADS.find((p) => p.hook_event_name === name)!).sort();
        expect(Object.keys(sent.find((p) => p.hook_event_name === name)!).sort(), name).toEqual(realKeys);
      }
      const shellPost = sent[3]!;
      expect(Object.keys(shellPost.tool_response as object).sort()).toEqual(['llmContent', 'returnDisplay']);
      const summary = summarizeGeminiChat({ main: readFileSync(gemini.transcriptPath, 'utf8') });
      expect(summary).toMatchObject({ sessionId: gemini.sessionId, primaryModel: 'gemini-3-flash-preview', totalToolInvocations: 2, messages: { user: 1, assistant: 2 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
