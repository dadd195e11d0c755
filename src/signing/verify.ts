// Verify a Sigstore bundle holding an in-toto statement against trust material passed in.
// No network, no TUF: the caller supplies the trusted keys, the trusted root and the identity.
// Failures are result values; only a bug throws.
import { createPublicKey } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import type { Signer as VerifiedSigner, VerificationPolicy } from '@sigstore/verify';
import { errorMessage } from '../errors.js';
import { BUNDLE_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE } from './sign.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

/** The parts of an in-toto Statement v1 this module checks; the predicate is for the caller to validate. */
export interface InTotoStatement {
  _type: typeof STATEMENT_TYPE;
  subject: { name?: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate?: unknown;
}

export interface TrustPolicy {
  /** Trusted public keys (SPKI PEM) by key id, the hex SHA-256 of the SPKI DER that bundles carry as hint. */
  publicKeys: ReadonlyMap<string, string>;
  /** TrustedRoot JSON (Fulcio CAs, Rekor logs, CT logs, TSAs). Needed for keyless bundles. */
  trustedRoot?: object;
  /**
   * The identity a keyless signer must have: `subject` is matched exactly, `subjectRegExp` is a
   * regular expression (unanchored, like cosign's), `issuer` exactly. Keyless bundles need a
   * subject (either form) and an issuer.
   */
  identity?: { subject?: string; subjectRegExp?: string; issuer?: string };
}

export type BundleSigner = { kind: 'key'; keyId: string } | { kind: 'keyless'; subject: string; issuer: string };

export interface VerifiedStatement {
  ok: true;
  statement: InTotoStatement;
  signer: BundleSigner;
  /** Index of the bundle's Rekor entry, when it has one. */
  logIndex?: number;
  /** The Rekor entry's integrated time (ISO 8601), when it has one. */
  loggedAt?: string;
}

export type VerifyFailureCode =
  /** Not a valid Sigstore bundle, or not a DSSE one. */
  | 'MALFORMED'
  /** Signed, but not an in-toto Statement v1 (payload type, `_type`, subject, predicateType). */
  | 'PAYLOAD'
  /** The signature does not match the content (tampering). */
  | 'SIGNATURE'
  /** Signed by a key that is not among the trusted keys. */
  | 'UNTRUSTED_KEY'
  /** The certificate does not chain to a trusted CA, was not valid at signing time, or lacks an SCT. */
  | 'UNTRUSTED_CERTIFICATE'
  /** A valid certificate, but for another identity or issuer than the trusted one. */
  | 'UNTRUSTED_IDENTITY'
  /** The verifier was given no trusted root or no identity to check a keyless bundle against. */
  | 'NO_TRUST_POLICY'
  /** A keyless bundle with neither a transparency-log entry nor a timestamp. */
  | 'NO_TIMESTAMP'
  /** A timestamp that does not verify (wrong TSA, or does not cover this signature). */
  | 'TIMESTAMP'
  /** A transparency-log entry that does not verify or does not match the bundle. */
  | 'TLOG';

export interface VerifyFailure {
  ok: false;
  code: VerifyFailureCode;
  message: string;
}

const EMPTY_TRUSTED_ROOT = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

class UntrustedKey extends Error {
  override readonly name = 'UntrustedKey';
}

/** Verify `bundleJson` (a parsed Sigstore bundle) and return its statement and signer, or why not. */
export async function verifyBundle(bundleJson: unknown, trust: TrustPolicy): Promise<VerifiedStatement | VerifyFailure> {
  const [{ bundleFromJSON }, { TrustedRoot }, { Verifier, toSignedEntity, toTrustMaterial, PolicyError, VerificationError }] =
    await Promise.all([import('@sigstore/bundle'), import('@sigstore/protobuf-specs'), import('@sigstore/verify')]);

  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(bundleJson);
  } catch (error) {
    return fail('MALFORMED', `Not a valid Sigstore bundle: ${errorMessage(error)}.`);
  }
  // The media type is not signed, and older versions mean other rules (v0.1/v0.2 allow what v0.3
  // forbids): accept only the version trace writes.
  if (bundle.mediaType !== BUNDLE_MEDIA_TYPE) {
    return fail('MALFORMED', `The bundle's mediaType is ${JSON.stringify(bundle.mediaType)}, but trace attestations are ${BUNDLE_MEDIA_TYPE}: it was not written by trace, or was altered.`);
  }
  if (bundle.content.$case !== 'dsseEnvelope') {
    return fail('MALFORMED', 'The bundle signs a message, not a DSSE envelope: it is not an attestation.');
  }
  const envelope = bundle.content.dsseEnvelope;
  const material = bundle.verificationMaterial;

