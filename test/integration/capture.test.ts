import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClaude, useLegacyClaudeSettings, withoutGuardHooks } from '../support/claude.js';
import { cleanupTemps, makeRepo, TRACE_BIN, type TestRepo } from '../support/repo.js';
import { blobText, withStore } from '../support/store.js';

afterAll(cleanupTemps);

function changes(repo: TestRepo, path: string) {
  return withStore(repo, (store) =>
    store.changesForPath(path).map((c) => ({
      session: c.session_id,
      before: c.before_state === 'content' ? blobText(store, c.before_oid) : c.before_state,
      after: c.after_state === 'content' ? blobText(store, c.after_oid) : c.after_state,
      skipped: c.skipped,
      human_gap: c.human_gap,
    })),
  );
}

function log(repo: TestRepo): string {
  const file = join(repo.dir, '.git', 'chainloop-trace', 'log.txt');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

describe('capture of file tools', () => {
  it('stores the content before and after Write, Edit and MultiEdit, and prints nothing', () => {
    const repo = makeRepo({ initialFiles: { 'src/app.ts': 'const a = 1;\n' } });
    const agent = new FakeClaude(repo);
    agent.start();
    agent.write('src/new.ts', 'export const x = 1;\n');
    agent.edit('src/app.ts', 'const a = 1;', 'const a = 2;\nconst b = 3;');
    agent.multiEdit('src/app.ts', [
      { old_string: 'const a = 2;', new_string: 'let a = 2;' },
      { old_string: 'const b = 3;', new_string: 'let b = 3;' },
    ]);
    expect(agent.results.every((r) => r.code === 0 && r.stdout === '')).toBe(true);
    expect(changes(repo, 'src/new.ts')).toEqual([{ session: agent.sessionId, before: 'absent', after: 'export const x = 1;\n', skipped: null, human_gap: 0 }]);
    expect(changes(repo, 'src/app.ts')).toEqual([
      { session: agent.sessionId, before: 'const a = 1;\n', after: 'const a = 2;\nconst b = 3;\n', skipped: null, human_gap: 0 },
      { session: agent.sessionId, before: 'const a = 2;\nconst b = 3;\n', after: 'let a = 2;\nlet b = 3;\n', skipped: null, human_gap: 0 },
    ]);
    expect(log(repo)).toBe('');
  });

  it('runs no pre hook for Write and Edit: the post hook takes the content before from the payload, without a warning', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'one\n' } });
    withoutGuardHooks(repo.dir);
    const agent = new FakeClaude(repo);
    agent.write('new.txt', 'fresh\n');
    agent.edit('a.txt', 'one', 'one\ntwo');
    // One hook process per call: the post hook.
    expect(agent.results).toHaveLength(2);
    expect(existsSync(join(repo.dir, '.git', 'chainloop-trace', 'pending')) ? readdirSync(join(repo.dir, '.git', 'chainloop-trace', 'pending')) : []).toEqual([]);
    expect(changes(repo, 'new.txt')).toEqual([{ session: agent.sessionId, before: 'absent', after: 'fresh\n', skipped: null, human_gap: 0 }]);
    expect(changes(repo, 'a.txt')).toEqual([{ session: agent.sessionId, before: 'one\n', after: 'one\ntwo\n', skipped: null, human_gap: 0 }]);
    expect(log(repo)).toBe('');
    // The window reaches back from the post hook over the call's run (duration_ms) and the agent's start of the hook.
    const calls = withStore(repo, (store) => store.toolCalls(agent.sessionId));
    for (const call of calls) expect(Date.parse(call.ended_at!) - Date.parse(call.started_at!)).toBeGreaterThanOrEqual(1000);
  });

  it('records a failed Edit, which ran no pre hook, as a failed call that changed nothing', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'one\n' } });
    withoutGuardHooks(repo.dir);
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'not there', 'x');
    expect(agent.results).toHaveLength(1);
    const calls = withStore(repo, (store) => store.toolCalls(agent.sessionId).map((call) => [call.tool_name, call.status, call.error]));
    expect(calls).toEqual([['Edit', 'failed', expect.stringContaining('old_string not found')]]);
    expect(changes(repo, 'a.txt')).toEqual([]);
    expect(log(repo)).toBe('');
  });

  it('a human change before a Write or Edit without a pre hook is a gap, as with one', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'one\n' } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'one', 'one\ntwo');
    repo.write('a.txt', 'one\ntwo\nmine\n');
    agent.write('a.txt', 'one\ntwo\nmine\nthree\n');
    expect(changes(repo, 'a.txt').map((change) => [change.before, change.human_gap])).toEqual([
      ['one\n', 0],
      ['one\ntwo\nmine\n', 1],
    ]);
  });

  it("takes Claude Code's originalFile back to the file's CRLF line endings", () => {
    const repo = makeRepo({ initialFiles: { 'w.txt': 'one\r\ntwo\r\n' } });
    const agent = new FakeClaude(repo);
    const file = join(repo.dir, 'w.txt');
    // Claude Code reads the file with LF line endings and writes it back with CRLF.
    repo.write('w.txt', 'one\r\nTWO\r\n');
    agent.fire('PostToolUse', {
      tool_name: 'Edit',
      tool_use_id: 'toolu_crlf',
      tool_input: { file_path: file, old_string: 'two', new_string: 'TWO' },
      tool_response: { filePath: file, oldString: 'two', newString: 'TWO', originalFile: 'one\ntwo\n', structuredPatch: [], userModified: false, replaceAll: false },
      duration_ms: 4,
    });
    expect(changes(repo, 'w.txt')).toEqual([{ session: agent.sessionId, before: 'one\r\ntwo\r\n', after: 'one\r\nTWO\r\n', skipped: null, human_gap: 0 }]);
    expect(log(repo)).toBe('');
  });

  it('records the content before as unknown, with a warning, when the reported one cannot be the bytes of a file that is not UTF-8', () => {
    const repo = makeRepo({ initialFiles: { 'l.txt': 'x\n' } });
    const agent = new FakeClaude(repo);
    const file = join(repo.dir, 'l.txt');
    writeFileSync(file, Buffer.from('CAF\xc9\n', 'latin1'));
    agent.fire('PostToolUse', {
      tool_name: 'Edit',
      tool_use_id: 'toolu_latin1',
      tool_input: { file_path: file, old_string: 'café', new_string: 'CAFÉ' },
      tool_response: { filePath: file, oldString: 'café', newString: 'CAFÉ', originalFile: 'café\n', structuredPatch: [], userModified: false, replaceAll: false },
      duration_ms: 4,
    });
    expect(changes(repo, 'l.txt').map((change) => change.before)).toEqual(['unknown']);
    expect(log(repo)).toMatch(/toolu_latin1 \(l\.txt\): the content before the call the agent reports is not what the file held/);
  });

  it('captures NotebookEdit by its notebook_path', () => {
    const repo = makeRepo({ initialFiles: { 'nb.ipynb': '{"cells": []}\n' } });
    const agent = new FakeClaude(repo);
    const file = join(repo.dir, 'nb.ipynb');
    agent.tool('NotebookEdit', { notebook_path: file, new_source: 'print(1)', edit_mode: 'insert' }, () => repo.write('nb.ipynb', '{"cells": [{"source": "print(1)"}]}\n'));
    expect(changes(repo, 'nb.ipynb')[0]!.after).toBe('{"cells": [{"source": "print(1)"}]}\n');
  });

  it('keeps a human change between two tool calls as a gap', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'one\n' } });
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'one', 'one\ntwo');
    repo.write('a.txt', 'one\ntwo\nmine\n');
    agent.edit('a.txt', 'mine', 'mine\nthree');
    const recorded = changes(repo, 'a.txt');
    expect(recorded[1]).toMatchObject({ before: 'one\ntwo\nmine\n', after: 'one\ntwo\nmine\nthree\n', human_gap: 1 });
    expect(recorded[0]!.human_gap).toBe(0);
  });

  it('records a deleted file', () => {
    const repo = makeRepo({ initialFiles: { 'gone.txt': 'bye\n' } });
    const agent = new FakeClaude(repo);
    agent.remove('gone.txt');
    expect(changes(repo, 'gone.txt')).toEqual([{ session: agent.sessionId, before: 'bye\n', after: 'absent', skipped: null, human_gap: 0 }]);
  });

  it('works a missing pre capture back from the reported original file, in UTF-8', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'café\nnaïve\n' } });
    const agent = new FakeClaude(repo);
    repo.write('a.txt', 'café\nNAÏVE\n');
    agent.fire('PostToolUse', {
      tool_name: 'Edit',
      tool_use_id: 'toolu_unicode',
      tool_input: { file_path: join(repo.dir, 'a.txt'), old_string: 'naïve', new_string: 'NAÏVE' },
      tool_response: { filePath: join(repo.dir, 'a.txt'), originalFile: 'café\nnaïve\n' },
    });
    repo.write('a.txt', 'CAFÉ\nNAÏVE\n');
    agent.fire('PostToolUse', {
      tool_name: 'Edit',
      tool_use_id: 'toolu_undone',
      tool_input: { file_path: join(repo.dir, 'a.txt'), old_string: 'café', new_string: 'CAFÉ' },
      tool_response: { filePath: join(repo.dir, 'a.txt') },
    });
    expect(changes(repo, 'a.txt').map((change) => change.before)).toEqual(['café\nnaïve\n', 'café\nNAÏVE\n']);
  });

  it('works a missing pre capture back from the Edit', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'alpha\nbeta\n' } });
    const agent = new FakeClaude(repo);
    repo.write('a.txt', 'alpha\nBETA\n');
    agent.fire('PostToolUse', {
      tool_name: 'Edit',
      tool_use_id: 'toolu_lonely',
      tool_input: { file_path: join(repo.dir, 'a.txt'), old_string: 'beta', new_string: 'BETA' },
      tool_response: { filePath: join(repo.dir, 'a.txt') },
    });
    expect(changes(repo, 'a.txt')).toEqual([{ session: agent.sessionId, before: 'alpha\nbeta\n', after: 'alpha\nBETA\n', skipped: null, human_gap: 0 }]);
    expect(log(repo)).toContain('no pre-tool-use capture for toolu_lonely');
  });
});

