// A stand-in for Gemini CLI (tests, demo, bench): it reads the hooks installed in .gemini/settings.json
// and runs each matching command with `bash -c`, the payload on stdin, around real file changes, as
// Gemini CLI does; and it keeps the session's chat file in the CLI's single-object form, with tokens
// and the model per response, where the payloads' `transcript_path` says.
// Payload shapes: the real 0.46.0 payloads (fixtures/agents/gemini/hooks); the file tools' AfterTool
// `tool_response` (a FileDiff as `returnDisplay`) from gemini-cli's write-file.ts and edit.ts.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { SimulatedAgent, Workspace } from '../types.js';
import { geminiCallId } from './hooks.js';
import { CONFIG_FILE } from './install.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

interface Handler {
  type?: string;
  command?: string;
  timeout?: number;
}
interface Group {
  matcher?: string;
  hooks?: Handler[];
}

/** Gemini CLI's matching: tool events test the matcher as a regex (else literally), lifecycle events compare it whole. */
function matches(matcher: string | undefined, toolName: string | undefined, trigger: string | undefined): boolean {
  const m = matcher?.trim();
  if (m === undefined || m === '' || m === '*') return true;
  if (toolName !== undefined) {
    try {
      return new RegExp(m).test(toolName);
    } catch {
      return m === toolName;
    }
  }
  return trigger === undefined || m === trigger;
}

interface ChatMessage {
  id: string;
  timestamp: string;
  type: 'user' | 'gemini';
  content: unknown;
  [key: string]: unknown;
}

export class SimulatedGemini implements SimulatedAgent {
  readonly sessionId: string;
  readonly transcriptPath: string;
  readonly results: RunResult[] = [];
  private model = 'gemini-3-flash-preview';
  private readonly messages: ChatMessage[] = [];
  private readonly startTime = new Date().toISOString();
  private turn = 0;

  constructor(
    readonly workspace: Workspace,
    options: { sessionId?: string; transcriptPath?: string } = {},
  ) {
    this.sessionId = options.sessionId ?? randomUUID();
    const minute = this.startTime.slice(0, 16).replace(/:/g, '-');
    this.transcriptPath =
      options.transcriptPath ??
      join(workspace.env.HOME ?? workspace.dir, '.gemini', 'tmp', basename(workspace.dir), 'chats', `session-${minute}-${this.sessionId.slice(0, 8)}.json`);
  }

  private saveChat(): void {
    mkdirSync(dirname(this.transcriptPath), { recursive: true });
    const chat = { sessionId: this.sessionId, projectHash: 'simulated', startTime: this.startTime, lastUpdated: new Date().toISOString(), messages: this.messages, kind: 'main' };
    writeFileSync(this.transcriptPath, JSON.stringify(chat, null, 2));
  }

  /** A Gemini response with its tokens, as the CLI records it once the model has answered. */
  private respond(content: string, toolCalls: unknown[] = []): void {
    this.turn++;
    const input = 6000 + 150 * this.turn;
    const cached = this.turn > 1 ? 5000 : 0;
    const tokens = { input, output: 40 + this.turn, cached, thoughts: 30, tool: 0, total: input + 40 + this.turn + 30 };
    this.messages.push({ id: randomUUID(), timestamp: new Date().toISOString(), type: 'gemini', content, tokens, model: this.model, ...(toolCalls.length > 0 ? { toolCalls } : {}) });
    this.saveChat();
  }

  /** Runs every command configured for `event` the way Gemini CLI does; returns their results. */
  fire(event: string, fields: Record<string, unknown>, options: { raw?: string } = {}): RunResult[] {
    const settingsPath = join(this.workspace.dir, CONFIG_FILE);
    if (!existsSync(settingsPath)) return [];
    const settings = JSON.parse(readFileSync(settingsPath, 'utf8')) as { hooks?: Record<string, unknown> };
    const groups = settings.hooks?.[event];
    if (!Array.isArray(groups)) return [];
    const input =
      options.raw ??
      JSON.stringify({ session_id: this.sessionId, transcript_path: this.transcriptPath, cwd: this.workspace.dir, hook_event_name: event, timestamp: new Date().toISOString(), ...fields });
    const toolName = typeof fields.tool_name === 'string' ? fields.tool_name : undefined;
    const trigger = typeof fields.source === 'string' ? fields.source : typeof fields.reason === 'string' ? fields.reason : undefined;
    const results: RunResult[] = [];
    for (const group of groups as Group[]) {
      if (!matches(group.matcher, toolName, trigger)) continue;
      for (const handler of group.hooks ?? []) {
        if (handler.type !== 'command' || !handler.command) continue;
        const env = { ...this.workspace.env, GEMINI_PROJECT_DIR: this.workspace.dir, GEMINI_CWD: this.workspace.dir, GEMINI_SESSION_ID: this.sessionId, CLAUDE_PROJECT_DIR: this.workspace.dir };
        const run = spawnSync('bash', ['-c', handler.command], { cwd: this.workspace.dir, env, input, timeout: handler.timeout ?? 60_000, maxBuffer: 64 * 1024 * 1024 });
        const result = { stdout: run.stdout?.toString('utf8') ?? '', stderr: run.stderr?.toString('utf8') ?? '', code: run.status ?? 1 };
        results.push(result);
        this.results.push(result);
      }
    }
    return results;
  }

