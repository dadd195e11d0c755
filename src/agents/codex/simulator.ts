// A stand-in for Codex CLI, for the tests, the demo and the bench: it reads the hooks installed in
// .codex/hooks.json and runs each matching command with `sh -c`, the payload on stdin (no trailing
// newline, as Codex writes it), around real file changes made the way apply_patch makes them. The
// payload shapes are the real 0.145.0 ones (fixtures/agents/codex/hooks); it also writes a rollout
// with the lines the session summary reads (session_meta, turn_context, messages, tool calls, token_count).
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SimulatedAgent, Workspace } from '../types.js';
import { CONFIG_FILE } from './install.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

interface Handler {
  type?: string;
  command?: string;
}
interface Group {
  matcher?: string;
  hooks?: Handler[];
}

/** Codex matches tool names by regex; `Edit` and `Write` are aliases of apply_patch. */
function matches(matcher: string | undefined, tool: string | undefined): boolean {
  if (matcher === undefined || matcher === '' || matcher === '*' || tool === undefined) return true;
  const pattern = new RegExp(`^(?:${matcher})$`);
  return pattern.test(tool) || (tool === 'apply_patch' && (pattern.test('Edit') || pattern.test('Write')));
}

/** Tokens the simulated model spends per request: fixed, so tests can check the totals. */
export const SIMULATED_REQUEST = { input_tokens: 12000, cached_input_tokens: 9000, output_tokens: 400, reasoning_output_tokens: 150 } as const;

function lines(text: string): string[] {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return body === '' ? [] : body.split('\n');
}

export class SimulatedCodex implements SimulatedAgent {
  readonly sessionId: string;
  readonly transcriptPath: string;
  readonly results: RunResult[] = [];
  model = 'gpt-5.6-terra';
  private turnId: string | undefined;
  private requests = 0;
  /** How patches name files: absolute (as real rollouts show) or relative to the workspace. */
  private readonly paths: 'absolute' | 'relative';

  constructor(
    readonly workspace: Workspace,
    options: { sessionId?: string; transcriptPath?: string; paths?: 'absolute' | 'relative' } = {},
  ) {
    this.sessionId = options.sessionId ?? randomUUID();
    const day = new Date().toISOString().slice(0, 10).split('-');
    const home = workspace.env.CODEX_HOME ?? join(workspace.env.HOME ?? workspace.dir, '.codex');
    this.transcriptPath = options.transcriptPath ?? join(home, 'sessions', ...day, `rollout-${day.join('-')}T00-00-00-${this.sessionId}.jsonl`);
    this.paths = options.paths ?? 'absolute';
  }

  private base(event: string): Record<string, unknown> {
    return { session_id: this.sessionId, ...(this.turnId === undefined ? {} : { turn_id: this.turnId }), transcript_path: this.transcriptPath, cwd: this.workspace.dir, hook_event_name: event, model: this.model, permission_mode: 'default' };
  }

  /** Runs every command configured for `event` (and the tool, for tool events) the way Codex does. */
  fire(event: string, payload: Record<string, unknown>): RunResult[] {
    const configPath = join(this.workspace.dir, CONFIG_FILE);
    if (!existsSync(configPath)) return [];
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as { hooks?: Record<string, Group[]> };
    const input = JSON.stringify(payload);
    const results: RunResult[] = [];
    for (const group of config.hooks?.[event] ?? []) {
      if (!matches(group.matcher, payload.tool_name as string | undefined)) continue;
      for (const handler of group.hooks ?? []) {
        if (handler.type !== 'command' || !handler.command) continue;
        const run = spawnSync('sh', ['-c', handler.command], { cwd: this.workspace.dir, env: this.workspace.env, input, maxBuffer: 64 * 1024 * 1024 });
        const result = { stdout: run.stdout?.toString('utf8') ?? '', stderr: run.stderr?.toString('utf8') ?? '', code: run.status ?? 1 };
        results.push(result);
        this.results.push(result);
      }
    }
    return results;
  }

  private record(type: string, payload: Record<string, unknown>): void {
    mkdirSync(dirname(this.transcriptPath), { recursive: true });
    appendFileSync(this.transcriptPath, `${JSON.stringify({ timestamp: new Date().toISOString(), type, payload })}\n`);
  }

  /** One model request: its token_count, cumulative like Codex's. */
  private spend(): void {
    this.requests++;
    const total = Object.fromEntries(Object.entries(SIMULATED_REQUEST).map(([key, value]) => [key, value * this.requests]));
    const last = { ...SIMULATED_REQUEST, total_tokens: SIMULATED_REQUEST.input_tokens + SIMULATED_REQUEST.output_tokens };
    this.record('event_msg', { type: 'token_count', info: { total_token_usage: { ...total, total_tokens: (total.input_tokens ?? 0) + (total.output_tokens ?? 0) }, last_token_usage: last, model_context_window: 272000 }, rate_limits: null });
  }

  start(model = this.model): void {
    this.model = model;
    // Codex writes session_meta when the thread starts, before SessionStart runs.
    this.record('session_meta', { id: this.sessionId, timestamp: new Date().toISOString(), cwd: this.workspace.dir, originator: 'codex_cli_rs', cli_version: '0.145.0', source: 'cli', model_provider: 'openai' });
    this.fire('SessionStart', { ...this.base('SessionStart'), source: 'startup' });
  }

