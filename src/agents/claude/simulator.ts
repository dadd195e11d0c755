// A stand-in for Claude Code, used by the tests, the demo and the bench: it reads the hooks configured in
// .claude/settings.json and runs each matching command with `sh -c`, the payload on stdin, around
// real file edits, as Claude Code does.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { SimulatedAgent, Workspace } from '../types.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; input?: string | Buffer }): RunResult {
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env, input: options.input, maxBuffer: 256 * 1024 * 1024 });
  return { stdout: result.stdout?.toString('utf8') ?? '', stderr: result.stderr?.toString('utf8') ?? '', code: result.status ?? 1 };
}

interface Handler {
  type?: string;
  command?: string;
}
interface Group {
  matcher?: string;
  hooks?: Handler[];
}

function matches(matcher: string | undefined, tool: string | undefined): boolean {
  if (matcher === undefined || matcher === '' || matcher === '*' || tool === undefined) return true;
  if (/^[A-Za-z0-9_|, -]+$/.test(matcher)) return matcher.split(/[|,]/).map((name) => name.trim()).includes(tool);
  return new RegExp(matcher).test(tool);
}

/**
 * The decision of PreToolUse hooks as Claude Code reads it: exit 2 (reason on stderr) or
 * `hookSpecificOutput.permissionDecision` deny/ask; deny wins. Undefined: the call runs.
 */
function preToolDecision(results: RunResult[], onAsk: 'allow' | 'deny'): { decision: 'deny' | 'ask'; reason: string } | undefined {
  let ask: { decision: 'ask'; reason: string } | undefined;
  for (const result of results) {
    if (result.code === 2) return { decision: 'deny', reason: result.stderr.trim() };
    let output: { hookSpecificOutput?: { permissionDecision?: string; permissionDecisionReason?: string } } | undefined;
    try {
      output = result.stdout.trim() === '' ? undefined : (JSON.parse(result.stdout) as typeof output);
    } catch {
      continue;
    }
    const specific = output?.hookSpecificOutput;
    if (specific?.permissionDecision === 'deny') return { decision: 'deny', reason: specific.permissionDecisionReason ?? '' };
    if (specific?.permissionDecision === 'ask') ask = { decision: 'ask', reason: specific.permissionDecisionReason ?? '' };
  }
  return ask !== undefined && onAsk === 'deny' ? ask : undefined;
}

export class SimulatedClaude implements SimulatedAgent {
  readonly sessionId: string;
  readonly transcriptPath: string;
  private counter = 0;
  readonly results: RunResult[] = [];
  /** Calls a PreToolUse hook denied (or asked about, and `onAsk` refused), with the reason. */
  readonly denied: { toolUseId: string; decision: 'deny' | 'ask'; reason: string }[] = [];
  /** What the person answers when a hook asks: Claude Code then runs the call or not. */
  onAsk: 'allow' | 'deny' = 'deny';

  constructor(
    readonly repo: Workspace,
    options: { sessionId?: string; transcriptPath?: string } = {},
  ) {
    this.sessionId = options.sessionId ?? randomUUID();
    this.transcriptPath = options.transcriptPath ?? join(repo.env.HOME ?? repo.dir, '.claude', 'projects', 'p', `${this.sessionId}.jsonl`);
  }

  private writeFile(path: string, content: string | Buffer): void {
    mkdirSync(dirname(join(this.repo.dir, path)), { recursive: true });
    writeFileSync(join(this.repo.dir, path), content);
  }

  private sh(command: string): RunResult {
    return run('sh', ['-c', command], { cwd: this.repo.dir, env: this.repo.env });
  }

