import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { agent } from '../../src/agents/cursor/index.js';
import { hooks } from '../../src/agents/cursor/hooks.js';
import { parsePatch } from '../../src/agents/patch.js';
import { formatJson } from '../../src/agents/hook-groups.js';
import { CONFIG_FILE, hooksInstalled, planInstall, removeHooksText, template } from '../../src/agents/cursor/install.js';
import { readCursorSession, transcriptCandidates } from '../../src/agents/cursor/session.js';
import { SimulatedCursor } from '../../src/agents/cursor/simulator.js';
import { promptText, summarizeCursorSession } from '../../src/agents/cursor/summary.js';
import type { CaptureEvent, TurnUsage } from '../../src/agents/types.js';
import type { SessionRecord } from '../../src/store.js';
import { TraceError } from '../../src/errors.js';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/agents/cursor/', import.meta.url));
const fixture = (path: string) => readFileSync(join(FIXTURES, path), 'utf8');
const jsonl = (path: string) =>
  fixture(path)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** Cursor's event name → the `<event>` argument hooks/cursor/hooks.json passes (kebab case). */
const EVENT_ARG: Record<string, string> = {
  sessionStart: 'session-start',
  sessionEnd: 'session-end',
  beforeSubmitPrompt: 'before-submit-prompt',
  preToolUse: 'pre-tool-use',
  postToolUse: 'post-tool-use',
  postToolUseFailure: 'post-tool-use-failure',
  stop: 'stop',
  afterAgentResponse: 'after-agent-response',
  afterFileEdit: 'after-file-edit',
  beforeShellExecution: 'before-shell-execution',
  afterShellExecution: 'after-shell-execution',
  beforeReadFile: 'before-read-file',
  preCompact: 'pre-compact',
};

function parseReal(payload: Record<string, unknown>): CaptureEvent[] {
  const event = EVENT_ARG[payload.hook_event_name as string];
  expect(event, `event ${String(payload.hook_event_name)}`).toBeDefined();
  const result = hooks.parse(event!, payload);
  if (!result.ok) throw new Error(`${String(payload.hook_event_name)}: ${result.problems.join('; ')}`);
  return result.events;
}

/**
 * The Rosetta capture abbreviates repeated envelope fields as `{…,` and `,…}`: each such line gets the
 * envelope of its full preToolUse line back (its own fields win), and the elided ids a plain tail.
 */
function rosettaPayloads(): Record<string, unknown>[] {
  const lines = fixture('hooks/rosetta_cursor3.9.16_captured-INPUT-payloads_author-abbreviated.md')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => line.replace(/…"/g, 'elided"').replace(/,…\}/g, '}'));
  const full = lines.map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  });
  const shellPre = full.find((p) => p?.hook_event_name === 'preToolUse')!;
  const envelope = Object.fromEntries(
    ['conversation_id', 'generation_id', 'model', 'session_id', 'cursor_version', 'workspace_roots', 'user_email', 'transcript_path'].map((key) => [key, shellPre[key]]),
  );
  return lines.map((line, index) => full[index] ?? { ...envelope, ...(JSON.parse(`{${line.slice(3)}`) as Record<string, unknown>) });
}

