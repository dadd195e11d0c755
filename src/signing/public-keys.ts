// The public keys a repository trusts: `.chainloop/keys/*.pem`, committed, read at a revision
// (verify reads them at the base of a range, so a change cannot vouch for itself). A key file is
// a PEM public key, optionally preceded by `# owner: Name <email>` comment lines, which Node's
// PEM reader skips.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TraceConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import { gitRaw } from '../git.js';
import { contentHash, type InstallManifest } from '../install/manifest.js';
import { KEY_FILE_NAME, keyDir as defaultKeyDir, publicKeyId } from './key.js';

/** Public keys CI trusts, committed in the repository (read at the base of a verified range). */
export const PUBLIC_KEYS_DIR = '.chainloop/keys';

export interface TrustedKey {
  /** Repository-relative path, e.g. `.chainloop/keys/0123456789abcdef.pem`. */
  file: string;
  /** Hex SHA-256 of the SPKI DER: what key bundles carry as their public-key hint. */
  keyId: string;
  /** From the file's `# owner:` line, or null when it has none. */
  owner: string | null;
  /** The PEM block alone. */
  pem: string;
}

export interface InvalidKeyFile {
  file: string;
  reason: string;
}

const PEM_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/;

/** Reads one key file's text: its key, or why it is not one. */
export function parseKeyFile(file: string, text: string): TrustedKey | InvalidKeyFile {
  const block = PEM_BLOCK.exec(text);
  if (!block) return { file, reason: 'it holds no "-----BEGIN PUBLIC KEY-----" block' };
  const pem = `${block[0]}\n`;
  let keyId: string;
  try {
    keyId = publicKeyId(createPublicKey(pem));
  } catch (cause) {
    return { file, reason: `it is not a readable PEM public key (${errorMessage(cause)})` };
  }
  const owner = /^#\s*owner:\s*(.+?)\s*$/m.exec(text.slice(0, block.index))?.[1] ?? null;
  return { file, keyId, owner, pem };
}

export function isTrustedKey(entry: TrustedKey | InvalidKeyFile): entry is TrustedKey {
  return 'keyId' in entry;
}

/** The text of a key file: the owner as a comment, then the PEM. */
export function keyFileText(pem: string, owner: string | null): string {
  return [...(owner ? [`# owner: ${owner}`] : []), '# trace signing key: attestations signed with it verify once this file is on the default branch.', pem.trimEnd(), ''].join('\n');
}

/** Every `.pem` file under `.chainloop/keys/` at `rev` (other files are ignored), valid or not; `cwd` may be anywhere in the work tree. */
export async function keysAt(cwd: string, rev: string): Promise<{ keys: TrustedKey[]; invalid: InvalidKeyFile[] }> {
  const listing = await gitRaw(['ls-tree', '-r', '-z', '--name-only', '--full-tree', '--end-of-options', rev, '--', PUBLIC_KEYS_DIR], { cwd, okCodes: [128] });
  const files = listing.code === 0 ? listing.stdout.toString('utf8').split('\0').filter((path) => path.endsWith('.pem')) : [];
  const keys: TrustedKey[] = [];
  const invalid: InvalidKeyFile[] = [];
  for (const file of files) {
    const shown = await gitRaw(['cat-file', 'blob', `${rev}:${file}`], { cwd, okCodes: [128] });
    const entry = shown.code === 0 ? parseKeyFile(file, shown.stdout.toString('utf8')) : { file, reason: 'it is not a file' };
    if (isTrustedKey(entry)) keys.push(entry);
    else invalid.push(entry);
  }
  return { keys, invalid };
}

/** The keys trusted at `rev`: its valid `.chainloop/keys/*.pem` files (used by verify and doctor). */
export async function trustedKeysAt(cwd: string, rev: string): Promise<{ file: string; keyId: string; owner: string | null; pem: string }[]> {
  return (await keysAt(cwd, rev)).keys;
}

/** The `.pem` files of `.chainloop/keys/` in the work tree. */
export function keysInWorkTree(root: string): { keys: TrustedKey[]; invalid: InvalidKeyFile[] } {
  const dir = join(root, PUBLIC_KEYS_DIR);
  const keys: TrustedKey[] = [];
  const invalid: InvalidKeyFile[] = [];
  if (!existsSync(dir)) return { keys, invalid };
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.pem')).sort()) {
    const file = `${PUBLIC_KEYS_DIR}/${name}`;
    const entry = parseKeyFile(file, readFileSync(join(root, file), 'utf8'));
    if (isTrustedKey(entry)) keys.push(entry);
    else invalid.push(entry);
  }
  return { keys, invalid };
}