  prompt(text: string): void {
    this.turnId = randomUUID();
    this.record('turn_context', { turn_id: this.turnId, cwd: this.workspace.dir, model: this.model, approval_policy: 'on-request', sandbox_policy: { type: 'workspace-write' }, summary: 'auto' });
    this.record('event_msg', { type: 'user_message', message: text, images: [] });
    this.fire('UserPromptSubmit', { ...this.base('UserPromptSubmit'), prompt: text });
  }

  /** A tool call: PreToolUse, the tool's effect, then PostToolUse with its response (Codex has no failure event). */
  tool(name: string, input: Record<string, unknown>, useId: string, effect: () => unknown): string {
    const call = { ...this.base('PreToolUse'), tool_name: name, tool_input: input, tool_use_id: useId };
    if (name === 'apply_patch') this.record('response_item', { type: 'custom_tool_call', status: 'completed', call_id: useId, name, input: input.command });
    else this.record('response_item', { type: 'function_call', name: 'exec_command', arguments: JSON.stringify({ cmd: input.command, workdir: this.workspace.dir }), call_id: useId });
    this.fire('PreToolUse', call);
    const response = effect();
    this.fire('PostToolUse', { ...call, hook_event_name: 'PostToolUse', tool_response: response });
    this.spend();
    return useId;
  }

  /** A patch of `sections` applied as apply_patch applies it: `files` maps each path to its new content (null: deleted). */
  patch(sections: string[], files: Record<string, string | null>): string {
    const patch = ['*** Begin Patch', ...sections, '*** End Patch'].join('\n');
    return this.tool('apply_patch', { command: patch }, `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`, () => {
      const summary: string[] = [];
      for (const [path, content] of Object.entries(files)) {
        const file = join(this.workspace.dir, path);
        summary.push(`${content === null ? 'D' : existsSync(file) ? 'M' : 'A'} ${this.name(path)}`);
        if (content === null) rmSync(file, { force: true });
        else {
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, content);
        }
      }
      return JSON.stringify({ output: `Success. Updated the following files:\n${summary.join('\n')}\n`, metadata: { exit_code: 0, duration_seconds: 0 } });
    });
  }

  /** A path as the patch names it. */
  private name(path: string): string {
    return this.paths === 'absolute' ? join(this.workspace.dir, path) : path;
  }

  /** The whole file: Add File for a new one; an existing one rewritten by one hunk replacing every line. */
  write(path: string, content: string): string {
    const file = join(this.workspace.dir, path);
    const added = lines(content).map((line) => `+${line}`);
    if (!existsSync(file)) return this.patch([`*** Add File: ${this.name(path)}`, ...added], { [path]: content });
    const removed = lines(readFileSync(file, 'utf8')).map((line) => `-${line}`);
    return this.patch([`*** Update File: ${this.name(path)}`, '@@', ...removed, ...added], { [path]: content });
  }

  /** Replaces the first `oldString`: one hunk over the lines it spans, with a line of context each side. */
  edit(path: string, oldString: string, newString: string): string {
    const text = readFileSync(join(this.workspace.dir, path), 'utf8');
    const at = text.indexOf(oldString);
    if (at < 0) throw new Error(`old string not found in ${path}`);
    const after = text.slice(0, at) + newString + text.slice(at + oldString.length);
    const before = lines(text);
    const startLine = text.slice(0, at).split('\n').length - 1;
    const oldEnd = text.slice(0, at + oldString.length).split('\n').length - 1;
    const newEnd = after.slice(0, at + newString.length).split('\n').length - 1;
    const afterLines = lines(after);
    const tail = before.length - 1 - oldEnd;
    const hunk = [
      ...(startLine > 0 ? [` ${before[startLine - 1]}`] : []),
      ...before.slice(startLine, oldEnd + 1).map((line) => `-${line}`),
      ...afterLines.slice(startLine, newEnd + 1).map((line) => `+${line}`),
      ...(tail > 0 ? [` ${before[oldEnd + 1]}`] : []),
    ];
    return this.patch([`*** Update File: ${this.name(path)}`, '@@', ...hunk], { [path]: after });
  }

  remove(path: string): string {
    return this.patch([`*** Delete File: ${this.name(path)}`], { [path]: null });
  }

  bash(command: string): string {
    return this.tool('Bash', { command }, `exec-${randomUUID()}`, () => {
      const run = spawnSync('sh', ['-c', command], { cwd: this.workspace.dir, env: this.workspace.env });
      return `${run.stdout?.toString('utf8') ?? ''}${run.stderr?.toString('utf8') ?? ''}`;
    });
  }

  end(): void {
    this.record('event_msg', { type: 'task_complete', turn_id: this.turnId, last_agent_message: 'Done.' });
    // Real 0.145.0 SessionEnd: no turn_id, model or permission_mode.
    this.fire('SessionEnd', { session_id: this.sessionId, transcript_path: this.transcriptPath, cwd: this.workspace.dir, hook_event_name: 'SessionEnd', reason: 'other' });
  }
}
