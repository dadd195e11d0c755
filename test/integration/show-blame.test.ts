// `trace show` and `trace blame` as a person reads them: subject, honest capture notes, authors and
// dates of human lines, a clear message for a missing file, colour only where asked for.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blame, type BlameLine } from '../../src/commands/blame.js';
import type { Progress } from '../../src/terminal.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo } from '../support/repo.js';

afterAll(cleanupTemps);

// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[/;

describe('trace show', () => {
  it('prints the commit subject, and the agent as claude-code', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.start('claude-opus-4-8');
    agent.write('a.ts', 'export const a = 1;\n');
    repo.commit('Add the a constant\n\nWith a body that is not the subject.');
    const text = repo.trace(['show']).stdout;
    expect(text.split('\n').slice(0, 4).join('\n')).toMatch(/^commit [0-9a-f]{40}\nauthor .*\n\n {4}Add the a constant$/);
    expect(text).not.toContain('With a body');
    expect(text).toContain(`session ${agent.sessionId}: claude-code, claude-opus-4-8`);
    expect(text).not.toContain('no capture');
    const json = JSON.parse(repo.trace(['show', '--json']).stdout) as { subject: string; sessions: { agent: string }[] };
    expect(json.subject).toBe('Add the a constant');
    expect(json.sessions.map((s) => s.agent)).toEqual(['claude-code']);
  });

  it('does not call AI lines of a commit made without the commit hook human', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.write('a.ts', 'export const a = 1;\nexport const b = 2;\n');
    // The commit hook is gone: the commit is attributed afterwards, from the captured edits.
    rmSync(join(repo.dir, '.git', 'hooks', 'post-commit'));
    repo.commit('without the hook', ['a.ts']);
    const json = JSON.parse(repo.trace(['show', '--json']).stdout) as { captured: boolean; files: { ai_lines_added: number }[] };
    expect(json.captured).toBe(false);
    expect(json.files[0]!.ai_lines_added).toBe(2);
    const text = repo.trace(['show']).stdout;
    expect(text).not.toContain('its lines are attributed to human');
    expect(text).toContain('made without capture on this machine: its AI lines are attributed from captured agent edits');
    expect(text).toContain('ai 2 (100%)');
  });

  it('colours ai and human only when asked (FORCE_COLOR), not into a pipe or with NO_COLOR', () => {
    const repo = makeRepo();
    new FakeClaude(repo).write('a.ts', 'one\n');
    repo.commit('a');
    expect(repo.trace(['show']).stdout).not.toMatch(ESCAPE);
    expect(repo.trace(['show'], { env: { FORCE_COLOR: '1' } }).stdout).toMatch(ESCAPE);
    expect(repo.trace(['show'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stdout).not.toMatch(ESCAPE);
    expect(repo.trace(['blame', 'a.ts'], { env: { FORCE_COLOR: '1' } }).stdout).toMatch(ESCAPE);
    expect(repo.trace(['blame', 'a.ts']).stdout).not.toMatch(ESCAPE);
  });
});

