// A stand-in for Cursor (tests, demo, bench): it reads the hooks installed in .cursor/hooks.json and
// runs each matching command with `sh -c`, the payload on stdin, around real file changes, with the
// payload shapes of the real Cursor captures (../shared/fixtures/agents/cursor/): conversation_id,
// workspace_roots, `cwd: ""` on tool events, transcript_path null until the first turn is under way,
// per-turn tokens on `stop`. It also writes Cursor's agent transcript where Cursor keeps it.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SimulatedAgent, Workspace } from '../types.js';
import { transcriptCandidates } from './session.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Token counts of one turn, as Cursor's stop hook reports them. */
export interface SimulatedTurnUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

interface Entry {
  command?: string;
  matcher?: string;
  type?: string;
}

export const SIMULATED_CURSOR_VERSION = '3.9.16';

/** Cursor's matcher is a regular expression tested against the tool name. */
function matches(matcher: string | undefined, tool: string | undefined): boolean {
  if (matcher === undefined || matcher === '' || tool === undefined) return true;
  return new RegExp(matcher).test(tool);
}

export class SimulatedCursor implements SimulatedAgent {
  readonly sessionId: string;
  readonly transcriptPath: string;
  readonly results: RunResult[] = [];
  /** What each closed turn's stop hook reported. */
  readonly turns: SimulatedTurnUsage[] = [];
  private model = 'default';
  private modelId = 'default';
  private generationId: string;
  private turnOpen = false;
  private turnCalls = 0;
  private transcriptStarted = false;

  constructor(
    readonly workspace: Workspace,
    options: { sessionId?: string } = {},
  ) {
    this.sessionId = options.sessionId ?? randomUUID();
    this.generationId = this.sessionId;
    this.transcriptPath = transcriptCandidates(this.sessionId, workspace.dir, workspace.env.HOME ?? workspace.dir)[0]!;
  }

  /** Runs every command configured for `event` (and the tool, for tool events) the way Cursor does. */
  fire(event: string, payload: Record<string, unknown>, options: { raw?: string } = {}): RunResult[] {
    const configPath = join(this.workspace.dir, '.cursor', 'hooks.json');
    if (!existsSync(configPath)) return [];
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as { hooks?: Record<string, Entry[]> };
    const input =
      options.raw ??
      JSON.stringify({
        conversation_id: this.sessionId,
        generation_id: this.generationId,
        model: this.model,
        ...payload,
        session_id: this.sessionId,
        hook_event_name: event,
        cursor_version: SIMULATED_CURSOR_VERSION,
        workspace_roots: [this.workspace.dir],
        user_email: 'dev@example.com',
        transcript_path: this.transcriptStarted ? this.transcriptPath : null,
      });
    const results: RunResult[] = [];
    for (const entry of config.hooks?.[event] ?? []) {
      if (!entry.command || (entry.type !== undefined && entry.type !== 'command')) continue;
      if (!matches(entry.matcher, payload.tool_name as string | undefined)) continue;
      const env = { ...this.workspace.env, CURSOR_PROJECT_DIR: this.workspace.dir, CLAUDE_PROJECT_DIR: this.workspace.dir, CURSOR_VERSION: SIMULATED_CURSOR_VERSION, CURSOR_TRANSCRIPT_PATH: this.transcriptPath };
      const result = spawnSync('sh', ['-c', entry.command], { cwd: this.workspace.dir, env, input, maxBuffer: 64 * 1024 * 1024 });
      const run = { stdout: result.stdout?.toString('utf8') ?? '', stderr: result.stderr?.toString('utf8') ?? '', code: result.status ?? 1 };
      results.push(run);
      this.results.push(run);
    }
    return results;
  }

  private transcript(line: Record<string, unknown>): void {
    mkdirSync(dirname(this.transcriptPath), { recursive: true });
    appendFileSync(this.transcriptPath, `${JSON.stringify(line)}\n`);
    this.transcriptStarted = true;
  }

