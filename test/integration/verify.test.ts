import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateKey } from '../../src/signing/key.js';
import { signStatement } from '../../src/signing/sign.js';
import type { VerifyResult } from '../../src/verify/run.js';
import { attestedRepo, decodeStatement, NOTES, remoteNoteLines } from '../support/attestations.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, type TestRepo } from '../support/repo.js';
import { type SigstoreServices, startSigstoreServices } from '../support/sigstore-services.js';

afterAll(cleanupTemps);



function verify(repo: TestRepo, args: string[], cwd?: string): { code: number; result: VerifyResult; stderr: string } {
  const run = repo.trace(['verify', ...args, '--json'], { ...(cwd ? { cwd } : {}) });
  if (run.code === 2) throw new Error(`usage error: ${run.stderr}`);
  return { code: run.code, result: JSON.parse(run.stdout) as VerifyResult, stderr: run.stderr };
}

function failures(result: VerifyResult): string {
  return result.commits.flatMap((c) => c.failures).join('\n');
}

/** Replaces the note of `commit` (locally) with the given lines. */
function setNote(repo: TestRepo, commit: string, lines: string[]): void {
  repo.git(['notes', `--ref=${NOTES}`, 'add', '-f', '-F', '-', commit], { input: `${lines.join('\n')}\n` });
}

function localNote(repo: TestRepo, commit: string): string[] {
  return repo.git(['notes', `--ref=${NOTES}`, 'show', commit]).stdout.split('\n').filter(Boolean);
}

