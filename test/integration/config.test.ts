// A broken .chainloop.yml: the push goes through unless the file itself says requireTrace: true,
// and every message names the real problem and something in the user's hands that fixes it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { remoteNoteLines } from '../support/attestations.js';
import { cleanupTemps, makeRepo } from '../support/repo.js';

afterAll(cleanupTemps);

describe('an invalid .chainloop.yml', () => {
  it('never blocks a push when requireTrace is not set, and says what is wrong', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'trace:\n  polices:\n    allowedAgents: [claude-code]\n');
    repo.write('a.txt', 'a\n');
    const sha = repo.commit('typo');
    const push = repo.git(['push', 'origin', 'main'], { allowFail: true });
    expect(push.code).toBe(0);
    expect(repo.git(['--git-dir', repo.remote, 'rev-parse', 'main']).stdout.trim()).toBe(sha);
    expect(push.stderr).not.toContain('requireTrace');
    expect(push.stderr).toContain('went through unattested');
    expect(push.stderr).toContain('Unrecognized key: "polices"');
    expect(push.stderr).toContain('`trace schema config` prints every key');
    expect(remoteNoteLines(repo, sha)).toEqual([]);
  });

  it('refuses the push when the file really says requireTrace: true, naming the file', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'requireTrace: true\ntrace:\n  polices: {}\n');
    repo.write('a.txt', 'a\n');
    repo.commit('typo');
    const push = repo.git(['push', 'origin', 'main'], { allowFail: true });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('push refused (.chainloop.yml says requireTrace: true, and it has problems)');
    expect(push.stderr).toContain('Unrecognized key: "polices"');
  });

  it('points to `trace schema`, which prints the JSON Schema of every key or writes it to a file', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'trace:\n  polices: {}\n');
    const status = repo.trace(['attest', '--dry-run']);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('`trace schema config` prints every key');
    const printed = repo.trace(['schema', 'config']);
    expect(printed.code).toBe(0);
    const schema = JSON.parse(printed.stdout) as { properties: { trace: { properties: Record<string, unknown> } } };
    expect(Object.keys(schema.properties.trace.properties)).toEqual(expect.arrayContaining(['policies', 'transcripts', 'signing']));
    expect(repo.trace(['schema', 'predicate', '--output', 'predicate.json']).code).toBe(0);
    expect((JSON.parse(readFileSync(join(repo.dir, 'predicate.json'), 'utf8')) as { $id: string }).$id).toMatch(/^urn:chainloop-trace:predicate:/);
    const unknown = repo.trace(['schema', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('config, predicate');
  });
});
