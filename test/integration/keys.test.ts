// trace keys list | add | remove, and the onboarding of a teammate as the README tells it: their
// first pull request fails with the fix, a maintainer merges their key, the check passes.
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KeysAddResult, KeysListResult } from '../../src/commands/keys.js';
import { trustedKeysAt } from '../../src/signing/public-keys.js';
import type { VerifyResult } from '../../src/verify/run.js';
import { sandboxEnv } from '../../src/simulate/sandbox.js';
import { cleanupTemps, makeRepo, run, TRACE_BIN, type TestRepo } from '../support/repo.js';

afterAll(cleanupTemps);

function keyFiles(dir: string): string[] {
  const keys = join(dir, '.chainloop', 'keys');
  return existsSync(keys) ? readdirSync(keys).map((f) => `.chainloop/keys/${f}`) : [];
}

/** A teammate: their own home (git identity and signing key) and a clone of the remote. */
function teammate(repo: TestRepo, name: string) {
  const home = join(repo.home, '..', `home-${name}`);
  const env = sandboxEnv(home, { name, email: `${name.toLowerCase()}@example.com` });
  const dir = join(repo.home, '..', `clone-${name}`);
  run('git', ['clone', '-q', repo.remote, dir], { cwd: repo.home, env });
  return {
    dir,
    git: (args: string[]) => {
      const result = run('git', args, { cwd: dir, env });
      if (result.code !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    },
    trace: (args: string[]) => run(process.execPath, [TRACE_BIN, ...args], { cwd: dir, env }),
  };
}

describe('trace keys', () => {
  it('init writes the key with its owner, and Node reads the file as a public key', async () => {
    const repo = makeRepo();
    const [file] = keyFiles(repo.dir);
    const text = repo.read(file!);
    expect(text).toMatch(/^# owner: Dev <dev@example\.com>\n/);
    expect(createPublicKey(text).asymmetricKeyType).toBe('ec');
    const base = repo.commit('trace set up');
    const keys = await trustedKeysAt(repo.dir, base);
    expect(keys).toEqual([expect.objectContaining({ file, owner: 'Dev <dev@example.com>', keyId: expect.stringMatching(/^[0-9a-f]{64}$/) as string })]);
    expect(file).toBe(`.chainloop/keys/${keys[0]!.keyId.slice(0, 16)}.pem`);
    // From a subdirectory too (trace doctor runs wherever the user is).
    mkdirSync(join(repo.dir, 'src', 'deep'), { recursive: true });
    expect(await trustedKeysAt(join(repo.dir, 'src', 'deep'), base)).toEqual(keys);
  });

  it('list shows the keys of the remote default branch with owner, the commit that added each, and the local key', () => {
    const repo = makeRepo();
    const empty = JSON.parse(repo.trace(['keys', 'list', '--json']).stdout) as KeysListResult;
    expect(empty.rev).toBe('HEAD');
    expect(empty.keys).toEqual([]);
    expect(empty.local_key?.trusted).toBe(false);
    expect(repo.trace(['keys', 'list']).stdout).toContain('is not trusted at HEAD');
    const added = repo.commit('trace set up');
    repo.git(['push', '-q', 'origin', 'main']);
    repo.git(['fetch', '-q', 'origin']);
    const listed = JSON.parse(repo.trace(['keys', 'list', '--json']).stdout) as KeysListResult;
    expect(listed.rev).toBe('origin/main');
    expect(listed.keys).toEqual([
      expect.objectContaining({ owner: 'Dev <dev@example.com>', local: true, added_in: expect.objectContaining({ commit: added, subject: 'trace set up' }) as unknown }),
    ]);
    expect(listed.local_key?.trusted).toBe(true);
    const text = repo.trace(['keys', 'list']).stdout;
    expect(text).toContain('Keys trusted at origin/main');
    expect(text).toMatch(/[0-9a-f]{16} {2}Dev <dev@example\.com> {2}added in [0-9a-f]{10} \S+ trace set up {2}your signing key/);
    // --rev reads another revision: before the key was committed.
    expect((JSON.parse(repo.trace(['keys', 'list', '--rev', 'HEAD~1', '--json']).stdout) as KeysListResult).keys).toEqual([]);
  });

  it('add exports the local key and prints the exact commands; remove deletes a key and says what to commit', () => {
    const repo = makeRepo({ init: false });
    const added = repo.trace(['keys', 'add', '--json']);
    expect(added.code).toBe(0);
    const result = JSON.parse(added.stdout) as KeysAddResult;
    expect(result).toMatchObject({ created: true, committed: false, owner: 'Dev <dev@example.com>', file: `.chainloop/keys/${result.key_id.slice(0, 16)}.pem` });
    expect(result.commands[0]).toBe(`git add ${result.file}`);
    expect(repo.read(result.file)).toContain('# owner: Dev <dev@example.com>');
    // The printed commands work as given.
    for (const command of result.commands) expect(repo.sh(command).code).toBe(0);
    expect(repo.git(['show', '--stat', '--format=%s', 'HEAD']).stdout).toContain(result.file);
    const again = JSON.parse(repo.trace(['keys', 'add', '--json']).stdout) as KeysAddResult;
    expect(again).toMatchObject({ created: false, committed: true, commands: [] });

    expect(repo.trace(['keys', 'remove', 'zzzz']).code).toBe(2);
    const removed = repo.trace(['keys', 'remove', result.key_id.slice(0, 8)]);
    expect(removed.code).toBe(0);
    expect(existsSync(join(repo.dir, result.file))).toBe(false);
    expect(removed.stdout).toContain('It is your own signing key');
    expect(removed.stdout).toContain(`git add ${result.file}`);
    expect(removed.stdout).toContain(`git commit -m 'Stop trusting the trace signing key ${result.key_id.slice(0, 16)} of Dev <dev@example.com>' -- ${result.file}`);
  });

  it('add --rotate retires the local key, makes a new one and replaces its file', () => {
    const repo = makeRepo();
    const [old] = keyFiles(repo.dir);
    repo.commit('trace set up');
    const rotated = JSON.parse(repo.trace(['keys', 'add', '--rotate', '--json']).stdout) as KeysAddResult;
    expect(rotated.retired?.file).toBe(old);
    expect(rotated.file).not.toBe(old);
    expect(keyFiles(repo.dir)).toEqual([rotated.file]);
    expect(existsSync(rotated.retired!.private_key)).toBe(true);
    expect(rotated.commands[0]).toBe(`git add ${rotated.file} ${old}`);
  });

  it('remove refuses a prefix that matches several keys', () => {
    const repo = makeRepo();
    const [file] = keyFiles(repo.dir);
    const copy = `.chainloop/keys/${file!.slice('.chainloop/keys/'.length, '.chainloop/keys/'.length + 4)}-copy.pem`;
    repo.write(copy, readFileSync(join(repo.dir, file!), 'utf8'));
    const run = repo.trace(['keys', 'remove', file!.slice('.chainloop/keys/'.length, '.chainloop/keys/'.length + 4)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('matches 2 keys');
  });
});

describe('onboarding a teammate, as the README says', () => {
  it("their first pull request fails naming them and the fix; once a maintainer merges their key, it passes", () => {
    const repo = makeRepo();
    repo.commit('trace set up');
    repo.git(['push', '-q', 'origin', 'main']);

    const ana = teammate(repo, 'Ana');
    expect(ana.trace(['init', '--yes']).code).toBe(0);
    ana.git(['checkout', '-q', '-b', 'ana-first']);
    const add = JSON.parse(ana.trace(['keys', 'add', '--json']).stdout) as KeysAddResult;
    expect(add.owner).toBe('Ana <ana@example.com>');
    ana.git(['add', add.file]);
    ana.git(['commit', '-q', '-m', 'Add my trace key']);
    ana.git(['push', '-q', 'origin', 'ana-first']);

    const check = () => {
      const result = repo.trace(['verify', 'origin/main..origin/ana-first', '--all-commits', '--json']);
      return { code: result.code, result: JSON.parse(result.stdout) as VerifyResult };
    };
    repo.git(['fetch', '-q', 'origin']);
    const first = check();
    expect(first.code).toBe(1);
    const failure = first.result.commits.flatMap((c) => c.failures).join('\n');
    expect(failure).toContain(`signed with key ${add.key_id.slice(0, 16)} of Ana <ana@example.com>`);
    expect(failure).toContain(`Fix: a maintainer merges a change that adds \`${add.file}\``);

    // The maintainer merges a change adding Ana's key (taken from her branch), then the check is re-run.
    repo.git(['checkout', '-q', 'origin/ana-first', '--', add.file]);
    repo.git(['commit', '-q', '-m', "Trust Ana's trace key"]);
    repo.git(['push', '-q', 'origin', 'main']);
    repo.git(['fetch', '-q', 'origin']);
    const rerun = check();
    expect(rerun.result.commits.flatMap((c) => c.failures)).toEqual([]);
    expect(rerun.code).toBe(0);
  });
});