// Pending records, as installs made before Write and Edit lost their pre hook still make them for
// every file tool (and current ones for MultiEdit, NotebookEdit and Bash).
describe('pre hooks left pending', () => {
  const legacyAgent = (repo: TestRepo) => {
    useLegacyClaudeSettings(repo.dir);
    return new FakeClaude(repo);
  };
  const pendingDir = (repo: TestRepo) => join(repo.dir, '.git', 'chainloop-trace', 'pending');
  const rawToolCalls = (repo: TestRepo) => {
    const db = new Database(join(repo.dir, '.git', 'chainloop-trace', 'trace.db'), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM tool_calls').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  const editCall = (repo: TestRepo, id: string, extra: Record<string, unknown> = {}) => ({
    tool_name: 'Edit',
    tool_use_id: id,
    tool_input: { file_path: join(repo.dir, 'a.txt'), old_string: 'one', new_string: 'two' },
    ...extra,
  });

  it('leaves the record and a copy of the file without opening the store; the post hook takes them in', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'one\n' } });
    const agent = legacyAgent(repo);
    agent.fire('PreToolUse', editCall(repo, 'toolu_pending'));
    expect(readdirSync(pendingDir(repo)).sort()).toEqual([expect.stringMatching(/^[0-9a-f]{16}\.before$/), expect.stringMatching(/^[0-9a-f]{16}\.json$/)]);
    expect(rawToolCalls(repo)).toBe(0);
    repo.write('a.txt', 'two\n');
    agent.fire('PostToolUse', editCall(repo, 'toolu_pending', { tool_response: { filePath: join(repo.dir, 'a.txt') } }));
    expect(readdirSync(pendingDir(repo))).toEqual([]);
    expect(rawToolCalls(repo)).toBe(1);
    expect(changes(repo, 'a.txt')).toEqual([{ session: agent.sessionId, before: 'one\n', after: 'two\n', skipped: null, human_gap: 0 }]);
    expect(log(repo)).toBe('');
  });

  it('hands a call whose post hook never came to the next command that opens the store', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'one\n' } });
    const agent = legacyAgent(repo);
    agent.fire('PreToolUse', editCall(repo, 'toolu_interrupted'));
    const status = JSON.parse(repo.trace(['status', '--json']).stdout) as { sessions: { id: string }[] };
    expect(status.sessions.map((session) => session.id)).toEqual([agent.sessionId]);
    expect(readdirSync(pendingDir(repo))).toEqual([]);
    expect(changes(repo, 'a.txt')).toEqual([{ session: agent.sessionId, before: 'one\n', after: 'pending', skipped: null, human_gap: 0 }]);
    // The post hook coming late still completes the call.
    repo.write('a.txt', 'two\n');
    agent.fire('PostToolUse', editCall(repo, 'toolu_interrupted'));
    expect(changes(repo, 'a.txt')).toEqual([{ session: agent.sessionId, before: 'one\n', after: 'two\n', skipped: null, human_gap: 0 }]);
  });

  it('clears copies and temporary files that killed hooks left behind an hour ago, and only those', () => {
    const repo = makeRepo();
    const dir = pendingDir(repo);
    mkdirSync(dir, { recursive: true });
    const hourAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const name of ['0123456789abcdef.before', '0123456789abcdef.4242.tmp', 'fedcba9876543210.before']) writeFileSync(join(dir, name), 'x');
    for (const name of ['0123456789abcdef.before', '0123456789abcdef.4242.tmp']) utimesSync(join(dir, name), hourAgo, hourAgo);
    expect(repo.trace(['status']).code).toBe(0);
    expect(readdirSync(dir)).toEqual(['fedcba9876543210.before']);
  });

  it('keeps the first record when a pre hook runs twice for one call', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'one\n' } });
    const agent = legacyAgent(repo);
    agent.fire('PreToolUse', editCall(repo, 'toolu_twice'));
    repo.write('a.txt', 'one\nhalf\n');
    agent.fire('PreToolUse', editCall(repo, 'toolu_twice'));
    repo.write('a.txt', 'two\n');
    agent.fire('PostToolUse', editCall(repo, 'toolu_twice'));
    expect(changes(repo, 'a.txt')).toEqual([{ session: agent.sessionId, before: 'one\n', after: 'two\n', skipped: null, human_gap: 0 }]);
  });

  it('takes pending calls in the order their pre hooks ran, judging the gaps between them', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'one\n' } });
    const agent = legacyAgent(repo);
    agent.edit('a.txt', 'one', 'two');
    repo.write('a.txt', 'two\nmine\n');
    agent.fire('PreToolUse', editCall(repo, 'toolu_first'));
    agent.fire('PreToolUse', editCall(repo, 'toolu_second'));
    expect(changes(repo, 'a.txt').map((change) => [change.before, change.human_gap])).toEqual([
      ['one\n', 0],
      ['two\nmine\n', 1],
      ['two\nmine\n', 1],
    ]);
  });
});

