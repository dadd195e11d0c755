// Claude Code's Write and Edit post hooks spool their payload in a shell step (no Node); every process
// that opens the store takes the spool in first (src/capture/spool.ts).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommitAttribution, LineRange } from '../../src/core/types.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, run, type TestRepo } from '../support/repo.js';
import { blobText, withStore } from '../support/store.js';

afterAll(cleanupTemps);

const lines = (...items: string[]) => `${items.join('\n')}\n`;
const ai = (start: number, end: number, session: string): LineRange => ({ start, end, attribution: 'ai', session_id: session });
const human = (start: number, end: number): LineRange => ({ start, end, attribution: 'human' });

const stateDir = (repo: TestRepo) => join(repo.dir, '.git', 'chainloop-trace');
const spooled = (repo: TestRepo) => (existsSync(join(stateDir(repo), 'spool')) ? readdirSync(join(stateDir(repo), 'spool')) : []);

function ranges(repo: TestRepo, path: string, rev = 'HEAD'): LineRange[] {
  const result = repo.trace(['show', rev, '--json']);
  if (result.code !== 0) throw new Error(`trace show failed: ${result.stderr}`);
  const file = (JSON.parse(result.stdout) as CommitAttribution).files.find((f) => f.path === path);
  if (!file) throw new Error(`${path} is not in ${rev}`);
  return file.lines;
}

function changes(repo: TestRepo, path: string) {
  return withStore(repo, (store) =>
    store.changesForPath(path).map((c) => ({
      tool: c.tool_call_id,
      before: c.before_state === 'content' ? blobText(store, c.before_oid) : c.before_state,
      after: c.after_state === 'content' ? blobText(store, c.after_oid) : c.after_state,
      human_gap: c.human_gap,
    })),
  );
}

