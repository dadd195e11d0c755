// A stand-in for Copilot CLI (tests, demo, bench): it reads the hooks configured in `.github/hooks/*.json`
// and runs each entry's `bash` command with the payload on stdin, around real file changes, with the
// payload shapes real Copilot 1.0.x sends (see ../../../../shared/fixtures/agents/copilot/hooks/):
// userPromptSubmitted fires before sessionStart; one preToolUse carries the call as `toolCalls[{id, name,
// args (a JSON string)}]`; postToolUse has `toolName`, `toolArgs` (an object) and `toolResult` but no call
// id; agentStop alone names the events.jsonl, whose session.shutdown (usage) is written after sessionEnd.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { SimulatedAgent, Workspace } from '../types.js';
import { defaultEventsPath } from './session.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

interface Entry {
  type?: string;
  bash?: string;
  powershell?: string;
  cwd?: string;
  env?: Record<string, string>;
  timeoutSec?: number;
}

/** `{"path": "…", "file_text": "…"}`: how Copilot writes `toolCalls[].args` (a space after `:` and `,`). */
function argsString(args: Record<string, unknown>): string {
  return `{${Object.entries(args)
    .map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`)
    .join(', ')}}`;
}

export class SimulatedCopilot implements SimulatedAgent {
  readonly sessionId: string;
  readonly eventsPath: string;
  readonly results: RunResult[] = [];
  private model = 'claude-sonnet-4.6';
  private started = false;
  private counter = 0;
  private outputTokens = 0;
  private requests = 0;

  constructor(
    readonly workspace: Workspace,
    options: { sessionId?: string } = {},
  ) {
    this.sessionId = options.sessionId ?? randomUUID();
    this.eventsPath = defaultEventsPath(this.sessionId, workspace.env);
  }

  /** Runs every entry configured for `event` in .github/hooks/*.json, as Copilot does; returns their results. */
  fire(event: string, payload: Record<string, unknown>): RunResult[] {
    const dir = join(this.workspace.dir, '.github', 'hooks');
    if (!existsSync(dir)) return [];
    const input = JSON.stringify(payload);
    const results: RunResult[] = [];
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
      const config = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { hooks?: Record<string, Entry[]> };
      for (const entry of config.hooks?.[event] ?? []) {
        if (entry.type !== 'command') continue;
        // Copilot fails an entry with neither key on every event; on Unix it runs `bash`.
        if (!entry.bash && !entry.powershell) throw new Error(`${file}: ${event} entry has neither "bash" nor "powershell"; Copilot fails it on every event`);
        if (!entry.bash) continue;
        const cwd = entry.cwd === undefined ? this.workspace.dir : isAbsolute(entry.cwd) ? entry.cwd : join(this.workspace.dir, entry.cwd);
        const run = spawnSync('bash', ['-c', entry.bash], { cwd, env: { ...this.workspace.env, ...entry.env }, input, timeout: (entry.timeoutSec ?? 30) * 1000, maxBuffer: 64 * 1024 * 1024 });
        const result = { stdout: run.stdout?.toString('utf8') ?? '', stderr: run.stderr?.toString('utf8') ?? '', code: run.status ?? 1 };
        results.push(result);
        this.results.push(result);
      }
    }
    return results;
  }

  private base(): Record<string, unknown> {
    return { sessionId: this.sessionId, timestamp: Date.now(), cwd: this.workspace.dir };
  }

  /** A line of the session's events.jsonl, as Copilot writes it. */
  private record(type: string, data: Record<string, unknown>): void {
    mkdirSync(dirname(this.eventsPath), { recursive: true });
    appendFileSync(this.eventsPath, `${JSON.stringify({ type, data, id: randomUUID(), timestamp: new Date().toISOString(), parentId: null })}\n`);
  }

  /** Copilot starts its session on the first prompt: sessionStart fires after that prompt's userPromptSubmitted. */
  start(model = 'claude-sonnet-4.6'): void {
    this.model = model;
    this.record('session.start', {
      sessionId: this.sessionId,
      version: 1,
      producer: 'copilot-agent',
      copilotVersion: '1.0.20',
      startTime: new Date().toISOString(),
      context: { cwd: this.workspace.dir, gitRoot: this.workspace.dir },
      alreadyInUse: false,
    });
  }

  prompt(text: string): void {
    this.fire('userPromptSubmitted', { ...this.base(), prompt: text });
    if (!this.started) {
      this.started = true;
      this.fire('sessionStart', { timestamp: Date.now(), cwd: this.workspace.dir, sessionId: this.sessionId, source: 'new', initialPrompt: text });
    }
    this.record('user.message', { content: text, attachments: [], interactionId: randomUUID() });
  }

  /** One tool call: preToolUse, its effect, then postToolUse (postToolUseFailure when the effect throws). */
  tool(name: string, args: Record<string, unknown>, effect: () => { text: string; sessionLog?: string }): string {
    const id = `tooluse_${String(++this.counter).padStart(4, '0')}${randomUUID().slice(0, 8)}`;
    this.requests++;
    this.outputTokens += 100;
    this.record('assistant.message', { messageId: randomUUID(), content: '', toolRequests: [{ toolCallId: id, name, arguments: args, type: 'function' }], outputTokens: 100 });
    this.record('tool.execution_start', { toolCallId: id, toolName: name, arguments: args });
    this.fire('preToolUse', { sessionId: this.sessionId, cwd: this.workspace.dir, toolCalls: [{ id, name, args: argsString(args) }] });
    try {
      const { text, sessionLog } = effect();
      this.fire('postToolUse', { ...this.base(), toolName: name, toolArgs: args, toolResult: { resultType: 'success', textResultForLlm: text, sessionLog: sessionLog ?? text, toolTelemetry: {} } });
      this.record('tool.execution_complete', { toolCallId: id, model: this.model, success: true, result: { content: text } });
    } catch (error) {
      this.fire('postToolUseFailure', { ...this.base(), toolName: name, toolArgs: args, error: (error as Error).message });
      this.record('tool.execution_complete', { toolCallId: id, model: this.model, success: false, error: { message: (error as Error).message } });
    }
    return id;
  }

  /** Copilot's `create` (it refuses an existing file; the stand-in overwrites one, for the SimulatedAgent contract). */
  write(path: string, content: string): string {
    const file = join(this.workspace.dir, path);
    return this.tool('create', { path: file, file_text: content }, () => {
      const existed = existsSync(file);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      const lines = content.split('\n').length;
      return {
        text: `Created file ${file} with ${content.length} characters`,
        sessionLog: existed ? `\ndiff --git a${file} b${file}\n` : `\ndiff --git a${file} b${file}\ncreate file mode 100644\n--- a/dev/null\n+++ b${file}\n@@ -1,0 +1,${lines} @@\n`,
      };
    });
  }

  edit(path: string, oldString: string, newString: string): string {
    const file = join(this.workspace.dir, path);
    return this.tool('edit', { path: file, old_str: oldString, new_str: newString }, () => {
      const text = readFileSync(file, 'utf8');
      if (text.split(oldString).length !== 2) throw new Error(`No match found (or more than one) for old_str in ${file}`);
      writeFileSync(file, text.replace(oldString, () => newString));
      return { text: `File ${file} updated with changes.` };
    });
  }

  bash(command: string): string {
    return this.tool('bash', { command, description: 'Run a command' }, () => {
      const run = spawnSync('bash', ['-c', command], { cwd: this.workspace.dir, env: this.workspace.env });
      const code = run.status ?? 1;
      if (code !== 0) throw new Error(`command failed with exit code ${code}: ${run.stderr?.toString('utf8') ?? ''}`);
      return { text: `${run.stdout?.toString('utf8') ?? ''}\n<exited with exit code 0>` };
    });
  }

  /** The turn ends (agentStop), the session ends (sessionEnd), then Copilot writes its usage (session.shutdown). */
  end(reason = 'complete'): void {
    if (!this.started) {
      this.started = true;
      this.fire('sessionStart', { timestamp: Date.now(), cwd: this.workspace.dir, sessionId: this.sessionId, source: 'new' });
    }
    this.record('assistant.turn_end', { turnId: '0' });
    this.fire('agentStop', { timestamp: Date.now(), cwd: this.workspace.dir, sessionId: this.sessionId, transcriptPath: this.eventsPath, stopReason: 'end_turn' });
    this.fire('sessionEnd', { ...this.base(), reason });
    const input = 1000 * Math.max(1, this.requests);
    this.record('session.shutdown', {
      shutdownType: 'routine',
      totalPremiumRequests: 1,
      modelMetrics: { [this.model]: { requests: { count: Math.max(1, this.requests), cost: 1 }, usage: { inputTokens: input, outputTokens: this.outputTokens, cacheReadTokens: input / 2, cacheWriteTokens: 0 } } },
      currentModel: this.model,
    });
  }
}
