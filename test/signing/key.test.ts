import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraceError } from '../../src/errors.js';
import { KEY_FILE_NAME, keyDir, loadOrCreateKey, publicKeyId } from '../../src/signing/key.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'trace-key-'));
});
afterEach(async () => {
  await chmod(root, 0o700).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<TraceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TraceError);
  const traceError = error as TraceError;
  expect(traceError.code).toBe('SIGNING_FAILED');
  expect(traceError.hint).toBeTruthy();
  return traceError;
}

describe('keyDir', () => {
  it('uses XDG_CONFIG_HOME when it is an absolute path', () => {
    expect(keyDir({ XDG_CONFIG_HOME: '/cfg' }, '/home/u')).toBe('/cfg/chainloop-trace');
  });
  it('falls back to ~/.config when XDG_CONFIG_HOME is unset, empty or relative', () => {
    expect(keyDir({}, '/home/u')).toBe('/home/u/.config/chainloop-trace');
    expect(keyDir({ XDG_CONFIG_HOME: '' }, '/home/u')).toBe('/home/u/.config/chainloop-trace');
    expect(keyDir({ XDG_CONFIG_HOME: 'rel/cfg' }, '/home/u')).toBe('/home/u/.config/chainloop-trace');
  });
});

describe('loadOrCreateKey', () => {
  it('creates a P-256 key 0600 in a 0700 directory on first use, then reuses it', async () => {
    const dir = join(root, 'config', 'chainloop-trace');
    const first = await loadOrCreateKey(dir);
    expect(first.created).toBe(true);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const file = join(dir, KEY_FILE_NAME);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(first.privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(await readdir(dir)).toEqual([KEY_FILE_NAME]); // no temporary file left behind

    const second = await loadOrCreateKey(dir);
    expect(second.created).toBe(false);
    expect(second.keyId).toBe(first.keyId);
    expect(second.publicKeyPem).toBe(first.publicKeyPem);

    // The key really signs, and the public key verifies it.
    const signature = sign('sha256', Buffer.from('hello'), second.privateKey);
    expect(verify('sha256', Buffer.from('hello'), first.publicKeyPem, signature)).toBe(true);
  });

  it('derives the key id as the hex SHA-256 of the SPKI DER', async () => {
    const key = await loadOrCreateKey(root);
    const der = createPublicKey(key.publicKeyPem).export({ type: 'spki', format: 'der' });
    expect(key.keyId).toBe(createHash('sha256').update(der).digest('hex'));
    expect(key.keyId).toMatch(/^[0-9a-f]{64}$/);
    expect(publicKeyId(key.publicKeyPem)).toBe(key.keyId);
  });

  it('creates one key when first used concurrently', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateKey(root)));
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(1);
    expect(keys.filter((k) => k.created)).toHaveLength(1);
    expect(await readdir(root)).toEqual([KEY_FILE_NAME]);
  });

  it('refuses a corrupt key file with a clear error and leaves it alone', async () => {
    const file = join(root, KEY_FILE_NAME);
    await writeFile(file, 'not a key', { mode: 0o600 });
    const error = await rejection(loadOrCreateKey(root));
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/not a PEM private key/);
    expect(await readFile(file, 'utf8')).toBe('not a key');
  });

  it('refuses a key of the wrong type', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    await writeFile(join(root, KEY_FILE_NAME), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const error = await rejection(loadOrCreateKey(root));
    expect(error.message).toMatch(/ed25519 key, not ECDSA P-256/);
  });

  it('refuses a key that group or others can read, and says how to fix it', async () => {
    await loadOrCreateKey(root);
    const file = join(root, KEY_FILE_NAME);
    for (const mode of [0o640, 0o604, 0o644]) {
      await chmod(file, mode);
      const error = await rejection(loadOrCreateKey(root));
      expect(error.message).toContain(`mode ${mode.toString(8)}`);
      expect(error.hint).toContain(`chmod 600 '${file}'`);
    }
    await chmod(file, 0o600);
    expect((await loadOrCreateKey(root)).created).toBe(false);
  });

  it('refuses a key path that is not a regular file', async () => {
    await mkdir(join(root, KEY_FILE_NAME));
    const error = await rejection(loadOrCreateKey(root));
    expect(error.message).toMatch(/not a regular file/);
  });

  it('explains a key directory path blocked by a file', async () => {
    const blocker = join(root, 'chainloop-trace');
    await writeFile(blocker, '');
    const error = await rejection(loadOrCreateKey(blocker));
    expect(error.message).toContain(blocker);
    expect(error.message).toMatch(/ENOTDIR/);
  });

  // Permission checks mean nothing to root; these run as a normal user.
  it.skipIf(process.getuid?.() === 0)('explains an unreadable key file', async () => {
    const file = join(root, KEY_FILE_NAME);
    await writeFile(file, 'x', { mode: 0o600 });
    await chmod(file, 0o200);
    const error = await rejection(loadOrCreateKey(root));
    expect(error.message).toContain('Cannot read the signing key');
  });

  it.skipIf(process.getuid?.() === 0)('explains a directory it cannot write to', async () => {
    await chmod(root, 0o500);
    const error = await rejection(loadOrCreateKey(join(root, 'sub')));
    expect(error.message).toContain('Cannot create the key directory');
  });
});