function log(repo: TestRepo): string {
  const file = join(stateDir(repo), 'log.txt');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** The command `trace init` installed for Claude Code's `event` and `tool`. */
function installed(dir: string, event: string, tool: string): string {
  const settings = JSON.parse(readFileSync(join(dir, '.claude', 'settings.json'), 'utf8')) as { hooks: Record<string, { matcher: string; hooks: { command: string }[] }[]> };
  return settings.hooks[event]!.find((group) => group.matcher.split('|').includes(tool))!.hooks[0]!.command;
}

describe('the spooling step', () => {
  it('starts no Node and leaves one payload per call, named in order', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('one') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'one', 'two');
    agent.edit('a.txt', 'two', 'three');
    const names = spooled(repo);
    expect(names).toHaveLength(2);
    for (const name of names) expect(name).toMatch(/^\d{19}\.\d+\.claude\.post-tool-use\.json$/);
    expect(agent.results.filter((result) => result.code !== 0 || result.stdout !== '' || result.stderr !== '')).toEqual([]);

    // Any command that opens the store takes them in.
    expect(repo.trace(['status']).code).toBe(0);
    expect(spooled(repo)).toEqual([]);
    expect(changes(repo, 'a.txt').map((c) => [c.before, c.after, c.human_gap])).toEqual([
      [lines('one'), lines('two'), 0],
      [lines('two'), lines('three'), 0],
    ]);
  });

  it('is a no-op, silent, in a repository where trace init never ran', () => {
    const repo = makeRepo({ init: false });
    mkdirSync(join(repo.dir, '.claude'));
    const template = readFileSync(join(import.meta.dirname, '..', '..', 'hooks', 'claude', 'settings.json'), 'utf8');
    writeFileSync(join(repo.dir, '.claude', 'settings.json'), template);
    const command = installed(repo.dir, 'PostToolUse', 'Write');
    const result = run('sh', ['-c', command], { cwd: repo.dir, env: { ...repo.env, CLAUDE_PROJECT_DIR: repo.dir }, input: '{"hook_event_name":"PostToolUse"}' });
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(existsSync(stateDir(repo))).toBe(false);
    // Outside any repository too.
    expect(run('sh', ['-c', command], { cwd: repo.home, env: repo.env, input: '{}' })).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('is a no-op, silent, for a teammate without trace on the PATH', () => {
    const repo = makeRepo();
    const command = installed(repo.dir, 'PostToolUse', 'Edit');
    const env = { ...repo.env, PATH: '/usr/bin:/bin', CLAUDE_PROJECT_DIR: repo.dir };
    expect(run('sh', ['-c', 'command -v trace'], { cwd: repo.dir, env }).code).not.toBe(0);
    expect(run('sh', ['-c', command], { cwd: repo.dir, env, input: '{"hook_event_name":"PostToolUse"}' })).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(spooled(repo)).toEqual([]);
  });

  it('runs trace hook instead when the spool folder is missing (a trace that does not take the spool in)', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('one') } });
    rmSync(join(stateDir(repo), 'spool'), { recursive: true });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'one', 'two');
    expect(spooled(repo)).toEqual([]);
    const db = new Database(join(stateDir(repo), 'trace.db'), { readonly: true });
    try {
      expect(db.prepare("SELECT tool_name, status FROM tool_calls").all()).toEqual([{ tool_name: 'Edit', status: 'done' }]);
    } finally {
      db.close();
    }
    // That hook made the folder: the next call spools.
    agent.edit('a.txt', 'two', 'three');
    expect(spooled(repo)).toHaveLength(1);
  });

  it('spools from a subdirectory and from a linked worktree, into the common state dir', () => {
    const repo = makeRepo({ initialFiles: { 'src/a.txt': lines('one') } });
    const command = installed(repo.dir, 'PostToolUse', 'Edit');
    const edit = (dir: string, id: string, before: string, after: string) =>
      JSON.stringify({
        session_id: 'sess-sub',
        cwd: dir,
        hook_event_name: 'PostToolUse',
        tool_name: 'Edit',
        tool_use_id: id,
        tool_input: { file_path: join(dir, 'a.txt'), old_string: before.trim(), new_string: after.trim(), replace_all: false },
        tool_response: { filePath: join(dir, 'a.txt'), originalFile: before, structuredPatch: [], userModified: false },
        duration_ms: 3,
      });
    // Claude Code started in src/: hooks run there, CLAUDE_PROJECT_DIR names it.
    const sub = join(repo.dir, 'src');
    repo.write('src/a.txt', lines('two'));
    expect(run('sh', ['-c', command], { cwd: sub, env: { ...repo.env, CLAUDE_PROJECT_DIR: sub }, input: edit(sub, 'toolu_sub', lines('one'), lines('two')) }).code).toBe(0);
    // No CLAUDE_PROJECT_DIR: the hook's own directory.
    repo.write('src/a.txt', lines('three'));
    expect(run('sh', ['-c', command], { cwd: sub, env: repo.env, input: edit(sub, 'toolu_sub2', lines('two'), lines('three')) }).code).toBe(0);
    expect(spooled(repo)).toHaveLength(2);
    repo.commit('from src');
    expect(ranges(repo, 'src/a.txt')).toEqual([ai(1, 1, 'sess-sub')]);

    const tree = join(repo.home, 'linked');
    repo.git(['worktree', 'add', '-q', '-b', 'side', tree]);
    writeFileSync(join(tree, 'src', 'a.txt'), lines('three', 'four'));
    const linkedSub = join(tree, 'src');
    const payload = edit(linkedSub, 'toolu_linked', lines('three'), lines('three', 'four'));
    expect(run('sh', ['-c', command], { cwd: tree, env: { ...repo.env, CLAUDE_PROJECT_DIR: tree }, input: payload })).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(spooled(repo)).toHaveLength(1);
    expect(existsSync(join(repo.dir, '.git', 'worktrees', 'linked', 'chainloop-trace'))).toBe(false);
    repo.git(['add', '-A'], { cwd: tree });
    repo.git(['commit', '-q', '-m', 'in the linked tree'], { cwd: tree });
    expect(repo.trace(['show', 'side', '--json'], { cwd: tree }).code).toBe(0);
    const file = (JSON.parse(repo.trace(['show', 'side', '--json'], { cwd: tree }).stdout) as CommitAttribution).files.find((f) => f.path === 'src/a.txt')!;
    expect(file.lines).toEqual([ai(2, 2, 'sess-sub')]);
  });
});

