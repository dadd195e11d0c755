// A stand-in for OpenCode, for the tests, the demo and the bench. OpenCode runs its plugins in its own
// process; the stand-in loads the plugin INSTALLED in .opencode/plugins/trace.ts the same way (a
// Node child process imports it and calls its OpenCode 1.x hooks) and hands it OpenCode's own shapes
// (@opencode-ai/plugin 1.18's `Hooks`, the message and tool part shapes of real `opencode export`s),
// around real file changes. The plugin then runs `trace hook opencode …` as it does inside OpenCode.
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
    return { id: this.sessionId, slug: 'simulated', projectID: 'simulated', directory: this.workspace.dir, title: 'Simulated session', version: this.version, time: { created: now, updated: now } };
  }

  start(model = 'gpt-5.3-codex'): void {
    this.model = { providerID: 'opencode', modelID: model };
    this.event('session.created', { info: this.sessionInfo() });
  }

  prompt(text: string): void {
    const messageID = openCodeId('msg');
    this.lastUserMessage = messageID;
    const message = { id: messageID, sessionID: this.sessionId, role: 'user', time: { created: Date.now() }, agent: 'build', model: this.model };
    const parts = [{ id: openCodeId('prt'), sessionID: this.sessionId, messageID, type: 'text', text }];
    this.fire('chat.message', { input: { sessionID: this.sessionId, agent: 'build', model: this.model, messageID }, output: { message, parts } });
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
      sessionID: this.sessionId,
      role: 'assistant',
      time: { created: now, completed: now },
      parentID: this.lastUserMessage ?? '',
      modelID: this.model.modelID,
      providerID: this.model.providerID,
      mode: 'build',
      agent: 'build',
      path: { cwd: this.workspace.dir, root: this.workspace.dir },
      cost: 0,
      tokens: { total: input + output + cacheRead, input, output, reasoning, cache: { read: cacheRead, write: 0 } },
      finish: 'tool-calls',
    };
    this.event('message.updated', { info });
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
      return { title: relative(this.workspace.dir, filePath), output: 'Wrote file successfully.', metadata: { diagnostics: {}, filepath: filePath, exists } };
    });
  }

  edit(path: string, oldString: string, newString: string): string {
    const filePath = join(this.workspace.dir, path);
    return this.tool('edit', { filePath, oldString, newString }, () => {
      const before = readFileSync(filePath, 'utf8');
      if (!before.includes(oldString)) throw new Error(`oldString not found in ${path}`);
      const after = before.replace(oldString, () => newString);
      this.writeFile(path, after);
      return { title: relative(this.workspace.dir, filePath), output: 'Edit applied successfully.', metadata: { diagnostics: {}, diff: '', filediff: { file: filePath, before, after, additions: 0, deletions: 0 } } };
    });
  }

  /** An `apply_patch` call adding `path` with `content` (OpenCode's patch format, paths relative to the project). */
  addFile(path: string, content: string): string {
    const lines = content.replace(/\n$/, '').split('\n');
    const patchText = ['*** Begin Patch', `*** Add File: ${path}`, ...lines.map((line) => `+${line}`), '*** End Patch'].join('\n');
    return this.tool('apply_patch', { patchText }, () => {
      this.writeFile(path, content);
      const filePath = join(this.workspace.dir, path);
      return {
        title: `Success. Updated the following files:\nA ${path}`,
        output: `Success. Updated the following files:\nA ${path}`,
        metadata: { diff: '', files: [{ filePath, relativePath: path, type: 'add', diff: '', before: '', after: content, additions: lines.length, deletions: 0 }], diagnostics: {}, truncated: false },
      };
    });
  }

  bash(command: string): string {
    return this.tool('bash', { command, description: 'Runs a command' }, () => {
      const result = spawnSync('sh', ['-c', command], { cwd: this.workspace.dir, env: this.workspace.env });
      const output = `${result.stdout?.toString('utf8') ?? ''}${result.stderr?.toString('utf8') ?? ''}`;
      return { title: command, output, metadata: { output, exit: result.status ?? 1, description: 'Runs a command', truncated: false } };
    });
  }

  end(): void {
    this.event('session.idle', { sessionID: this.sessionId });
    rmSync(this.driverDir, { recursive: true, force: true });
  }
}
