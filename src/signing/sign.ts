// Sign an in-toto statement into a Sigstore bundle v0.3 (DSSE), with a local key or keyless.
// The sigstore packages are imported inside the functions: loading them costs ~240 ms.
import { sign as cryptoSign } from 'node:crypto';
import type { SerializedBundle } from '@sigstore/bundle';
import type { Signature, Signer, Witness } from '@sigstore/sign';
import { TraceError, errorMessage } from '../errors.js';
import type { SigningKey } from './key.js';

export type { SerializedBundle };

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** How the sigstore clients talk to the services. */
export interface ServiceRequestOptions {
  /** Per-request timeout in milliseconds. */
  timeout?: number;
  /** Retries on 5xx/408/429 and network errors. */
  retry?: number;
}

export type SigningOptions =
  | { mode: 'key'; key: Pick<SigningKey, 'privateKey' | 'publicKeyPem' | 'keyId'> }
  | {
      mode: 'keyless';
      /** An OIDC identity token (JWT) for Fulcio. */
      identityToken: string;
      fulcioURL: string;
      rekorURL: string;
      /** Adds an RFC 3161 timestamp from this TSA when set. */
      tsaURL?: string;
      /** `dsse` is what current Rekor expects; `intoto` is the older entry type. */
      rekorEntryType?: 'dsse' | 'intoto';
      requests?: ServiceRequestOptions;
    };

/** Sign `statement` (an in-toto Statement) into a DSSE Sigstore bundle, serialised as JSON. */
export async function signStatement(statement: object, signer: SigningOptions): Promise<SerializedBundle> {
  let payload: Buffer;
  try {
    payload = Buffer.from(JSON.stringify(statement), 'utf8');
  } catch (cause) {
    throw new TraceError('SIGNING_FAILED', `Cannot serialise the statement: ${errorMessage(cause)}`, { cause });
  }

  const [{ DSSEBundleBuilder, FulcioSigner, RekorWitness, TSAWitness }, { bundleToJSON }] = await Promise.all([
    import('@sigstore/sign'),
    import('@sigstore/bundle'),
  ]);

  let bundleSigner: Signer;
  const witnesses: Witness[] = [];
  if (signer.mode === 'key') {
    bundleSigner = keySigner(signer.key);
  } else {
    const requests = { timeout: signer.requests?.timeout ?? 30_000, retry: signer.requests?.retry ?? 2 };
    const token = signer.identityToken;
    bundleSigner = new FulcioSigner({
      fulcioBaseURL: signer.fulcioURL,
      identityProvider: { getToken: () => Promise.resolve(token) },
      ...requests,
    });
    witnesses.push(new RekorWitness({ rekorBaseURL: signer.rekorURL, entryType: signer.rekorEntryType ?? 'dsse', ...requests }));
    if (signer.tsaURL !== undefined) witnesses.push(new TSAWitness({ tsaBaseURL: signer.tsaURL, ...requests }));
  }

  try {
    const bundle = await new DSSEBundleBuilder({ signer: bundleSigner, witnesses }).create({
      data: payload,
      type: IN_TOTO_PAYLOAD_TYPE,
    });
    return bundleToJSON(bundle);
  } catch (cause) {
    throw signingFailed(signer, cause);
  }
}

/** A `Signer` over the local key: the bundle carries the public-key hint, no certificate. */
function keySigner(key: Pick<SigningKey, 'privateKey' | 'publicKeyPem' | 'keyId'>): Signer {
  return {
    sign: (data: Buffer): Promise<Signature> =>
      Promise.resolve({
        // Node's ECDSA signatures are DER-encoded, which is what DSSE/Sigstore verifiers expect.
        signature: cryptoSign('sha256', data, key.privateKey),
        key: { $case: 'publicKey', publicKey: key.publicKeyPem, hint: key.keyId },
      }),
  };
}

function signingFailed(signer: SigningOptions, cause: unknown): TraceError {
  // sigstore-js's InternalError carries a code naming the step that failed, and the real cause.
  const code = (cause as { code?: unknown } | null)?.code;
  const inner = (cause as { cause?: unknown } | null)?.cause;
  const detail = inner instanceof Error && inner.message !== errorMessage(cause) ? `: ${inner.message}` : '';
  if (signer.mode === 'key') {
    return new TraceError('SIGNING_FAILED', `Signing with the local key ${signer.key.keyId.slice(0, 16)} failed: ${errorMessage(cause)}${detail}`, {
      cause,
      hint: 'Check the key file in the trace config directory (mode 600, ECDSA P-256).',
    });
  }
  switch (code) {
    case 'CA_CREATE_SIGNING_CERTIFICATE_ERROR':
      return new TraceError('SIGNING_FAILED', `Fulcio at ${signer.fulcioURL} did not issue a signing certificate: ${errorMessage(cause)}${detail}`, {
        cause,
        hint: 'The identity token may have expired or have the wrong audience (it must be "sigstore"); get a new one and retry.',
      });
    case 'TLOG_CREATE_ENTRY_ERROR':
      return new TraceError('SIGNING_FAILED', `Rekor at ${signer.rekorURL} did not record the signature: ${errorMessage(cause)}${detail}`, {
        cause,
        hint: 'Check that the Rekor URL is right and reachable, then retry.',
      });
    case 'TSA_CREATE_TIMESTAMP_ERROR':
      return new TraceError('SIGNING_FAILED', `The timestamp authority at ${signer.tsaURL ?? '?'} did not issue a timestamp: ${errorMessage(cause)}${detail}`, {
        cause,
        hint: 'Check that the TSA URL is right and reachable, or remove it from the signing settings, then retry.',
      });
    case 'IDENTITY_TOKEN_PARSE_ERROR':
    case 'IDENTITY_TOKEN_READ_ERROR':
      return new TraceError('SIGNING_FAILED', `The identity token is unusable: ${errorMessage(cause)}${detail}`, {
        cause,
        hint: 'Provide an OIDC token (JWT) with audience "sigstore", e.g. through SIGSTORE_ID_TOKEN.',
      });
    default:
      return new TraceError('SIGNING_FAILED', `Keyless signing failed: ${errorMessage(cause)}${detail}`, {
        cause,
        hint: 'Check the Fulcio, Rekor and TSA URLs and the identity token, then retry.',
      });
  }
}
