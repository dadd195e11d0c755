import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENTS } from '../../src/agents/index.js';
import { decodeStatement, remoteNoteLines } from '../support/attestations.js';
import { cleanupTemps, makeRepo } from '../support/repo.js';

afterAll(cleanupTemps);

/** Each agent's config as a team might already have it: someone else's hook, or a setting, in it. */
const EXISTING: Record<string, string> = {
  '.claude/settings.json': `${JSON.stringify({ permissions: { allow: ['Bash(npm test)'] }, hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './guard.sh' }] }] } }, null, 2)}\n`,
  '.cursor/hooks.json': `${JSON.stringify({ version: 1, hooks: { beforeShellExecution: [{ command: './cursor-guard.sh' }] } }, null, 2)}\n`,
  '.codex/hooks.json': `${JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }] } }, null, 2)}\n`,
  '.gemini/settings.json': `${JSON.stringify({ ui: { theme: 'GitHub' }, hooks: { BeforeTool: [{ matcher: 'read_file', hooks: [{ type: 'command', command: './audit.sh', timeout: 2000 }] }] } }, null, 2)}\n`,
  // Copilot reads every file of .github/hooks/: trace writes its own, a team's stays as it is.
  '.github/hooks/team.json': `${JSON.stringify({ version: 1, hooks: { sessionStart: [{ type: 'command', bash: './hello.sh' }] } }, null, 2)}\n`,
};

interface SessionObject {
  agent: { name: string };
  session: { id: string };
}

describe('every agent in one repository', () => {
  it('trace init with every agent flag wires them all, keeping what was there; uninstall leaves every file as it was', () => {
    const repo = makeRepo({ init: false });
    for (const [file, text] of Object.entries(EXISTING)) repo.write(file, text);
    const flags = AGENTS.map((agent) => `--${agent.hooks.hookName}`);
    const init = repo.trace(['init', ...flags, '--yes', '--json']);
    expect(init.code).toBe(0);
    const installed = (JSON.parse(init.stdout) as { agents: { agent: string; status: string }[] }).agents;
    expect(installed.map((a) => [a.agent, a.status])).toEqual(AGENTS.map((agent) => [agent.hooks.name, 'installed']));

    // Every config has trace's hooks, complete and current (status reads them back through each agent).
    const status = JSON.parse(repo.trace(['status', '--json']).stdout) as { hooks: { agents: Record<string, boolean> } };
    expect(status.hooks.agents).toEqual(Object.fromEntries(AGENTS.map((agent) => [agent.hooks.name, true])));
    const configs = Object.fromEntries(AGENTS.map((agent) => [agent.configFile, repo.read(agent.configFile)]));
    expect(repo.read('.github/hooks/team.json')).toBe(EXISTING['.github/hooks/team.json']);

    // Twice changes nothing.
    expect(repo.trace(['init', ...flags, '--yes']).code).toBe(0);
    for (const agent of AGENTS) expect(repo.read(agent.configFile)).toBe(configs[agent.configFile]);

    expect(repo.trace(['uninstall', '--yes']).code).toBe(0);
    for (const [file, text] of Object.entries(EXISTING)) expect(repo.read(file)).toBe(text);
    for (const agent of AGENTS) {
      if (!(agent.configFile in EXISTING)) expect(existsSync(join(repo.dir, agent.configFile)), agent.configFile).toBe(false);
    }
  });

  it("each agent's edits come out ai with its own session in one pushed attestation", () => {
    const repo = makeRepo({ init: false });
    expect(repo.trace(['init', ...AGENTS.map((agent) => `--${agent.hooks.hookName}`), '--yes']).code).toBe(0);
    repo.commit('trace set up');
    repo.git(['push', '-q', 'origin', 'main']);
    const sessions = new Map<string, string>();
    for (const agent of AGENTS) {
      const simulated = agent.simulate(repo);
      simulated.start();
      simulated.prompt(`write your file, ${agent.displayName}`);
      simulated.write(`${agent.hooks.hookName}.txt`, `written by ${agent.hooks.name}\nsecond line\n`);
      simulated.end();
      sessions.set(`${agent.hooks.hookName}.txt`, simulated.sessionId);
    }
    repo.write('human.txt', 'typed by a person\n');
    const sha = repo.commit('every agent at once');
    repo.git(['push', '-q', 'origin', 'main']);

    const statement = decodeStatement(remoteNoteLines(repo, sha)[0]!);
    const commit = statement.predicate.commits.find((c) => c.sha === sha)!;
    for (const [file, sessionId] of sessions) {
      expect(commit.files.find((f) => f.path === file)?.lines, file).toEqual([{ start: 1, end: 2, attribution: 'ai', session_id: sessionId }]);
    }
    expect(commit.files.find((f) => f.path === 'human.txt')?.lines).toEqual([{ start: 1, end: 1, attribution: 'human' }]);
    const named = (statement.predicate.sessions as unknown as SessionObject[]).map((s) => [s.session.id, s.agent.name]).sort();
    expect(named).toEqual(AGENTS.map((agent) => [sessions.get(`${agent.hooks.hookName}.txt`)!, agent.hooks.name]).sort());
  });
});
