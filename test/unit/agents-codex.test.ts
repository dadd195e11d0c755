import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { hooks } from '../../src/agents/codex/hooks.js';
import { agent } from '../../src/agents/codex/index.js';
import { CONFIG_FILE, hookCommand, hooksInstalled, planInstallText, removeHooks } from '../../src/agents/codex/install.js';
import { parsePatch, patchPaths, reverseApply } from '../../src/agents/patch.js';
import { summarizeCodexRollout } from '../../src/agents/codex/rollout.js';
import { codexSessionFromRollout, readCodexSession } from '../../src/agents/codex/session.js';
import { SIMULATED_REQUEST, type SimulatedCodex } from '../../src/agents/codex/simulator.js';
import type { CaptureEvent, ToolCall } from '../../src/agents/types.js';
import { declaredLines } from '../../src/core/concurrency.js';
import type { ToolCallRecord } from '../../src/store.js';

// Real Codex data, beside the repository (CI has ../shared next to the clone); never copied in.
const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/agents/codex/', import.meta.url));
const ROLLOUTS = readdirSync(join(FIXTURES, 'rollouts')).filter((name) => name.endsWith('.jsonl')).sort();

type Json = Record<string, unknown>;
interface Usage {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
}
/** The parts of a rollout line the tests read. */
interface RolloutLine {
  timestamp?: string;
  type: string;
  payload: {
    type?: string;
    name?: string;
    call_id?: string;
    input?: string;
    changes?: Record<string, unknown>;
    info?: { total_token_usage: Usage; last_token_usage: Usage } | null;
    id?: string;
    cli_version?: string;
    cwd?: string;
  };
}
interface HooksJson {
  hooks: Record<string, { matcher?: string; hooks: { type: string; command: string; timeout?: number }[] }[]>;
  note?: string;
}

const jsonl = <T = Json>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);

/** `SessionStart` → `session-start`: the argument the installed config passes for a Codex event. */
const eventArg = (hookEventName: string): string => hookEventName.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();

const REAL_PAYLOADS = jsonl(join(FIXTURES, 'hooks', 'tma_codex0.145.0_captured-redacted.jsonl'));

function parsedEvents(event: string, payload: unknown): CaptureEvent[] {
  const result = hooks.parse(event, payload);
  if (!result.ok) throw new Error(`parse failed: ${result.problems.join('; ')}`);
  return result.events;
}

