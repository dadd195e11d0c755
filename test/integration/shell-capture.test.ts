// What a shell call's snapshots find: every file the command changed, wherever it is, with its
// content before (from the private index's blobs, loose or packed) and after.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, TRACE_BIN, type TestRepo } from '../support/repo.js';
import { blobText, withStore } from '../support/store.js';

afterAll(cleanupTemps);

function changes(repo: TestRepo, path: string) {
  return withStore(repo, (store) =>
    store.changesForPath(path).map((c) => ({
      before: c.before_state === 'content' ? blobText(store, c.before_oid) : c.before_state,
      after: c.after_state === 'content' ? blobText(store, c.after_oid) : c.after_state,
      skipped: c.skipped,
    })),
  );
}

const captured = (repo: TestRepo) => withStore(repo, (store) => store.capturedPaths());

describe('shell calls: what the snapshots find', () => {
  it('a file changed in an untracked directory, a deleted file, files in a new directory and a renamed file', () => {
    const repo = makeRepo({ initialFiles: { 'src/keep.ts': 'keep\n', 'src/old.ts': 'old\n', 'gone.txt': 'gone\n' } });
    repo.write('notes/todo.txt', 'one\n');
    const agent = new FakeClaude(repo);
    agent.bash('printf "two\\n" >> notes/todo.txt && rm gone.txt && mkdir -p out/deep && printf "a\\n" > out/deep/a.txt && printf "b\\n" > out/b.txt && git mv -f src/old.ts src/new.ts');
    expect(captured(repo)).toEqual(['gone.txt', 'notes/todo.txt', 'out/b.txt', 'out/deep/a.txt', 'src/new.ts', 'src/old.ts']);
    expect(changes(repo, 'notes/todo.txt')).toEqual([{ before: 'one\n', after: 'one\ntwo\n', skipped: null }]);
    expect(changes(repo, 'gone.txt')).toEqual([{ before: 'gone\n', after: 'absent', skipped: null }]);
    expect(changes(repo, 'out/deep/a.txt')).toEqual([{ before: 'absent', after: 'a\n', skipped: null }]);
    expect(changes(repo, 'src/old.ts')).toEqual([{ before: 'old\n', after: 'absent', skipped: null }]);
    expect(changes(repo, 'src/new.ts')).toEqual([{ before: 'absent', after: 'old\n', skipped: null }]);
  });

  it('a mode change is a change of the file; a file in an ignored directory is not captured', () => {
    const repo = makeRepo({ initialFiles: { 'run.sh': 'echo hi\n', '.gitignore': 'build/\n' } });
    const agent = new FakeClaude(repo);
    agent.bash('chmod +x run.sh && mkdir -p build && printf "x\\n" > build/out.txt');
    expect(captured(repo)).toEqual(['run.sh']);
    expect(changes(repo, 'run.sh')).toEqual([{ before: 'echo hi\n', after: 'echo hi\n', skipped: null }]);
  });

  it('the content before comes from packed objects as from loose ones, call after call', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'a1\n', 'b.txt': 'b1\n' } });
    // Everything committed is packed: no loose object left to read.
    repo.git(['gc', '-q', '--prune=now']);
    const agent = new FakeClaude(repo);
    agent.bash('printf "a2\\n" > a.txt');
    // b.txt changed between the calls, by a person: the next call's snapshot stages it (a loose object).
    repo.write('b.txt', 'b2\n');
    agent.bash('printf "a3\\n" > a.txt && printf "b3\\n" > b.txt');
    agent.bash('printf "a4\\n" > a.txt');
    expect(changes(repo, 'a.txt')).toEqual([
      { before: 'a1\n', after: 'a2\n', skipped: null },
      { before: 'a2\n', after: 'a3\n', skipped: null },
      { before: 'a3\n', after: 'a4\n', skipped: null },
    ]);
    expect(changes(repo, 'b.txt')).toEqual([{ before: 'b2\n', after: 'b3\n', skipped: null }]);
  });
});

describe('shell calls: what the snapshots keep for the next one', () => {
  /** The private index the last snapshot left, which the next one starts from; nothing else stays in shell/. */
  function base(repo: TestRepo): string {
    const dir = join(repo.dir, '.git', 'chainloop-trace', 'shell');
    expect(readdirSync(dir)).toEqual(['base.index']);
    return join(dir, 'base.index');
  }

  it('files touched but unchanged are refreshed once, not hashed again by every later snapshot', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n' } });
    const agent = new FakeClaude(repo);
    agent.bash('true');
    const index = base(repo);
    // Rewritten as they were (a formatter, a checkout): stat data changes, content does not.
    const past = new Date(Date.now() - 60_000);
    for (const name of ['a.txt', 'b.txt']) utimesSync(join(repo.dir, name), past, past);
    const statDirty = () => repo.sh(`GIT_INDEX_FILE='${index}' git diff-files --name-only`).stdout;
    expect(statDirty()).toBe('a.txt\nb.txt\n');
    agent.bash('printf "c2\\n" > c.txt');
    base(repo);
    // The base the next call starts from knows a.txt and b.txt as they are: git compares only stat data.
    expect(statDirty()).toBe('');
    expect(captured(repo)).toEqual(['c.txt']);
  });
});