  start(model = 'gemini-3-flash-preview'): void {
    this.model = model;
    this.saveChat();
    this.fire('SessionStart', { source: 'startup' });
  }

  prompt(text: string): void {
    this.fire('BeforeAgent', { prompt: text });
    this.messages.push({ id: randomUUID(), timestamp: new Date().toISOString(), type: 'user', content: [{ text }] });
    this.saveChat();
  }

  /** One tool call: the model's response naming it, BeforeTool, the effect, AfterTool. */
  tool(name: string, input: Record<string, unknown>, effect: () => { llmContent: string; returnDisplay: unknown; error?: { message: string; type: string } }): string {
    const callId = `${name}_${Date.now()}_0`;
    const call: Record<string, unknown> = { id: callId, name, args: input, status: 'success', timestamp: new Date().toISOString() };
    this.fire('BeforeTool', { tool_name: name, tool_input: input });
    const response = effect();
    call.status = response.error === undefined ? 'success' : 'error';
    call.result = [{ functionResponse: { id: callId, name, response: { output: response.llmContent } } }];
    this.fire('AfterTool', { tool_name: name, tool_input: input, tool_response: response });
    this.respond(`I will use ${name}.`, [call]);
    return geminiCallId(name, input);
  }

  write(path: string, content: string): string {
    const file = join(this.workspace.dir, path);
    return this.tool('write_file', { file_path: file, content }, () => {
      const existed = existsSync(file);
      const original = existed ? readFileSync(file, 'utf8') : '';
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      return {
        llmContent: existed ? `Successfully overwrote file: ${file}.` : `Successfully created and wrote to new file: ${file}.`,
        returnDisplay: { fileDiff: `Index: ${basename(file)}\n`, fileName: basename(file), filePath: file, originalContent: original, newContent: content, isNewFile: !existed },
      };
    });
  }

  edit(path: string, oldString: string, newString: string): string {
    const file = join(this.workspace.dir, path);
    return this.tool('replace', { file_path: file, instruction: `change ${path}`, old_string: oldString, new_string: newString }, () => {
      const text = existsSync(file) ? readFileSync(file, 'utf8') : null;
      if (text === null || !text.includes(oldString)) {
        const message = `Failed to edit, 0 occurrences found for old_string in ${file}. No edits made.`;
        return { llmContent: message, returnDisplay: `Error: ${message}`, error: { message, type: 'edit_no_occurrence_found' } };
      }
      const after = text.replace(oldString, () => newString);
      writeFileSync(file, after);
      return {
        llmContent: `Successfully modified file: ${file} (1 replacements).`,
        returnDisplay: { fileDiff: `Index: ${basename(file)}\n`, fileName: basename(file), filePath: file, originalContent: text, newContent: after, isNewFile: false },
      };
    });
  }

  bash(command: string): string {
    return this.tool('run_shell_command', { command, description: 'Run a command.' }, () => {
      const run = spawnSync('bash', ['-c', command], { cwd: this.workspace.dir, env: this.workspace.env });
      const output = `${run.stdout?.toString('utf8') ?? ''}${run.stderr?.toString('utf8') ?? ''}`.trim();
      const exit = run.status ?? 1;
      return { llmContent: `Output: ${output || '(empty)'}${exit === 0 ? '' : `\nExit Code: ${exit}`}\nProcess Group PGID: ${run.pid ?? 0}`, returnDisplay: output };
    });
  }

  end(reason = 'exit'): void {
    this.fire('SessionEnd', { reason });
  }
}