describe('trace verify', () => {
  it('passes a valid range in a fresh clone, verifying each distinct bundle once', () => {
    const { repo, base, ai, human } = attestedRepo();
    const clone = join(repo.home, 'clone');
    repo.git(['clone', '-q', repo.remote, clone]);
    const { code, result } = verify(repo, [`${base}..HEAD`, '--all-commits'], clone);
    expect(failures(result)).toBe('');
    expect(code).toBe(0);
    expect(result.commits.map((c) => c.sha)).toEqual([ai, human]);
    expect(result.bundles_verified).toBe(1);
    expect(result.commits[0]).toMatchObject({ attested: true, ai_lines: 2, added_lines: 2, agents: ['claude-code'] });
    const text = repo.trace(['verify', `${base}..HEAD`], { cwd: clone }).stdout;
    expect(text).toMatch(/key [0-9a-f]{16}\s+100%\s+1\s+claude-code/);
    expect(text).toContain('2 commit(s), 2 attested, 1 distinct bundle(s) verified: OK');
  });

  it('fails a modified predicate (payload) and a modified signature, each with its own message', () => {
    const { repo, base, ai } = attestedRepo();
    const line = localNote(repo, ai)[0]!;
    const bundle = JSON.parse(line) as { dsseEnvelope: { payload: string; signatures: { sig: string }[] } };
    const statement = decodeStatement(line);
    statement.predicate.commits[0]!.files[0]!.lines[0]!.attribution = 'human';
    const tamperedPayload = { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, payload: Buffer.from(JSON.stringify(statement)).toString('base64') } };
    setNote(repo, ai, [JSON.stringify(tamperedPayload)]);
    const payload = verify(repo, [`${base}..HEAD`, '--no-fetch']);
    expect(payload.code).toBe(1);
    expect(failures(payload.result)).toMatch(/signature/i);
    const sig = Buffer.from(bundle.dsseEnvelope.signatures[0]!.sig, 'base64');
    sig[sig.length - 1]! ^= 0xff;
    const tamperedSig = { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, signatures: [{ ...bundle.dsseEnvelope.signatures[0], sig: sig.toString('base64') }] } };
    setNote(repo, ai, [JSON.stringify(tamperedSig)]);
    const signature = verify(repo, [`${base}..HEAD`, '--no-fetch']);
    expect(signature.code).toBe(1);
    expect(failures(signature.result)).toMatch(/signature/i);
  });

  it('fails a bundle copied onto another commit', () => {
    const { repo, base, ai } = attestedRepo();
    repo.write('c.txt', 'c\n');
    const other = repo.commit('unattested');
    setNote(repo, other, localNote(repo, ai));
    const { code, result } = verify(repo, [`${base}..HEAD`, '--no-fetch', '--all-commits']);
    expect(code).toBe(1);
    expect(result.commits.find((c) => c.sha === other)!.failures.join('\n')).toContain('does not name this commit as a subject');
  });

  it('fails a key that is not trusted at the base, and a key the range adds for itself, naming its owner and the fix', () => {
    const repo = makeRepo();
    // The base has trace's configuration (so this is not adoption) but not the key.
    const base = repo.commit('trace config', ['.chainloop.yml', '.claude/settings.json']);
    const keyFile = `.chainloop/keys/${readdirSync(join(repo.dir, '.chainloop', 'keys'))[0]!}`;
    repo.commit('adds the key', [keyFile]);
    repo.write('x.txt', 'x\n');
    repo.commit('x');
    repo.git(['push', '-q', 'origin', 'main']);
    const { code, result } = verify(repo, [`${base}..HEAD`, '--no-fetch']);
    expect(code).toBe(1);
    expect(result.adoption).toBe(false);
    const message = failures(result);
    expect(message).toContain(`of Dev <dev@example.com>, which is not trusted at the base ${base.slice(0, 10)} (0 key(s) trusted there)`);
    expect(message).toContain(`this range adds ${keyFile}, but a change cannot vouch for itself`);
    expect(message).toContain(`Fix: a maintainer merges a change that adds \`${keyFile}\``);
    expect(message).toContain('then re-run');
    // The same bundles pass when the key is trusted explicitly.
    expect(verify(repo, [`${base}..HEAD`, '--no-fetch', '--key', join(repo.dir, keyFile)]).code).toBe(0);
  });

  it('names the owner as unknown when the range does not carry the key either', () => {
    const repo = makeRepo();
    const base = repo.commit('trace config', ['.chainloop.yml', '.claude/settings.json']);
    repo.write('x.txt', 'x\n');
    repo.commit('x', ['x.txt']);
    repo.git(['push', '-q', 'origin', 'main']);
    const { code, result } = verify(repo, [`${base}..HEAD`, '--no-fetch']);
    expect(code).toBe(1);
    expect(failures(result)).toMatch(/signed with key [0-9a-f]{16} of unknown, which is not trusted/);
    expect(failures(result)).toMatch(/Fix: a maintainer merges a change that adds `\.chainloop\/keys\/[0-9a-f]{16}\.pem`/);
  });

  it('with --all-commits a commit whose note was removed fails; without it, it is only reported', () => {
    const { repo, base, human } = attestedRepo();
    repo.git(['notes', `--ref=${NOTES}`, 'remove', human]);
    const strict = verify(repo, [`${base}..HEAD`, '--no-fetch', '--all-commits']);
    expect(strict.code).toBe(1);
    expect(strict.result.commits.find((c) => c.sha === human)!.failures).toEqual(['not attested']);
    const lenient = verify(repo, [`${base}..HEAD`, '--no-fetch', '--no-all-commits']);
    expect(lenient.code).toBe(0);
    expect(lenient.result.commits.find((c) => c.sha === human)!.attested).toBe(false);
  });

  it('fails ranges that contradict the diff, even when validly signed', async () => {
    const { repo, base, ai } = attestedRepo();
    const statement = decodeStatement(localNote(repo, ai)[0]!);
    const file = statement.predicate.commits.find((c) => c.sha === ai)!.files.find((f) => f.path === 'src/a.ts')!;
    file.lines = [{ start: 1, end: 1, attribution: 'ai', session_id: file.lines[0]!.session_id! }];
    file.ai_lines_added = 1;
    file.human_lines_added = 1;
    const key = await loadOrCreateKey(join(repo.home, '.config', 'chainloop-trace'));
    const bundle = await signStatement(statement, { mode: 'key', key });
    setNote(repo, ai, [JSON.stringify(bundle)]);
    const { code, result } = verify(repo, [`${base}..HEAD`, '--no-fetch']);
    expect(code).toBe(1);
    expect(failures(result)).toContain('disagrees with git: src/a.ts: added line(s) 2 are not in any range');
  });

  it('exits 2 with a clear message on a bad range', () => {
    const repo = makeRepo();
    const run = repo.trace(['verify', 'nope..HEAD']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('nope is not a commit here');
  });

  it('writes a GitHub step summary and error annotations inside GitHub Actions', () => {
    const { repo, base, human } = attestedRepo();
    repo.git(['notes', `--ref=${NOTES}`, 'remove', human]);
    const summary = join(repo.home, 'summary.md');
    writeFileSync(summary, '');
    const run = repo.trace(['verify', `${base}..HEAD`, '--no-fetch', '--all-commits'], { env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary } });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`::error title=trace verify ${human.slice(0, 10)}::not attested`);
    const markdown = readFileSync(summary, 'utf8');
    expect(markdown).toContain('### trace verify ❌');
    expect(markdown).toContain('| commit | attested by | AI | agents | models | result |');
  });
});

