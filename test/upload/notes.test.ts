import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TraceError } from '../../src/errors.js';
import { NOTES_REF, addBundleNotes, fetchNotes, formatNote, pushNotes, readNotes, remoteNotesRef } from '../../src/upload/notes.js';
import { cleanupTemps, makeRepo, run, tempDir, type TestRepo } from '../support/repo.js';

// The library runs git with this process's environment: give it an isolated home.
const savedEnv = { ...process.env };
beforeAll(() => {
  const home = tempDir('trace-notes-home-');
  writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Notes Tester\n\temail = notes@example.com\n');
  process.env.HOME = home;
  process.env.XDG_CONFIG_HOME = join(home, '.config');
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  delete process.env.GIT_CONFIG_GLOBAL;
});
afterAll(() => {
  process.env = savedEnv;
  cleanupTemps();
});

const repos: TestRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});

function bundle(id: string): string {
  return JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', id });
}

/** A repository pushed to its bare remote, with `count` more commits on main. */
function setup(count = 2): { repo: TestRepo; commits: string[] } {
  const repo = makeRepo({ init: false });
  repos.push(repo);
  const commits = makeCommits(repo, repo.dir, count);
  repo.git(['push', '-q', 'origin', 'main']);
  return { repo, commits };
}

/** `count` commits on top of HEAD in one fast-import, returned oldest first. */
function makeCommits(repo: TestRepo, dir: string, count: number): string[] {
  if (count === 0) return [];
  const head = repo.git(['rev-parse', 'HEAD'], { cwd: dir }).stdout.trim();
  let stream = '';
  for (let i = 0; i < count; i++) {
    const message = `change ${i}\n`;
    const content = `line ${i}\n`;
    stream += `commit refs/heads/main\ncommitter Dev <dev@example.com> ${1_700_000_000 + i} +0000\ndata ${message.length}\n${message}`;
    if (i === 0) stream += `from ${head}\n`;
    stream += `M 100644 inline file-${i % 50}.txt\ndata ${content.length}\n${content}\n`;
  }
  repo.git(['fast-import', '--quiet'], { cwd: dir, input: stream });
  repo.git(['reset', '-q', '--hard', 'main'], { cwd: dir });
  return repo.git(['rev-list', '--reverse', `${head}..main`], { cwd: dir }).stdout.trim().split('\n');
}

function clone(repo: TestRepo, name: string): string {
  const dir = join(dirname(repo.dir), name);
  repo.git(['clone', '-q', repo.remote, dir], { cwd: dirname(repo.dir) });
  return dir;
}

/** The note on `commit` as `git notes show` reads it, in a work tree or the bare remote. */
function showNote(repo: TestRepo, cwd: string, commit: string): string[] {
  const result = repo.git(['notes', `--ref=${NOTES_REF}`, 'show', commit], { cwd, allowFail: true });
  return result.code === 0 ? result.stdout.split('\n').filter(Boolean) : [];
}