describe('taking the spool in', () => {
  it('keeps the order of several Edits of one file, taken in by a commit', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nfirst\n');
    agent.edit('a.txt', 'first\n', 'first\nsecond\n');
    agent.edit('a.txt', 'second\n', 'second\nthird\n');
    agent.edit('a.txt', 'first', 'FIRST');
    expect(spooled(repo)).toHaveLength(4);
    repo.commit('four edits');
    expect(ranges(repo, 'a.txt')).toEqual([ai(2, 4, agent.sessionId)]);
    expect(spooled(repo)).toEqual([]);
    expect(changes(repo, 'a.txt').map((c) => c.human_gap)).toEqual([0, 0, 0, 0]);
    expect(log(repo)).toBe('');
  });

  it('keeps a human edit made after a spooled Edit and before its take-in as the human’s', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('base') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'base\n', 'base\nagent 1\nagent 2\n');
    // The person rewrites one of the agent's lines and adds one before anything took the call in.
    repo.write('a.txt', lines('base', 'agent 1', 'mine instead', 'mine too'));
    expect(spooled(repo)).toHaveLength(1);
    repo.commit('mixed');
    expect(ranges(repo, 'a.txt')).toEqual([ai(2, 2, agent.sessionId), human(3, 4)]);
    // The call's after is what the agent wrote, not the file as the take-in found it.
    // (The commit's own observation of the person's lines follows it.)
    expect(changes(repo, 'a.txt')[0]).toMatchObject({ before: lines('base'), after: lines('base', 'agent 1', 'agent 2'), human_gap: 0 });
  });

  it('keeps the bytes of a CRLF file Claude Code edited with LF text', () => {
    const repo = makeRepo({ initialFiles: { 'w.txt': 'one\r\ntwo\r\n' } });
    const agent = new FakeClaude(repo);
    // Claude Code 2.1.197: originalFile and the strings with LF endings; the file written back in CRLF.
    const file = join(repo.dir, 'w.txt');
    const payload = (id: string, original: string, oldString: string, newString: string) => ({
      tool_name: 'Edit',
      tool_use_id: id,
      tool_input: { file_path: file, old_string: oldString, new_string: newString, replace_all: false },
      tool_response: { filePath: file, oldString, newString, originalFile: original, structuredPatch: [], userModified: false, replaceAll: false },
      duration_ms: 5,
    });
    repo.write('w.txt', 'one\r\nTWO\r\nthree\r\n');
    agent.fire('PostToolUse', payload('toolu_crlf1', 'one\ntwo\n', 'two', 'TWO\nthree'));
    repo.write('w.txt', 'ONE\r\nTWO\r\nthree\r\n');
    agent.fire('PostToolUse', payload('toolu_crlf2', 'one\nTWO\nthree\n', 'one', 'ONE'));
    // A human line after both calls, before the take-in: the file is no longer the last call's result.
    repo.write('w.txt', 'ONE\r\nTWO\r\nthree\r\nmine\r\n');
    repo.commit('crlf');
    expect(changes(repo, 'w.txt').slice(0, 2).map((c) => [c.before, c.after, c.human_gap])).toEqual([
      ['one\r\ntwo\r\n', 'one\r\nTWO\r\nthree\r\n', 0],
      ['one\r\nTWO\r\nthree\r\n', 'ONE\r\nTWO\r\nthree\r\n', 0],
    ]);
    expect(ranges(repo, 'w.txt')).toEqual([ai(1, 3, agent.sessionId), human(4, 4)]);
    expect(log(repo)).not.toMatch(/ (warn|error) /);
  });

  it('records a Write and a failed Edit as the post hook did, at the time the call ended', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('one') } });
    const agent = new FakeClaude(repo);
    const before = Date.now();
    agent.write('new.txt', lines('fresh'));
    agent.edit('a.txt', 'not there', 'x');
    const after = Date.now();
    const calls = withStore(repo, (store) => store.toolCalls(agent.sessionId));
    expect(calls.map((call) => [call.tool_name, call.status])).toEqual([
      ['Write', 'done'],
      ['Edit', 'failed'],
    ]);
    for (const call of calls) {
      expect(Date.parse(call.ended_at!)).toBeGreaterThanOrEqual(before - 20);
      expect(Date.parse(call.ended_at!)).toBeLessThanOrEqual(after + 20);
    }
    expect(changes(repo, 'new.txt')).toMatchObject([{ before: 'absent', after: lines('fresh') }]);
    expect(changes(repo, 'a.txt')).toEqual([]);
  });

  it('captures an Edit the payload cannot rebuild from the file as it is, with a warning', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('one') } });
    const agent = new FakeClaude(repo);
    repo.write('a.txt', lines('two'));
    agent.fire('PostToolUse', {
      tool_name: 'Edit',
      tool_use_id: 'toolu_odd',
      tool_input: { file_path: join(repo.dir, 'a.txt'), old_string: 'absent', new_string: 'two' },
      tool_response: { filePath: join(repo.dir, 'a.txt'), originalFile: lines('one'), structuredPatch: [] },
    });
    expect(changes(repo, 'a.txt')).toMatchObject([{ before: lines('one'), after: lines('two') }]);
    expect(log(repo)).toMatch(/toolu_odd \(a\.txt\): the payload does not give the file's content after the call/);
  });

  it('moves a malformed spool file aside, takes in the rest, and trace doctor reports it', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('one') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'one', 'two');
    const dir = join(stateDir(repo), 'spool');
    writeFileSync(join(dir, '1000000000000000000.1.claude.post-tool-use.json'), '{"session_id": "trunc');
    writeFileSync(join(dir, 'stray.txt'), 'x');
    expect(repo.trace(['status']).code).toBe(0);
    expect(spooled(repo)).toEqual([]);
    expect(readdirSync(join(stateDir(repo), 'spool-aside')).sort()).toEqual(['1000000000000000000.1.claude.post-tool-use.json', 'stray.txt']);
    expect(log(repo)).toMatch(/spool: 1000000000000000000\.1\.claude\.post-tool-use\.json moved aside to spool-aside\/: malformed JSON payload/);
    expect(changes(repo, 'a.txt')).toMatchObject([{ before: lines('one'), after: lines('two') }]);
    const doctor = JSON.parse(repo.trace(['doctor', '--json']).stdout) as { checks: { id: string; status: string; message: string }[] };
    expect(doctor.checks.find((check) => check.id === 'spool')).toMatchObject({ status: 'warn', message: expect.stringContaining('2 spooled agent calls could not be taken in') as unknown });
  });

  it('is taken in by trace’s own Node hooks before their call, so the calls stay in order', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': lines('one') } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'one', 'two');
    // Bash's lanes spool too (with their snapshots); the next Node hook takes all three in, in order.
    agent.bash(`printf 'two\\nthree\\n' > a.txt`);
    expect(spooled(repo)).toHaveLength(3);
    agent.prompt('go on');
    expect(spooled(repo)).toEqual([]);
    expect(changes(repo, 'a.txt').map((c) => [c.before, c.after, c.human_gap])).toEqual([
      [lines('one'), lines('two'), 0],
      [lines('two'), lines('two', 'three'), 0],
    ]);
  });
});