describe('capture of shell calls', () => {
  it('records exactly the files a command created, changed and deleted', () => {
    const repo = makeRepo({ initialFiles: { 'keep.txt': 'keep\n', 'edit.txt': 'old\n', 'drop.txt': 'drop\n' } });
    repo.write('dirty.txt', 'untracked before\n');
    const agent = new FakeClaude(repo);
    agent.bash('printf "made\\n" > made.txt && printf "new\\n" > edit.txt && rm drop.txt');
    const paths = withStore(repo, (store) => store.capturedPaths());
    expect(paths).toEqual(['drop.txt', 'edit.txt', 'made.txt']);
    expect(changes(repo, 'made.txt')[0]).toMatchObject({ before: 'absent', after: 'made\n' });
    expect(changes(repo, 'edit.txt')[0]).toMatchObject({ before: 'old\n', after: 'new\n' });
    expect(changes(repo, 'drop.txt')[0]).toMatchObject({ before: 'drop\n', after: 'absent' });
  });

  it('leaves git index and work tree as they were', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'a\n' } });
    repo.write('a.txt', 'a\nstaged\n');
    repo.git(['add', 'a.txt']);
    repo.write('u.txt', 'untracked\n');
    const lines = (text: string) => text.split('\n').filter(Boolean).sort();
    const before = lines(repo.git(['status', '--porcelain']).stdout);
    new FakeClaude(repo).bash('printf "x\\n" > b.txt');
    expect(lines(repo.git(['status', '--porcelain']).stdout)).toEqual([...before, '?? b.txt'].sort());
    expect(repo.git(['diff', '--cached', '--name-only']).stdout).toBe('a.txt\n');
  });

  it('records nothing for a command that changed nothing, and records failed commands', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.bash('true');
    agent.bash('printf "half\\n" > half.txt; exit 1');
    withStore(repo, (store) => {
      const calls = store.toolCalls(agent.sessionId);
      expect(calls.map((c) => c.status)).toEqual(['done', 'failed']);
      expect(store.capturedPaths()).toEqual(['half.txt']);
    });
  });
});