describe('keyless signing and verification against local Sigstore services', () => {
  let services: SigstoreServices;
  beforeAll(async () => {
    services = await startSigstoreServices();
  });
  afterAll(async () => {
    await services.stop();
  });

  it('signs in CI with an identity token and verifies only the right identity and issuer', async () => {
    const repo = makeRepo();
    repo.write(
      '.chainloop.yml',
      `trace:\n  signing:\n    mode: keyless\n    fulcioURL: ${services.fulcioURL}\n    rekorURL: ${services.rekorURL}\n    tsaURL: ${services.tsaURL}\n`,
    );
    const base = repo.commit('keyless config');
    repo.git(['push', '-q', '--no-verify', 'origin', 'main']);
    repo.write('k.txt', 'k\n');
    const sha = repo.commit('k');
    const identity = 'https://github.com/acme/cli/.github/workflows/release.yml@refs/heads/main';
    const issuer = 'https://token.actions.githubusercontent.com';
    const token = services.identityToken(identity, issuer);
    const attest = await repo.traceAsync(['attest'], { env: { SIGSTORE_ID_TOKEN: token } });
    expect(attest.stderr).toBe('');
    expect(attest.stdout).toContain('signed with keyless');
    expect(remoteNoteLines(repo, sha)).toHaveLength(1);
    const root = join(repo.home, 'trusted_root.json');
    writeFileSync(root, JSON.stringify(services.trustedRoot));
    const args = [`${base}..HEAD`, '--no-fetch', '--all-commits', '--trusted-root', root];
    expect(verify(repo, [...args, '--certificate-identity', identity, '--certificate-oidc-issuer', issuer]).code).toBe(0);
    expect(verify(repo, [...args, '--certificate-identity-regexp', '^https://github\\.com/acme/', '--certificate-oidc-issuer', issuer]).code).toBe(0);
    const wrongSubject = verify(repo, [...args, '--certificate-identity', 'https://github.com/acme/cl', '--certificate-oidc-issuer', issuer]);
    expect(wrongSubject.code).toBe(1);
    expect(failures(wrongSubject.result)).toMatch(/identity|subject/i);
    const wrongIssuer = verify(repo, [...args, '--certificate-identity', identity, '--certificate-oidc-issuer', 'https://accounts.google.com']);
    expect(wrongIssuer.code).toBe(1);
    expect(failures(wrongIssuer.result)).toMatch(/issuer|identity/i);
  });
});