/** `Name <email>` from git's user.name and user.email, or null when neither is set. */
export async function gitOwner(cwd: string): Promise<string | null> {
  const read = async (key: string) => (await gitRaw(['config', '--get', key], { cwd, okCodes: [1] })).stdout.toString('utf8').trim();
  const [name, email] = await Promise.all([read('user.name'), read('user.email')]);
  if (!name && !email) return null;
  return name && email ? `${name} <${email}>` : name || `<${email}>`;
}

/** The local signing key's directory, as configured. */
export function signingKeyDir(config: TraceConfig, env: Readonly<Record<string, string | undefined>> = process.env): string {
  return config.trace.signing.keyDir ?? defaultKeyDir(env, homedir());
}

/** The id of the local signing key, without creating it; null when there is none (or it is unreadable). */
export function localKeyId(dir: string): string | null {
  try {
    return publicKeyId(createPublicKey(createPrivateKey(readFileSync(join(dir, KEY_FILE_NAME), 'utf8'))));
  } catch {
    return null;
  }
}

export interface ExportedKey {
  keyId: string;
  file: string;
  created: boolean;
  owner: string | null;
}

/**
 * Writes the local signing key's public half (created on first use) to `.chainloop/keys/<id16>.pem`
 * with its owner from git's user.name/user.email, so CI can trust what this machine signs. Nothing
 * is written when the file already holds that key. In keyless mode there is no key to export,
 * unless `force` (`trace keys add`).
 */
export async function exportPublicKey(root: string, config: TraceConfig, manifest?: InstallManifest, options: { force?: boolean } = {}): Promise<ExportedKey | undefined> {
  if (config.trace.signing.mode === 'keyless' && !options.force) return undefined;
  const { loadOrCreateKey } = await import('./key.js');
  const key = await loadOrCreateKey(signingKeyDir(config));
  const file = `${PUBLIC_KEYS_DIR}/${key.keyId.slice(0, 16)}.pem`;
  const path = join(root, file);
  const owner = await gitOwner(root);
  if (existsSync(path)) {
    const existing = parseKeyFile(file, readFileSync(path, 'utf8'));
    if (isTrustedKey(existing) && existing.keyId === key.keyId) return { keyId: key.keyId, file, created: false, owner: existing.owner };
  }
  const text = keyFileText(key.publicKeyPem, owner);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  if (manifest) {
    manifest.created.push(file);
    manifest.hashes = { ...manifest.hashes, [file]: contentHash(text) };
  }
  return { keyId: key.keyId, file, created: true, owner };
}

/** In the local state: the ids of the keys this machine signed with for the repository, one a line. */
const KEYS_USED_FILE = 'signing-keys-used';

/**
 * Keys this machine used for the repository: those it signed with (recorded at each signature) and
 * the public key files `trace init` created here (their names are the first 16 hex digits of the id).
 */
export function keysUsedHere(stateDir: string): string[] {
  const ids = new Set<string>();
  try {
    for (const line of readFileSync(join(stateDir, KEYS_USED_FILE), 'utf8').split('\n')) if (/^[0-9a-f]{16,64}$/.test(line.trim())) ids.add(line.trim());
  } catch {
    // Nothing recorded yet.
  }
  try {
    const manifest = JSON.parse(readFileSync(join(stateDir, 'install.json'), 'utf8')) as { created?: unknown };
    for (const file of Array.isArray(manifest.created) ? manifest.created : []) {
      const id = typeof file === 'string' ? new RegExp(`^${PUBLIC_KEYS_DIR}/([0-9a-f]{16})\\.pem$`).exec(file)?.[1] : undefined;
      if (id && ![...ids].some((known) => known.startsWith(id))) ids.add(id);
    }
  } catch {
    // No manifest: not set up by `trace init`.
  }
  return [...ids];
}

/** Records that this machine signed for the repository with `keyId` (once). Never throws: a full disk must not stop a signature. */
export function recordKeyUsed(stateDir: string, keyId: string): void {
  try {
    const file = join(stateDir, KEYS_USED_FILE);
    const known = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
    if (!known.includes(keyId)) appendFileSync(file, `${keyId}\n`);
  } catch {
    // The record only sharpens a later message.
  }
}