describe('hooks.parse on the real 0.145.0 payloads', () => {
  const byEvent = (name: string): Json => REAL_PAYLOADS.find((payload) => payload.hook_event_name === name)!;

  it('parses every payload without a problem', () => {
    expect(REAL_PAYLOADS.length).toBe(7);
    for (const payload of REAL_PAYLOADS) expect(hooks.parse(eventArg(payload.hook_event_name as string), payload).ok).toBe(true);
  });

  it('SessionStart: session, model, source, rollout path, cwd', () => {
    const [event] = parsedEvents('session-start', byEvent('SessionStart'));
    expect(event).toMatchObject({ name: 'session-start', sessionId: '019f8aac-ff01-75d0-9bb1-7f0eab253ce7', model: 'gpt-5.6-sol', source: 'startup', transcriptPath: '<TRANSCRIPT>', cwd: '<CWD>' });
  });

  it('UserPromptSubmit: the prompt, paired by its turn id', () => {
    const [event] = parsedEvents('user-prompt-submit', byEvent('UserPromptSubmit'));
    expect(event).toMatchObject({ name: 'user-prompt-submit', prompt: 'Reply with exactly: OK', promptId: '019f8aac-ff28-7152-9869-f1ff031df848', model: 'gpt-5.6-sol' });
  });

  it('SessionEnd: reason "other" and no model (0.145.0 sends none)', () => {
    const [event] = parsedEvents('session-end', byEvent('SessionEnd'));
    expect(event).toMatchObject({ name: 'session-end', reason: 'other', model: undefined });
  });

  it('Bash Pre/PostToolUse: one shell call with the exec-<uuid> id, no file paths', () => {
    const [pre] = parsedEvents('pre-tool-use', byEvent('PreToolUse'));
    const [post] = parsedEvents('post-tool-use', byEvent('PostToolUse'));
    expect(pre!.tool).toMatchObject({ name: 'Bash', kind: 'shell', useId: 'exec-4db29871-277d-4e22-a534-937704bd3bf6', filePaths: [] });
    expect(post).toMatchObject({ name: 'post-tool-use', model: 'gpt-5.6-terra', cwd: '<CWD>' });
    expect(post!.tool).toMatchObject({ useId: pre!.tool!.useId, kind: 'shell', response: 'hello-from-tma\n' });
    expect(hooks.shellCommand('Bash', post!.tool!.input)).toBe('echo hello-from-tma');
  });

  it('a subagent’s call (0.171.0 multi_agent_v2): the parent’s session, the subagent as agentId, and not the subagent’s rollout as the session’s', () => {
    const payload = {
      session_id: '01a234b1-a64c-7942-a1fd-c0d2b47c0f2a',
      turn_id: '01a234b1-a8ea-7f43-9960-8c2331bb5fb5',
      agent_id: '01a234b1-a8db-7bb1-a4fa-2a25728ea88b',
      agent_type: 'default',
      transcript_path: '/h/.codex/sessions/2026/12/02/rollout-2026-12-02T02-59-48-01a234b1-a8db-7bb1-a4fa-2a25728ea88b.jsonl',
      cwd: '/r',
      hook_event_name: 'PreToolUse',
      model: 'gpt-5.5',
      permission_mode: 'bypassPermissions',
      tool_name: 'Bash',
      tool_use_id: 'call_1',
      tool_input: { command: 'ls' },
    };
    expect(parsedEvents('pre-tool-use', payload)).toEqual([expect.objectContaining({ sessionId: payload.session_id, agentId: payload.agent_id, transcriptPath: undefined })]);
    const main: Record<string, unknown> = { ...payload };
    delete main.agent_id;
    delete main.agent_type;
    expect(parsedEvents('pre-tool-use', main)).toEqual([expect.objectContaining({ agentId: undefined, transcriptPath: payload.transcript_path })]);
  });

  it('PermissionRequest, Stop and the legacy notify JSON become no events', () => {
    expect(parsedEvents('permission-request', byEvent('PermissionRequest'))).toEqual([]);
    expect(parsedEvents('stop', byEvent('Stop'))).toEqual([]);
    const notify = JSON.parse(readFileSync(join(FIXTURES, 'hooks', 'tma_codex-notify-argv_captured-redacted.json'), 'utf8')) as unknown;
    expect(parsedEvents('notify', notify)).toEqual([]);
  });

  it('tools that write no file and run nothing (MCP) become no events; a bad payload lists every problem', () => {
    expect(parsedEvents('pre-tool-use', { ...byEvent('PreToolUse'), tool_name: 'mcp__github__search' })).toEqual([]);
    const bad = hooks.parse('post-tool-use', { session_id: 7, tool_name: 'Bash', tool_input: 'ls', cwd: 3 });
    expect(bad).toEqual({ ok: false, ignored: false, problems: ['session_id: expected a string', 'cwd: expected a string', 'tool_use_id: expected a string', 'tool_input: expected an object'] });
  });

  it('a payload relayed by Cursor is ignored, not an error', () => {
    expect(hooks.parse('pre-tool-use', { ...byEvent('PreToolUse'), cursor_version: '3.9.16' })).toMatchObject({ ok: false, ignored: true });
  });
});

/** The rollouts' apply_patch calls, with the files Codex reported changing (`patch_apply_end.changes`). */
function realPatches(): { input: string; changed: string[] }[] {
  const calls: { input: string; changed: string[] }[] = [];
  for (const name of ROLLOUTS) {
    const lines = jsonl<RolloutLine>(join(FIXTURES, 'rollouts', name));
    for (const line of lines) {
      if (line.type !== 'response_item' || line.payload.type !== 'custom_tool_call' || line.payload.name !== 'apply_patch') continue;
      const end = lines.find((other) => other.payload.type === 'patch_apply_end' && other.payload.call_id === line.payload.call_id);
      calls.push({ input: line.payload.input!, changed: Object.keys(end?.payload.changes ?? {}) });
    }
  }
  return calls;
}