describe('hooks.parse on the real payloads', () => {
  it('cursor-agent 2026.07.23 (tma): every event, the ids, tokens on stop', () => {
    const payloads = jsonl('hooks/tma_cursor-cli2026.07.23-e383d2b_captured-redacted.jsonl');
    const events = payloads.map(parseReal);
    expect(events.map((e) => e.map((one) => one.name))).toEqual([['session-start'], ['user-prompt-submit'], ['pre-tool-use'], ['post-tool-use'], ['turn-usage'], ['post-tool-use-failure'], ['session-end']]);
    const [start, prompt, pre, post, stop, failure, end] = events.map((e) => e[0]!);
    expect(start).toMatchObject({ sessionId: '491550db-0a81-4cd0-a248-89254960295e', cwd: '<CWD>', model: undefined, agentVersion: '2026.07.23-e383d2b', transcriptPath: undefined });
    expect(prompt).toMatchObject({ sessionId: '78139b05-16d8-4190-b888-55f2eec06d47', prompt: 'Run this exact shell command and show output: uname -a', promptId: 'bd69fa74-23c8-41e5-9e37-b3c131c4b59c' });
    expect(pre!.tool).toMatchObject({ name: 'Shell', kind: 'shell', useId: 'fc8581b3-2f76-44e8-a8de-51f4d1d2929d', filePaths: [] });
    expect(hooks.shellCommand('Shell', pre!.tool!.input)).toBe('echo HELLO_FROM_CURSOR');
    // The author trimmed this postToolUse of its id and input: the call still gets a stable id of its own.
    expect(post!.tool).toMatchObject({ name: 'Shell', kind: 'shell', response: '<OUTPUT>' });
    expect(post!.tool!.useId).toMatch(/^cursor-Shell-491550db-0a81-4cd0-a248-89254960295e-[0-9a-f]{8}$/);
    expect(hooks.parse('post-tool-use', payloads[3]).ok && (hooks.parse('post-tool-use', payloads[3]) as { events: CaptureEvent[] }).events[0]!.tool!.useId).toBe(post!.tool!.useId);
    expect(post!.transcriptPath).toBe('<TRANSCRIPT>');
    expect(stop!.usage).toEqual({ model: undefined, inputTokens: 40450, outputTokens: 754, cacheReadTokens: 0, cacheWriteTokens: 0 });
    expect(failure).toMatchObject({ error: 'cat: /nonexistent-file-xyz-123: No such file or directory', cwd: '<CWD>' });
    expect(failure!.tool).toMatchObject({ kind: 'shell', useId: '34ae8a0e-595a-49bf-a092-594d3bdfa237' });
    expect(end).toMatchObject({ reason: 'completed', sessionId: '491550db-0a81-4cd0-a248-89254960295e' });
  });

  it('IDE 2.7.0 (agent audit): afterFileEdit is an edit with its absolute path under the workspace root; shell/prompt/end events', () => {
    const payloads = jsonl('hooks/grafanaDemoPersonal_cursor-ide2.7.0-pre.78_agent-audit_verbatim.jsonl');
    const root = '/Users/mars/Documents/GitHub/grafanaDemoPersonal';
    const edits: CaptureEvent[] = [];
    for (const payload of payloads) {
      const events = parseReal(payload);
      switch (payload.hook_event_name) {
        case 'afterFileEdit':
          expect(events).toHaveLength(1);
          expect(events[0]).toMatchObject({ name: 'post-tool-use', cwd: root, model: 'composer-2', agentVersion: '2.7.0-pre.78.patch.0' });
          expect(events[0]!.tool).toMatchObject({ name: 'afterFileEdit', kind: 'file', filePaths: [payload.file_path] });
          edits.push(events[0]!);
          break;
        case 'beforeShellExecution':
          expect(events).toEqual([]); // preToolUse Shell reports the same call, with an id
          break;
        case 'beforeSubmitPrompt':
          expect(events).toHaveLength(1);
          expect(events[0]).toMatchObject({ name: 'user-prompt-submit', prompt: payload.prompt, promptId: payload.generation_id, cwd: root });
          break;
        case 'sessionEnd':
          expect(events).toEqual([expect.objectContaining({ name: 'session-end', reason: 'user_close', sessionId: payload.conversation_id, transcriptPath: undefined })]);
          break;
        default:
          throw new Error(`unexpected ${String(payload.hook_event_name)}`);
      }
    }
    expect(edits.map((e) => e.tool!.filePaths[0]!.slice(root.length + 1))).toEqual([
      '.cursor/hooks/audit.sh',
      '.cursor/audits/.gitkeep',
      'public/app/plugins/panel/welcome/Welcome.tsx',
      'public/app/plugins/panel/welcome/Welcome.tsx',
    ]);
    // Two edits of the same file in different turns get different ids.
    expect(new Set(edits.map((e) => e.tool!.useId)).size).toBe(4);
  });

  it('cursor-agent 2026.09.02 (aeye): MCP tool calls carry nothing trace records', () => {
    for (const payload of jsonl('hooks/aeye_cursor-agent2026.09.02-c22c1a3_mcp-postToolUse_author-excerpt.jsonl')) {
      expect(hooks.parse('post-tool-use', payload)).toEqual({ ok: true, events: [] });
    }
  });

  it('IDE 3.9.16 (Rosetta): model_id over "default" and "-fast", tokens on afterAgentResponse and stop, other tools and events ignored', () => {
    const payloads = rosettaPayloads();
    expect(payloads).toHaveLength(16);
    const byEvent = payloads.map((payload) => ({ payload, events: parseReal(payload) }));
    const names = byEvent.map(({ payload, events }) => `${String(payload.hook_event_name)}${payload.tool_name ? `:${payload.tool_name as string}` : ''}→${events.map((e) => e.name).join(',')}`);
    expect(names).toEqual([
      'sessionStart→session-start',
      'preToolUse:Shell→pre-tool-use',
      'preToolUse:Read→',
      'postToolUse:Shell→post-tool-use',
      'postToolUseFailure:Read→',
      'beforeShellExecution→',
      'afterShellExecution→',
      'beforeSubmitPrompt→user-prompt-submit',
      'stop→', // status "error": no tokens
      'preCompact→',
      'beforeReadFile→',
      'preToolUse:Grep→',
      'postToolUse:Grep→',
      'postToolUse:Read→',
      'afterAgentResponse→turn-usage',
      'stop→turn-usage',
    ]);
    expect(byEvent[0]!.events[0]).toMatchObject({ model: undefined, transcriptPath: undefined, agentVersion: '3.9.16' });
    expect(byEvent[1]!.events[0]!.tool).toMatchObject({ kind: 'shell', input: { command: 'echo rosetta-hook-probe', cwd: '', timeout: 30000 } });
    expect(byEvent[3]!.events[0]!.tool!.response).toBe('{"output":"rosetta-hook-probe\\n","exitCode":0}');
    expect(byEvent[7]!.events[0]).toMatchObject({ model: 'composer-2.5' });
    expect(byEvent[14]!.events[0]!.usage).toEqual({ model: undefined, inputTokens: 31527, outputTokens: 615, cacheReadTokens: 22112, cacheWriteTokens: 0 });
    expect(byEvent[15]!.events[0]!.usage).toEqual(byEvent[14]!.events[0]!.usage);
  });

  it('the last Rosetta line, stop with tokens, reports the same turn as afterAgentResponse (so only stop is installed)', () => {
    const text = fixture('hooks/rosetta_cursor3.9.16_captured-INPUT-payloads_author-abbreviated.md');
    const stopLine = text.split('\n').filter((line) => line.includes('"hook_event_name":"stop"') && line.includes('input_tokens'));
    expect(stopLine).toHaveLength(1);
    const stop = JSON.parse(`{"conversation_id":"c","workspace_roots":["/w"],${stopLine[0]!.slice(3)}`) as Record<string, unknown>;
    const result = hooks.parse('stop', stop);
    expect(result.ok && result.events[0]!.usage).toEqual({ model: undefined, inputTokens: 31527, outputTokens: 615, cacheReadTokens: 22112, cacheWriteTokens: 0 });
    expect(template().hooks?.afterAgentResponse).toBeUndefined();
    expect(template().hooks?.stop).toHaveLength(1);
  });

  it('ignores a Claude Code payload relayed through Cursor, and reports every problem of a bad one', () => {
    const claude = readFileSync(join(FIXTURES, '../claude/hooks/tma_cc2.1.x_captured-redacted.jsonl'), 'utf8').split('\n')[0]!;
    const relayed = hooks.parse('session-start', JSON.parse(claude));
    expect(relayed).toMatchObject({ ok: false, ignored: true });
    const bad = hooks.parse('pre-tool-use', { conversation_id: 'has space', tool_name: 'Write', tool_input: { path: 5 }, workspace_roots: 'x', transcript_path: 3 });
    expect(bad).toEqual({
      ok: false,
      ignored: false,
      problems: ['conversation_id: not a plain identifier (letters, digits, . _ : -)', 'workspace_roots: expected an array of paths', 'transcript_path: expected a string', 'tool_input.path: expected a path'],
    });
    expect(hooks.parse('no-such-event', {})).toMatchObject({ ok: false, ignored: false });
    expect(hooks.reply?.('pre-tool-use')).toBeUndefined();
    expect(hooks.reply?.('before-submit-prompt')).toBeUndefined();
  });
});