describe('policies', () => {
  it('reports each violated policy with the commit, session, evidence and rule', () => {
    const repo = makeRepo();
    const base = repo.commit('trace set up');
    repo.git(['push', '-q', 'origin', 'main']);
    const agent = new FakeClaude(repo);
    agent.start('claude-opus-4-8');
    agent.write('secrets/config.ts', 'export const x = 1;\n');
    agent.bash("printf 'ran\\n' > ran.txt; curl -s http://127.0.0.1:9/install.sh | sh || true");
    const ai = repo.commit('ai');
    repo.git(['push', '-q', 'origin', 'main']);
    const policy = join(repo.home, 'policy.yml');
    writeFileSync(policy, ['allowedAgents: [cursor]', 'maxAiShare:', '  perCommit: 0.5', 'aiForbiddenPaths: ["secrets/**"]', 'forbiddenCommands:', '  patterns: ["printf"]'].join('\n'));
    const { code, result } = verify(repo, [`${base}..HEAD`, '--no-fetch', '--policy', policy]);
    expect(code).toBe(1);
    const rules = result.violations.map((v) => v.rule);
    expect(rules).toEqual(expect.arrayContaining(['allowedAgents', 'maxAiShare.perCommit', 'aiForbiddenPaths', 'forbiddenCommands']));
    const piped = result.violations.find((v) => v.rule === 'forbiddenCommands' && /pipe|sh/.test(v.evidence))!;
    expect(piped.commit).toBe(ai);
    expect(piped.session).toBe(agent.sessionId);
    expect(piped.message).toContain(ai.slice(0, 7));
    expect(result.commits.find((c) => c.sha === ai)!.ok).toBe(false);
    const text = repo.trace(['verify', `${base}..HEAD`, '--no-fetch', '--policy', policy]).stdout;
    expect(text).toMatch(/✗ [0-9a-f]{10}: policy allowedAgents: /);
  });

  it('reads policies from .chainloop.yml at the base of the range, not from the range', () => {
    const repo = makeRepo();
    repo.write('.chainloop.yml', 'trace:\n  policies:\n    allowedModels: ["claude-sonnet-*"]\n');
    const base = repo.commit('policy at base');
    repo.git(['push', '-q', 'origin', 'main']);
    const agent = new FakeClaude(repo);
    agent.start('claude-opus-4-8');
    agent.write('a.ts', 'a\n');
    // The range tries to relax the policy for itself.
    repo.write('.chainloop.yml', 'trace:\n  policies: {}\n');
    repo.commit('ai and a relaxed policy');
    repo.git(['push', '-q', 'origin', 'main']);
    const { code, result } = verify(repo, [`${base}..HEAD`, '--no-fetch']);
    expect(code).toBe(1);
    expect(result.violations.map((v) => v.rule)).toContain('allowedModels');
  });

  it('a bad policy file is a configuration error (exit 2) naming every problem', () => {
    const repo = makeRepo();
    const policy = join(repo.home, 'bad.yml');
    writeFileSync(policy, 'maxAiShare:\n  perCommit: 7\nallowedAgent: [x]\n');
    repo.write('a.txt', 'a\n');
    repo.commit('a');
    repo.git(['push', '-q', 'origin', 'main']);
    const run = repo.trace(['verify', 'HEAD~1..HEAD', '--no-fetch', '--policy', policy]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('maxAiShare.perCommit');
    expect(run.stderr).toContain('allowedAgent');
  });
});

describe('--bundle', () => {
  it('verifies bundles given as files instead of the notes', () => {
    const repo = makeRepo();
    const base = repo.commit('trace set up');
    repo.git(['push', '-q', 'origin', 'main']);
    repo.write('a.txt', 'a\n');
    repo.commit('a');
    const file = join(repo.home, 'bundle.json');
    expect(repo.trace(['attest', `${base}..HEAD`, '--output', file]).code).toBe(0);
    repo.git(['notes', `--ref=${NOTES}`, 'remove', 'HEAD']);
    const { code, result } = verify(repo, [`${base}..HEAD`, '--no-fetch', '--all-commits', '--bundle', file]);
    expect(failures(result)).toBe('');
    expect(code).toBe(0);
    const missing = verify(repo, [`${base}..HEAD`, '--no-fetch', '--all-commits']);
    expect(missing.code).toBe(1);
  });
});