describe('apply_patch', () => {
  const prePayload = REAL_PAYLOADS.find((payload) => payload.hook_event_name === 'PreToolUse')!;
  const patchCall = (patch: string, useId = 'call_x'): ToolCall => {
    const [event] = parsedEvents('pre-tool-use', { ...prePayload, tool_name: 'apply_patch', tool_use_id: useId, tool_input: { command: patch } });
    return event!.tool!;
  };

  it('the real rollouts\' patches: one file call naming the files Codex reported changing', () => {
    const calls = realPatches();
    expect(calls.length).toBe(4);
    for (const call of calls) {
      const tool = patchCall(call.input);
      expect(tool.kind).toBe('file');
      expect(tool.filePaths.length).toBeGreaterThan(0);
      // The stored patch texts are cut at 300 characters: every header left names a changed file.
      for (const path of tool.filePaths) expect(call.changed).toContain(path);
    }
    // The first call adds theme.js and updates the files after it, in patch order.
    expect(patchCall(calls[0]!.input).filePaths[0]).toBe('/Users/goose-guest/Documents/work/planetfall-seed-signalkit/src/theme.js');
    expect(patchCall(calls[3]!.input).filePaths).toEqual(calls[3]!.changed);
  });

  const PATCH = [
    '*** Begin Patch',
    '*** Add File: src/new.ts',
    '+export const a = 1;',
    '+export const b = 2;',
    '*** Update File: src/cli.ts',
    '@@ function main() {',
    "   program.option('-q');",
    "-  program.option('-v');",
    "+  program.option('-v').option('--json');",
    "+  program.option('--yes');",
    '   program.parse();',
    '@@',
    '-old tail',
    '+new tail',
    '*** End of File',
    '*** Update File: src/old.ts',
    '*** Move to: src/renamed.ts',
    '@@',
    '-const x = 1;',
    '+const x = 2;',
    '*** Delete File: src/gone.ts',
    '*** End Patch',
  ].join('\n');
  const CLI_BEFORE = "import x;\nfunction main() {\n  program.option('-q');\n  program.option('-v');\n  program.parse();\n}\nold tail\n";
  const CLI_AFTER = "import x;\nfunction main() {\n  program.option('-q');\n  program.option('-v').option('--json');\n  program.option('--yes');\n  program.parse();\n}\nnew tail\n";

  it('names every file a patch writes, a move both ways, relative to the call\'s cwd', () => {
    const tool = patchCall(PATCH);
    expect(tool.filePaths).toEqual(['src/new.ts', 'src/cli.ts', 'src/old.ts', 'src/renamed.ts', 'src/gone.ts']);
    expect(parsedEvents('pre-tool-use', { ...prePayload, tool_name: 'functions.apply_patch', tool_input: PATCH })[0]!.tool).toMatchObject({ kind: 'file', input: { command: PATCH }, filePaths: tool.filePaths });
    expect(patchPaths(parsePatch(`*** Begin Patch\r\n*** Update File: a b.txt\r\n@@\r\n-x\r\n+y\r\n*** End Patch\r\n`))).toEqual(['a b.txt']);
  });

  it('works the before back: absent for an add or a move target, hunks undone for an update, unknown for a delete', () => {
    const tool = patchCall(PATCH);
    expect(hooks.contentBeforeCall(tool, 'src/new.ts', 'export const a = 1;\nexport const b = 2;\n')).toBeNull();
    expect(hooks.contentBeforeCall(tool, 'src/cli.ts', CLI_AFTER)).toBe(CLI_BEFORE);
    expect(hooks.contentBeforeCall(tool, 'src/cli.ts', CLI_AFTER.replace(/\n/g, '\r\n'))).toBe(CLI_BEFORE.replace(/\n/g, '\r\n'));
    expect(hooks.contentBeforeCall(tool, 'src/renamed.ts', 'const x = 2;\n')).toBeNull();
    expect(hooks.contentBeforeCall(tool, 'src/old.ts', null)).toBeUndefined();
    expect(hooks.contentBeforeCall(tool, 'src/gone.ts', null)).toBeUndefined();
    // Someone changed the lines since: the hunk no longer matches, so the before is unknown, not guessed.
    expect(hooks.contentBeforeCall(tool, 'src/cli.ts', CLI_AFTER.replace('--yes', '--no'))).toBeUndefined();
    expect(hooks.contentBeforeCall(tool, 'src/other.ts', 'x\n')).toBeUndefined();
  });

  it('matches a repository-relative path to an absolute patch path, and a patch path relative to a subdirectory cwd', () => {
    const absolute = patchCall('*** Begin Patch\n*** Update File: /home/ana/repo/src/a.ts\n@@\n-1\n+2\n*** End Patch');
    expect(hooks.contentBeforeCall(absolute, 'src/a.ts', '0\n2\n')).toBe('0\n1\n');
    const relative = patchCall('*** Begin Patch\n*** Update File: a.ts\n@@\n-1\n+2\n*** End Patch');
    expect(hooks.contentBeforeCall(relative, 'src/a.ts', '2\n')).toBe('1\n');
    // Two patch paths that name the same file equally well: not guessed.
    const twice = patchCall('*** Begin Patch\n*** Update File: x/a.ts\n@@\n-1\n+2\n*** Update File: y/a.ts\n@@\n-1\n+2\n*** End Patch');
    expect(hooks.contentBeforeCall(twice, 'a.ts', '2\n')).toBeUndefined();
  });

  it('declares the + lines of each file: the whole content of an added file, the added runs of an update', () => {
    const tool = patchCall(PATCH);
    expect(hooks.declaredWrites('apply_patch', tool.input, 'src/new.ts')).toEqual({ kind: 'content', text: 'export const a = 1;\nexport const b = 2;\n' });
    const cli = hooks.declaredWrites('apply_patch', tool.input, 'src/cli.ts')!;
    const afterLines = CLI_AFTER.split('\n');
    const mask = declaredLines(afterLines, cli);
    expect(afterLines.filter((_, i) => mask[i])).toEqual(["  program.option('-v').option('--json');", "  program.option('--yes');", 'new tail']);
    expect(hooks.declaredWrites('apply_patch', tool.input, 'src/gone.ts')).toEqual({ kind: 'fragments', fragments: [] });
    expect(hooks.declaredWrites('apply_patch', tool.input, 'src/old.ts')).toEqual({ kind: 'fragments', fragments: [] });
    expect(hooks.declaredWrites('Bash', { command: 'ls' }, 'src/cli.ts')).toBeUndefined();
    // UTF-8 text is declared in the Latin-1 form stored texts use.
    const utf8 = patchCall('*** Begin Patch\n*** Add File: é.txt\n+café\n*** End Patch');
    expect(hooks.declaredWrites('apply_patch', utf8.input, 'é.txt')).toEqual({ kind: 'content', text: Buffer.from('café\n').toString('latin1') });
  });

  it('a post whose patch failed (exit code ≠ 0) is a post-tool-use-failure', () => {
    const payload = { ...prePayload, hook_event_name: 'PostToolUse', tool_name: 'apply_patch', tool_use_id: 'call_f', tool_input: { command: PATCH } };
    const failed = JSON.stringify({ output: 'apply_patch verification failed: context not found', metadata: { exit_code: 1 } });
    expect(parsedEvents('post-tool-use', { ...payload, tool_response: failed })[0]).toMatchObject({ name: 'post-tool-use-failure', error: 'apply_patch verification failed: context not found' });
    const done = JSON.stringify({ output: 'Success. Updated the following files:\nM src/cli.ts\n', metadata: { exit_code: 0 } });
    expect(parsedEvents('post-tool-use', { ...payload, tool_response: done })[0]!.name).toBe('post-tool-use');
  });

  it('reverseApply refuses a patch whose new lines are not in the file', () => {
    const sections = parsePatch('*** Update File: a\n@@\n-a\n+b\n').filter((s) => s.kind === 'update');
    expect(reverseApply('c\n', sections)).toBeUndefined();
    expect(reverseApply('b', sections)).toBe('a');
  });
});

