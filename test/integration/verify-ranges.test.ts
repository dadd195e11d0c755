// trace verify on the ranges a team meets: merge commits, the range that adopts trace, empty
// ranges, shallow clones, bad key files, and flags that cannot go together.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRepo } from '../../src/context.js';
import { type VerifyResult, verifyRange } from '../../src/verify/run.js';
import { NOTES } from '../support/attestations.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';

afterAll(cleanupTemps);

function verify(repo: TestRepo, args: string[], cwd?: string): { code: number; result: VerifyResult; stderr: string } {
  const run = repo.trace(['verify', ...args, '--json'], { ...(cwd ? { cwd } : {}) });
  if (run.code === 2) throw new Error(`usage error: ${run.stderr}`);
  return { code: run.code, result: JSON.parse(run.stdout) as VerifyResult, stderr: run.stderr };
}

function head(repo: TestRepo): string {
  return repo.git(['rev-parse', 'HEAD']).stdout.trim();
}

/** main with trace set up and pushed, and a `topic` branch off it. */
function tracedRepo(): { repo: TestRepo; base: string } {
  const repo = makeRepo({ initialFiles: { 'README.md': '# project\n', 'app.txt': 'one\ntwo\nthree\n' } });
  const base = repo.commit('trace set up');
  repo.git(['push', '-q', 'origin', 'main']);
  return { repo, base };
}

describe('merge commits', () => {
  it('a clean merge nobody attested passes with merge: clean; the commits it brings are still checked', () => {
    const { repo, base } = tracedRepo();
    repo.git(['checkout', '-q', '-b', 'topic']);
    const agent = new FakeClaude(repo);
    agent.start('claude-opus-4-8');
    agent.write('src/a.ts', 'export const a = 1;\n');
    repo.commit('ai on topic');
    repo.git(['push', '-q', 'origin', 'topic']);
    repo.git(['checkout', '-q', 'main']);
    repo.write('other.txt', 'other\n');
    repo.commit('main moves on');
    repo.git(['merge', '-q', '--no-ff', '--no-edit', 'topic']);
    const merge = head(repo);
    repo.git(['push', '-q', '--no-verify', 'origin', 'main']); // the merge is never attested
    const { code, result } = verify(repo, [`${base}..HEAD`, '--no-fetch', '--all-commits']);
    const verdict = result.commits.find((c) => c.sha === merge)!;
    expect(verdict).toMatchObject({ attested: false, ok: true, merge: 'clean' });
    expect(verdict.notes.join('\n')).toContain('clean merge');
    // "main moves on" was pushed with --no-verify too: it is not attested, and fails.
    expect(code).toBe(1);
    expect(result.commits.filter((c) => !c.ok).map((c) => c.failures)).toEqual([['not attested']]);
  });

  it('a merge that resolves a conflict adds lines: unattested it fails with the fix, attested it passes', () => {
    const { repo, base } = tracedRepo();
    repo.git(['checkout', '-q', '-b', 'topic']);
    repo.write('app.txt', 'one\nTWO on topic\nthree\n');
    repo.commit('topic changes two');
    repo.git(['push', '-q', 'origin', 'topic']);
    repo.git(['checkout', '-q', 'main']);
    repo.write('app.txt', 'one\ntwo on main\nthree\n');
    repo.commit('main changes two');
    repo.git(['push', '-q', 'origin', 'main']);
    repo.git(['merge', '-q', '--no-edit', 'topic'], { allowFail: true });
    repo.write('app.txt', 'one\ntwo, resolved by hand\nthree\n');
    repo.git(['add', 'app.txt']);
    repo.git(['commit', '-q', '--no-edit']);
    const merge = head(repo);
    repo.git(['push', '-q', '--no-verify', 'origin', 'main']);
    const unattested = verify(repo, [`${base}..HEAD`, '--no-fetch', '--all-commits']);
    expect(unattested.code).toBe(1);
    const verdict = unattested.result.commits.find((c) => c.sha === merge)!;
    expect(verdict.merge).toBe('resolved');
    expect(verdict.failures.join('\n')).toContain('merge commit that changes lines beyond merging its parents');
    expect(verdict.failures.join('\n')).toContain(`trace attest ${merge.slice(0, 12)}`);
    // The fix the message gives.
    expect(repo.trace(['attest', merge]).code).toBe(0);
    const attested = verify(repo, [`${base}..HEAD`, '--no-fetch', '--all-commits']);
    expect(attested.result.commits.find((c) => c.sha === merge)).toMatchObject({ attested: true, ok: true, merge: 'resolved' });
    expect(attested.code).toBe(0);
  });
});

