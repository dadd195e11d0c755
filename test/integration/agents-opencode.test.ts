// OpenCode end to end with the real bin/trace: install and uninstall the plugin beside a project's own
// OpenCode setup, the real exports' payloads through `trace hook opencode`, and a simulated OpenCode
// session whose edits come out `ai` in the pushed attestation.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { agent as opencode } from '../../src/agents/opencode/index.js';
import { PLUGIN_FILE, pluginText } from '../../src/agents/opencode/install.js';
import { decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';
import { withStore } from '../support/store.js';

afterAll(cleanupTemps);

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/agents/opencode/exports/', import.meta.url));
const PLUGIN = fileURLToPath(new URL('../../hooks/opencode/trace.js', import.meta.url));
const EXPORTS = readdirSync(FIXTURES).filter((name) => name.endsWith('.json'));

type Json = Record<string, unknown>;
interface Part {
  type: string;
  sessionID: string;
  callID?: string;
  tool?: string;
  state?: { input: Json; title?: string; output?: string; metadata?: unknown };
}
interface Exported {
  info: { id: string } & Json;
  messages: { info: { id: string; sessionID: string; role: string; agent?: string; model?: unknown } & Json; parts: Part[] }[];
}
interface V1Hooks {
  event(input: { event: unknown }): Promise<void>;
  'chat.message'(input: unknown, output: unknown): Promise<void>;
  'tool.execute.before'(input: unknown, output: unknown): Promise<void>;
  'tool.execute.after'(input: unknown, output: unknown): Promise<void>;
}

/** Every payload the plugin hands `trace` for an export replayed in `dir` (a `trace` stand-in records them). */
async function pluginPayloads(exported: Exported, dir: string): Promise<{ event: string; input: string }[]> {
  const bin = mkdtempSync(join(tmpdir(), 'trace-oc-rec-'));
  const log = join(bin, 'calls.log');
  writeFileSync(join(bin, 'trace'), `#!/bin/sh\n[ "$3" = guard ] && { cat >/dev/null; exit 0; }\nprintf '%s\\t' "$3" >> "${log}"\ncat >> "${log}"\necho >> "${log}"\n`);
  chmodSync(join(bin, 'trace'), 0o755);
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved ?? ''}`;
  try {
    const plugin = ((await import(pathToFileURL(PLUGIN).href)) as { default: { server(input: unknown): Promise<V1Hooks> } }).default;
    const v1 = await plugin.server({ directory: dir });
    await v1.event({ event: { type: 'session.created', properties: { info: exported.info } } });
    let n = 0;
    for (const message of exported.messages) {
      const info = { ...message.info, id: message.info.id === 'REDACTED' ? `REDACTED${++n}` : message.info.id };
      if (info.role === 'user') {
        await v1['chat.message']({ sessionID: info.sessionID, agent: info.agent, model: info.model, messageID: info.id }, { message: info, parts: message.parts });
        continue;
      }
      for (const part of message.parts) {
        if (part.type !== 'tool' || !part.state) continue;
        const callID = part.callID === 'REDACTED' ? `REDACTED${++n}` : part.callID;
        await v1['tool.execute.before']({ tool: part.tool, sessionID: part.sessionID, callID }, { args: part.state.input });
        await v1['tool.execute.after']({ tool: part.tool, sessionID: part.sessionID, callID, args: part.state.input }, { title: part.state.title, output: part.state.output, metadata: part.state.metadata });
      }
      await v1.event({ event: { type: 'message.updated', properties: { info } } });
    }
    await v1.event({ event: { type: 'session.idle', properties: { sessionID: exported.info.id } } });
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => ({ event: line.slice(0, line.indexOf('\t')), input: line.slice(line.indexOf('\t') + 1) }));
  } finally {
    process.env.PATH = saved;
    rmSync(bin, { recursive: true, force: true });
  }
}

function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out[path.slice(dir.length)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return out;
}

describe('trace init --opencode and uninstall', () => {
  it('adds its plugin beside the project\'s OpenCode plugins and config, twice changes nothing, uninstall leaves them byte-identical', () => {
    const repo = makeRepo({
      init: false,
      initialFiles: {
        'README.md': '# p\n',
        '.opencode/opencode.json': '{\n  "$schema": "https://opencode.ai/config.json",\n  "plugin": ["opencode-wakatime"]\n}\n',
        '.opencode/plugins/notify.ts': 'export const Notify = async () => ({\n  event: async ({ event }) => {},\n})\n',
      },
    });
    const before = files(join(repo.dir, '.opencode'));
    const init = repo.trace(['init', '--opencode', '--yes']);
    expect(init.code, init.stderr).toBe(0);
    expect(repo.read(PLUGIN_FILE)).toBe(pluginText());
    expect(repo.trace(['init', '--opencode', '--yes']).code).toBe(0);
    expect(files(join(repo.dir, '.opencode'))).toEqual({ ...before, '/plugins/trace.ts': pluginText() });
    const uninstall = repo.trace(['uninstall', '--yes']);
    expect(uninstall.code, uninstall.stderr).toBe(0);
    expect(files(join(repo.dir, '.opencode'))).toEqual(before);
  });
});

describe('trace hook opencode with the real exports\' payloads', () => {
  for (const name of EXPORTS) {
    it(`takes every payload of ${name}: exit 0, nothing on stdout, nothing logged as an error`, async () => {
      const repo = makeRepo({ init: false });
      expect(repo.trace(['init', '--opencode', '--yes']).code).toBe(0);
      const text = readFileSync(join(FIXTURES, name), 'utf8');
      const directory = (JSON.parse(text) as Exported).info.directory as string;
      // The session ran in its author's checkout: replay it in this repository.
      const exported = JSON.parse(text.split(directory).join(repo.dir)) as Exported;
      const calls = await pluginPayloads(exported, repo.dir);
      expect(calls.length).toBeGreaterThan(3);
      for (const call of calls) {
        const result = repo.trace(['hook', 'opencode', call.event], { input: call.input });
        expect(result.code, `${call.event}: ${result.stderr}`).toBe(0);
        expect(result.stdout).toBe('');
      }
      const log = join(repo.dir, '.git', 'chainloop-trace', 'log.txt');
      const errors = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((line) => / error /.test(line)) : [];
      expect(errors).toEqual([]);
      // Recorded under the top session: a subagent's child session counts as its parent's.
      const recorded = exported.info.parentID === undefined ? exported.info.id : (exported.info.parentID as string);
      const expected = calls.filter((call) => call.event === 'turn-usage').length;
      withStore(repo, (store) => {
        expect(store.session(recorded)?.agent).toBe('opencode');
        expect(store.turnUsage(recorded)).toHaveLength(expected);
        const shellAndEdits = calls.filter((call) => call.event === 'pre-tool-use').length;
        expect(store.toolCalls(recorded)).toHaveLength(shellAndEdits);
      });
    });
  }
});

describe('a simulated OpenCode session, committed and pushed', () => {
  let repo: TestRepo;
  it('names agent opencode, the session, the model and the lines it wrote in the attestation', () => {
    repo = makeRepo({ init: false, initialFiles: { 'app.ts': 'export const version = 1;\n' } });
    expect(repo.trace(['init', '--opencode', '--yes']).code).toBe(0);
    repo.commit('trace set up');
    repo.git(['push', '-q', 'origin', 'main']);
    const agent = opencode.simulate({ dir: repo.dir, env: repo.env });
    agent.start('gpt-5.3-codex');
    agent.prompt('add a feature and bump the version');
    agent.write('feature.ts', 'export const feature = 1;\nexport const other = 2;\n');
    agent.edit('app.ts', 'version = 1', 'version = 2');
    agent.bash("printf 'generated\\n' > gen.txt");
    agent.end();
    repo.write('notes.md', 'by hand\n');
    const sha = repo.commit('opencode feature');
    const push = repo.git(['push', 'origin', 'main']);
    expect(push.stderr).toContain('trace: attested');
    const statement = decodeStatement(remoteNoteLines(repo, sha)[0]!);
    const commit = statement.predicate.commits.find((c) => c.sha === sha)!;
    const lines = (path: string) => commit.files.find((f) => f.path === path)!.lines;
    expect(lines('feature.ts')).toEqual([{ start: 1, end: 2, attribution: 'ai', session_id: agent.sessionId }]);
    expect(lines('app.ts')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: agent.sessionId }]);
    expect(lines('gen.txt')).toEqual([{ start: 1, end: 1, attribution: 'ai', session_id: agent.sessionId }]);
    expect(lines('notes.md')).toEqual([{ start: 1, end: 1, attribution: 'human' }]);
    const session = statement.predicate.sessions[0] as unknown as {
      session: { id: string };
      agent: { name: string; version?: string };
      model?: { primary: string };
      usage?: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; estimated_cost_usd?: number };
      raw_session?: { main: { type: string; text?: string; name?: string }[] };
    };
    expect(session.session.id).toBe(agent.sessionId);
    expect(session.agent).toEqual({ name: 'opencode', version: '1.18.33' });
    expect(session.model?.primary).toBe('gpt-5.3-codex');
    // The stand-in's three responses: 201, 202, 203 input tokens, 40 output + 16 reasoning each.
    expect(session.usage).toMatchObject({ input_tokens: 606, output_tokens: 168, cache_read_input_tokens: 0 });
    expect(session.usage?.estimated_cost_usd).toBeCloseTo((606 * 1.75 + 168 * 14) / 1e6, 6);
    expect(session.raw_session?.main.map((entry) => entry.text ?? entry.name)).toEqual(['add a feature and bump the version', 'write', 'edit', 'bash']);
  });
});