describe('install', () => {
  const OTHER = `${JSON.stringify(
    {
      hooks: {
        PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './scripts/guard.sh', timeout: 5 }] }],
        Stop: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }],
      },
      note: 'kept',
    },
    null,
    2,
  )}\n`;

  it('merges trace\'s hooks into a config with other hooks, idempotently, and takes them out byte-identically', () => {
    const plan = planInstallText(OTHER);
    expect(plan).toMatchObject({ file: CONFIG_FILE, status: 'installed', original: OTHER });
    const merged = JSON.parse(plan.text!) as HooksJson;
    expect(merged.note).toBe('kept');
    expect(merged.hooks.Stop).toEqual([{ hooks: [{ type: 'command', command: 'notify-send done' }] }]);
    expect(merged.hooks.PreToolUse![0]!.hooks[0]!.command).toBe('./scripts/guard.sh');
    expect(merged.hooks.PreToolUse![1]).toEqual({ matcher: 'apply_patch|Edit|Write|Bash', hooks: [{ type: 'command', command: hookCommand('pre-tool-use'), timeout: 30 }] });
    expect(merged.hooks.SessionEnd![0]!.hooks[0]).toEqual({ type: 'command', command: 'if command -v trace >/dev/null 2>&1; then trace hook codex session-end; fi', timeout: 3 });
    expect(Object.keys(merged.hooks)).toEqual(['PreToolUse', 'Stop', 'SessionStart', 'SessionEnd', 'UserPromptSubmit', 'PostToolUse']);
    expect(hooksInstalled(plan.text!, CONFIG_FILE)).toBe(true);
    expect(hooksInstalled(OTHER, CONFIG_FILE)).toBe(false);
    expect(planInstallText(plan.text)).toMatchObject({ status: 'unchanged', text: undefined });
    expect(removeHooks(plan.text!, CONFIG_FILE)).toEqual({ text: OTHER, removed: 6 });
  });

  it('a file trace created is left with nothing: null', () => {
    const plan = planInstallText(undefined);
    expect(plan.status).toBe('installed');
    expect(removeHooks(plan.text!, CONFIG_FILE)).toEqual({ text: null, removed: 6 });
  });

  it('upgrades the bare command of an older install in place', () => {
    const old = JSON.parse(planInstallText(undefined).text!) as HooksJson;
    old.hooks.PostToolUse![0]!.hooks[0]!.command = 'trace hook codex post-tool-use';
    const text = `${JSON.stringify(old, null, 4)}\n`;
    expect(hooksInstalled(text, CONFIG_FILE)).toBe(false);
    const plan = planInstallText(text);
    expect(plan.status).toBe('upgraded');
    expect(plan.text).toContain('\n    "hooks": {');
    expect((JSON.parse(plan.text!) as HooksJson).hooks.PostToolUse![0]!.hooks[0]!.command).toBe(hookCommand('post-tool-use'));
  });

  it('refuses a config it cannot read, naming every bad field', () => {
    expect(() => planInstallText('{"hooks":{"PreToolUse":{},"Stop":[3]}}')).toThrow(/hooks\.PreToolUse: must be an array[\s\S]*hooks\.Stop\[0\]: must be an object/);
    expect(() => planInstallText('{')).toThrow(/not valid JSON/);
  });

  it('the agent says how to trust the hooks in Codex', () => {
    expect(agent.afterInstall?.join(' ')).toMatch(/\/hooks/);
    expect(agent).toMatchObject({ configFile: '.codex/hooks.json', configDir: '.codex', executable: 'codex', displayName: 'Codex CLI' });
    expect(agent.hooks.name).toBe('codex');
  });
});

