// Bundles and predicates written to fool or crash `trace verify`: each is a verification failure
// with its reason, never a pass and never a stack trace.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateKey } from '../../src/signing/key.js';
import { signStatement } from '../../src/signing/sign.js';
import type { VerifyResult } from '../../src/verify/run.js';
import { attestedRepo, decodeStatement, NOTES } from '../support/attestations.js';
import { cleanupTemps, type TestRepo } from '../support/repo.js';

afterAll(cleanupTemps);


function note(repo: TestRepo, commit: string): string {
  return repo.git(['notes', `--ref=${NOTES}`, 'show', commit]).stdout.split('\n').find(Boolean)!;
}

function setNote(repo: TestRepo, commit: string, line: string): void {
  repo.git(['notes', `--ref=${NOTES}`, 'add', '-f', '-F', '-', commit], { input: `${line}\n` });
}

function verify(repo: TestRepo, base: string): { code: number; result: VerifyResult; stderr: string } {
  const run = repo.trace(['verify', `${base}..HEAD`, '--no-fetch', '--json']);
  if (run.code === 2) throw new Error(`usage error: ${run.stderr}`);
  return { code: run.code, result: JSON.parse(run.stdout) as VerifyResult, stderr: run.stderr };
}

describe('trace verify against hostile bundles', () => {
  it('rejects a bundle whose (unsigned) mediaType was rewritten to Sigstore v0.1 or v0.2, saying why', () => {
    const { repo, base, ai } = attestedRepo();
    const original = note(repo, ai);
    expect(verify(repo, base).code).toBe(0);
    for (const mediaType of ['application/vnd.dev.sigstore.bundle+json;version=0.1', 'application/vnd.dev.sigstore.bundle+json;version=0.2']) {
      const bundle = JSON.parse(original) as { mediaType: string };
      bundle.mediaType = mediaType;
      setNote(repo, ai, JSON.stringify(bundle));
      const { code, result } = verify(repo, base);
      expect(code).toBe(1);
      const failures = result.commits.flatMap((c) => c.failures).join('\n');
      expect(failures).toContain(`mediaType is "${mediaType}"`);
      expect(failures).toContain('application/vnd.dev.sigstore.bundle.v0.3+json');
    }
  });

  it('answers a predicate claiming an absurd range (2e9 lines) with a verification failure, not a crash', async () => {
    const { repo, base, ai } = attestedRepo();
    const statement = decodeStatement(note(repo, ai));
    const file = statement.predicate.commits.find((c) => c.sha === ai)!.files.find((f) => f.path === 'src/a.ts')!;
    file.lines = [{ start: 1, end: 2e9, attribution: 'ai', session_id: file.lines[0]!.session_id! }];
    file.ai_lines_added = 2e9;
    const key = await loadOrCreateKey(join(repo.home, '.config', 'chainloop-trace'));
    setNote(repo, ai, JSON.stringify(await signStatement(statement, { mode: 'key', key })));
    const started = Date.now();
    const { code, result, stderr } = verify(repo, base);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(stderr).not.toContain('RangeError');
    expect(code).toBe(1);
    const failures = result.commits.flatMap((c) => c.failures).join('\n');
    expect(failures).toContain('src/a.ts: ranges cover line(s) 3, 4, 5, 6, 7 and 1999999993 more that the commit does not add');
  });
});