describe('sessions and prompts', () => {
  it('records session start, prompts and end with model and transcript path', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.start('claude-sonnet-4-6');
    agent.prompt('add a --json flag');
    agent.end('clear');
    withStore(repo, (store) => {
      const session = store.session(agent.sessionId)!;
      expect(session).toMatchObject({ agent: 'claude-code', model: 'claude-sonnet-4-6', transcript_path: agent.transcriptPath, cwd: repo.dir, source: 'startup', end_reason: 'clear' });
      expect(session.started_at).not.toBeNull();
      expect(session.ended_at).not.toBeNull();
      expect(store.prompts(agent.sessionId).map((p) => p.text)).toEqual(['add a --json flag']);
    });
  });

  it('ignores payloads relayed by Cursor', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'a\n' } });
    const agent = new FakeClaude(repo);
    agent.tool('Edit', { file_path: join(repo.dir, 'a.txt'), old_string: 'a', new_string: 'b' }, () => repo.write('a.txt', 'b\n'), { cursor_version: '3.1.4' });
    withStore(repo, (store) => {
      expect(store.sessions()).toEqual([]);
      expect(store.capturedPaths()).toEqual([]);
    });
  });
});

describe('bad input', () => {
  const cases: { name: string; raw: string; logged: RegExp }[] = [
    { name: 'malformed JSON', raw: '{"session_id": ', logged: /malformed JSON payload/ },
    { name: 'not an object', raw: '[1,2]', logged: /payload: expected a JSON object/ },
    { name: 'missing fields', raw: '{"hook_event_name":"PreToolUse"}', logged: /session_id: expected a string; tool_name: expected a string; tool_use_id: expected a string; tool_input: expected an object/ },
    { name: 'a session id with path separators', raw: '{"session_id":"../../etc","tool_name":"Write","tool_use_id":"t","tool_input":{"file_path":"/x"}}', logged: /session_id: not a plain identifier/ },
    { name: 'an empty payload', raw: '', logged: /malformed JSON payload/ },
  ];
  for (const { name, raw, logged } of cases) {
    it(`logs ${name}, prints nothing, exits 0 and stores nothing`, () => {
      const repo = makeRepo();
      const result = repo.trace(['hook', 'claude', 'pre-tool-use'], { input: raw });
      expect(result).toMatchObject({ code: 0, stdout: '' });
      expect(log(repo)).toMatch(logged);
      withStore(repo, (store) => expect(store.sessions()).toEqual([]));
    });
  }

  it('refuses paths outside the repository and inside .git', () => {
    const repo = makeRepo();
    const agent = new FakeClaude(repo);
    agent.tool('Write', { file_path: join(repo.home, 'outside.txt'), content: 'x' }, () => undefined);
    agent.tool('Write', { file_path: join(repo.dir, '.git', 'config'), content: 'x' }, () => undefined);
    // Spooled: the calls are judged when a command takes them in.
    expect(repo.trace(['status']).code).toBe(0);
    expect(log(repo)).toMatch(/outside\.txt is outside the repository/);
    expect(log(repo)).toMatch(/is inside \.git/);
    withStore(repo, (store) => expect(store.capturedPaths()).toEqual([]));
  });

  it('records binary and oversized files as skipped, with the reason', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'trace:\n  capture:\n    maxFileBytes: 1000\n');
    const agent = new FakeClaude(repo);
    agent.tool('Write', { file_path: join(repo.dir, 'img.bin'), content: '' }, () => repo.write('img.bin', Buffer.from([0x89, 0x50, 0x00, 0x01])));
    agent.write('big.txt', 'x'.repeat(2000));
    agent.tool('Write', { file_path: join(repo.dir, 'adir'), content: '' }, () => repo.sh('mkdir -p adir'));
    expect(changes(repo, 'img.bin')[0]).toMatchObject({ after: 'skipped', skipped: 'binary file' });
    expect(changes(repo, 'big.txt')[0]).toMatchObject({ after: 'skipped', skipped: 'larger than 1000 bytes (2000)' });
    expect(changes(repo, 'adir')[0]).toMatchObject({ after: 'skipped', skipped: 'not a regular file' });
    const status = JSON.parse(repo.trace(['status', '--json']).stdout) as { skipped: { path: string; reason: string }[] };
    expect(status.skipped.map((s) => s.path)).toEqual(['img.bin', 'big.txt', 'adir']);
  });

  it('does nothing at all in a repository that was never initialised', () => {
    const repo = makeRepo({ init: false });
    const payload = JSON.stringify({ session_id: 's', cwd: repo.dir, tool_name: 'Write', tool_use_id: 't', tool_input: { file_path: join(repo.dir, 'x') } });
    const result = repo.trace(['hook', 'claude', 'pre-tool-use'], { input: payload });
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(existsSync(join(repo.dir, '.git', 'chainloop-trace'))).toBe(false);
  });

  it('never fails even when the store is corrupt', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'a\n' } });
    repo.write('.git/chainloop-trace/trace.db', 'this is not sqlite');
    const agent = new FakeClaude(repo);
    agent.edit('a.txt', 'a', 'b');
    agent.bash('true');
    // Write, Edit and Bash spool; the prompt's hook is Node, and opens the store.
    agent.prompt('next');
    expect(agent.results.every((r) => r.code === 0 && r.stdout === '')).toBe(true);
    expect(log(repo)).toMatch(/cannot open the capture store|not a database/);
  });
});