/** An independent reading of a rollout: the last cumulative total, the calls, the prompts. */
function independentReading(lines: RolloutLine[]) {
  const counts = lines.filter((line) => line.type === 'event_msg' && line.payload.type === 'token_count' && line.payload.info).map((line) => line.payload.info!);
  const last = counts[counts.length - 1]!.total_token_usage;
  const callIds = new Set(lines.filter((line) => line.type === 'response_item' && ['function_call', 'custom_tool_call'].includes(line.payload.type ?? '')).map((line) => line.payload.call_id));
  const prompts = lines.filter((line) => line.type === 'event_msg' && line.payload.type === 'user_message').length;
  // Cost: each request's last_token_usage once (a total equal to the one before is a repeat) at the
  // gpt-5.5 rates of the reference (§11.2): 5 / 30 / 0.50 cached, doubled input and 1.5x output over 272K prompt tokens.
  let cost = 0;
  let previous = '';
  for (const info of counts) {
    const key = JSON.stringify(info.total_token_usage);
    if (key === previous) continue;
    previous = key;
    const u = info.last_token_usage;
    const long = u.input_tokens > 272_000;
    cost += ((u.input_tokens - u.cached_input_tokens) * (long ? 10 : 5) + u.cached_input_tokens * (long ? 1 : 0.5) + u.output_tokens * (long ? 45 : 30)) / 1e6;
  }
  return { last, calls: callIds.size, prompts, cost };
}