describe('addBundleNotes and readNotes', () => {
  it('appends lines to each note, unique and sorted, without touching the work tree', async () => {
    const { repo, commits } = setup(2);
    const [a, b] = commits as [string, string];
    const headBefore = repo.git(['rev-parse', 'HEAD']).stdout;

    const first = await addBundleNotes(repo.dir, [
      { commit: a, bundleLine: bundle('z') },
      { commit: a, bundleLine: bundle('a') },
      { commit: b, bundleLine: bundle('b') },
    ]);
    expect(first.changed).toBe(2);
    expect(showNote(repo, repo.dir, a)).toEqual([bundle('a'), bundle('z')]);

    const second = await addBundleNotes(repo.dir, [
      { commit: a, bundleLine: bundle('m') },
      { commit: a, bundleLine: bundle('a') },
    ]);
    expect(second.changed).toBe(1);
    expect(showNote(repo, repo.dir, a)).toEqual([bundle('a'), bundle('m'), bundle('z')]);
    expect(showNote(repo, repo.dir, b)).toEqual([bundle('b')]);
    // The exact bytes cat_sort_uniq would have written.
    expect(repo.git(['notes', `--ref=${NOTES_REF}`, 'show', a]).stdout).toBe(formatNote([bundle('z'), bundle('m'), bundle('a')]));

    const again = await addBundleNotes(repo.dir, [{ commit: b, bundleLine: bundle('b') }]);
    expect(again).toEqual({ changed: 0, notesCommit: undefined });

    const notes = await readNotes(repo.dir, [a, b, repo.git(['rev-parse', 'HEAD~2']).stdout.trim()]);
    expect([...notes.keys()]).toEqual([a, b]);
    expect(notes.get(a)).toEqual([bundle('a'), bundle('m'), bundle('z')]);

    expect(repo.git(['status', '--porcelain']).stdout).toBe('');
    expect(repo.git(['rev-parse', 'HEAD']).stdout).toBe(headBefore);
    expect(repo.git(['rev-list', '--count', NOTES_REF]).stdout.trim()).toBe('2');
  });

  it('keeps lines that other tools put in the note', async () => {
    const { repo, commits } = setup(1);
    const [a] = commits as [string];
    repo.git(['notes', `--ref=${NOTES_REF}`, 'add', '-m', bundle('from git'), a]);
    await addBundleNotes(repo.dir, [{ commit: a, bundleLine: bundle('ours') }]);
    expect(showNote(repo, repo.dir, a)).toEqual([bundle('from git'), bundle('ours')].sort());
  });

  it('loses no line when two local writers add notes at the same time', async () => {
    const { repo, commits } = setup(2);
    const [a, b] = commits as [string, string];
    await Promise.all(
      ['one', 'two', 'three', 'four'].map((id) =>
        addBundleNotes(repo.dir, [
          { commit: a, bundleLine: bundle(id) },
          { commit: b, bundleLine: bundle(`${id}-b`) },
        ]),
      ),
    );
    expect(showNote(repo, repo.dir, a)).toEqual(['four', 'one', 'three', 'two'].map(bundle));
    expect(showNote(repo, repo.dir, b)).toHaveLength(4);
  });

  it('refuses a bundle line with a line break or a commit that is not a full id', async () => {
    const { repo, commits } = setup(1);
    const [a] = commits as [string];
    await expect(addBundleNotes(repo.dir, [{ commit: a, bundleLine: '{"a":\n1}' }])).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(addBundleNotes(repo.dir, [{ commit: a.slice(0, 12), bundleLine: bundle('x') }])).rejects.toBeInstanceOf(TraceError);
    expect(repo.git(['rev-parse', '--verify', '--quiet', NOTES_REF], { allowFail: true }).code).not.toBe(0);
  });

  it('annotates 500 commits in one notes commit, readable by git notes', async () => {
    const { repo, commits } = setup(500);
    const entries = commits.map((commit, i) => ({ commit, bundleLine: bundle(`push-${i}`) }));
    const started = performance.now();
    const result = await addBundleNotes(repo.dir, entries);
    const firstMs = performance.now() - started;
    const again = performance.now();
    await addBundleNotes(repo.dir, entries.map((entry) => ({ ...entry, bundleLine: bundle(`second-${entry.commit}`) })));
    const secondMs = performance.now() - again;
    const readStart = performance.now();
    const notes = await readNotes(repo.dir, commits);
    const readMs = performance.now() - readStart;
    console.log(`500 commits: add ${firstMs.toFixed(0)} ms, append to existing ${secondMs.toFixed(0)} ms, read ${readMs.toFixed(0)} ms`);

    expect(result.changed).toBe(500);
    expect(notes.size).toBe(500);
    expect(notes.get(commits[499] ?? '')).toEqual([bundle('push-499'), bundle(`second-${commits[499] ?? ''}`)]);
    expect(repo.git(['notes', `--ref=${NOTES_REF}`, 'list']).stdout.trim().split('\n')).toHaveLength(500);
    // git chose a fanout for 500 notes, and git notes still finds them.
    expect(repo.git(['ls-tree', NOTES_REF]).stdout).toMatch(/\ttree\t|tree [0-9a-f]+\t[0-9a-f]{2}\n/);
    expect(showNote(repo, repo.dir, commits[123] ?? '')).toEqual([bundle('push-123'), bundle(`second-${commits[123] ?? ''}`)]);
  });

  it('works from a linked worktree, sharing the notes with the main one', async () => {
    const { repo, commits } = setup(1);
    const [a] = commits as [string];
    const worktree = join(dirname(repo.dir), 'linked');
    repo.git(['worktree', 'add', '-q', '-b', 'side', worktree]);
    await addBundleNotes(worktree, [{ commit: a, bundleLine: bundle('from linked') }]);
    expect((await readNotes(repo.dir, [a])).get(a)).toEqual([bundle('from linked')]);
    const pushed = await pushNotes(worktree, 'origin');
    expect(pushed).toMatchObject({ pushed: true, attempts: 1 });
    expect(showNote(repo, repo.remote, a)).toEqual([bundle('from linked')]);
    expect(repo.git(['status', '--porcelain'], { cwd: worktree }).stdout).toBe('');
  });
});

