// A stand-in for OpenCode, for the tests, the demo and the bench. OpenCode runs trace's plugin inside
// its own process, and the plugin runs one command per event: the stand-in reads that command from the
// plugin INSTALLED in .opencode/plugins/trace.ts and runs it with `sh -c`, with the payload the plugin
// builds from what OpenCode 1.18.33 hands it (tool inputs and metadata as recorded from the real binary),
// around real file changes. Tool calls are awaited by OpenCode (pre and post run in turn); a response's
// token counts arrive as an event OpenCode does not wait for, so the stand-in sends them between turns.
// The plugin's own code runs in test/unit/agents-opencode.test.ts and, with the real binary, in
// test/integration/opencode-real.test.ts.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { SimulatedAgent, Workspace } from '../types.js';
import { PLUGIN_FILE } from './install.js';

/** The command template in trace's plugin (`traceCommand`); `${event}` is the event's name. */
const COMMAND = /`(if command -v trace >\/dev\/null 2>&1; then trace hook opencode \$\{event\}; fi)`/;
/** The plugin's cut of a tool's output. */
const MAX_OUTPUT = 2000;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` random letters and digits. */
function base62(length: number): string {
  return [...randomBytes(length)].map((byte) => BASE62[byte % 62]).join('');
}

/** OpenCode's ids: a prefix, then time-ordered hex and random letters and digits (ses_30bfbb6f4ffeJ2960akRy1tOR3). */
function openCodeId(prefix: string): string {
  return `${prefix}_${Date.now().toString(16).padStart(12, '0')}${base62(14)}`;
}

/** A one-hunk unified diff of the whole file, as OpenCode's tools put in their metadata. */
function unifiedDiff(file: string, before: string, after: string): { text: string; additions: number; deletions: number } {
  const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));
  const old = lines(before);
  const next = lines(after);
  const body = [...old.map((line) => `-${line}`), ...next.map((line) => `+${line}`)];
  const text = `Index: ${file}\n${'='.repeat(67)}\n--- ${file}\n+++ ${file}\n@@ -${old.length === 0 ? 0 : 1},${old.length} +${next.length === 0 ? 0 : 1},${next.length} @@\n${body.join('\n')}\n`;
  return { text, additions: next.length, deletions: old.length };
}

export class SimulatedOpenCode implements SimulatedAgent {
  readonly sessionId: string;
  readonly version = '1.18.33';
  private model = { providerID: 'opencode', modelID: 'gpt-5.3-codex' };
  private lastUserMessage: string | undefined;
  private counter = 0;
  /** Responses completed since the last turn: their token counts, sent as OpenCode's events would be. */
  private responses: Record<string, unknown>[] = [];

  constructor(
    readonly workspace: Workspace,
    options: { sessionId?: string } = {},
  ) {
    this.sessionId = options.sessionId ?? openCodeId('ses');
  }

  /** Runs the installed plugin's command for `event` with the plugin's payload; nothing when trace's plugin is not installed. */
  private fire(event: string, fields: Record<string, unknown>): void {
    const installed = join(this.workspace.dir, PLUGIN_FILE);
    if (!existsSync(installed)) return;
    const template = COMMAND.exec(readFileSync(installed, 'utf8'))?.[1];
    if (template === undefined) return;
    const payload = { plugin: 'chainloop-trace', format: 1, api: 'v1', session_id: this.sessionId, cwd: this.workspace.dir, ...fields };
    spawnSync('/bin/sh', ['-c', template.replace('${event}', event)], {
      cwd: this.workspace.dir,
      env: this.workspace.env,
      input: JSON.stringify(payload),
      stdio: ['pipe', 'ignore', 'ignore'],
      timeout: 30_000,
    });
  }

  /** The token counts of the responses completed so far (OpenCode's `message.updated` events). */
  private flushResponses(): void {
    for (const info of this.responses.splice(0)) {
      this.fire('turn-usage', { message_id: info.id, model: info.modelID, provider: info.providerID, tokens: info.tokens, cost: info.cost });
    }
  }

  start(model = 'gpt-5.3-codex'): void {
    this.model = { providerID: 'opencode', modelID: model };
    this.fire('session-start', { title: `New session - ${new Date().toISOString()}`, opencode_version: this.version });
  }

  prompt(text: string): void {
    this.flushResponses();
    const messageID = openCodeId('msg');
    this.lastUserMessage = messageID;
    this.fire('user-prompt-submit', { prompt: text, message_id: messageID, model: this.model.modelID, provider: this.model.providerID, agent: 'build' });
  }

  /** One assistant step: its tool call (pre, the effect, post), then the step's response completing. */
  private tool(tool: string, args: Record<string, unknown>, effect: () => { title: string; output: string; metadata: Record<string, unknown> }): string {
    // The model's call id (OpenAI's `call_…`, as in the real exports).
    const callID = `call_${String(++this.counter).padStart(4, '0')}${base62(20)}`;
    this.fire('pre-tool-use', { tool, call_id: callID, args });
    const { title, output, metadata } = effect();
    const kept: Record<string, unknown> = tool === 'bash' ? { exit: metadata.exit } : { ...metadata };
    delete kept.diff;
    this.fire('post-tool-use', { tool, call_id: callID, args, result: { title, output: output.length > MAX_OUTPUT ? `${output.slice(0, MAX_OUTPUT)}…` : output, metadata: kept } });
    this.respond(200 + this.counter, 40, 16);
    return callID;
  }

  /** An assistant message completing, with OpenCode's token counts (input excludes cache, output excludes reasoning). */
  respond(input: number, output: number, reasoning: number, cacheRead = 0): void {
    const now = Date.now();
    this.responses.push({
      id: openCodeId('msg'),
      parentID: this.lastUserMessage ?? '',
      role: 'assistant',
      cost: 0,
      tokens: { total: input + output + reasoning + cacheRead, input, output, reasoning, cache: { write: 0, read: cacheRead } },
      modelID: this.model.modelID,
      providerID: this.model.providerID,
      time: { created: now, completed: now },
      sessionID: this.sessionId,
      finish: 'tool-calls',
    });
  }

  private writeFile(path: string, content: string): void {
    mkdirSync(dirname(join(this.workspace.dir, path)), { recursive: true });
    writeFileSync(join(this.workspace.dir, path), content);
  }

  write(path: string, content: string): string {
    const filePath = join(this.workspace.dir, path);
    return this.tool('write', { filePath, content }, () => {
      const exists = existsSync(filePath);
      this.writeFile(path, content);
      return { title: relative(this.workspace.dir, filePath), output: 'Wrote file successfully.', metadata: { diagnostics: {}, filepath: filePath, exists, truncated: false } };
    });
  }

  edit(path: string, oldString: string, newString: string): string {
    const filePath = join(this.workspace.dir, path);
    return this.tool('edit', { filePath, oldString, newString }, () => {
      const before = readFileSync(filePath, 'utf8');
      if (!before.includes(oldString)) throw new Error(`oldString not found in ${path}`);
      const after = before.replace(oldString, () => newString);
      this.writeFile(path, after);
      const patch = unifiedDiff(filePath, before, after);
      return { title: relative(this.workspace.dir, filePath), output: 'Edit applied successfully.', metadata: { diagnostics: {}, diff: patch.text, filediff: { file: filePath, patch: patch.text, additions: patch.additions, deletions: patch.deletions }, truncated: false } };
    });
  }

  /** An `apply_patch` call adding `path` with `content` (OpenCode's patch format, paths relative to the project). */
  addFile(path: string, content: string): string {
    const lines = content.replace(/\n$/, '').split('\n');
    const patchText = ['*** Begin Patch', `*** Add File: ${path}`, ...lines.map((line) => `+${line}`), '*** End Patch'].join('\n');
    return this.tool('apply_patch', { patchText }, () => {
      this.writeFile(path, content);
      const filePath = join(this.workspace.dir, path);
      const patch = unifiedDiff(filePath, '', content);
      return {
        title: `Success. Updated the following files:\nA ${path}`,
        output: `Success. Updated the following files:\nA ${path}`,
        metadata: { diff: patch.text, files: [{ filePath, relativePath: path, type: 'add', patch: patch.text, additions: lines.length, deletions: 0 }], diagnostics: {}, truncated: false },
      };
    });
  }

  bash(command: string): string {
    return this.tool('bash', { command, description: 'Runs a command' }, () => {
      const result = spawnSync('sh', ['-c', command], { cwd: this.workspace.dir, env: this.workspace.env });
      const output = `${result.stdout?.toString('utf8') ?? ''}${result.stderr?.toString('utf8') ?? ''}` || '(no output)';
      return { title: command, metadata: { output, exit: result.status ?? 1, truncated: false }, output };
    });
  }

  end(): void {
    this.flushResponses();
    this.fire('session-end', { reason: 'idle' });
  }
}