describe('concurrency and size', () => {
  it('loses nothing when 16 hook pairs race in parallel', async () => {
    const files = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`f${i}.txt`, `file ${i}\n`]));
    const repo = makeRepo({ initialFiles: files });
    const fire = (event: string, i: number) =>
      new Promise<number>((resolve) => {
        const child = spawn(process.execPath, [TRACE_BIN, 'hook', 'claude', event], { cwd: repo.dir, env: repo.env });
        child.stdin.end(
          JSON.stringify({ session_id: `s${i % 4}`, cwd: repo.dir, tool_name: 'Edit', tool_use_id: `t${i}`, tool_input: { file_path: join(repo.dir, `f${i}.txt`), old_string: 'x', new_string: 'y' } }),
        );
        child.on('close', (code) => resolve(code ?? 1));
      });
    const pres = await Promise.all(Array.from({ length: 16 }, (_, i) => fire('pre-tool-use', i)));
    for (let i = 0; i < 16; i++) repo.write(`f${i}.txt`, `file ${i}\nedited ${i}\n`);
    const posts = await Promise.all(Array.from({ length: 16 }, (_, i) => fire('post-tool-use', i)));
    expect([...pres, ...posts].every((code) => code === 0)).toBe(true);
    for (let i = 0; i < 16; i++) expect(changes(repo, `f${i}.txt`)).toEqual([{ session: `s${i % 4}`, before: `file ${i}\n`, after: `file ${i}\nedited ${i}\n`, skipped: null, human_gap: 0 }]);
    withStore(repo, (store) => {
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(store.sessions()).toHaveLength(4);
    });
    expect(log(repo)).toBe('');
  });

  it('stores many edits of one file as deltas, not copies', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'lorem ipsum '.repeat(3)}`);
    const repo = makeRepo({ initialFiles: { 'big.txt': `${lines.join('\n')}\n` } });
    const storeSize = () => statSync(join(repo.dir, '.git', 'chainloop-trace', 'trace.db')).size + (statSync(join(repo.dir, '.git', 'chainloop-trace', 'trace.db-wal'), { throwIfNoEntry: false })?.size ?? 0);
    // The store as init leaves it: its schema's pages are not the edits' storage.
    const empty = storeSize();
    const agent = new FakeClaude(repo);
    for (let i = 0; i < 20; i++) agent.edit('big.txt', `line ${i * 97} `, `line ${i * 97} edited `);
    const dbSize = storeSize() - empty;
    const fileSize = statSync(join(repo.dir, 'big.txt')).size;
    // 21 versions of a 96 KB file: full copies would be 2 MB, compressed copies ~200 KB.
    expect(dbSize).toBeLessThan(fileSize * 2);
    expect(changes(repo, 'big.txt').at(-1)!.after).toBe(repo.read('big.txt'));
  });
});