describe('fetchNotes', () => {
  it('does nothing when the remote has no notes yet', async () => {
    const { repo } = setup(1);
    expect(await fetchNotes(repo.dir, 'origin')).toEqual({ remoteHasNotes: false, merged: false, problems: [] });
  });

  it("takes the remote's notes when there are none locally, and merges both sides' lines otherwise", async () => {
    const { repo, commits } = setup(2);
    const [a, b] = commits as [string, string];
    const other = clone(repo, 'other');
    await addBundleNotes(other, [
      { commit: a, bundleLine: bundle('theirs') },
      { commit: b, bundleLine: bundle('theirs-b') },
    ]);
    expect((await pushNotes(other, 'origin')).pushed).toBe(true);

    const fresh = clone(repo, 'fresh');
    expect(await fetchNotes(fresh, 'origin')).toEqual({ remoteHasNotes: true, merged: true, problems: [] });
    expect(showNote(repo, fresh, a)).toEqual([bundle('theirs')]);
    expect(repo.git(['rev-parse', remoteNotesRef('origin')], { cwd: fresh }).stdout).toBe(repo.git(['rev-parse', NOTES_REF], { cwd: fresh }).stdout);

    await addBundleNotes(repo.dir, [{ commit: a, bundleLine: bundle('ours') }]);
    expect((await fetchNotes(repo.dir, 'origin')).merged).toBe(true);
    expect(showNote(repo, repo.dir, a)).toEqual([bundle('ours'), bundle('theirs')]);
    expect(showNote(repo, repo.dir, b)).toEqual([bundle('theirs-b')]);
    // Fetching again finds nothing new.
    expect(await fetchNotes(repo.dir, 'origin')).toEqual({ remoteHasNotes: true, merged: false, problems: [] });
  });

  it('reports corrupt remote notes, leaves them out, and keeps every local line', async () => {
    const { repo, commits } = setup(3);
    const [a, b, c] = commits as [string, string, string];
    await addBundleNotes(repo.dir, [
      { commit: a, bundleLine: bundle('ours') },
      { commit: b, bundleLine: bundle('ours-b') },
    ]);

    // Someone else's clone pushes notes holding garbage.
    const evil = clone(repo, 'evil');
    repo.git(['notes', `--ref=${NOTES_REF}`, 'add', '-m', `${bundle('theirs')}\nnot json at all\n[1,2]\n${bundle('theirs-2')}`, a], { cwd: evil });
    const garbage = Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a, 0x80, 0x81, 0x7b, 0x0a, 0xc3]);
    const blob = run('git', ['hash-object', '-w', '--stdin'], { cwd: evil, env: repo.env, input: garbage }).stdout.trim();
    repo.git(['notes', `--ref=${NOTES_REF}`, 'add', '-C', blob, b], { cwd: evil });
    repo.git(['notes', `--ref=${NOTES_REF}`, 'add', '-m', bundle('theirs-c'), c], { cwd: evil });
    repo.git(['push', '-q', 'origin', NOTES_REF], { cwd: evil });

    const result = await fetchNotes(repo.dir, 'origin');
    expect(result.merged).toBe(true);
    expect(result.problems).toHaveLength(2);
    const byCommit = new Map(result.problems.map((p) => [p.commit, p.reason]));
    expect(byCommit.get(a)).toMatch(/2 line\(s\) dropped: line 2 is not JSON.*line 3 is JSON but not an object/);
    expect(byCommit.get(b)).toMatch(/not valid UTF-8/);

    expect(showNote(repo, repo.dir, a)).toEqual([bundle('ours'), bundle('theirs'), bundle('theirs-2')]);
    expect(showNote(repo, repo.dir, b)).toEqual([bundle('ours-b')]);
    expect(showNote(repo, repo.dir, c)).toEqual([bundle('theirs-c')]);

    // Our history contains the remote's, so our push fast-forwards and cleans the remote's notes.
    const pushed = await pushNotes(repo.dir, 'origin');
    expect(pushed).toMatchObject({ pushed: true, attempts: 1 });
    expect(showNote(repo, repo.remote, a)).toEqual([bundle('ours'), bundle('theirs'), bundle('theirs-2')]);
    expect(showNote(repo, repo.remote, b)).toEqual([bundle('ours-b')]);
  });

  it('ignores a remote notes ref that is not a commit', async () => {
    const { repo, commits } = setup(1);
    const [a] = commits as [string];
    await addBundleNotes(repo.dir, [{ commit: a, bundleLine: bundle('ours') }]);
    const blob = repo.git(['hash-object', '-w', '--stdin'], { cwd: repo.remote, input: 'garbage\n' }).stdout.trim();
    repo.git(['update-ref', NOTES_REF, blob], { cwd: repo.remote });
    const result = await fetchNotes(repo.dir, 'origin');
    expect(result.merged).toBe(false);
    expect(result.problems).toEqual([{ commit: undefined, reason: expect.stringMatching(/does not point to a commit/) as unknown }]);
    expect(showNote(repo, repo.dir, a)).toEqual([bundle('ours')]);
  });
});