describe('file tools', () => {
  const envelope = { conversation_id: 'c1', generation_id: 'g1', model: 'default', model_id: 'claude-4.5-sonnet', cwd: '', workspace_roots: ['/w/a', '/w/a-b'], cursor_version: '3.9.16' };
  const parsed = (event: string, payload: Record<string, unknown>) => {
    const result = hooks.parse(event, { ...envelope, ...payload });
    if (!result.ok) throw new Error(result.problems.join('; '));
    return result.events[0]!;
  };

  it('classifies the edit tools, their paths and the root they lie in', () => {
    const write = parsed('pre-tool-use', { tool_name: 'Write', tool_use_id: 't1', tool_input: { path: '/w/a-b/src/x.ts', contents: 'x\n' } });
    expect(write).toMatchObject({ cwd: '/w/a-b', model: 'claude-4.5-sonnet' });
    expect(write.tool).toMatchObject({ kind: 'file', filePaths: ['/w/a-b/src/x.ts'], useId: 't1' });
    const relative = parsed('post-tool-use', { tool_name: 'StrReplace', tool_use_id: 't2', tool_input: { file_path: 'src/y.ts', old_string: 'a', new_string: 'b' } });
    expect(relative).toMatchObject({ cwd: '/w/a' });
    expect(relative.tool!.filePaths).toEqual(['src/y.ts']);
    expect(parsed('pre-tool-use', { tool_name: 'Delete', tool_use_id: 't3', tool_input: { path: '/w/a/z' } }).tool!.filePaths).toEqual(['/w/a/z']);
    expect(parsed('pre-tool-use', { tool_name: 'EditNotebook', tool_use_id: 't4', tool_input: { target_notebook: '/w/a/n.ipynb', old_string: '', new_string: 'x' } }).tool!.filePaths).toEqual(['/w/a/n.ipynb']);
    const patch = '*** Begin Patch\n*** Update File: src/cli.ts\n@@\n-a\n+b\n*** Add File: src/new.ts\n+one\n+two\n*** Delete File: old.ts\n*** End Patch\n';
    expect(parsed('pre-tool-use', { tool_name: 'ApplyPatch', tool_use_id: 't5', tool_input: { patch } }).tool!.filePaths).toEqual(['src/cli.ts', 'src/new.ts', 'old.ts']);
    expect(parsed('pre-tool-use', { tool_name: 'Read', tool_use_id: 't6', tool_input: { file_path: '/w/a/r' } })).toBeUndefined();
  });

  it('works the before-content back from the edit when no pre event came', () => {
    const strReplace = { name: 'StrReplace', useId: 'u', kind: 'file' as const, input: { path: '/w/a/f', old_string: 'old\n', new_string: 'new\nmore\n' }, response: undefined, filePaths: ['/w/a/f'] };
    expect(hooks.contentBeforeCall(strReplace, 'f', 'top\nnew\nmore\nend\n')).toBe('top\nold\nend\n');
    expect(hooks.contentBeforeCall(strReplace, 'f', 'nothing here\n')).toBeUndefined();
    expect(hooks.contentBeforeCall(strReplace, 'f', null)).toBeUndefined();
    // The real afterFileEdit that put a line back (Welcome.tsx, old_string empty).
    const grafana = jsonl('hooks/grafanaDemoPersonal_cursor-ide2.7.0-pre.78_agent-audit_verbatim.jsonl').at(-1)!;
    const tool = parseReal(grafana)[0]!.tool!;
    const after = 'const styles = {\n      color: theme.colors.success.text,\n};\n';
    expect(hooks.contentBeforeCall(tool, 'public/app/plugins/panel/welcome/Welcome.tsx', after)).toBe('const styles = {\n\n};\n');
    expect(hooks.declaredWrites(tool.name, tool.input, 'x')).toEqual({ kind: 'fragments', fragments: ['      color: theme.colors.success.text,'] });
    // A real edit that deleted text cannot be undone: its new_string is empty.
    const deletion = parseReal(jsonl('hooks/grafanaDemoPersonal_cursor-ide2.7.0-pre.78_agent-audit_verbatim.jsonl')[4]!)[0]!.tool!;
    expect(hooks.contentBeforeCall(deletion, 'p', 'anything\n')).toBeUndefined();
    const patchTool = { name: 'ApplyPatch', useId: 'p', kind: 'file' as const, input: { patch: '*** Begin Patch\n*** Update File: src/cli.ts\n@@\n keep\n-old one\n+new one\n+new two\n tail\n*** Add File: src/new.ts\n+hello\n*** End Patch\n' }, response: undefined, filePaths: [] };
    expect(hooks.contentBeforeCall(patchTool, 'src/cli.ts', 'head\nkeep\nnew one\nnew two\ntail\nend\n')).toBe('head\nkeep\nold one\ntail\nend\n');
    expect(hooks.contentBeforeCall(patchTool, 'src/new.ts', 'hello\n')).toBeNull();
    expect(hooks.declaredWrites('ApplyPatch', patchTool.input, 'src/cli.ts')).toEqual({ kind: 'fragments', fragments: ['\nnew one\nnew two\n'] });
    expect(hooks.declaredWrites('ApplyPatch', patchTool.input, 'src/new.ts')).toEqual({ kind: 'content', text: 'hello\n' });
    expect(hooks.declaredWrites('Write', { path: 'p', contents: 'héllo' }, 'p')).toEqual({ kind: 'content', text: Buffer.from('héllo').toString('latin1') });
    expect(hooks.declaredWrites('Delete', { path: 'p' }, 'p')).toEqual({ kind: 'fragments', fragments: [] });
    expect(hooks.contentBeforeCall({ ...strReplace, name: 'Write', input: { path: 'f', contents: 'x' } }, 'f', 'x')).toBeUndefined();
  });

  it('parses moves and hunks without headers', () => {
    expect(parsePatch('*** Update File: a.ts\n*** Move to: b.ts\n-x\n+y\n')).toEqual([{ kind: 'update', path: 'a.ts', moveTo: 'b.ts', hunks: [{ anchor: '', oldLines: ['x'], newLines: ['y'], added: [['y']], endOfFile: false }] }]);
  });
});