describe('adoption', () => {
  it('the range that adds trace passes, reporting problems as notes; the next range is enforced', () => {
    const repo = makeRepo();
    const before = head(repo); // no .chainloop.yml here
    repo.commit('adopt trace');
    repo.write('a.txt', 'a\n');
    const unattested = repo.commit('a');
    repo.git(['push', '-q', 'origin', 'main']);
    repo.git(['notes', `--ref=${NOTES}`, 'remove', unattested]);
    const adoption = verify(repo, [`${before}..HEAD`, '--no-fetch', '--all-commits']);
    expect(adoption.code).toBe(0);
    expect(adoption.result.adoption).toBe(true);
    expect(adoption.result.notices.join('\n')).toContain('trace is adopted in this range; enforcement starts once it is merged');
    // Checked and reported: the key the range adds is not trusted at its base, and a commit is unattested.
    const notes = adoption.result.commits.flatMap((c) => c.notes).join('\n');
    expect(notes).toContain('not trusted at the base');
    expect(notes).toContain('not attested');
    expect(adoption.result.commits.every((c) => c.failures.length === 0)).toBe(true);
    const text = repo.trace(['verify', `${before}..HEAD`, '--no-fetch', '--all-commits']).stdout;
    expect(text).toContain('OK (adoption: not enforced yet)');

    const adopted = head(repo);
    repo.write('b.txt', 'b\n');
    const next = repo.commit('b');
    repo.git(['push', '-q', 'origin', 'main']);
    repo.git(['notes', `--ref=${NOTES}`, 'remove', next]);
    const enforced = verify(repo, [`${adopted}..HEAD`, '--no-fetch', '--all-commits']);
    expect(enforced.result.adoption).toBe(false);
    expect(enforced.code).toBe(1);
    expect(enforced.result.commits[0]!.failures).toEqual(['not attested']);
  });
});