  /** Runs every command configured for `event` (and the tool, for tool events) the way Claude Code does. */
  fire(event: string, payload: Record<string, unknown>, options: { raw?: string | Buffer } = {}): RunResult[] {
    const settingsPath = join(this.repo.dir, '.claude', 'settings.json');
    if (!existsSync(settingsPath)) return [];
    const settings = JSON.parse(readFileSync(settingsPath, 'utf8')) as { hooks?: Record<string, Group[]> };
    const input =
      options.raw ??
      JSON.stringify({ session_id: this.sessionId, transcript_path: this.transcriptPath, cwd: this.repo.dir, hook_event_name: event, ...payload });
    const results: RunResult[] = [];
    for (const group of settings.hooks?.[event] ?? []) {
      if (!matches(group.matcher, payload.tool_name as string | undefined)) continue;
      for (const handler of group.hooks ?? []) {
        if (handler.type !== 'command' || !handler.command) continue;
        const result = run('sh', ['-c', handler.command], { cwd: this.repo.dir, env: { ...this.repo.env, CLAUDE_PROJECT_DIR: this.repo.dir }, input });
        results.push(result);
        this.results.push(result);
      }
    }
    return results;
  }

  start(model = 'claude-opus-4-8'): void {
    this.fire('SessionStart', { source: 'startup', model });
  }

  end(reason = 'prompt_input_exit'): void {
    this.fire('SessionEnd', { reason });
  }

  prompt(text: string): void {
    this.fire('UserPromptSubmit', { prompt: text, prompt_id: randomUUID() });
  }

  /** A tool call: PreToolUse, the tool's effect, then PostToolUse (or PostToolUseFailure when it throws). */
  tool(name: string, input: Record<string, unknown>, effect: () => unknown, extra: Record<string, unknown> = {}): string {
    const toolUseId = `toolu_${String(++this.counter).padStart(4, '0')}_${randomUUID().slice(0, 8)}`;
    const base = { tool_name: name, tool_input: input, tool_use_id: toolUseId, ...extra };
    const decision = preToolDecision(this.fire('PreToolUse', base), this.onAsk);
    if (decision !== undefined) {
      // Claude Code does not run a denied call (nor an ask the person refused); no PostToolUse follows.
      this.denied.push({ toolUseId, ...decision });
      return toolUseId;
    }
    const started = Date.now();
    try {
      const response = effect();
      this.fire('PostToolUse', { ...base, tool_response: response ?? { success: true }, duration_ms: Date.now() - started });
    } catch (error) {
      this.fire('PostToolUseFailure', { ...base, error: (error as Error).message, is_interrupt: false, duration_ms: Date.now() - started });
    }
    return toolUseId;
  }

  write(path: string, content: string): string {
    const file = join(this.repo.dir, path);
    return this.tool('Write', { file_path: file, content }, () => {
      // Claude Code 2.1.197's response: the file's text before the call (null for a new file).
      const originalFile = existsSync(file) ? readFileSync(file, 'utf8') : null;
      this.writeFile(path, content);
      return { type: originalFile === null ? 'create' : 'update', filePath: file, content, structuredPatch: [], originalFile, userModified: false };
    });
  }

  edit(path: string, oldString: string, newString: string, replaceAll = false): string {
    const file = join(this.repo.dir, path);
    return this.tool('Edit', { file_path: file, old_string: oldString, new_string: newString, replace_all: replaceAll }, () => {
      const text = readFileSync(file, 'utf8');
      if (!text.includes(oldString)) throw new Error(`old_string not found in ${path}`);
      this.writeFile(path, replaceAll ? text.split(oldString).join(newString) : text.replace(oldString, () => newString));
      return { filePath: file, oldString, newString, originalFile: text, structuredPatch: [], userModified: false, replaceAll };
    });
  }

  multiEdit(path: string, edits: { old_string: string; new_string: string; replace_all?: boolean }[]): string {
    const file = join(this.repo.dir, path);
    return this.tool('MultiEdit', { file_path: file, edits }, () => {
      let text = readFileSync(file, 'utf8');
      for (const edit of edits) text = edit.replace_all ? text.split(edit.old_string).join(edit.new_string) : text.replace(edit.old_string, () => edit.new_string);
      this.writeFile(path, text);
    });
  }

  remove(path: string): string {
    return this.bash(`rm -f ${JSON.stringify(path)}`);
  }

  bash(command: string): string {
    return this.tool('Bash', { command, description: 'run a command' }, () => {
      const result = this.sh(command);
      if (result.code !== 0) throw new Error(`command failed: ${result.stderr}`);
      return { stdout: result.stdout, stderr: result.stderr, interrupted: false };
    });
  }

  deleteFile(path: string): void {
    rmSync(join(this.repo.dir, path), { force: true });
  }
}
