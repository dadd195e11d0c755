// The local signing key of `key` mode: ECDSA P-256, kept in the user's config directory.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { chmod, link, lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TraceError, errorMessage } from '../errors.js';

export const KEY_FILE_NAME = 'signing-key.pem';

export interface SigningKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  /** Hex SHA-256 of the public key's SPKI DER: the bundle's public-key hint. */
  keyId: string;
  /** True when this call generated the key. */
  created: boolean;
}

/** `$XDG_CONFIG_HOME/chainloop-trace/`, else `~/.config/chainloop-trace/`. */
export function keyDir(env: Readonly<Record<string, string | undefined>>, homedir: string): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says a relative path is invalid and must be ignored.
  const base = xdg && xdg.startsWith('/') ? xdg : join(homedir, '.config');
  return join(base, 'chainloop-trace');
}

/** Hex SHA-256 of a public key's SPKI DER encoding. */
export function publicKeyId(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

/**
 * Load the signing key from `dir`, creating the directory (0700) and the key (0600) on first use.
 * `usedBefore`: ids of keys this machine signed with or exported for the repository. When one is
 * given and the key file is gone, a new key would sign what CI cannot verify: that is an error
 * with the fix, not a silent new key.
 */
export async function loadOrCreateKey(dir: string, options: { usedBefore?: readonly string[] } = {}): Promise<SigningKey> {
  const file = join(dir, KEY_FILE_NAME);
  const existing = await readKeyFile(file);
  if (existing !== undefined) return { ...describe(parseKey(existing, file)), created: false };
  const used = options.usedBefore ?? [];
  if (used.length > 0) {
    const ids = used.map((id) => id.slice(0, 16)).join(', ');
    throw new TraceError('SIGNING_FAILED', `The signing key ${file} is missing, but this machine signed for this repository with key ${ids} before; trace will not make a new key that CI does not trust.`, {
      hint: `Restore ${file} from a backup (mode 600), or run \`trace keys add --rotate\` to start a new key: it writes its public key to .chainloop/keys/ and names the change to commit.`,
    });
  }

  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new TraceError('SIGNING_FAILED', `Cannot create the key directory ${dir}: ${errorMessage(cause)}`, {
      cause,
      hint: `Check the permissions of ${dir}, or set XDG_CONFIG_HOME to a writable directory.`,
    });
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const temp = join(dir, `.${KEY_FILE_NAME}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // Write the whole key under a temporary name, then link it into place: link() fails if the
    // key appeared meanwhile (a concurrent first use), so a key is never half-written or replaced.
    await writeFile(temp, pem, { mode: 0o600, flag: 'wx' });
    await chmod(temp, 0o600);
    try {
      await link(temp, file);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') throw cause;
      const raced = await readKeyFile(file);
      if (raced === undefined) throw cause;
      return { ...describe(parseKey(raced, file)), created: false };
    }
  } catch (cause) {
    if (cause instanceof TraceError) throw cause;
    throw new TraceError('SIGNING_FAILED', `Cannot write the signing key ${file}: ${errorMessage(cause)}`, {
      cause,
      hint: `Check the permissions of ${dir}, or set XDG_CONFIG_HOME to a writable directory.`,
    });
  } finally {
    await rm(temp, { force: true });
  }
  return { ...describe(privateKey), created: true };
}

/** The file's PEM text, or undefined when it does not exist. Refuses a key others can read. */
async function readKeyFile(file: string): Promise<string | undefined> {
  let stats;
  try {
    stats = await lstat(file);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(file, cause);
  }
  if (!stats.isFile()) {
    throw new TraceError('SIGNING_FAILED', `The signing key ${file} is not a regular file.`, {
      hint: `Restore the key file there, or move it away and run \`trace keys add --rotate\` to start a new key (it names the change to commit).`,
    });
  }
  if ((stats.mode & 0o077) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(3, '0');
    throw new TraceError('SIGNING_FAILED', `The signing key ${file} is readable by other users (mode ${mode}); refusing to use it.`, {
      hint: `Run: chmod 600 '${file}' (and replace the key if others may have read it).`,
    });
  }
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw unreadable(file, cause);
  }
}

function unreadable(file: string, cause: unknown): TraceError {
  return new TraceError('SIGNING_FAILED', `Cannot read the signing key ${file}: ${errorMessage(cause)}`, {
    cause,
    hint: `Check the file's owner and permissions (it should be yours, mode 600).`,
  });
}

function parseKey(pem: string, file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (cause) {
    throw corrupt(file, 'it is not a PEM private key', cause);
  }
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    throw corrupt(file, `it is a ${key.asymmetricKeyType ?? 'unknown'} key, not ECDSA P-256`);
  }
  return key;
}

function corrupt(file: string, why: string, cause?: unknown): TraceError {
  return new TraceError('SIGNING_FAILED', `The signing key ${file} is unusable: ${why}.`, {
    cause,
    hint: `Restore it from a backup, or move it away and run \`trace keys add --rotate\` to start a new key (it names the change to commit).`,
  });
}

function describe(privateKey: KeyObject): Omit<SigningKey, 'created'> {
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    keyId: publicKeyId(publicKey),
  };
}