describe('trace blame', () => {
  it('shows the author and date of human lines', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.start('claude-opus-4-8');
    agent.write('m.ts', 'a();\n');
    repo.commit('ai');
    repo.write('m.ts', 'a();\nb();\n');
    repo.git(['add', 'm.ts']);
    repo.sh('GIT_AUTHOR_NAME="Bo Human" GIT_AUTHOR_EMAIL=bo@example.com GIT_AUTHOR_DATE="2026-03-04T05:06:07+0130" git commit -q -m human');
    const lines = (JSON.parse(repo.trace(['blame', 'm.ts', '--json']).stdout) as { lines: BlameLine[] }).lines;
    expect(lines[0]).toMatchObject({ attribution: 'ai', agent: 'claude-code', author: { name: 'Dev', email: 'dev@example.com' } });
    expect(lines[1]).toMatchObject({ attribution: 'human', author: { name: 'Bo Human', email: 'bo@example.com', date: '2026-03-04T05:06:07+01:30' } });
    const text = repo.trace(['blame', 'm.ts']).stdout.split('\n');
    expect(text[0]).toMatch(/^[0-9a-f]{8} ai claude-code claude-opus-4-8 \w{8}\s+1\) a\(\);$/);
    expect(text[1]).toMatch(/^[0-9a-f]{8} human Bo Human 2026-03-04\s+2\) b\(\);$/);
  });

  it('attributes commits with no record in one pass, AI lines included', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.start('claude-opus-4-8');
    rmSync(join(repo.dir, '.git', 'hooks', 'post-commit'));
    agent.write('a.ts', 'one();\n');
    repo.commit('one', ['a.ts']);
    agent.edit('a.ts', 'one();\n', 'one();\ntwo();\n');
    repo.commit('two', ['a.ts']);
    repo.write('a.ts', 'one();\ntwo();\nthree();\n');
    repo.commit('three', ['a.ts']);
    const lines = (JSON.parse(repo.trace(['blame', 'a.ts', '--json']).stdout) as { lines: BlameLine[] }).lines;
    expect(lines.map((l) => [l.attribution, l.agent, l.captured])).toEqual([
      ['ai', 'claude-code', false],
      ['ai', 'claude-code', false],
      ['human', null, false],
    ]);
  });

  it('says a missing file does not exist at the revision, exit 2, without git’s fatal:', () => {
    const repo = makeRepo();
    repo.write('new.txt', 'new\n');
    repo.commit('new');
    for (const [args, message] of [
      [['blame', 'nope.txt'], 'trace: nope.txt does not exist at HEAD'],
      [['blame', 'new.txt', '--rev', 'HEAD~1'], 'trace: new.txt does not exist at HEAD~1'],
    ] as const) {
      const result = repo.trace([...args]);
      expect(result.code).toBe(2);
      expect(result.stderr.split('\n')[0]).toBe(message);
      expect(result.stderr).not.toContain('fatal:');
      expect(result.stdout).toBe('');
    }
    // The error's prefix is coloured on a terminal (forced here), plain in a pipe.
    expect(repo.trace(['blame', 'nope.txt'], { env: { FORCE_COLOR: '1' } }).stderr).toMatch(ESCAPE);
  });

  it('reports progress over the commits it attributes, and clears it', async () => {
    const repo = makeRepo();
    for (let i = 1; i <= 3; i++) {
      repo.write('f.txt', Array.from({ length: i }, (_, n) => `line ${n}\n`).join(''));
      repo.commit(`commit ${i}`);
    }
    const seen: { label: string; total: number | undefined; updates: number[]; done: boolean } = { label: '', total: undefined, updates: [], done: false };
    const progress = (label: string, total?: number): Progress => {
      Object.assign(seen, { label, total });
      return { update: (n) => seen.updates.push(n), done: () => (seen.done = true) };
    };
    const outcome = await blame({ cwd: repo.dir, file: 'f.txt', progress });
    expect((outcome.json as { lines: unknown[] }).lines).toHaveLength(3);
    expect(seen).toEqual({ label: 'blame: attributing commits', total: 3, updates: [1, 2, 3], done: true });
  });
});

describe('trace hook --help', () => {
  it('prints help instead of running the hook bundle, and a usage error without its arguments', () => {
    const repo = makeRepo();
    for (const args of [['hook', '--help'], ['hook', 'claude', 'post-tool-use', '--help'], ['hook', '-h']]) {
      const result = repo.trace(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: trace hook [options] <agent> <event>');
      expect(result.stdout).toContain('claude (recorded as claude-code), cursor (recorded as cursor)');
    }
    const missing = repo.trace(['hook', 'claude']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'event'");
    // An agent's call still goes to the hook: silent, exit 0.
    const call = repo.trace(['hook', 'claude', 'session-start'], { input: JSON.stringify({ session_id: 's', transcript_path: '/t', cwd: repo.dir, hook_event_name: 'SessionStart' }) });
    expect(call).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('trace show and ambiguous lines', () => {
  it('names the possible authors of a line changed while an agent command ran', () => {
    const repo = makeRepo({ initialFiles: { 'notes.md': '# notes\n' } });
    const agent = new FakeClaude(repo);
    agent.tool('Bash', { command: 'sleep 0.1', description: 'wait' }, () => {
      repo.write('notes.md', '# notes\ntyped by the developer\n');
      return { stdout: '', stderr: '', interrupted: false };
    });
    repo.commit('notes');
    const shown = repo.trace(['show']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`2  ambiguous: could be session ${agent.sessionId}, a person (changed while their calls ran at once)`);
  });
});