describe('empty ranges', () => {
  it('an explicit empty range with --all-commits is exit 2 naming the range and why', () => {
    const { repo, base } = tracedRepo();
    repo.write('a.txt', 'a\n');
    repo.commit('a');
    const reversed = repo.trace(['verify', `HEAD..${base}`, '--no-fetch', '--all-commits']);
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toContain(`the range HEAD..${base} has no commits`);
    expect(reversed.stderr).toContain('is it reversed?');
    const same = repo.trace(['verify', 'HEAD..HEAD', '--no-fetch', '--all-commits']);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('the range HEAD..HEAD has no commits: both ends are the same commit');
    const typo = repo.trace(['verify', 'mian..HEAD', '--no-fetch', '--all-commits']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('mian is not a commit here');
  });

  it('an empty default range is exit 0 with a notice, never a silent OK', () => {
    const { repo } = tracedRepo();
    repo.git(['fetch', '-q', 'origin']);
    const { code, result } = verify(repo, ['--no-fetch', '--all-commits']);
    expect(code).toBe(0);
    expect(result.commits).toEqual([]);
    expect(result.notices.join('\n')).toContain('nothing to verify: origin/main..HEAD has no commits');
    expect(repo.trace(['verify', '--no-fetch']).stdout).toContain('nothing to verify');
  });
});

describe('clones and key files', () => {
  it('a shallow clone gets a fetch-depth hint instead of "not a commit"', () => {
    const { repo, base } = tracedRepo();
    repo.write('a.txt', 'a\n');
    repo.commit('a');
    repo.write('b.txt', 'b\n');
    repo.commit('b');
    repo.git(['push', '-q', 'origin', 'main']);
    const clone = join(repo.home, 'shallow');
    repo.git(['clone', '-q', '--depth', '1', `file://${repo.remote}`, clone]);
    const run = repo.trace(['verify', `${base}..HEAD`, '--all-commits'], { cwd: clone });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('shallow');
    expect(run.stderr).toContain('fetch-depth: 0');
  });

  it('ignores files that are not .pem and names a .pem that does not parse', () => {
    const repo = makeRepo();
    repo.write('.chainloop/keys/README.md', 'keys CI trusts\n');
    repo.write('.chainloop/keys/broken.pem', '-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n');
    const base = repo.commit('trace set up, with a broken key file');
    repo.write('a.txt', 'a\n');
    repo.commit('a');
    repo.git(['push', '-q', 'origin', 'main']);
    const { code, result } = verify(repo, [`${base}..HEAD`, '--no-fetch', '--all-commits']);
    expect(code).toBe(0);
    const notices = result.notices.join('\n');
    expect(notices).toContain('.chainloop/keys/broken.pem at the base');
    expect(notices).not.toContain('README.md');
  });
});

describe('flags', () => {
  it('--certificate-identity with --certificate-identity-regexp is a usage error', () => {
    const repo = makeRepo();
    const run = repo.trace(['verify', '--no-fetch', '--certificate-identity', 'a', '--certificate-identity-regexp', 'b']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--certificate-identity and --certificate-identity-regexp cannot be used together');
  });

  it('an unknown remote is said once, with the remotes there are', () => {
    const repo = makeRepo();
    for (const args of [['verify', '--remote', 'nosuchremote'], ['fetch', 'nosuchremote']]) {
      const run = repo.trace(args);
      expect(run.code).toBe(2);
      expect(run.stderr.match(/nosuchremote/g)).toHaveLength(1);
      expect(run.stderr).toContain('there is no remote named "nosuchremote"');
      expect(run.stderr).toContain('(origin)');
    }
  });
});

describe('output', () => {
  it('tells the progress line how far it is, commit by commit, and clears it', async () => {
    const { repo, base } = tracedRepo();
    for (const name of ['a', 'b', 'c']) {
      repo.write(`${name}.txt`, `${name}\n`);
      repo.commit(name);
    }
    const seen: number[] = [];
    let total = -1;
    let cleared = false;
    await verifyRange({
      repo: await openRepo(repo.dir),
      range: `${base}..HEAD`,
      allCommits: false,
      fetch: false,
      remote: 'origin',
      bundleFiles: [],
      keyFiles: [],
      progress: (count) => {
        total = count;
        return { update: (done) => seen.push(done), done: () => (cleared = true) };
      },
    });
    expect(total).toBe(3);
    expect(seen).toEqual([0, 1, 2]);
    expect(cleared).toBe(true);
  });

  it('trace fetch --json speaks snake_case', () => {
    const repo = makeRepo();
    expect(JSON.parse(repo.trace(['fetch', '--json']).stdout)).toEqual({
      remote: 'origin',
      remote_has_notes: false,
      merged: false,
      problems: [],
      sessions_index: { tip: null, bundles: 0, verified: 0, unverified: 0, checked_now: 0, sessions_updated: 0 },
    });
  });

  it('colours the table on a terminal (forced here) and never with NO_COLOR', () => {
    const { repo, base } = tracedRepo();
    repo.write('a.txt', 'a\n');
    repo.commit('a');
    repo.git(['push', '-q', 'origin', 'main']);
    const coloured = repo.trace(['verify', `${base}..HEAD`, '--no-fetch'], { env: { FORCE_COLOR: '1' } });
    expect(coloured.stdout).toContain('\x1b[32mok');
    const plain = repo.trace(['verify', `${base}..HEAD`, '--no-fetch'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(plain.stdout).not.toContain('\x1b[');
    const json = repo.trace(['verify', `${base}..HEAD`, '--no-fetch', '--json']).stdout;
    const keys = [...json.matchAll(/"([A-Za-z_]+)":/g)].map((m) => m[1]!);
    expect(keys.filter((k) => /[A-Z]/.test(k))).toEqual([]);
  });
});