describe("shell calls: Claude Code's Bash through the lanes", () => {
  /** A FakeClaude whose `trace` logs every capture hook it starts (the guard's entries are taken out: bench guard counts those). */
  function counted(repo: TestRepo): { agent: FakeClaude; starts: () => string[] } {
    const bin = join(repo.home, 'counting-bin');
    const log = join(repo.home, 'hook-starts');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'trace'), `#!/bin/sh\n[ "$1" = hook ] && [ "$3" != guard ] && echo "$3" >> '${log}'\nexec '${process.execPath}' '${TRACE_BIN}' "$@"\n`);
    chmodSync(join(bin, 'trace'), 0o755);
    const agent = new FakeClaude({ dir: repo.dir, env: { ...repo.env, PATH: `${bin}:${repo.env.PATH ?? ''}` } });
    return { agent, starts: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []) };
  }
  const spooled = (repo: TestRepo) => readdirSync(join(repo.dir, '.git', 'chainloop-trace', 'spool')).filter((name) => !name.startsWith('.'));

  it('start no Node: each hook spools its payload with a tree of the work tree, which the next store opener diffs', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'a1\n', 'b.txt': 'b1\n' } });
    const { agent, starts } = counted(repo);
    agent.bash('printf "a2\\n" > a.txt && printf "new\\n" > c.txt');
    // A person's edit between two calls is not the next call's.
    repo.write('b.txt', 'b2\n');
    agent.bash('printf "b3\\n" > b.txt && rm a.txt');
    expect(starts()).toEqual([]);
    expect(spooled(repo).map((name) => name.replace(/^\d+N?\.\d+\./, '').replace(/[0-9a-f]{40}/, 'TREE'))).toEqual(
      expect.arrayContaining(['claude.pre-tool-use.TREE.json', 'claude.post-tool-use.TREE.json']),
    );
    expect(spooled(repo)).toHaveLength(4);
    expect(captured(repo)).toEqual(['a.txt', 'b.txt', 'c.txt']);
    expect(changes(repo, 'a.txt')).toEqual([
      { before: 'a1\n', after: 'a2\n', skipped: null },
      { before: 'a2\n', after: 'absent', skipped: null },
    ]);
    expect(changes(repo, 'b.txt')).toEqual([{ before: 'b2\n', after: 'b3\n', skipped: null }]);
    expect(changes(repo, 'c.txt')).toEqual([{ before: 'absent', after: 'new\n', skipped: null }]);
    expect(spooled(repo)).toEqual([]);
    // The calls, their command and status, as the Node hooks record them.
    expect(withStore(repo, (store) => store.db.prepare("SELECT tool_name, status, json_extract(input_json, '$.command') AS command FROM tool_calls ORDER BY id").all())).toEqual([
      { tool_name: 'Bash', status: 'done', command: 'printf "a2\\n" > a.txt && printf "new\\n" > c.txt' },
      { tool_name: 'Bash', status: 'done', command: 'printf "b3\\n" > b.txt && rm a.txt' },
    ]);
  });

  it('a call whose lane is missing on one side is still captured whole, by the Node hook', () => {
    const repo = makeRepo({ initialFiles: { 'a.txt': 'a1\n' } });
    const { agent, starts } = counted(repo);
    const lanes = join(repo.dir, '.git', 'chainloop-trace', 'lanes');
    rmSync(join(lanes, 'claude-post-tool-use.sh'));
    agent.bash('printf "a2\\n" > a.txt');
    expect(starts()).toEqual(['post-tool-use']);
    rmSync(join(lanes, 'claude-pre-tool-use.sh'));
    agent.bash('printf "a3\\n" > a.txt');
    expect(starts()).toEqual(['post-tool-use', 'pre-tool-use', 'post-tool-use']);
    expect(changes(repo, 'a.txt')).toEqual([
      { before: 'a1\n', after: 'a2\n', skipped: null },
      { before: 'a2\n', after: 'a3\n', skipped: null },
    ]);
    // A session's start writes the lanes back.
    agent.start();
    expect(readdirSync(lanes).sort()).toEqual(['claude-post-tool-use-failure.sh', 'claude-post-tool-use.sh', 'claude-pre-tool-use.sh']);
  });
});
