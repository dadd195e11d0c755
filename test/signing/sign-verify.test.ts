import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceError } from '../../src/errors.js';
import { loadOrCreateKey, publicKeyId } from '../../src/signing/key.js';
import type { SigningKey } from '../../src/signing/key.js';
import { BUNDLE_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE, signStatement } from '../../src/signing/sign.js';
import type { SerializedBundle } from '../../src/signing/sign.js';
import { verifyBundle } from '../../src/signing/verify.js';
import type { TrustPolicy, VerifiedStatement, VerifyFailure } from '../../src/signing/verify.js';
import { nockIsActive, startSigstoreServices } from '../support/sigstore-services.js';
import type { SigstoreServices } from '../support/sigstore-services.js';

const SHA = 'a'.repeat(40);
const statement = {
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: `github.com/acme/cli@${SHA}`, digest: { gitCommit: SHA } }],
  predicateType: 'https://chainloop.dev/trace/attribution/v0.1',
  predicate: { commits: [{ sha: SHA, parents: [], files: [] }] },
};

const SUBJECT = 'https://github.com/acme/cli/.github/workflows/ci.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

let dir: string;
let key: SigningKey;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trace-sign-'));
  key = await loadOrCreateKey(join(dir, 'keys'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function keys(...pairs: { keyId: string; publicKeyPem: string }[]): TrustPolicy['publicKeys'] {
  return new Map(pairs.map((k) => [k.keyId, k.publicKeyPem]));
}

function expectOk(result: VerifiedStatement | VerifyFailure): VerifiedStatement {
  if (!result.ok) throw new Error(`expected a verified statement, got ${result.code}: ${result.message}`);
  return result;
}

function expectFailure(result: VerifiedStatement | VerifyFailure, code: VerifyFailure['code']): VerifyFailure {
  expect(result.ok, result.ok ? 'verified, but should have failed' : result.message).toBe(false);
  const failure = result as VerifyFailure;
  expect(failure.code, failure.message).toBe(code);
  expect(failure.message.length).toBeGreaterThan(20);
  return failure;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function tamperPayload(bundle: SerializedBundle): SerializedBundle {
  const copy = clone(bundle);
  const envelope = copy.dsseEnvelope!;
  const changed = { ...statement, subject: [{ name: 'evil', digest: { gitCommit: 'b'.repeat(40) } }] };
  envelope.payload = Buffer.from(JSON.stringify(changed)).toString('base64');
  return copy;
}

function flipSignature(bundle: SerializedBundle): SerializedBundle {
  const copy = clone(bundle);
  const signature = copy.dsseEnvelope!.signatures[0]!;
  const bytes = Buffer.from(signature.sig, 'base64');
  bytes[bytes.length - 3]! ^= 0x01;
  signature.sig = bytes.toString('base64');
  return copy;
}

describe('key-signed bundles', () => {
  let bundle: SerializedBundle;

  beforeAll(async () => {
    bundle = await signStatement(statement, { mode: 'key', key });
  });

  it('is a v0.3 DSSE bundle of an in-toto statement with a public-key hint and no witnesses', () => {
    expect(bundle.mediaType).toBe(BUNDLE_MEDIA_TYPE);
    expect(bundle.dsseEnvelope?.payloadType).toBe(IN_TOTO_PAYLOAD_TYPE);
    expect(JSON.parse(Buffer.from(bundle.dsseEnvelope!.payload, 'base64').toString())).toEqual(statement);
    expect(bundle.verificationMaterial.publicKey?.hint).toBe(key.keyId);
    expect(bundle.verificationMaterial.tlogEntries ?? []).toEqual([]);
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).toEqual([]);
  });

  it('verifies with the right key', async () => {
    const result = expectOk(await verifyBundle(bundle, { publicKeys: keys(key) }));
    expect(result.statement).toEqual(statement);
    expect(result.signer).toEqual({ kind: 'key', keyId: key.keyId });
    expect(result.logIndex).toBeUndefined();
  });

  it('survives a JSON round trip', async () => {
    expectOk(await verifyBundle(JSON.parse(JSON.stringify(bundle)), { publicKeys: keys(key) }));
  });

  it('fails with UNTRUSTED_KEY when only another key is trusted', async () => {
    const other = otherKey();
    const failure = expectFailure(await verifyBundle(bundle, { publicKeys: keys(other) }), 'UNTRUSTED_KEY');
    expect(failure.message).toContain(key.keyId);
  });

  it('fails with SIGNATURE when another key is registered under this key id', async () => {
    const other = otherKey();
    expectFailure(
      await verifyBundle(bundle, { publicKeys: new Map([[key.keyId, other.publicKeyPem]]) }),
      'SIGNATURE',
    );
  });

  it('fails with SIGNATURE when the payload is tampered with', async () => {
    expectFailure(await verifyBundle(tamperPayload(bundle), { publicKeys: keys(key) }), 'SIGNATURE');
  });

  it('fails with SIGNATURE when the signature is flipped', async () => {
    expectFailure(await verifyBundle(flipSignature(bundle), { publicKeys: keys(key) }), 'SIGNATURE');
  });

  it('fails with MALFORMED for things that are not bundles', async () => {
    for (const junk of [null, 'x', {}, { mediaType: BUNDLE_MEDIA_TYPE }, { ...clone(bundle), dsseEnvelope: { payload: 1 } }]) {
      expectFailure(await verifyBundle(junk, { publicKeys: keys(key) }), 'MALFORMED');
    }
  });

  it('fails with PAYLOAD when a validly signed payload is not an in-toto statement v1', async () => {
    const v01 = await signStatement({ ...statement, _type: 'https://in-toto.io/Statement/v0.1' }, { mode: 'key', key });
    const failure = expectFailure(await verifyBundle(v01, { publicKeys: keys(key) }), 'PAYLOAD');
    expect(failure.message).toContain('_type');
    const noSubject = await signStatement({ ...statement, subject: [] }, { mode: 'key', key });
    expectFailure(await verifyBundle(noSubject, { publicKeys: keys(key) }), 'PAYLOAD');
  });

  it('wraps a signing failure in a TraceError', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const broken = { ...key, privateKey };
    const error = await signStatement(statement, { mode: 'key', key: broken }).catch((e: unknown) => e);
    // ed25519 cannot sign with sha256: the failure must come out as SIGNING_FAILED, not raw.
    expect(error).toBeInstanceOf(TraceError);
    expect((error as TraceError).code).toBe('SIGNING_FAILED');
  });
});

describe('keyless bundles against local Fulcio, Rekor and TSA', () => {
  let services: SigstoreServices;
  let trust: TrustPolicy;

  beforeAll(async () => {
    services = await startSigstoreServices();
    trust = { publicKeys: new Map(), trustedRoot: services.trustedRoot, identity: { subject: SUBJECT, issuer: ISSUER } };
  });
  afterAll(async () => {
    await services.stop();
  });

  function keyless(withTSA: boolean, subject = SUBJECT) {
    return {
      mode: 'keyless' as const,
      identityToken: services.identityToken(subject, ISSUER),
      fulcioURL: services.fulcioURL,
      rekorURL: services.rekorURL,
      ...(withTSA ? { tsaURL: services.tsaURL } : {}),
      requests: { retry: 0, timeout: 10_000 },
    };
  }

  it('talks real HTTP: nock is not intercepting', () => {
    expect(nockIsActive()).toBe(false);
  });

  for (const withTSA of [false, true]) {
    describe(withTSA ? 'with a TSA timestamp' : 'with a Rekor entry only', () => {
      let bundle: SerializedBundle;

      beforeAll(async () => {
        bundle = await signStatement(statement, keyless(withTSA));
      });

      it('is a v0.3 bundle with one leaf certificate, a dsse log entry and the expected timestamps', () => {
        expect(bundle.mediaType).toBe(BUNDLE_MEDIA_TYPE);
        expect(bundle.verificationMaterial.certificate?.rawBytes).toBeTruthy();
        expect(bundle.verificationMaterial.x509CertificateChain).toBeUndefined();
        expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
        expect(bundle.verificationMaterial.tlogEntries[0]?.kindVersion).toEqual({ kind: 'dsse', version: '0.0.1' });
        expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).toHaveLength(withTSA ? 1 : 0);
      });

      it('verifies with the right subject and issuer', async () => {
        const result = expectOk(await verifyBundle(bundle, trust));
        expect(result.statement).toEqual(statement);
        expect(result.signer).toEqual({ kind: 'keyless', subject: SUBJECT, issuer: ISSUER });
        expect(result.logIndex).toBeTypeOf('number');
        expect(Date.parse(result.loggedAt!)).toBeGreaterThan(Date.now() - 10 * 60_000);
      });

      it('verifies with a matching subject pattern', async () => {
        const identity = { subjectRegExp: '^https://github\\.com/acme/cli/', issuer: ISSUER };
        expectOk(await verifyBundle(bundle, { ...trust, identity }));
      });

      it('fails with UNTRUSTED_IDENTITY for a wrong subject', async () => {
        const identity = { subject: 'https://github.com/evil/cli/.github/workflows/ci.yml@refs/heads/main', issuer: ISSUER };
        const failure = expectFailure(await verifyBundle(bundle, { ...trust, identity }), 'UNTRUSTED_IDENTITY');
        expect(failure.message).toContain(SUBJECT);
      });

      it('fails with UNTRUSTED_IDENTITY for a subject that is only a prefix of the signer', async () => {
        const identity = { subject: 'https://github.com/acme/cl', issuer: ISSUER };
        expectFailure(await verifyBundle(bundle, { ...trust, identity }), 'UNTRUSTED_IDENTITY');
        const pattern = { subjectRegExp: '^https://github\\.com/acme/cl$', issuer: ISSUER };
        expectFailure(await verifyBundle(bundle, { ...trust, identity: pattern }), 'UNTRUSTED_IDENTITY');
      });

      it('requires both the exact subject and the pattern when both are given', async () => {
        const both = { subject: SUBJECT, subjectRegExp: '^https://github\\.com/acme/cli/', issuer: ISSUER };
        expectOk(await verifyBundle(bundle, { ...trust, identity: both }));
        const failure = expectFailure(
          await verifyBundle(bundle, { ...trust, identity: { ...both, subjectRegExp: '@refs/tags/' } }),
          'UNTRUSTED_IDENTITY',
        );
        expect(failure.message).toContain('@refs/tags/');
      });

      it('fails with UNTRUSTED_IDENTITY for a wrong issuer', async () => {
        const identity = { subject: SUBJECT, issuer: 'https://accounts.google.com' };
        const failure = expectFailure(await verifyBundle(bundle, { ...trust, identity }), 'UNTRUSTED_IDENTITY');
        expect(failure.message).toContain(ISSUER);
      });

      it('fails with NO_TRUST_POLICY without a trusted root or an identity', async () => {
        expectFailure(await verifyBundle(bundle, { publicKeys: new Map(), identity: trust.identity }), 'NO_TRUST_POLICY');
        expectFailure(await verifyBundle(bundle, { publicKeys: new Map(), trustedRoot: services.trustedRoot }), 'NO_TRUST_POLICY');
        expectFailure(
          await verifyBundle(bundle, { ...trust, identity: { subject: SUBJECT } }),
          'NO_TRUST_POLICY',
        );
      });

      it('fails against the trusted root of another deployment', async () => {
        const other = await startSigstoreServices();
        try {
          // The TSA timestamp is checked first, so with one the untrusted TSA is what is reported.
          const code = withTSA ? 'TIMESTAMP' : 'UNTRUSTED_CERTIFICATE';
          expectFailure(await verifyBundle(bundle, { ...trust, trustedRoot: other.trustedRoot }), code);
        } finally {
          await other.stop();
        }
      });

      it('fails when the payload is tampered with', async () => {
        expectFailure(await verifyBundle(tamperPayload(bundle), trust), 'SIGNATURE');
      });

      it('fails when the signature is flipped', async () => {
        // With a TSA timestamp over the signature, the timestamp check is the first to notice.
        expectFailure(await verifyBundle(flipSignature(bundle), trust), withTSA ? 'TIMESTAMP' : 'SIGNATURE');
      });

      it(withTSA ? 'still verifies on the TSA time when the log entry is stripped' : 'fails with NO_TIMESTAMP when the log entry is stripped', async () => {
        const stripped = clone(bundle);
        stripped.verificationMaterial.tlogEntries = [];
        if (withTSA) {
          // A TSA timestamp alone is a verified time: the bundle still verifies.
          expectOk(await verifyBundle(stripped, trust));
        } else {
          expectFailure(await verifyBundle(stripped, trust), 'NO_TIMESTAMP');
        }
      });
    });
  }

  it('signs with the intoto entry type too', async () => {
    const bundle = await signStatement(statement, { ...keyless(false), rekorEntryType: 'intoto' });
    expect(bundle.verificationMaterial.tlogEntries[0]?.kindVersion?.kind).toBe('intoto');
    expectOk(await verifyBundle(bundle, trust));
  });

  it('timestamps reliably: many TSA signatures in a row all verify', async () => {
    const before = services.stats.tsa;
    for (let i = 0; i < 15; i++) {
      const bundle = await signStatement(statement, keyless(true));
      expectOk(await verifyBundle(bundle, trust));
    }
    expect(services.stats.tsa - before).toBe(15);
  });

  it('reports unreachable services as SIGNING_FAILED with the service named', async () => {
    const error = await signStatement(statement, { ...keyless(false), fulcioURL: 'http://127.0.0.1:9' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TraceError);
    expect((error as TraceError).code).toBe('SIGNING_FAILED');
    expect((error as TraceError).message).toContain('Fulcio');
  });
});

function otherKey(): { keyId: string; publicKeyPem: string } {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { keyId: publicKeyId(publicKey), publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}