  /** Set for key bundles; keyless signers are known once the certificate is verified. */
  let keyId: string | undefined;
  let rootJson: object;
  let policy: VerificationPolicy | undefined;
  let subjectRegExp: RegExp | undefined;
  const thresholds = { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 };

  if (material.content.$case === 'publicKey') {
    keyId = material.content.publicKey.hint;
    if (!trust.publicKeys.has(keyId)) {
      return fail(
        'UNTRUSTED_KEY',
        `Signed with key ${keyId || '(no key id)'}, which is not a trusted key (${trust.publicKeys.size} trusted).`,
      );
    }
    rootJson = trust.trustedRoot ?? EMPTY_TRUSTED_ROOT;
  } else {
    if (trust.trustedRoot === undefined) {
      return fail('NO_TRUST_POLICY', 'The bundle is signed keyless (Sigstore certificate), but no trusted root was given to verify it.');
    }
    const identity = trust.identity;
    if (!identity || (identity.subject === undefined && identity.subjectRegExp === undefined) || identity.issuer === undefined) {
      return fail(
        'NO_TRUST_POLICY',
        'The bundle is signed keyless, but no trusted identity (a subject and an OIDC issuer) was configured to check the signer against.',
      );
    }
    if (identity.subjectRegExp !== undefined) {
      try {
        subjectRegExp = new RegExp(identity.subjectRegExp);
      } catch (error) {
        return fail('NO_TRUST_POLICY', `The trusted subject pattern is not a valid regular expression: ${errorMessage(error)}.`);
      }
    }
    policy = {
      // sigstore tests this as an unanchored RegExp: anchor and escape it, or a prefix would match.
      subjectAlternativeName: identity.subject !== undefined ? `^${escapeRegExp(identity.subject)}$` : identity.subjectRegExp,
      extensions: { issuer: identity.issuer },
    };
    const hasTlog = material.tlogEntries.length > 0;
    const hasTimestamp = (material.timestampVerificationData?.rfc3161Timestamps.length ?? 0) > 0;
    if (!hasTlog && !hasTimestamp) {
      return fail('NO_TIMESTAMP', 'The keyless bundle has neither a transparency-log entry nor a signed timestamp, so its short-lived certificate cannot be checked.');
    }
    thresholds.tlogThreshold = hasTlog ? 1 : 0;
    thresholds.timestampThreshold = 1;
    rootJson = trust.trustedRoot;
  }

  let verifier: InstanceType<typeof Verifier>;
  try {
    const root = TrustedRoot.fromJSON(rootJson);
    if (keyId === undefined && root.ctlogs.length > 0) thresholds.ctlogThreshold = 1;
    const trustMaterial = toTrustMaterial(root, (hint: string) => {
      const pem = trust.publicKeys.get(hint);
      if (pem === undefined) throw new UntrustedKey(hint);
      return { publicKey: createPublicKey(pem), validFor: () => true };
    });
    verifier = new Verifier(trustMaterial, thresholds);
  } catch (error) {
    return fail('NO_TRUST_POLICY', `The trusted root or a trusted key is unusable: ${errorMessage(error)}.`);
  }

  let signer: BundleSigner;
  try {
    const verified: VerifiedSigner = verifier.verify(toSignedEntity(bundle), policy);
    if (keyId !== undefined) {
      signer = { kind: 'key', keyId };
    } else {
      signer = identityOf(verified);
      if (subjectRegExp && !subjectRegExp.test(signer.subject)) {
        return fail('UNTRUSTED_IDENTITY', `Signed by ${signer.subject}, which does not match the trusted subject pattern ${trust.identity?.subjectRegExp ?? subjectRegExp.source}.`);
      }
    }
  } catch (error) {
    if (error instanceof PolicyError && policy) {
      return fail('UNTRUSTED_IDENTITY', untrustedIdentityMessage(error, () => identityOf(verifier.verify(toSignedEntity(bundle))), trust));
    }
    if (error instanceof UntrustedKey || (error instanceof VerificationError && error.cause instanceof UntrustedKey)) {
      return fail('UNTRUSTED_KEY', `Signed with key ${error.message}, which is not a trusted key.`);
    }
    if (error instanceof VerificationError) return fromVerificationError(error.code, error.message);
    return fail('MALFORMED', `The bundle cannot be verified: ${errorMessage(error)}.`);
  }

