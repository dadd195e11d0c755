// Reading what a push left on the remote: notes, bundles, statements.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Statement } from '../../src/core/predicate.js';
import { publicKeyId } from '../../src/signing/key.js';
import { verifyBundle } from '../../src/signing/verify.js';
import { FakeClaude } from './claude.js';
import { makeRepo, type TestRepo } from './repo.js';

export const NOTES = 'refs/notes/chainloop-trace';

/** The note lines of `commit` in the remote's notes ref (empty when there is none). */
export function remoteNoteLines(repo: TestRepo, commit: string): string[] {
  const result = repo.git(['--git-dir', repo.remote, 'notes', `--ref=${NOTES}`, 'show', commit], { allowFail: true });
  return result.code === 0 ? result.stdout.split('\n').filter(Boolean) : [];
}

export function decodeStatement(bundleLine: string): Statement {
  const bundle = JSON.parse(bundleLine) as { dsseEnvelope: { payload: string } };
  return JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as Statement;
}

/** The public keys the repository commits under .chainloop/keys, by key id. */
export function repoKeys(repo: TestRepo): Map<string, string> {
  const dir = join(repo.dir, '.chainloop', 'keys');
  const keys = new Map<string, string>();
  for (const file of readdirSync(dir)) {
    const pem = readFileSync(join(dir, file), 'utf8');
    keys.set(publicKeyId(pem), pem);
  }
  return keys;
}

export async function verifyWithRepoKey(repo: TestRepo, bundleLine: string) {
  return verifyBundle(JSON.parse(bundleLine), { publicKeys: repoKeys(repo) });
}

/** A repository whose key is committed and pushed (the base), then a pushed range with AI and human work. */
export function attestedRepo(): { repo: TestRepo; base: string; agent: FakeClaude; ai: string; human: string } {
  const repo = makeRepo();
  const base = repo.commit('trace set up');
  repo.git(['push', '-q', 'origin', 'main']);
  const agent = new FakeClaude(repo);
  agent.start('claude-opus-4-8');
  agent.write('src/a.ts', 'export const a = 1;\nexport const b = 2;\n');
  const ai = repo.commit('ai');
  repo.write('README.md', '# project\n\nmore\n');
  const human = repo.commit('human');
  repo.git(['push', '-q', 'origin', 'main']);
  return { repo, base, agent, ai, human };
}
