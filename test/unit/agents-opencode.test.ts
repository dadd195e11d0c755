// OpenCode against real data: the two `opencode export`s of ../shared/fixtures/agents/opencode/ fed,
// in OpenCode's own shapes, to the plugin trace installs; what the plugin sends `trace hook opencode`
// parsed back; the exports' figures summed by hand.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentBeforeCall, declaredWrites, hooks, reverseUnifiedDiff, shellCommand } from '../../src/agents/opencode/hooks.js';
import { hooksInstalled, planInstall, PLUGIN_FILE, pluginText, removeHooks } from '../../src/agents/opencode/install.js';
import { exportConversation, readOpenCodeSession, summarizeOpenCodeExport, summarizeTurnUsage, type StoredTurn } from '../../src/agents/opencode/session.js';
import { SimulatedOpenCode } from '../../src/agents/opencode/simulator.js';
import type { CaptureEvent, ToolCall, TurnUsage } from '../../src/agents/types.js';
import { TraceError } from '../../src/errors.js';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/agents/opencode/exports/', import.meta.url));
const MAIN = join(FIXTURES, 'nimbus_07-fe4e0ea90c-1_opencode1.2.26_main-session-with-task_export.json');
const SUBAGENT = join(FIXTURES, 'nimbus_a6-f07388c421-8_opencode1.2.24_subagent-session_export.json');
const PLUGIN = fileURLToPath(new URL('../../hooks/opencode/trace.js', import.meta.url));

type Json = Record<string, unknown>;
interface Tokens {
  total?: number;
  input: number;
  output: number;
  reasoning: number;
  cache: { read: number; write: number };
}
interface MessageInfo {
  id: string;
  sessionID: string;
  role: 'user' | 'assistant';
  agent?: string;
  model?: unknown;
  tokens: Tokens;
  cost: number;
}
interface ToolState {
  status: string;
  input: Json;
  output?: string;
  title?: string;
  metadata?: { files?: { relativePath: string }[] };
}
interface Part {
  type: string;
  id: string;
  sessionID: string;
  messageID: string;
  callID?: string;
  tool?: string;
  state?: ToolState;
  text?: string;
  synthetic?: boolean;
}
interface Exported {
  info: { id: string } & Json;
  messages: { info: MessageInfo; parts: Part[] }[];
}
const readExport = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Exported;

/** Entire replaced some message, part and call ids by "REDACTED"; OpenCode's own ids are unique. */
function unredacted(exported: Exported): Exported {
  let n = 0;
  const id = (value: string) => (value === 'REDACTED' ? `REDACTED${++n}` : value);
  return {
    info: exported.info,
    messages: exported.messages.map((m) => {
      const messageId = id(m.info.id);
      return { info: { ...m.info, id: messageId }, parts: m.parts.map((p) => ({ ...p, messageID: messageId, id: id(p.id), ...(p.callID ? { callID: id(p.callID) } : {}) })) };
    }),
  };
}

interface V1Hooks {
  event(input: { event: unknown }): Promise<void>;
  'chat.message'(input: unknown, output: unknown): Promise<void>;
  'tool.execute.before'(input: unknown, output: unknown): Promise<void>;
  'tool.execute.after'(input: unknown, output: unknown): Promise<void>;
}
interface PluginModule {
  default: { id: string; server(input: unknown): Promise<V1Hooks>; setup(ctx: unknown): Promise<unknown> };
}

/** A `trace` on the PATH that appends `<event>\t<stdin>` to a log: what the plugin would hand trace. */
let fakeBin: string;
let logFile: string;
let savedPath: string | undefined;
const sent = (): { event: string; payload: Json }[] =>
  existsSync(logFile)
    ? readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => {
          const tab = line.indexOf('\t');
          return { event: line.slice(0, tab), payload: JSON.parse(line.slice(tab + 1)) as Json };
        })
    : [];

