// A stand-in for OpenCode, for the tests, the demo and the bench. OpenCode runs its plugins in its own
// process; the stand-in loads the plugin INSTALLED in .opencode/plugins/trace.ts the same way (a
// Node child process imports it and calls its OpenCode 1.x hooks) and hands it what OpenCode 1.18.33
// hands plugins (shapes recorded from the real binary driving a plugin: hook inputs and outputs,
// session and message events, tool metadata), around real file changes. The plugin then runs
// `trace hook opencode …` as it does inside OpenCode.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { SimulatedAgent, Workspace } from '../types.js';
import { PLUGIN_FILE } from './install.js';

/** Runs in the child: imports the plugin, calls `server()`, then the one hook the call names. */
const DRIVER = `
import { pathToFileURL } from 'node:url';
const [pluginPath] = process.argv.slice(2);
let input = '';
for await (const chunk of process.stdin) input += chunk;
const call = JSON.parse(input);
const mod = await import(pathToFileURL(pluginPath).href);
const plugin = mod.default;
const hooks = await plugin.server({ directory: call.directory, worktree: call.directory, project: { id: 'simulated', worktree: call.directory } });
if (call.hook === 'event') await hooks.event({ event: call.event });
else await hooks[call.hook](call.input, call.output);
`;

/** OpenCode's ids: a prefix, then time-ordered hex and random letters (ses_30bfbb6f4ffeJ2960akRy1tOR3). */
function openCodeId(prefix: string): string {
  return `${prefix}_${Date.now().toString(16).padStart(12, '0')}${randomBytes(7).toString('base64url').slice(0, 14)}`;
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
  private readonly driverDir: string;

  constructor(
    readonly workspace: Workspace,
    options: { sessionId?: string } = {},
  ) {
    this.sessionId = options.sessionId ?? openCodeId('ses');
    this.driverDir = mkdtempSync(join(tmpdir(), 'trace-opencode-'));
    writeFileSync(join(this.driverDir, 'driver.mjs'), DRIVER);
  }

  /** Calls one of the installed plugin's hooks, as OpenCode does; nothing when no plugin is installed. */
  private fire(hook: string, payload: { event?: unknown; input?: unknown; output?: unknown }): void {
    const installed = join(this.workspace.dir, PLUGIN_FILE);
    if (!existsSync(installed)) return;
    // Node does not import .ts files; the plugin is plain JavaScript, so a .mjs copy is the same module.
    const copy = join(this.driverDir, 'trace.mjs');
    writeFileSync(copy, readFileSync(installed));
    const result = spawnSync(process.execPath, [join(this.driverDir, 'driver.mjs'), copy], {
      cwd: this.workspace.dir,
      env: this.workspace.env,
      input: JSON.stringify({ hook, directory: this.workspace.dir, ...payload }),
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) throw new Error(`the OpenCode plugin failed in ${hook}: ${result.stderr?.toString('utf8') ?? String(result.error)}`);
  }

  private event(type: string, properties: Record<string, unknown>): void {
    this.fire('event', { event: { type, properties } });
  }

  private sessionInfo(): Record<string, unknown> {
    const now = Date.now();
    const tokens = { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } };
    return { id: this.sessionId, slug: 'simulated', version: this.version, projectID: 'global', directory: this.workspace.dir, path: '', title: `New session - ${new Date(now).toISOString()}`, permission: [], cost: 0, tokens, time: { created: now, updated: now } };
  }

  start(model = 'gpt-5.3-codex'): void {
    this.model = { providerID: 'opencode', modelID: model };
    this.event('session.created', { sessionID: this.sessionId, info: this.sessionInfo() });
  }

  prompt(text: string): void {
    const messageID = openCodeId('msg');
    this.lastUserMessage = messageID;
    const message = { id: messageID, role: 'user', sessionID: this.sessionId, time: { created: Date.now() }, agent: 'build', model: this.model };
    const parts = [{ type: 'text', text, messageID, sessionID: this.sessionId, id: openCodeId('prt') }];
    // OpenCode 1.18 passes only the session in the input; the message says the model.
    this.fire('chat.message', { input: { sessionID: this.sessionId }, output: { message, parts } });
  }

  /** One assistant step: its tool call (before hook, the effect, after hook), then the step's final message. */
  private tool(tool: string, args: Record<string, unknown>, effect: () => { title: string; output: string; metadata: Record<string, unknown> }): string {
    const callID = `call_${String(++this.counter).padStart(4, '0')}${randomBytes(9).toString('base64url')}`;
    this.fire('tool.execute.before', { input: { tool, sessionID: this.sessionId, callID }, output: { args } });
    const result = effect();
    this.fire('tool.execute.after', { input: { tool, sessionID: this.sessionId, callID, args }, output: result });
    this.respond(200 + this.counter, 40, 16);
    return callID;
  }

  /** An assistant message completing, with OpenCode's token counts (input excludes cache, output excludes reasoning). */
  respond(input: number, output: number, reasoning: number, cacheRead = 0): void {
    const now = Date.now();
    const info = {
      id: openCodeId('msg'),
      parentID: this.lastUserMessage ?? '',
      role: 'assistant',
      mode: 'build',
      agent: 'build',
      path: { cwd: this.workspace.dir, root: this.workspace.dir },
      cost: 0,
      tokens: { total: input + output + reasoning + cacheRead, input, output, reasoning, cache: { write: 0, read: cacheRead } },
      modelID: this.model.modelID,
      providerID: this.model.providerID,
      time: { created: now, completed: now },
      sessionID: this.sessionId,
      finish: 'tool-calls',
    };
    this.event('message.updated', { sessionID: this.sessionId, info });
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
    this.event('session.status', { sessionID: this.sessionId, status: { type: 'idle' } });
    this.event('session.idle', { sessionID: this.sessionId });
    rmSync(this.driverDir, { recursive: true, force: true });
  }
}
