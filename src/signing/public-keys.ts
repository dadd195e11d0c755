// The public keys CI trusts: `.chainloop/keys/*.pem` as committed at a revision.
// Minimal version for `trace doctor`; the keys helper's fuller module replaces this file at merge.
import { git, gitRaw } from '../git.js';
import { publicKeyId } from './key.js';

export async function trustedKeysAt(cwd: string, rev: string): Promise<{ file: string; keyId: string; owner: string | null; pem: string }[]> {
  const listed = await gitRaw(['ls-tree', '-r', '--name-only', rev, '--', '.chainloop/keys/'], { cwd, okCodes: [128] });
  if (listed.code !== 0) return [];
  const keys: { file: string; keyId: string; owner: string | null; pem: string }[] = [];
  for (const file of listed.stdout.toString('utf8').split('\n').filter((name) => name.endsWith('.pem'))) {
    const pem = await git(['show', `${rev}:${file}`], { cwd });
    try {
      keys.push({ file, keyId: publicKeyId(pem), owner: null, pem });
    } catch {
      // Not a public key: never trusted.
    }
  }
  return keys;
}