describe('install', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const theirs = {
    version: 1,
    hooks: {
      beforeShellExecution: [{ command: './hooks/audit.sh' }, { command: './hooks/block-git.sh', failClosed: true }],
      afterFileEdit: [{ command: './hooks/format.sh' }],
      stop: [{ command: './hooks/audit.sh', loop_limit: 5 }],
    },
  };

  it('merges into a config with other hooks, is idempotent, and comes out byte-identical', () => {
    dir = mkdtempSync(join(tmpdir(), 'trace-cursor-'));
    mkdirSync(join(dir, '.cursor'));
    const original = `${JSON.stringify(theirs, null, 2)}\n`;
    writeFileSync(join(dir, CONFIG_FILE), original);
    expect(hooksInstalled(original, CONFIG_FILE)).toBe(false);
    const plan = planInstall(dir);
    expect(plan).toMatchObject({ file: '.cursor/hooks.json', status: 'installed', original });
    const installed = JSON.parse(plan.text!) as typeof theirs & { hooks: Record<string, { command: string; matcher?: string }[]> };
    expect(Object.keys(installed.hooks)).toEqual(['beforeShellExecution', 'afterFileEdit', 'stop', 'sessionStart', 'sessionEnd', 'beforeSubmitPrompt', 'preToolUse', 'postToolUse', 'postToolUseFailure']);
    expect(installed.hooks.beforeShellExecution).toEqual(theirs.hooks.beforeShellExecution);
    expect(installed.hooks.stop).toEqual([theirs.hooks.stop[0], { command: 'if command -v trace >/dev/null 2>&1; then trace hook cursor stop; fi', timeout: 10 }]);
    expect(installed.hooks.preToolUse![0]).toMatchObject({ command: 'if command -v trace >/dev/null 2>&1; then trace hook cursor pre-tool-use; fi', matcher: 'Write|StrReplace|Delete|ApplyPatch|EditNotebook|Shell' });
    expect(hooksInstalled(plan.text!, CONFIG_FILE)).toBe(true);
    writeFileSync(join(dir, CONFIG_FILE), plan.text!);
    expect(planInstall(dir)).toMatchObject({ status: 'unchanged', text: undefined });
    const removed = removeHooksText(plan.text!, CONFIG_FILE);
    expect(removed).toEqual({ text: original, removed: 8 });
    expect(agent.removeHooks(original, CONFIG_FILE)).toEqual({ text: original, removed: 0 });
  });

  it('creates the file when there is none, and removal leaves nothing', () => {
    dir = mkdtempSync(join(tmpdir(), 'trace-cursor-'));
    const plan = planInstall(dir);
    expect(plan).toMatchObject({ status: 'installed', original: undefined });
    expect(JSON.parse(plan.text!)).toEqual(template());
    expect(removeHooksText(plan.text!, CONFIG_FILE)).toEqual({ text: null, removed: 8 });
  });

  it('upgrades a bare command in place, keeping the entry where it was and its other keys', () => {
    dir = mkdtempSync(join(tmpdir(), 'trace-cursor-'));
    mkdirSync(join(dir, '.cursor'));
    const full = JSON.parse(formatJson(template())) as { hooks: Record<string, Record<string, unknown>[]> };
    full.hooks.stop = [{ command: 'trace hook cursor stop', failClosed: false }, { command: './mine.sh' }];
    const before = `${JSON.stringify(full, null, 4)}`;
    writeFileSync(join(dir, CONFIG_FILE), before);
    const plan = planInstall(dir);
    expect(plan.status).toBe('upgraded');
    expect(plan.text!.endsWith('}')).toBe(true); // no final newline, as before
    expect(plan.text).toContain('\n    "version": 1');
    expect((JSON.parse(plan.text!) as typeof full).hooks.stop).toEqual([{ command: 'if command -v trace >/dev/null 2>&1; then trace hook cursor stop; fi', failClosed: false, timeout: 10 }, { command: './mine.sh' }]);
  });

  it('refuses a file it cannot read, naming every problem', () => {
    dir = mkdtempSync(join(tmpdir(), 'trace-cursor-'));
    mkdirSync(join(dir, '.cursor'));
    writeFileSync(join(dir, CONFIG_FILE), JSON.stringify({ version: 2, hooks: { stop: {}, sessionStart: ['x'] } }));
    expect(() => planInstall(dir)).toThrow(TraceError);
    expect(() => planInstall(dir)).toThrow(/version: Cursor reads version 1, found 2\n {2}hooks\.stop: must be an array[^\n]*\n {2}hooks\.sessionStart\[0\]: must be an object/);
    writeFileSync(join(dir, CONFIG_FILE), '{ "version": 1, ');
    expect(() => planInstall(dir)).toThrow(/is not valid JSON/);
  });
});