  /** `model`: what Cursor sends as `model_id` (and `model`); "default" is Cursor's Auto. */
  start(model = 'default'): void {
    this.model = model;
    this.modelId = model;
    this.fire('sessionStart', { model_id: this.modelId, is_background_agent: false, composer_mode: 'agent' });
  }

  prompt(text: string): void {
    if (this.turnOpen) this.stop();
    this.generationId = randomUUID();
    this.turnOpen = true;
    this.turnCalls = 0;
    this.fire('beforeSubmitPrompt', { model_id: this.modelId, composer_mode: 'agent', prompt: text, attachments: [] });
    this.transcript({ role: 'user', message: { content: [{ type: 'text', text: `<user_query>\n${text}\n</user_query>` }] } });
  }

  /** Ends the open turn: Cursor's `stop` with the turn's tokens (made up, in proportion to its tool calls, unless given). */
  stop(usage?: Partial<SimulatedTurnUsage>): SimulatedTurnUsage {
    const calls = this.turnCalls + 1;
    const turn: SimulatedTurnUsage = { input_tokens: 9000 * calls, output_tokens: 300 * calls, cache_read_tokens: 6000 * calls, cache_write_tokens: 0, ...usage };
    this.transcript({ role: 'assistant', message: { content: [{ type: 'text', text: 'Done.' }] } });
    this.fire('stop', { status: 'completed', loop_count: 0, ...turn });
    this.turns.push(turn);
    this.turnOpen = false;
    return turn;
  }

  end(reason = 'completed'): void {
    if (this.turnOpen) this.stop();
    this.fire('sessionEnd', { reason, duration_ms: 17851, is_background_agent: false, final_status: 'completed' });
  }

  /** A tool call: preToolUse, the tool's effect, then postToolUse (or postToolUseFailure when it throws). */
  tool(name: string, input: Record<string, unknown>, effect: () => unknown): string {
    const toolUseId = randomUUID();
    this.turnCalls++;
    this.transcript({ role: 'assistant', message: { content: [{ type: 'tool_use', name, input }] } });
    const base = { tool_name: name, tool_input: input, tool_use_id: toolUseId, cwd: '' };
    this.fire('preToolUse', base);
    const started = Date.now();
    try {
      const output = effect();
      this.fire('postToolUse', { ...base, tool_output: JSON.stringify(output ?? {}), duration: Date.now() - started });
    } catch (error) {
      this.fire('postToolUseFailure', { ...base, error_message: (error as Error).message, failure_type: 'error', duration: Date.now() - started, is_interrupt: false });
    }
    return toolUseId;
  }

  private writeFile(path: string, content: string): void {
    mkdirSync(dirname(join(this.workspace.dir, path)), { recursive: true });
    writeFileSync(join(this.workspace.dir, path), content);
  }

  write(path: string, content: string): string {
    return this.tool('Write', { path: join(this.workspace.dir, path), contents: content }, () => {
      this.writeFile(path, content);
      return {};
    });
  }

  edit(path: string, oldString: string, newString: string): string {
    const file = join(this.workspace.dir, path);
    return this.tool('StrReplace', { path: file, old_string: oldString, new_string: newString }, () => {
      const text = readFileSync(file, 'utf8');
      if (!text.includes(oldString)) throw new Error(`old_string not found in ${path}`);
      this.writeFile(path, text.replace(oldString, () => newString));
      return {};
    });
  }

  /** Cursor's Delete tool. */
  remove(path: string): string {
    const file = join(this.workspace.dir, path);
    return this.tool('Delete', { path: file }, () => {
      if (!existsSync(file)) throw new Error(`${path} does not exist`);
      spawnSync('rm', ['-f', file]);
      return {};
    });
  }

  bash(command: string): string {
    return this.tool('Shell', { command, cwd: '', timeout: 30000 }, () => {
      const result = spawnSync('sh', ['-c', command], { cwd: this.workspace.dir, env: this.workspace.env });
      const output = `${result.stdout?.toString('utf8') ?? ''}${result.stderr?.toString('utf8') ?? ''}`;
      if (result.status !== 0) throw new Error(`command failed: ${output}`);
      return { output, exitCode: 0 };
    });
  }
}
