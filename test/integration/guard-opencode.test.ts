// The guard in OpenCode: trace's plugin asks `trace hook opencode guard` (the real bin/trace) before a tool
// runs and throws from tool.execute.before on a deny, which blocks the call; and `trace status` saying
// which agents are guarded, in which mode.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLUGIN_FILE } from '../../src/agents/opencode/install.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';

type Before = (info: unknown, output: unknown) => Promise<void>;
interface Plugin {
  server(input: unknown): Promise<{ 'tool.execute.before': Before }>;
  setup(ctx: unknown): Promise<() => Promise<void>>;
}

let repo: TestRepo;
let plugin: Plugin;
const saved = { PATH: process.env.PATH, HOME: process.env.HOME };

beforeAll(async () => {
  repo = makeRepo();
  expect(repo.trace(['init', '--opencode', '--claude', '--yes']).code).toBe(0);
  repo.write('.chainloop.yml', 'trace:\n  guard:\n    mode: enforce\n');
  repo.commit('guard, with OpenCode');
  // The plugin runs `trace` from the PATH, as inside OpenCode; it is the file trace init installed.
  process.env.PATH = repo.env.PATH;
  process.env.HOME = repo.env.HOME;
  plugin = ((await import(`${pathToFileURL(join(repo.dir, PLUGIN_FILE)).href}?t=${Date.now()}`)) as { default: Plugin }).default;
}, 60_000);

afterAll(() => {
  process.env.PATH = saved.PATH;
  process.env.HOME = saved.HOME;
  cleanupTemps();
});

describe('guard: OpenCode', () => {
  it('blocks a denied call by throwing from tool.execute.before, and lets the others run', async () => {
    const v1 = await plugin.server({ directory: repo.dir });
    const before = v1['tool.execute.before'];
    await expect(before({ tool: 'bash', sessionID: 'ses_guard1', callID: 'call_1' }, { args: { command: 'FOO=1 git push -f origin main' } })).rejects.toThrow(/trace guard \[force-push-protected\]/);
    await expect(before({ tool: 'write', sessionID: 'ses_guard1', callID: 'call_2' }, { args: { filePath: join(repo.dir, '.env'), content: 'X=1\n' } })).rejects.toThrow(/\.env is protected/);
    await expect(before({ tool: 'bash', sessionID: 'ses_guard1', callID: 'call_3' }, { args: { command: 'ls -la' } })).resolves.toBeUndefined();
    await expect(before({ tool: 'read', sessionID: 'ses_guard1', callID: 'call_4' }, { args: { filePath: join(repo.dir, '.env') } })).resolves.toBeUndefined();
    const log = JSON.parse(repo.trace(['guard', 'log', '--json']).stdout) as { decisions: { agent: string; rule: string; outcome: string; tool_use_id: string }[] };
    expect(log.decisions.map((d) => [d.agent, d.rule, d.outcome, d.tool_use_id])).toEqual([
      ['opencode', 'force-push-protected', 'deny', 'call_1'],
      ['opencode', 'protected-path', 'deny', 'call_2'],
    ]);
  });

  it('blocks through OpenCode 2.x registrations too', async () => {
    const hooks: ((event: unknown) => unknown)[] = [];
    const ctx = { location: { directory: repo.dir }, tool: { hook: (name: string, callback: (event: unknown) => unknown) => (name === 'execute.before' ? hooks.push(callback) : undefined) } };
    await plugin.setup(ctx);
    const outcomes = await Promise.allSettled(hooks.map((hook) => hook({ tool: 'shell', sessionID: 'ses_guard2', id: 'call_5', input: { command: 'rm -rf /' } })));
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String((o).reason))).toEqual([expect.stringMatching(/trace guard \[rm-root\]/)]);
  });

  it('trace status names the guard mode and which agents honour its decisions', () => {
    const status = JSON.parse(repo.trace(['status', '--json']).stdout) as { guard: { mode: string; agents: Record<string, { status: string; can_ask: boolean }> } };
    expect(status.guard.mode).toBe('enforce');
    expect(status.guard.agents).toMatchObject({ 'claude-code': { status: 'guarded', can_ask: true }, opencode: { status: 'guarded', can_ask: false } });
    const text = repo.trace(['status']).stdout;
    expect(text).toMatch(/guard: mode enforce; .*claude-code guarded \(deny, ask\).*opencode guarded \(deny only/);
    repo.write('.chainloop.yml', 'trace:\n  guard:\n    mode: bogus\n');
    expect((JSON.parse(repo.trace(['status', '--json']).stdout) as { guard: { mode: string } }).guard.mode).toBe('invalid');
    repo.write('.chainloop.yml', 'trace:\n  guard:\n    mode: enforce\n');
  });
});