describe('session summary', () => {
  /** An independent reading of a transcript: JSON lines by role, tool_use blocks by name. */
  function countTranscript(text: string) {
    let user = 0;
    let assistant = 0;
    const tools: Record<string, number> = {};
    for (const line of text.split('\n')) {
      if (!line) continue;
      const record = JSON.parse(line) as { role: string; message: { content: { type: string; name?: string }[] } };
      if (record.role === 'user') user++;
      if (record.role === 'assistant') assistant++;
      for (const block of record.message.content) if (block.type === 'tool_use') tools[block.name!] = (tools[block.name!] ?? 0) + 1;
    }
    return { user, assistant, tools };
  }

  it.each(readdirSync(join(FIXTURES, 'transcripts')))('%s: messages and tools as an independent reading counts them', (file) => {
    const text = fixture(`transcripts/${file}`);
    const expected = countTranscript(text);
    const { summary, conversation, records } = summarizeCursorSession({ transcript: text, turns: [] });
    expect(summary.messages).toEqual({ user: expected.user, assistant: expected.assistant, total: expected.user + expected.assistant });
    expect(Object.fromEntries(summary.tools.map((t) => [t.name, t.count]))).toEqual(expected.tools);
    expect(summary.totalToolInvocations).toBe(Object.values(expected.tools).reduce((a, b) => a + b, 0));
    expect(records).toHaveLength(text.split('\n').filter(Boolean).length);
    expect(conversation.filter((e) => e.type === 'prompt')).toHaveLength(expected.user);
    expect(summary.invalidLines).toBe(0);
    expect(summary.estimatedCostUsd).toBeUndefined();
    expect(summary.warnings.some((w) => w.includes('no token counts'))).toBe(true);
  });

  it('unwraps prompts and keeps tool calls in order (f5: a Write with {path, contents} and no id)', () => {
    const { conversation } = summarizeCursorSession({ transcript: fixture('transcripts/computermode_f5-5b1d3b434a-0_agent-transcript_fcab959a.jsonl'), turns: [] });
    expect(conversation).toEqual([
      { type: 'prompt', text: 'create a markdown file stating this is for testing cursor' },
      { type: 'tool_call', id: 'cursor-tool-1', name: 'Write', input: { path: '/Users/ninawork/entire/test-repos/test-repo/cursor-attach/testing-cursor.md', contents: '# Testing Cursor\n\nThis file is for testing Cursor.\n' } },
      { type: 'prompt', text: 'how do I quit this cli' },
    ]);
    expect(promptText('<timestamp>Sat</timestamp>\n<user_query>\nfix it\n</user_query>')).toBe('fix it');
    expect(promptText('<attached_files>\nx\n</attached_files>\nplain')).toBe('plain');
  });

  it('sums the stop hooks of the real payloads, and prices what it can', () => {
    // The turns as the hooks parse them from the real payloads.
    const tmaStop = jsonl('hooks/tma_cursor-cli2026.07.23-e383d2b_captured-redacted.jsonl').find((p) => p.hook_event_name === 'stop')!;
    const rosettaStop = rosettaPayloads().find((p) => p.hook_event_name === 'afterAgentResponse')!;
    const turns = [tmaStop, rosettaStop].map((p) => parseReal(p)[0]!.usage!);
    // Independent reading: the JSON fields summed by hand.
    const sum = (key: string) => [tmaStop, rosettaStop].reduce((total, p) => total + ((p[key] as number | undefined) ?? 0), 0);
    const { summary } = summarizeCursorSession({ transcript: null, turns });
    expect(summary.usage).toEqual({
      inputTokens: sum('input_tokens'),
      outputTokens: sum('output_tokens'),
      cacheReadInputTokens: sum('cache_read_tokens'),
      cacheCreationInputTokens: sum('cache_write_tokens'),
      cacheCreation5mInputTokens: sum('cache_write_tokens'),
      cacheCreation1hInputTokens: 0,
      totalTokens: sum('input_tokens') + sum('output_tokens') + sum('cache_read_tokens') + sum('cache_write_tokens'),
    });
    expect(summary.usage.inputTokens).toBe(40450 + 31527);
    // Both ran on Auto ("default"): counted, not priced.
    expect(summary.usageByModel).toEqual([]);
    expect(summary.estimatedCostUsd).toBeUndefined();
    expect(summary.warnings).toContain('2 turn(s) ran on Cursor\'s Auto model ("default"), which the hooks do not name: their tokens are counted but not priced');

    const priced: TurnUsage[] = [
      { model: 'claude-sonnet-4-6', inputTokens: 1000, outputTokens: 100, cacheReadTokens: 10_000, cacheWriteTokens: 2000 },
      { model: 'claude-sonnet-4-6', inputTokens: 500, outputTokens: 50, cacheReadTokens: 0, cacheWriteTokens: 0 },
      { model: 'composer-2.5', inputTokens: 10, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 },
    ];
    const mixed = summarizeCursorSession({ transcript: null, turns: priced, hookModel: 'composer-2.5' }).summary;
    // Sonnet 4.6: $3 in, $15 out, $0.30 cache read, $3.75 cache write per 1M.
    expect(mixed.estimatedCostUsd).toBeCloseTo((1500 * 3 + 150 * 15 + 10_000 * 0.3 + 2000 * 3.75) / 1e6, 9);
    expect(mixed.costComplete).toBe(false);
    expect(mixed.primaryModel).toBe('claude-sonnet-4-6');
    expect(mixed.usageByModel.map((m) => [m.model, m.responses])).toEqual([
      ['claude-sonnet-4-6', 2],
      ['composer-2.5', 1],
    ]);
  });

  it('reads the transcript where Cursor keeps it when the hooks named none, and says when it is missing', async () => {
    const home = mkdtempSync(join(tmpdir(), 'trace-cursor-home-'));
    try {
      const session: SessionRecord = { id: 'fcab959a', agent: 'cursor', agent_version: '3.9.16', model: 'composer-2', cwd: '/Users/ana/src/acme', transcript_path: null, source: null, started_at: null, ended_at: null, end_reason: null, updated_at: '' };
      const [path] = transcriptCandidates(session.id, session.cwd, home);
      expect(path).toBe(join(home, '.cursor/projects/Users-ana-src-acme/agent-transcripts/fcab959a/fcab959a.jsonl'));
      const missing = await readCursorSession(session, [], { home });
      expect(missing.conversation).toBeNull();
      expect(missing.warnings[0]).toMatch(/^Cursor transcript .* not found/);
      expect(missing.summary?.primaryModel).toBe('composer-2');
      mkdirSync(join(path!, '..'), { recursive: true });
      writeFileSync(path!, fixture('transcripts/computermode_f5-5b1d3b434a-0_agent-transcript_fcab959a.jsonl'));
      const read = await readCursorSession(session, [{ model: 'composer-2', inputTokens: 5, outputTokens: 6, cacheReadTokens: 0, cacheWriteTokens: 0 }], { home });
      expect(read.warnings).toEqual([]);
      expect(read.summary).toMatchObject({ version: '3.9.16', primaryModel: 'composer-2', messages: { user: 2, assistant: 3, total: 5 }, usage: { inputTokens: 5, outputTokens: 6 } });
      expect(read.conversation).toHaveLength(3);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('simulator', () => {
  it('runs the installed commands with payloads the parser takes, and writes the transcript', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-cursor-sim-'));
    try {
      // Every trace command replaced by one that records its event argument and payload.
      const withEvents = template();
      // The guard's entry answers; its payloads are the pre-tool-use ones (test/integration/guard-agents.test.ts).
      withEvents.hooks!.preToolUse = withEvents.hooks!.preToolUse!.filter((entry) => !entry.command!.includes('cursor guard'));
      for (const entries of Object.values(withEvents.hooks!)) {
        for (const entry of entries) {
          const arg = /trace hook cursor ([a-z-]+);/.exec(entry.command!)![1]!;
          entry.command = `printf '%s ' ${arg} >> "$PWD/log"; cat >> "$PWD/log"; echo >> "$PWD/log"`;
        }
      }
      mkdirSync(join(dir, '.cursor'));
      writeFileSync(join(dir, CONFIG_FILE), JSON.stringify(withEvents));
      const cursor = new SimulatedCursor({ dir, env: { ...process.env, HOME: dir } });
      cursor.start('composer-2');
      cursor.prompt('add a file');
      cursor.write('a.txt', 'one\n');
      cursor.edit('a.txt', 'one', 'two');
      cursor.bash('echo hi > b.txt');
      cursor.bash('exit 3');
      cursor.end();
      const lines = readFileSync(join(dir, 'log'), 'utf8').trim().split('\n');
      const events = lines.map((line) => {
        const space = line.indexOf(' ');
        const result = hooks.parse(line.slice(0, space), JSON.parse(line.slice(space + 1)));
        if (!result.ok) throw new Error(result.problems.join('; '));
        return result.events;
      });
      expect(events.map((e) => e.map((one) => `${one.name}${one.tool ? `:${one.tool.name}` : ''}`).join())).toEqual([
        'session-start',
        'user-prompt-submit',
        'pre-tool-use:Write',
        'post-tool-use:Write',
        'pre-tool-use:StrReplace',
        'post-tool-use:StrReplace',
        'pre-tool-use:Shell',
        'post-tool-use:Shell',
        'pre-tool-use:Shell',
        'post-tool-use-failure:Shell',
        'turn-usage',
        'session-end',
      ]);
      const flat = events.flat();
      expect(new Set(flat.map((e) => e.sessionId))).toEqual(new Set([cursor.sessionId]));
      expect(flat.every((e) => e.cwd === dir && e.model === 'composer-2')).toBe(true);
      expect(flat[2]!.tool!.filePaths).toEqual([join(dir, 'a.txt')]);
      expect(flat[10]!.usage).toEqual({ model: 'composer-2', inputTokens: cursor.turns[0]!.input_tokens, outputTokens: cursor.turns[0]!.output_tokens, cacheReadTokens: cursor.turns[0]!.cache_read_tokens, cacheWriteTokens: 0 });
      expect(flat[0]!.transcriptPath).toBeUndefined();
      expect(flat[2]!.transcriptPath).toBe(cursor.transcriptPath);
      expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('two\n');
      const transcript = summarizeCursorSession({ transcript: readFileSync(cursor.transcriptPath, 'utf8'), turns: [] }).summary;
      expect(transcript.tools).toEqual([
        { name: 'Shell', count: 2 },
        { name: 'StrReplace', count: 1 },
        { name: 'Write', count: 1 },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