describe('rollout summary on the real rollouts', () => {
  it.each(ROLLOUTS)('%s', (name) => {
    const text = readFileSync(join(FIXTURES, 'rollouts', name), 'utf8');
    const lines = jsonl<RolloutLine>(join(FIXTURES, 'rollouts', name));
    const expected = independentReading(lines);
    const { summary, reasoningOutputTokens } = summarizeCodexRollout(text);
    expect(summary.usage).toEqual({
      inputTokens: expected.last.input_tokens - expected.last.cached_input_tokens,
      cacheReadInputTokens: expected.last.cached_input_tokens,
      outputTokens: expected.last.output_tokens,
      cacheCreationInputTokens: 0,
      cacheCreation5mInputTokens: 0,
      cacheCreation1hInputTokens: 0,
      totalTokens: expected.last.total_tokens,
    });
    expect(reasoningOutputTokens).toBe(expected.last.reasoning_output_tokens);
    expect(summary.primaryModel).toBe('gpt-5.5');
    expect(summary.modelsUsed).toEqual(['gpt-5.5']);
    expect(summary.usageByModel[0]).toMatchObject({ inputTokens: summary.usage.inputTokens, outputTokens: summary.usage.outputTokens, cacheReadInputTokens: summary.usage.cacheReadInputTokens });
    expect(summary.estimatedCostUsd).toBeCloseTo(expected.cost, 5);
    expect(summary.costComplete).toBe(true);
    expect(summary.totalToolInvocations).toBe(expected.calls);
    expect(summary.tools.reduce((n, tool) => n + tool.count, 0)).toBe(expected.calls);
    expect(summary.messages.user).toBe(expected.prompts);
    const meta = lines.find((line) => line.type === 'session_meta')!.payload;
    expect(summary).toMatchObject({ sessionId: meta.id, version: meta.cli_version, cwd: meta.cwd, startedAt: lines[0]!.timestamp, invalidLines: 0 });
    expect(summary.warnings).toEqual([]);
  });

  it('repeated session_meta lines and a compaction: one session, totals not summed', () => {
    const name = ROLLOUTS.find((n) => n.includes('compacted'))!;
    const text = readFileSync(join(FIXTURES, 'rollouts', name), 'utf8');
    const { summary } = summarizeCodexRollout(text);
    expect(summary.compactions).toBe(1);
    expect(summary.tools.find((tool) => tool.name === 'apply_patch')?.count).toBe(4);
    // Summing the totals instead of taking the last would be many times larger.
    const summed = jsonl<RolloutLine>(join(FIXTURES, 'rollouts', name))
      .flatMap((line) => (line.payload.type === 'token_count' && line.payload.info ? [line.payload.info.total_token_usage.output_tokens] : []))
      .reduce((n, output) => n + output, 0);
    expect(summary.usage.outputTokens).toBeLessThan(summed / 5);
  });

  it('conversation: the person\'s prompts and every tool call, in order; records as they are', () => {
    const name = ROLLOUTS.find((n) => n.includes('whole'))!;
    const text = readFileSync(join(FIXTURES, 'rollouts', name), 'utf8');
    const read = codexSessionFromRollout(text);
    expect(read.conversation![0]).toMatchObject({ type: 'prompt' });
    expect(read.conversation!.filter((entry) => entry.type === 'tool_call')).toHaveLength(9);
    expect(read.records).toHaveLength(51);
    expect(read.warnings.join(' ')).toMatch(/credits/);
  });

  it('a truncated last line, no usage and an unknown model are warnings, not failures', () => {
    const text = [
      JSON.stringify({ timestamp: '2026-01-01T00:00:00Z', type: 'turn_context', payload: { model: 'gpt-9-unknown' } }),
      JSON.stringify({ timestamp: '2026-01-01T00:00:01Z', type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: { input_tokens: 10, cached_input_tokens: 4, output_tokens: 2 }, last_token_usage: { input_tokens: 10, cached_input_tokens: 4, output_tokens: 2 } } } }),
      '{"timestamp":"2026-01-01T00:00:02Z","type":"event_m',
    ].join('\n');
    const { summary } = summarizeCodexRollout(text);
    expect(summary.usage).toMatchObject({ inputTokens: 6, cacheReadInputTokens: 4, outputTokens: 2 });
    expect(summary.estimatedCostUsd).toBeUndefined();
    expect(summary.warnings.join('\n')).toMatch(/last line is incomplete[\s\S]*no price for model "gpt-9-unknown"/);
    expect(summarizeCodexRollout('').summary.warnings).toContain('the rollout has no token_count with usage; session usage is unknown');
  });

  it('reading: a subagent thread’s rollout beside the parent’s joins the totals and the subagents; one not found is a warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'codex-sub-'));
    const tokens = (input: number, output: number) => JSON.stringify({ type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: { input_tokens: input, cached_input_tokens: 0, output_tokens: output } } } });
    const started = (id: string) => JSON.stringify({ type: 'event_msg', payload: { type: 'item_completed', item: { type: 'SubAgentActivity', kind: 'started', agent_thread_id: id, agent_path: `/root/${id}` } } });
    const spawn = JSON.stringify({ type: 'response_item', payload: { type: 'function_call', name: 'spawn_agent', namespace: 'collaboration', arguments: '{}', call_id: 'c1' } });
    const model = JSON.stringify({ type: 'turn_context', payload: { model: 'gpt-5.5' } });
    const parent = join(dir, 'rollout-2026-12-02T02-59-47-parent.jsonl');
    writeFileSync(parent, [model, spawn, started('child'), tokens(930, 52)].join('\n'));
    writeFileSync(join(dir, 'rollout-2026-12-02T02-59-48-child.jsonl'), [model, tokens(810, 44)].join('\n'));
    try {
      const read = await readCodexSession({ id: 'parent', transcript_path: parent });
      expect(read.summary!.usage).toMatchObject({ inputTokens: 1740, outputTokens: 96 });
      expect(read.summary!.usageByModel).toEqual([expect.objectContaining({ model: 'gpt-5.5', inputTokens: 1740, outputTokens: 96 })]);
      expect(read.summary!.subagents).toEqual([expect.objectContaining({ id: 'child', type: '/root/child', usage: expect.objectContaining({ inputTokens: 810, outputTokens: 44 }) as unknown })]);
      expect(read.summary!.warnings.join('\n')).not.toMatch(/subagent/);
      writeFileSync(parent, [model, spawn, started('child'), started('gone'), tokens(930, 52)].join('\n'));
      const partial = await readCodexSession({ id: 'parent', transcript_path: parent });
      expect(partial.summary!.usage).toMatchObject({ inputTokens: 1740 });
      expect(partial.warnings.join('\n')).toMatch(/subagent thread gone: no rollout beside/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reading: a missing rollout or none recorded is a warning', async () => {
    expect((await readCodexSession({ id: 's', transcript_path: null })).summary).toBeNull();
    const missing = await readCodexSession({ id: 's', transcript_path: '/nonexistent/rollout.jsonl' });
    expect(missing.warnings[0]).toMatch(/not found/);
  });

  it('says when the rollout holds apply_patch calls the hooks never saw', async () => {
    const path = join(FIXTURES, 'rollouts', ROLLOUTS.find((n) => n.includes('compacted'))!);
    const store = (names: string[]) => ({ toolCalls: () => names.map((tool_name) => ({ tool_name }) as ToolCallRecord) });
    const unseen = await readCodexSession({ id: 's', transcript_path: path }, store(['Bash', 'apply_patch']));
    expect(unseen.warnings.join('\n')).toMatch(/3 of 4 apply_patch call\(s\) in the Codex rollout were not seen/);
    const seen = await readCodexSession({ id: 's', transcript_path: path }, store(['apply_patch', 'apply_patch', 'apply_patch', 'apply_patch']));
    expect(seen.warnings.join('\n')).not.toMatch(/not seen/);
  });
});