describe('pushNotes', () => {
  it('says there is nothing to push when there are no notes', async () => {
    const { repo } = setup(0);
    expect(await pushNotes(repo.dir, 'origin')).toMatchObject({ pushed: false, attempts: 0, error: expect.stringMatching(/no attestations/) as unknown });
  });

  it('merges and retries when another clone pushed notes first', async () => {
    const { repo, commits } = setup(3);
    const [shared, onlyA, onlyB] = commits as [string, string, string];
    const cloneA = clone(repo, 'a');
    const cloneB = clone(repo, 'b');
    await addBundleNotes(cloneA, [
      { commit: shared, bundleLine: bundle('A') },
      { commit: onlyA, bundleLine: bundle('A only') },
    ]);
    await addBundleNotes(cloneB, [
      { commit: shared, bundleLine: bundle('B') },
      { commit: onlyB, bundleLine: bundle('B only') },
    ]);
    expect(await pushNotes(cloneA, 'origin', { backoffMs: 1 })).toMatchObject({ pushed: true, attempts: 1 });
    expect(await pushNotes(cloneB, 'origin', { backoffMs: 1 })).toMatchObject({ pushed: true, attempts: 2, problems: [] });

    expect(showNote(repo, repo.remote, shared)).toEqual([bundle('A'), bundle('B')]);
    expect(showNote(repo, repo.remote, onlyA)).toEqual([bundle('A only')]);
    expect(showNote(repo, repo.remote, onlyB)).toEqual([bundle('B only')]);
    // A's next push brings B's lines home.
    await fetchNotes(cloneA, 'origin');
    expect(showNote(repo, cloneA, shared)).toEqual([bundle('A'), bundle('B')]);
  });

  it('gets every bundle onto the remote when three clones push at the same time', async () => {
    const { repo, commits } = setup(2);
    const [shared, other] = commits as [string, string];
    const clones = ['x', 'y', 'z'].map((name) => clone(repo, name));
    for (const [i, dir] of clones.entries()) {
      await addBundleNotes(dir, [
        { commit: shared, bundleLine: bundle(`clone ${i}`) },
        { commit: other, bundleLine: bundle(`clone ${i} other`) },
      ]);
    }
    const results = await Promise.all(clones.map((dir) => pushNotes(dir, 'origin', { retries: 6, backoffMs: 20 })));
    console.log(`concurrent pushes: attempts ${results.map((r) => r.attempts).join(', ')}`);
    for (const result of results) expect(result).toMatchObject({ pushed: true, problems: [] });
    expect(results.some((r) => r.attempts > 1)).toBe(true);
    expect(showNote(repo, repo.remote, shared)).toEqual([bundle('clone 0'), bundle('clone 1'), bundle('clone 2')]);
    expect(showNote(repo, repo.remote, other)).toEqual([bundle('clone 0 other'), bundle('clone 1 other'), bundle('clone 2 other')]);
  });

  it('fails clearly, without retrying, when the remote refuses notes', async () => {
    const { repo, commits } = setup(1);
    const hooks = join(repo.remote, 'hooks');
    mkdirSync(hooks, { recursive: true });
    writeFileSync(
      join(hooks, 'pre-receive'),
      '#!/bin/sh\nwhile read old new ref; do\n  case "$ref" in refs/notes/*) echo "notes are not accepted here" >&2; exit 1;; esac\ndone\n',
      { mode: 0o755 },
    );
    await addBundleNotes(repo.dir, [{ commit: commits[0] ?? '', bundleLine: bundle('x') }]);
    const result = await pushNotes(repo.dir, 'origin', { backoffMs: 1 });
    expect(result.pushed).toBe(false);
    expect(result.attempts).toBe(1);
    expect(result.error).toMatch(/origin refused refs\/notes\/chainloop-trace: \[remote rejected\] \(pre-receive hook declined\).*notes are not accepted here/);
    expect(repo.git(['rev-parse', '--verify', '--quiet', NOTES_REF], { cwd: repo.remote, allowFail: true }).code).not.toBe(0);
  });

  it('gives up with a clear message when the retries run out', async () => {
    const { repo, commits } = setup(1);
    const [a] = commits as [string];
    const other = clone(repo, 'other');
    await addBundleNotes(other, [{ commit: a, bundleLine: bundle('other') }]);
    await pushNotes(other, 'origin');
    await addBundleNotes(repo.dir, [{ commit: a, bundleLine: bundle('ours') }]);
    const result = await pushNotes(repo.dir, 'origin', { retries: 0 });
    expect(result).toMatchObject({ pushed: false, attempts: 1 });
    expect(result.error).toMatch(/origin kept rejecting refs\/notes\/chainloop-trace after 1 attempts.*\[rejected\] \(fetch first\)/);
    // Local notes are untouched by the failure.
    expect(showNote(repo, repo.dir, a)).toEqual([bundle('ours')]);
  });

  it('reports a remote that cannot be reached', async () => {
    const { repo, commits } = setup(1);
    await addBundleNotes(repo.dir, [{ commit: commits[0] ?? '', bundleLine: bundle('x') }]);
    const result = await pushNotes(repo.dir, join(repo.home, 'no-such-remote.git'));
    expect(result.pushed).toBe(false);
    expect(result.error).toMatch(/no-such-remote\.git/);
  });
});