beforeAll(() => {
  fakeBin = mkdtempSync(join(tmpdir(), 'trace-oc-bin-'));
  logFile = join(fakeBin, 'calls.log');
  writeFileSync(join(fakeBin, 'trace'), `#!/bin/sh\n[ "$3" = guard ] && { cat >/dev/null; exit 0; }\nprintf '%s\\t' "$3" >> "${logFile}"\ncat >> "${logFile}"\necho >> "${logFile}"\n`);
  chmodSync(join(fakeBin, 'trace'), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${fakeBin}:${savedPath ?? ''}`;
});
afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(fakeBin, { recursive: true, force: true });
});

/** Replays an export through the plugin's OpenCode 1.x hooks, in the order OpenCode calls them. */
async function replay(exported: Exported, directory: string): Promise<{ event: string; payload: Json }[]> {
  rmSync(logFile, { force: true });
  const plugin = ((await import(pathToFileURL(PLUGIN).href)) as PluginModule).default;
  const v1 = await plugin.server({ directory, worktree: directory });
  await v1.event({ event: { type: 'session.created', properties: { info: exported.info } } });
  for (const message of exported.messages) {
    const info = message.info;
    if (info.role === 'user') {
      await v1['chat.message']({ sessionID: info.sessionID, agent: info.agent, model: info.model, messageID: info.id }, { message: info, parts: message.parts });
      continue;
    }
    for (const part of message.parts) {
      if (part.type !== 'tool') continue;
      const state = part.state!;
      await v1['tool.execute.before']({ tool: part.tool, sessionID: part.sessionID, callID: part.callID }, { args: state.input });
      await v1['tool.execute.after']({ tool: part.tool, sessionID: part.sessionID, callID: part.callID, args: state.input }, { title: state.title, output: state.output, metadata: state.metadata });
      // OpenCode also publishes the finished part; the plugin must not report the call twice.
      await v1.event({ event: { type: 'message.part.updated', properties: { part } } });
    }
    await v1.event({ event: { type: 'message.updated', properties: { info } } });
    await v1.event({ event: { type: 'message.updated', properties: { info } } });
  }
  await v1.event({ event: { type: 'session.idle', properties: { sessionID: exported.info.id } } });
  return sent();
}

function parseAll(calls: { event: string; payload: Json }[]): CaptureEvent[] {
  return calls.flatMap(({ event, payload }) => {
    const result = hooks.parse(event, payload);
    if (!result.ok) throw new Error(`${event}: ${result.problems.join('; ')}`);
    return result.events;
  });
}

const roundMicro = (usd: number) => Math.round(usd * 1e6) / 1e6;
const FILE_OR_SHELL = new Set(['bash', 'apply_patch', 'edit', 'write']);
const toolParts = (exported: Exported) => exported.messages.flatMap((m) => m.parts.filter((p) => p.type === 'tool'));
const assistants = (exported: Exported) => exported.messages.filter((m) => m.info.role === 'assistant');

describe('the plugin fed the real main-session export (OpenCode 1.2.26)', () => {
  const exported = unredacted(readExport(MAIN));
  let calls: { event: string; payload: Json }[];
  let events: CaptureEvent[];
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trace-oc-proj-'));
    calls = await replay(exported, dir);
    events = parseAll(calls);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sends every payload in trace\'s format, each parsed without a problem', () => {
    expect(calls.length).toBeGreaterThan(100);
    for (const { payload } of calls) {
      expect(payload).toMatchObject({ plugin: 'chainloop-trace', format: 1, api: 'v1', session_id: exported.info.id, cwd: dir });
    }
  });

  it('reports each edit and shell call once before and once after, and no other tool', () => {
    const expected = toolParts(exported).filter((p) => FILE_OR_SHELL.has(p.tool as string));
    expect(expected.length).toBe(50);
    const pre = events.filter((e) => e.name === 'pre-tool-use');
    const post = events.filter((e) => e.name === 'post-tool-use');
    expect(pre.map((e) => e.tool!.useId)).toEqual(expected.map((p) => p.callID));
    expect(post.map((e) => e.tool!.useId)).toEqual(expected.map((p) => p.callID));
    expect(calls.filter((c) => c.event === 'pre-tool-use').map((c) => String(c.payload.tool)).sort()).toEqual(expected.map((p) => p.tool!).sort());
    expect(events.filter((e) => e.tool?.kind === 'shell').length).toBe(60);
  });

  it('names the files of each apply_patch as OpenCode\'s own metadata does', () => {
    const patches = toolParts(exported).filter((p) => p.tool === 'apply_patch');
    const post = events.filter((e) => e.name === 'post-tool-use' && e.tool!.name === 'apply_patch');
    expect(post).toHaveLength(patches.length);
    post.forEach((event, i) => {
      const files = patches[i]!.state!.metadata!.files!.map((f) => f.relativePath);
      expect(event.tool!.filePaths).toEqual(files);
      expect(event.tool!.kind).toBe('file');
      expect(event.cwd).toBe(dir);
    });
  });

  it('records the prompts the person typed, not OpenCode\'s synthetic ones', () => {
    const prompts = events.filter((e) => e.name === 'user-prompt-submit');
    const typed = exported.messages.filter((m) => m.info.role === 'user' && m.parts.some((p) => p.type === 'text' && !p.synthetic));
    expect(prompts.map((e) => e.promptId)).toEqual(typed.map((m) => m.info.id));
    expect(prompts.every((e) => e.model === 'gpt-5.3-codex')).toBe(true);
  });

  it('reports each response\'s tokens once, output counting reasoning, input without cache', () => {
    const usage = events.filter((e) => e.name === 'turn-usage').map((e) => e.usage!);
    const infos = assistants(exported).map((m) => m.info);
    expect(usage).toHaveLength(infos.length);
    const sum = (f: (i: MessageInfo) => number) => infos.reduce((total, i) => total + f(i), 0);
    expect(usage.reduce((t, u) => t + u.inputTokens, 0)).toBe(sum((i) => i.tokens.input));
    expect(usage.reduce((t, u) => t + u.outputTokens, 0)).toBe(sum((i) => i.tokens.output + i.tokens.reasoning));
    expect(usage.reduce((t, u) => t + u.cacheReadTokens, 0)).toBe(sum((i) => i.tokens.cache.read));
    expect(usage.every((u) => u.model === 'gpt-5.3-codex')).toBe(true);
  });

  it('ends the turn on session.idle', () => {
    expect(events.at(-1)).toMatchObject({ name: 'session-end', reason: 'idle', sessionId: exported.info.id });
    expect(events[0]).toMatchObject({ name: 'session-start', sessionId: exported.info.id, agentVersion: '1.2.26' });
  });

  it('summarises the reported usage to the same figures as the export, and OpenCode\'s own cost', () => {
    const turns: StoredTurn[] = events.filter((e) => e.name === 'turn-usage').map((e, i) => ({ ...e.usage!, at: new Date(1_773_620_447_500 + i).toISOString() }));
    const fromHooks = summarizeTurnUsage({ sessionId: exported.info.id, turns, prompts: [], toolCalls: [] });
    const fromExport = summarizeOpenCodeExport(readFileSync(MAIN, 'utf8'));
    expect(fromHooks.usage).toEqual(fromExport.usage);
    expect(fromHooks.estimatedCostUsd).toBe(fromExport.estimatedCostUsd);
    // OpenCode bills output + reasoning at the output rate: trace's estimate is OpenCode's own figure.
    expect(fromHooks.estimatedCostUsd).toBeCloseTo(fromExport.openCodeCostUsd, 5);
  });
});

describe('the plugin fed the real subagent export (OpenCode 1.2.24)', () => {
  it('records a child session\'s calls and usage under its parent, with the child as the subagent', async () => {
    const exported = unredacted(readExport(SUBAGENT));
    const dir = mkdtempSync(join(tmpdir(), 'trace-oc-proj-'));
    try {
      const calls = await replay(exported, dir);
      const events = parseAll(calls);
      // glob, grep and read write nothing: only the prompt and usage are reported, under the parent session.
      expect(calls.map((c) => c.event)).toEqual(['user-prompt-submit', 'turn-usage', 'turn-usage', 'turn-usage']);
      expect(calls[1]!.payload).toMatchObject({ session_id: exported.info.id, parent_session_id: 'REDACTED', root_session_id: 'REDACTED' });
      expect(events.map((e) => [e.name, e.sessionId, e.agentId])).toEqual(Array(3).fill(['turn-usage', 'REDACTED', exported.info.id]));
      const turns = events.map((e, i) => ({ ...e.usage!, at: `2026-03-10T03:27:1${i}.000Z`, agentId: e.agentId! }));
      const summary = summarizeTurnUsage({ sessionId: 'REDACTED', turns, prompts: [], toolCalls: [] });
      expect(summary.subagents).toHaveLength(1);
      expect(summary.subagents[0]).toMatchObject({ id: exported.info.id, transcriptFound: true, models: ['gpt-5.3-codex'] });
      expect(summary.messages.assistant).toBe(0);
      expect(summary.usage.inputTokens).toBe(5960 + 943 + 10895);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('summarizeOpenCodeExport', () => {
  it('sums the main session by OpenCode\'s semantics, checked against the JSON fields', () => {
    const exported = readExport(MAIN);
    const s = summarizeOpenCodeExport(readFileSync(MAIN, 'utf8'));
    const infos = assistants(exported).map((m) => m.info);
    let input = 0;
    let output = 0;
    let read = 0;
    let write = 0;
    let total = 0;
    let cost = 0;
    for (const i of infos) {
      input += i.tokens.input;
      output += i.tokens.output + i.tokens.reasoning;
      read += i.tokens.cache.read;
      write += i.tokens.cache.write;
      // OpenCode's own total leaves reasoning out.
      total += i.tokens.total ?? 0;
      cost += i.cost;
    }
    expect(s.usage).toMatchObject({ inputTokens: input, outputTokens: output, cacheReadInputTokens: read, cacheCreationInputTokens: write });
    const reasoning = infos.reduce((t, i) => t + i.tokens.reasoning, 0);
    expect(s.usage.totalTokens).toBe(total + reasoning);
    expect(s.openCodeCostUsd).toBeCloseTo(cost, 6);
    expect(s.estimatedCostUsd).toBeCloseTo(cost, 5);
    expect(s).toMatchObject({ sessionId: exported.info.id, version: '1.2.26', slug: 'swift-squid', primaryModel: 'gpt-5.3-codex', modelsUsed: ['gpt-5.3-codex'], costComplete: true });
    const typed = exported.messages.filter((m) => m.info.role === 'user' && m.parts.some((p) => p.type === 'text' && p.synthetic !== true)).length;
    expect(typed).toBe(3);
    expect(s.messages).toEqual({ user: typed, assistant: infos.length, total: typed + infos.length });
    expect(s.tools.find((t) => t.name === 'bash')?.count).toBe(30);
    expect(s.totalToolInvocations).toBe(toolParts(exported).length);
  });

  it('lists the task calls as subagents in their child sessions, their tokens left out until exported', () => {
    const s = summarizeOpenCodeExport(readFileSync(MAIN, 'utf8'));
    expect(s.subagents).toHaveLength(4);
    expect(s.childSessions).toEqual(['ses_30bf5e2bdffeuYVmfe28CL29mf', 'ses_30bf1136cffeMc0ApFs2pCBK2s', 'ses_30bef4537ffeZVzOTJto6DQXVe', 'ses_30bde60cfffeUl5MlvvKDIuSi1']);
    expect(s.subagents.every((a) => !a.transcriptFound && a.type === 'build' && a.usage === undefined)).toBe(true);
    expect(s.warnings.some((w) => w.includes('not exported'))).toBe(true);
  });

  it('counts a child export in the totals and as the subagent', () => {
    const child = readExport(SUBAGENT);
    const parent = readExport(MAIN);
    const childId = 'ses_30bf5e2bdffeuYVmfe28CL29mf';
    const childText = JSON.stringify({ ...child, info: { ...child.info, id: childId } });
    const alone = summarizeOpenCodeExport(readFileSync(MAIN, 'utf8'));
    const both = summarizeOpenCodeExport(JSON.stringify(parent), [{ sessionId: childId, text: childText }]);
    expect(both.usage.inputTokens).toBe(alone.usage.inputTokens + 5960 + 943 + 10895);
    expect(both.subagents[0]).toMatchObject({ id: childId, transcriptFound: true });
    expect(both.subagents[0]!.usage?.outputTokens).toBe(141 + 64 + 216 + 104 + 432 + 313);
  });

  it('reads the subagent session: its parent, its cost as OpenCode billed it', () => {
    const s = summarizeOpenCodeExport(readFileSync(SUBAGENT, 'utf8'));
    expect(s.parentId).toBe('REDACTED');
    expect(s.openCodeCostUsd).toBe(roundMicro(0.0133 + 0.00718305 + 0.02949625));
    expect(s.estimatedCostUsd).toBeCloseTo(s.openCodeCostUsd, 6);
    expect(s.messages).toEqual({ user: 1, assistant: 3, total: 4 });
  });

  it('gives prompts and tool calls in order for retention', () => {
    const entries = exportConversation(readFileSync(SUBAGENT, 'utf8'));
    expect(entries.map((e) => (e.type === 'prompt' ? 'prompt' : e.name))).toEqual(['prompt', 'glob', 'grep', 'read', 'read']);
  });
});

describe('hooks.parse', () => {
  const base = { plugin: 'chainloop-trace', format: 1, api: 'v1', session_id: 'ses_1', cwd: '/repo' };

  it('ignores a Claude-format payload relayed to the OpenCode command, and reports every bad field', () => {
    expect(hooks.parse('pre-tool-use', { hook_event_name: 'PreToolUse', session_id: 's', tool_name: 'Edit' })).toMatchObject({ ok: false, ignored: true });
    const bad = hooks.parse('pre-tool-use', { ...base, session_id: 'a b', cwd: 3, tool: 'edit', call_id: '', args: { filePath: 7 } });
    expect(bad).toEqual({
      ok: false,
      ignored: false,
      problems: ['session_id: not a plain identifier (letters, digits, . _ : -)', 'cwd: expected a string', 'call_id: expected a string', 'args.filePath: expected a path'],
    });
    const file = hooks.parse('post-tool-use', { ...base, tool: 'edit', call_id: 'c1', args: { oldString: 'a' } });
    expect(file).toEqual({ ok: false, ignored: false, problems: ['args.filePath: expected a path'] });
    expect(hooks.parse('stop', base)).toMatchObject({ ok: false, problems: ['event: unknown OpenCode event "stop"'] });
    expect(hooks.parse('turn-usage', { ...base, tokens: { input: -1, output: 'x' } })).toMatchObject({ ok: false, problems: ['tokens.input: expected a non-negative number', 'tokens.output: expected a non-negative number'] });
  });

  it('classifies edit tools as file, bash and shell as shell, and the rest as nothing', () => {
    const one = (event: string, payload: Json) => {
      const result = hooks.parse(event, { ...base, ...payload });
      if (!result.ok) throw new Error(result.problems.join('; '));
      return result.events;
    };
    expect(one('pre-tool-use', { tool: 'write', call_id: 'c', args: { filePath: 'src/a.ts', content: 'x' } })[0]!.tool).toMatchObject({ kind: 'file', filePaths: ['src/a.ts'] });
    expect(one('pre-tool-use', { tool: 'multiedit', call_id: 'c', args: { filePath: '/repo/b.ts', edits: [] } })[0]!.tool).toMatchObject({ kind: 'file', filePaths: ['/repo/b.ts'] });
    expect(one('pre-tool-use', { tool: 'shell', call_id: 'c', args: { command: 'ls' } })[0]!.tool).toMatchObject({ kind: 'shell', filePaths: [] });
    expect(one('pre-tool-use', { tool: 'bash', call_id: 'c', args: { command: 'ls' } })[0]!.tool).toMatchObject({ kind: 'shell' });
    expect(one('pre-tool-use', { tool: 'read', call_id: 'c', args: { filePath: 'a' } })).toEqual([]);
    const failed = one('post-tool-use-failure', { tool: 'edit', call_id: 'c', args: { filePath: 'a' }, error: 'oldString not found' })[0]!;
    expect(failed).toMatchObject({ name: 'post-tool-use-failure', error: 'oldString not found' });
    expect(one('session-start', { parent_session_id: 'ses_0' })).toEqual([]);
    expect(one('session-end', { reason: 'deleted' })[0]).toMatchObject({ name: 'session-end', reason: 'deleted', sessionId: 'ses_1' });
  });

  it('takes a patch\'s added, updated, moved and deleted files', () => {
    const patchText = ['*** Begin Patch', '*** Add File: a/new.ts', '+one', '+two', '*** Update File: b.ts', '*** Move to: c.ts', '@@', ' keep', '-old', '+new', '*** Delete File: d.ts', '*** End Patch'].join('\n');
    const result = hooks.parse('pre-tool-use', { ...base, tool: 'apply_patch', call_id: 'c', args: { patchText } });
    expect(result.ok && result.events[0]!.tool!.filePaths).toEqual(['a/new.ts', 'b.ts', 'c.ts', 'd.ts']);
    expect(declaredWrites('apply_patch', { patchText }, 'other/new.ts')).toBeUndefined();
    // The patch's paths are relative to OpenCode's directory, which may be below the repository's root.
    expect(declaredWrites('apply_patch', { patchText }, 'pkg/a/new.ts')).toEqual({ kind: 'content', text: 'one\ntwo\n' });
    expect(declaredWrites('apply_patch', { patchText }, 'a/new.ts')).toEqual({ kind: 'content', text: 'one\ntwo\n' });
    // Each run of added lines framed by newlines, so it is matched as whole lines; a deleted file gets none.
    expect(declaredWrites('apply_patch', { patchText }, 'c.ts')).toEqual({ kind: 'fragments', fragments: ['\nnew\n'] });
    expect(declaredWrites('apply_patch', { patchText }, 'd.ts')).toEqual({ kind: 'fragments', fragments: [] });
  });
});

describe('contentBeforeCall, declaredWrites, shellCommand', () => {
  const call = (name: string, input: Json, response?: unknown): ToolCall => ({ name, useId: 'c', kind: 'file', input, response, filePaths: [] });

  it('takes OpenCode\'s own record of the file before, else undoes the edit', () => {
    expect(contentBeforeCall(call('edit', { filePath: 'a', oldString: 'x', newString: 'y' }, { metadata: { filediff: { before: 'x\n' } } }), 'a', 'y\n')).toBe('x\n');
    expect(contentBeforeCall(call('edit', { filePath: 'a', oldString: 'x', newString: 'yy' }), 'a', 'a yy b')).toBe('a x b');
    expect(contentBeforeCall(call('edit', { filePath: 'a', oldString: 'x', newString: 'y', replaceAll: true }), 'a', 'y y')).toBe('x x');
    expect(contentBeforeCall(call('edit', { filePath: 'a', oldString: 'x', newString: 'zz' }), 'a', 'y')).toBeUndefined();
    expect(contentBeforeCall(call('write', { filePath: 'a', content: 'n' }, { metadata: { exists: false } }), 'a', 'n')).toBeNull();
    expect(contentBeforeCall(call('write', { filePath: 'a', content: 'n' }, { metadata: { exists: true } }), 'a', 'n')).toBeUndefined();
    const edits = [
      { oldString: 'a', newString: 'b' },
      { oldString: 'b', newString: 'c' },
    ];
    expect(contentBeforeCall(call('multiedit', { filePath: 'f', edits }), 'f', 'c')).toBe('a');
  });

  it('takes a patch\'s before from its metadata, and an added file as absent, on the real export', () => {
    const part = toolParts(readExport(MAIN)).find((p) => p.tool === 'apply_patch')!;
    const state = part.state!;
    const tool = call('apply_patch', state.input, { metadata: state.metadata });
    expect(contentBeforeCall(tool, '.github/workflows/secret-scan.yml', 'x')).toBeNull();
    expect(contentBeforeCall(call('apply_patch', state.input), '.github/workflows/secret-scan.yml', 'x')).toBeNull();
    const update = { metadata: { files: [{ filePath: '/r/src/x.ts', relativePath: 'src/x.ts', type: 'update', before: 'old\n' }] } };
    expect(contentBeforeCall(call('apply_patch', { patchText: '*** Update File: src/x.ts' }, update), 'src/x.ts', 'new\n')).toBe('old\n');
  });

  it('declares what write, edit and multiedit write, in Latin-1 form', () => {
    expect(declaredWrites('write', { filePath: 'a', content: 'é\n' }, 'a')).toEqual({ kind: 'content', text: Buffer.from('é\n').toString('latin1') });
    expect(declaredWrites('edit', { filePath: 'a', oldString: 'x', newString: 'y' }, 'a')).toEqual({ kind: 'fragments', fragments: ['y'] });
    expect(declaredWrites('multiedit', { filePath: 'a', edits: [{ newString: 'p' }, { newString: 'q' }] }, 'a')).toEqual({ kind: 'fragments', fragments: ['p', 'q'] });
    expect(declaredWrites('bash', { command: 'ls' }, 'a')).toBeUndefined();
    expect(shellCommand('bash', { command: 'git status', description: 'd' })).toBe('git status');
  });
});

describe('install', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'trace-oc-install-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const snapshot = (dir: string): Record<string, string> => {
    const out: Record<string, string> = {};
    const walk = (d: string) => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const path = join(d, entry.name);
        if (entry.isDirectory()) walk(path);
        else out[path.slice(dir.length)] = readFileSync(path, 'utf8');
      }
    };
    walk(dir);
    return out;
  };

  it('writes its own plugin beside the project\'s plugins and config, and takes only it out again', () => {
    mkdirSync(join(root, '.opencode', 'plugins'), { recursive: true });
    writeFileSync(join(root, '.opencode', 'plugins', 'notify.ts'), 'export const Notify = async () => ({ event: async () => {} })\n');
    writeFileSync(join(root, '.opencode', 'opencode.json'), '{\n  "plugin": ["opencode-wakatime"]\n}\n');
    const before = snapshot(root);
    const plan = planInstall(root);
    expect(plan).toMatchObject({ file: PLUGIN_FILE, status: 'installed', original: undefined });
    expect(plan.text).toBe(pluginText());
    writeFileSync(join(root, PLUGIN_FILE), plan.text!);
    expect(hooksInstalled(readFileSync(join(root, PLUGIN_FILE), 'utf8'), PLUGIN_FILE)).toBe(true);
    expect(planInstall(root)).toMatchObject({ status: 'unchanged', text: undefined });
    const removed = removeHooks(readFileSync(join(root, PLUGIN_FILE), 'utf8'), PLUGIN_FILE);
    expect(removed).toEqual({ text: null, removed: 1 });
    rmSync(join(root, PLUGIN_FILE));
    expect(snapshot(root)).toEqual(before);
  });

  it('upgrades an older plugin of its own, and leaves a file it did not write alone', () => {
    const path = join(root, PLUGIN_FILE);
    const old = pluginText().replace('const MAX_OUTPUT = 2000;', 'const MAX_OUTPUT = 1000;');
    writeFileSync(path, old);
    expect(hooksInstalled(old, PLUGIN_FILE)).toBe(false);
    expect(planInstall(root)).toMatchObject({ status: 'upgraded', original: old, text: pluginText() });
    writeFileSync(path, 'export const Mine = async () => ({})\n');
    expect(() => planInstall(root)).toThrow(TraceError);
    expect(removeHooks('export const Mine = async () => ({})\n', PLUGIN_FILE)).toEqual({ text: 'export const Mine = async () => ({})\n', removed: 0 });
    rmSync(path);
  });

  it('ships a plugin that guards on trace being installed and exports one module for both plugin APIs', async () => {
    expect(pluginText()).toContain('if command -v trace >/dev/null 2>&1; then trace hook opencode ${event}; fi');
    const mod = (await import(pathToFileURL(PLUGIN).href)) as PluginModule & Record<string, unknown>;
    expect(Object.keys(mod)).toEqual(['default']);
    expect(mod.default.id).toBe('chainloop-trace');
    expect(typeof mod.default.server).toBe('function');
    expect(typeof mod.default.setup).toBe('function');
  });
});

describe('the plugin on OpenCode 2.x (setup)', () => {
  it('reports tool calls, prompts and step usage from the V2 hooks and events, the model from step.started', async () => {
    rmSync(logFile, { force: true });
    const dir = mkdtempSync(join(tmpdir(), 'trace-oc-v2-'));
    const hooked: Record<string, (event: unknown) => unknown> = {};
    const queue: unknown[] = [];
    let wake: (() => void) | undefined;
    const ctx = {
      location: { directory: dir },
      app: { version: '2.0.23' },
      tool: { hook: (name: string, cb: (e: unknown) => unknown) => ((hooked[`tool.${name}`] = cb), Promise.resolve({ dispose: () => Promise.resolve() })) },
      session: { hook: (name: string, cb: (e: unknown) => unknown) => ((hooked[`session.${name}`] = cb), Promise.resolve({ dispose: () => Promise.resolve() })) },
      event: {
        subscribe: ({ signal }: { signal: AbortSignal }) => ({
          async *[Symbol.asyncIterator]() {
            while (!signal.aborted) {
              if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
              while (queue.length > 0) yield queue.shift();
            }
          },
        }),
      },
    };
    const plugin = ((await import(pathToFileURL(PLUGIN).href)) as PluginModule).default;
    const dispose = (await plugin.setup(ctx)) as () => Promise<void>;
    await hooked['session.prompt']!({ sessionID: 'ses_v2', messageID: 'msg_1', prompt: { text: 'add a test' } });
    await hooked['tool.execute.before']!({ tool: 'shell', sessionID: 'ses_v2', id: 'call_1', agent: 'build', input: { command: 'npm test' } });
    await hooked['tool.execute.after']!({ tool: 'shell', sessionID: 'ses_v2', id: 'call_1', status: 'completed', input: { command: 'npm test' }, result: { output: 'ok', metadata: { exit: 0 } } });
    await hooked['tool.execute.after']!({ tool: 'edit', sessionID: 'ses_v2', id: 'call_2', status: 'error', input: { filePath: 'a.ts', oldString: 'x', newString: 'y' }, error: { message: 'no match' } });
    queue.push({ type: 'session.step.started', data: { sessionID: 'ses_v2', assistantMessageID: 'msg_2', agent: 'build', model: { id: 'claude-sonnet-4-6', providerID: 'anthropic' } } });
    queue.push({ type: 'session.step.ended', data: { sessionID: 'ses_v2', assistantMessageID: 'msg_2', finish: 'stop', cost: 0.01, tokens: { input: 10, output: 5, reasoning: 2, cache: { read: 100, write: 3 } } } });
    wake?.();
    // The event stream is not awaited by OpenCode: its payloads arrive when their hook has run.
    for (let i = 0; i < 600 && sent().length < 5; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    await dispose();
    wake?.();
    const events = parseAll(sent());
    expect(events.map((e) => e.name)).toEqual(['user-prompt-submit', 'pre-tool-use', 'post-tool-use', 'post-tool-use-failure', 'turn-usage']);
    expect(events[1]!.tool).toMatchObject({ name: 'shell', kind: 'shell', useId: 'call_1' });
    expect(events[3]).toMatchObject({ error: 'no match' });
    expect(events[4]!.usage).toEqual({ model: 'claude-sonnet-4-6', inputTokens: 10, outputTokens: 7, cacheReadTokens: 100, cacheWriteTokens: 3 } satisfies TurnUsage);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('the plugin without trace on the PATH', () => {
  it('runs nothing and does not fail', async () => {
    rmSync(logFile, { force: true });
    const saved = process.env.PATH;
    process.env.PATH = '/usr/bin:/bin';
    try {
      const plugin = ((await import(pathToFileURL(PLUGIN).href)) as PluginModule).default;
      const v1 = await plugin.server({ directory: tmpdir() });
      await v1['tool.execute.before']({ tool: 'bash', sessionID: 'ses_x', callID: 'c' }, { args: { command: 'ls' } });
      expect(sent().filter((call) => call.payload.session_id === 'ses_x')).toEqual([]);
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe('SimulatedOpenCode', () => {
  it('runs the installed plugin\'s command with its payloads around real edits and a shell call', () => {
    rmSync(logFile, { force: true });
    const dir = mkdtempSync(join(tmpdir(), 'trace-oc-sim-'));
    try {
      mkdirSync(join(dir, '.opencode', 'plugins'), { recursive: true });
      writeFileSync(join(dir, PLUGIN_FILE), pluginText());
      const agent = new SimulatedOpenCode({ dir, env: { ...process.env } });
      agent.start('gpt-5.3-codex');
      agent.prompt('write a greeting');
      const write = agent.write('src/hello.ts', 'export const hello = 1;\n');
      agent.edit('src/hello.ts', '1', '2');
      agent.addFile('docs/a.md', '# A\n');
      agent.bash('echo hi > out.txt');
      agent.end();
      expect(readFileSync(join(dir, 'src/hello.ts'), 'utf8')).toBe('export const hello = 2;\n');
      expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('hi\n');
      const events = parseAll(sent());
      expect(events.map((e) => e.name)).toEqual([
        'session-start',
        'user-prompt-submit',
        ...Array<string[]>(4).fill(['pre-tool-use', 'post-tool-use']).flat(),
        // OpenCode does not wait for the plugin's usage events: they come between turns.
        ...Array<string>(4).fill('turn-usage'),
        'session-end',
      ]);
      expect(events.every((e) => e.sessionId === agent.sessionId)).toBe(true);
      expect(events[2]!.tool).toMatchObject({ name: 'write', useId: write, filePaths: [join(dir, 'src/hello.ts')] });
      expect(events.filter((e) => e.name === 'post-tool-use').map((e) => e.tool!.name)).toEqual(['write', 'edit', 'apply_patch', 'bash']);
      const edit = events.find((e) => e.name === 'post-tool-use' && e.tool!.name === 'edit')!.tool!;
      expect(contentBeforeCall(edit, 'src/hello.ts', 'export const hello = 2;\n')).toBe('export const hello = 1;\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends what the plugin itself sends for the same call', async () => {
    rmSync(logFile, { force: true });
    const dir = mkdtempSync(join(tmpdir(), 'trace-oc-sim-'));
    try {
      mkdirSync(join(dir, '.opencode', 'plugins'), { recursive: true });
      writeFileSync(join(dir, PLUGIN_FILE), pluginText());
      const agent = new SimulatedOpenCode({ dir, env: { ...process.env } });
      const callID = agent.bash('echo hi');
      const simulated = sent();
      rmSync(logFile, { force: true });
      const plugin = ((await import(pathToFileURL(PLUGIN).href)) as PluginModule).default;
      const v1 = await plugin.server({ directory: dir });
      const args = simulated[0]!.payload.args;
      await v1['tool.execute.before']({ tool: 'bash', sessionID: agent.sessionId, callID }, { args });
      await v1['tool.execute.after']({ tool: 'bash', sessionID: agent.sessionId, callID, args }, { title: 'echo hi', metadata: { output: 'hi\n', exit: 0, truncated: false }, output: 'hi\n' });
      expect(sent()).toEqual(simulated);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fires nothing when the plugin is not installed', () => {
    rmSync(logFile, { force: true });
    const dir = mkdtempSync(join(tmpdir(), 'trace-oc-sim-'));
    const agent = new SimulatedOpenCode({ dir, env: { ...process.env } });
    agent.start();
    agent.write('a.txt', 'a\n');
    agent.end();
    expect(sent()).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('readOpenCodeSession', () => {
  it('summarises the stored turn usage, prompts and captured calls', async () => {
    const turns: StoredTurn[] = [
      { at: '2026-12-01T10:00:01.000Z', model: 'gpt-5.3-codex', inputTokens: 5960, outputTokens: 205, cacheReadTokens: 0, cacheWriteTokens: 0 },
      { at: '2026-12-01T10:00:02.000Z', model: 'gpt-5.3-codex', inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    ];
    const read = await readOpenCodeSession(
      { id: 'ses_1', agent_version: '1.18.33', started_at: '2026-12-01T10:00:00.000Z', ended_at: null },
      {
        turnUsage: () => turns,
        prompts: () => [{ at: '2026-12-01T10:00:00.500Z', prompt_id: 'msg_1', text: 'go' }],
        toolCalls: () => [{ tool_use_id: 'call_1', agent_id: null, tool_name: 'bash', input_json: '{"command":"ls"}', started_at: '2026-12-01T10:00:01.500Z' }],
      },
    );
    expect(read.summary).toMatchObject({ sessionId: 'ses_1', version: '1.18.33', primaryModel: 'gpt-5.3-codex', messages: { user: 1, assistant: 2, total: 3 }, totalToolInvocations: 1 });
    expect(read.summary!.usageByModel[0]!.responses).toBe(1);
    // 5960 input at 1.75 and 205 output + reasoning at 14 per million: OpenCode billed 0.0133.
    expect(read.summary!.estimatedCostUsd).toBe(0.0133);
    expect(read.conversation).toEqual([
      { type: 'prompt', text: 'go', timestamp: '2026-12-01T10:00:00.500Z' },
      { type: 'tool_call', id: 'call_1', name: 'bash', input: { command: 'ls' }, timestamp: '2026-12-01T10:00:01.500Z' },
    ]);
    const none = await readOpenCodeSession({ id: 'ses_2', agent_version: null, started_at: null, ended_at: null }, { prompts: () => [], toolCalls: () => [] });
    expect(none.summary).toBeNull();
    // A subagent known from its calls, its usage stored without it: in the totals, not per subagent.
    const child = await readOpenCodeSession(
      { id: 'ses_1', agent_version: null, started_at: null, ended_at: null },
      {
        turnUsage: () => turns,
        prompts: () => [],
        toolCalls: () => [{ tool_use_id: 'call_2', agent_id: 'ses_child', tool_name: 'bash', input_json: null, started_at: null }],
      },
    );
    expect(child.summary!.subagents).toEqual([{ id: 'ses_child', transcriptFound: false, models: [], usage: undefined, estimatedCostUsd: undefined }]);
    expect(child.summary!.warnings).toContain('OpenCode: subagents\' responses are counted in the session totals and assistant messages, not per subagent');
    expect(none.warnings).toEqual(['OpenCode: the plugin reported no token usage for this session; usage is unknown']);
  });
});

describe('what OpenCode 1.18 reports (captured from opencode 1.18.33 driving the plugin)', () => {
  // OpenCode 1.18 keeps no `before` in the metadata, only the unified patch of the change.
  const edit = {
    diagnostics: {},
    diff: '',
    filediff: {
      file: '/tmp/p/hello.ts',
      patch: 'Index: /tmp/p/hello.ts\n===================================================================\n--- /tmp/p/hello.ts\n+++ /tmp/p/hello.ts\n@@ -1,2 +1,2 @@\n-export const hello = 1;\n+export const hello = 3;\n export const world = 2;\n',
      additions: 1,
      deletions: 1,
    },
    truncated: false,
  };
  const call = (name: string, input: Json, metadata: unknown): ToolCall => ({ name, useId: 'c', kind: 'file', input, response: { title: 'hello.ts', output: '', metadata }, filePaths: [] });

  it('undoes the unified patch of an edit or an apply_patch to get the file before', () => {
    const after = 'export const hello = 3;\nexport const world = 2;\n';
    expect(contentBeforeCall(call('edit', { filePath: '/tmp/p/hello.ts', oldString: 'zz', newString: 'qq' }, edit), 'hello.ts', after)).toBe('export const hello = 1;\nexport const world = 2;\n');
    const files = [{ filePath: '/tmp/p/hello.ts', relativePath: 'hello.ts', type: 'update', patch: edit.filediff.patch, additions: 1, deletions: 1 }];
    expect(contentBeforeCall(call('apply_patch', { patchText: '*** Update File: hello.ts' }, { diff: '', files, diagnostics: {} }), 'hello.ts', after)).toBe('export const hello = 1;\nexport const world = 2;\n');
    expect(contentBeforeCall(call('apply_patch', { patchText: '*** Update File: hello.ts' }, { diff: '', files, diagnostics: {} }), 'hello.ts', 'changed since\n')).toBeUndefined();
  });
});

describe('reverseUnifiedDiff', () => {
  it('undoes several hunks, pure deletions and additions, and a removed line that starts with dashes', () => {
    const before = 'a\nb\n-- sql comment\nc\nd\ne\n';
    const after = 'a\nB\nc\nd\nnew\ne\n';
    const patch = '--- x\n+++ x\n@@ -1,4 +1,3 @@\n a\n-b\n--- sql comment\n+B\n c\n@@ -5,1 +4,2 @@\n d\n+new\n';
    expect(reverseUnifiedDiff(after, patch)).toBe(before);
    expect(reverseUnifiedDiff('x\n', '@@ -1,2 +1,1 @@\n x\n-y\n')).toBe('x\ny\n');
    expect(reverseUnifiedDiff('a\nc\n', '@@ -2,1 +1,0 @@\n-b\n')).toBe('a\nb\nc\n');
    expect(reverseUnifiedDiff('', '@@ -0,0 +1,1 @@\n+x\n')).toBeUndefined();
    expect(reverseUnifiedDiff('x\n', '@@ -0,0 +1,1 @@\n+x\n')).toBe('');
  });
});

describe('OpenCode ids in a redacted session object', () => {
  it('keeps the real exports\' session, message, part and call ids: they authorise nothing', async () => {
    const { createRedactor } = await import('../../src/core/redact.js');
    const redactor = await createRedactor({ scanner: { ruleIds: [], scan: () => [] } });
    const ids = new Set<string>();
    for (const path of [MAIN, SUBAGENT]) {
      const exported = readExport(path);
      ids.add(exported.info.id);
      for (const message of exported.messages) {
        ids.add(message.info.id);
        for (const part of message.parts) [part.id, part.callID].forEach((id) => id && ids.add(id));
      }
    }
    ids.delete('REDACTED');
    expect(ids.size).toBeGreaterThan(100);
    for (const id of ids) expect(redactor.redactText(id).text, id).toBe(id);
  });
});