describe('SimulatedCodex', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the installed commands with payloads that parse into the calls it made, around the real changes', () => {
    dir = mkdtempSync(join(tmpdir(), 'codex-sim-'));
    const work = join(dir, 'work');
    const bin = join(dir, 'bin');
    mkdirSync(join(work, '.codex'), { recursive: true });
    mkdirSync(bin);
    // A stand-in `trace` that records its arguments and stdin, one JSON line per call.
    const log = join(dir, 'calls.jsonl');
    writeFileSync(join(bin, 'trace'), `#!/bin/sh\nnode -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>require("fs").appendFileSync(process.argv[1], JSON.stringify({args:process.argv.slice(2),stdin:s})+"\\n"))' ${JSON.stringify(log)} "$@"\n`);
    chmodSync(join(bin, 'trace'), 0o755);
    writeFileSync(join(work, CONFIG_FILE), planInstallText(undefined).text!);
    writeFileSync(join(work, 'a.txt'), 'one\ntwo\nthree\n');
    const sim = agent.simulate({ dir: work, env: { ...process.env, HOME: dir, PATH: `${bin}:${process.env.PATH}` } }) as SimulatedCodex;
    sim.start('gpt-5.6-terra');
    sim.prompt('change two');
    const editId = sim.edit('a.txt', 'two', 'TWO\nand more');
    const writeId = sim.write('b.txt', 'new\n');
    sim.bash('echo hi > c.txt');
    sim.end();
    expect(readFileSync(join(work, 'a.txt'), 'utf8')).toBe('one\nTWO\nand more\nthree\n');
    expect(readFileSync(join(work, 'c.txt'), 'utf8')).toBe('hi\n');
    expect(sim.results.every((result) => result.code === 0)).toBe(true);

    // The guard's own PreToolUse entry runs for each call too (test/integration/guard-agents.test.ts).
    const all = jsonl(log);
    const calls = all.filter((call) => (call.args as string[])[2] !== 'guard');
    expect(all.length - calls.length).toBe(3);
    expect(calls.map((call) => (call.args as string[]).join(' '))).toEqual([
      'hook codex session-start',
      'hook codex user-prompt-submit',
      ...['a', 'b', 'c'].flatMap(() => ['hook codex pre-tool-use', 'hook codex post-tool-use']),
      'hook codex session-end',
    ]);
    const events = calls.flatMap((call) => parsedEvents((call.args as string[])[2]!, JSON.parse(call.stdin as string)));
    expect(events.every((event) => event.sessionId === sim.sessionId)).toBe(true);
    expect(events[0]).toMatchObject({ model: 'gpt-5.6-terra', transcriptPath: sim.transcriptPath });
    const edit = events.find((event) => event.name === 'post-tool-use' && event.tool?.useId === editId)!;
    expect(edit.tool!.filePaths).toEqual([join(work, 'a.txt')]);
    expect(hooks.contentBeforeCall(edit.tool!, 'a.txt', readFileSync(join(work, 'a.txt'), 'utf8'))).toBe('one\ntwo\nthree\n');
    const write = events.find((event) => event.name === 'pre-tool-use' && event.tool?.useId === writeId)!;
    expect(hooks.contentBeforeCall(write.tool!, 'b.txt', 'new\n')).toBeNull();
    expect(events.filter((event) => event.tool?.kind === 'shell').map((event) => event.tool!.useId)).toEqual([expect.stringMatching(/^exec-/), expect.stringMatching(/^exec-/)]);

    // The rollout it wrote reads back with its fixed spend per request.
    const { summary } = summarizeCodexRollout(readFileSync(sim.transcriptPath, 'utf8'));
    expect(summary).toMatchObject({ sessionId: sim.sessionId, primaryModel: 'gpt-5.6-terra', totalToolInvocations: 3 });
    expect(summary.usage.outputTokens).toBe(3 * SIMULATED_REQUEST.output_tokens);
    expect(summary.usage.inputTokens).toBe(3 * (SIMULATED_REQUEST.input_tokens - SIMULATED_REQUEST.cached_input_tokens));
  });
});