  // Sigstore checked the signature over (payloadType, payload); what they mean is ours to check.
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return fail('PAYLOAD', `The signed payload type is ${JSON.stringify(envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}.`);
  }
  const statement = parseStatement(envelope.payload);
  if (typeof statement === 'string') return fail('PAYLOAD', statement);

  const result: VerifiedStatement = { ok: true, statement, signer };
  const entry = material.tlogEntries[0];
  if (entry) {
    result.logIndex = Number(entry.logIndex);
    const seconds = Number(entry.integratedTime);
    if (seconds > 0) result.loggedAt = new Date(seconds * 1000).toISOString();
  }
  return result;
}

function parseStatement(payload: Buffer): InTotoStatement | string {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    return `The signed payload is not JSON: ${errorMessage(error)}.`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'The signed payload is not a JSON object.';
  const statement = value as Record<string, unknown>;
  const problems: string[] = [];
  if (statement._type !== STATEMENT_TYPE) problems.push(`_type: expected ${STATEMENT_TYPE}, got ${JSON.stringify(statement._type)}`);
  if (typeof statement.predicateType !== 'string' || statement.predicateType === '') problems.push('predicateType: expected a non-empty string');
  if (!Array.isArray(statement.subject) || statement.subject.length === 0) {
    problems.push('subject: expected a non-empty array');
  } else {
    statement.subject.forEach((subject: unknown, i) => {
      const digest = (subject as { digest?: unknown } | null)?.digest;
      if (typeof digest !== 'object' || digest === null || Array.isArray(digest) || Object.keys(digest).length === 0) {
        problems.push(`subject[${i}].digest: expected an object of algorithm to digest`);
      } else if (!Object.values(digest).every((d) => typeof d === 'string')) {
        problems.push(`subject[${i}].digest: every digest must be a string`);
      }
      const name = (subject as { name?: unknown }).name;
      if (name !== undefined && typeof name !== 'string') problems.push(`subject[${i}].name: expected a string`);
    });
  }
  if (problems.length > 0) return `The signed payload is not an in-toto Statement v1: ${problems.join('; ')}.`;
  return statement as unknown as InTotoStatement;
}

function identityOf(verified: VerifiedSigner): { kind: 'keyless'; subject: string; issuer: string } {
  return {
    kind: 'keyless',
    subject: verified.identity?.subjectAlternativeName ?? '',
    issuer: verified.identity?.extensions?.issuer ?? '',
  };
}

function untrustedIdentityMessage(error: Error, actual: () => { subject: string; issuer: string }, trust: TrustPolicy): string {
  const expected = trust.identity ?? {};
  const want = `${expected.subject ?? `/${expected.subjectRegExp ?? ''}/`} (issuer ${expected.issuer ?? 'any'})`;
  try {
    const got = actual();
    return `Signed by ${got.subject || '(no subject)'} (issuer ${got.issuer || 'none'}), not by the trusted identity ${want}.`;
  } catch {
    return `The signer is not the trusted identity ${want}: ${error.message}.`;
  }
}

function fromVerificationError(code: string, message: string): VerifyFailure {
  switch (code) {
    case 'SIGNATURE_ERROR':
      return fail('SIGNATURE', `The signature does not match the signed content (tampered or corrupted): ${message}.`);
    case 'TLOG_BODY_ERROR':
      return fail('SIGNATURE', `The content does not match its transparency-log entry (tampered or corrupted): ${message}.`);
    case 'PUBLIC_KEY_ERROR':
      return fail('UNTRUSTED_KEY', `The signing key is not trusted: ${message}.`);
    case 'CERTIFICATE_ERROR':
      return fail('UNTRUSTED_CERTIFICATE', `The signing certificate is not trusted: ${message}.`);
    case 'TIMESTAMP_ERROR':
      return /^expected \d+ timestamps/.test(message)
        ? fail('NO_TIMESTAMP', `The bundle has no verifiable time of signing: ${message}.`)
        : fail('TIMESTAMP', `A timestamp does not verify (not from a trusted authority, or not over this signature): ${message}.`);
    default:
      return code.startsWith('TLOG')
        ? fail('TLOG', `The transparency-log entry does not verify: ${message}.`)
        : fail('MALFORMED', `The bundle cannot be verified (${code}): ${message}.`);
  }
}

function fail(code: VerifyFailureCode, message: string): VerifyFailure {
  return { ok: false, code, message };
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
