// Working local Sigstore services (Fulcio, Rekor, TSA) over real HTTP on 127.0.0.1, built on
// @sigstore/mock, plus the TrustedRoot JSON that trusts exactly them.
import { createHash, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import http, { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type * as MockExports from '@sigstore/mock';

export interface SigstoreServices {
  /** Base URLs; all three are served by one HTTP server. */
  fulcioURL: string;
  rekorURL: string;
  tsaURL: string;
  /** TrustedRoot JSON (protobuf-specs JSON form) for these services. */
  trustedRoot: TrustedRootJSON;
  /** An unsigned JWT the mock Fulcio accepts: it reads the claims and does not check the signature. */
  identityToken: (subject: string, issuer: string, extraClaims?: Record<string, unknown>) => string;
  /** Requests served per service, and how many TSA responses had to be re-issued. */
  stats: { fulcio: number; rekor: number; tsa: number; tsaReissued: number };
  stop: () => Promise<void>;
}

export interface TrustedRootJSON {
  mediaType: string;
  tlogs: TransparencyLogInstanceJSON[];
  certificateAuthorities: CertificateAuthorityJSON[];
  ctlogs: TransparencyLogInstanceJSON[];
  timestampAuthorities: CertificateAuthorityJSON[];
}

interface TransparencyLogInstanceJSON {
  baseUrl: string;
  hashAlgorithm: 'SHA2_256';
  publicKey: { rawBytes: string; keyDetails: 'PKIX_ECDSA_P256_SHA_256'; validFor: { start: string } };
  logId: { keyId: string };
}

interface CertificateAuthorityJSON {
  subject: { organization: string; commonName: string };
  uri: string;
  certChain: { certificates: { rawBytes: string }[] };
  validFor: { start: string };
}

type HandlerFn = (request: string) => Promise<{ statusCode: number; response: string | ArrayBufferView; contentType?: string }>;

const MAX_TSA_ATTEMPTS = 50;

/** Start the services on a random port of 127.0.0.1. Call `stop()` when done. */
export async function startSigstoreServices(options: { host?: string; port?: number } = {}): Promise<SigstoreServices> {
  const mock = await loadMock();
  const { RFC3161Timestamp } = await import('@sigstore/core');
  const host = options.host ?? '127.0.0.1';
  const stats = { fulcio: 0, rekor: 0, tsa: 0, tsaReissued: 0 };
  const routes = new Map<string, HandlerFn>();

  const server = createServer((req, res) => {
    void serve(routes, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseURL = `http://${host}:${port}`;

  const ctlog = await mock.initializeCTLog(ecKeyPair());
  const ca = await mock.initializeCA(ecKeyPair(), ctlog);
  // The log signs checkpoints with the host of this URL; the trusted root's baseUrl must contain it.
  const tlog = await mock.initializeTLog(baseURL, ecKeyPair());
  const tsa = await mock.initializeTSA(ecKeyPair());

  const fulcio = mock.fulcioHandler(ca);
  const rekor = mock.rekorHandler(tlog);
  const timestamp = mock.tsaHandler(tsa);

  routes.set(fulcio.path, async (body) => {
    stats.fulcio++;
    return fulcio.fn(body);
  });
  routes.set(rekor.path, async (body) => {
    stats.rekor++;
    return rekor.fn(canonicaliseDsseEntry(body));
  });
  routes.set(timestamp.path, async (body) => {
    stats.tsa++;
    // The mock TSA sometimes writes genTime with 1 or 2 fractional digits, which @sigstore/core
    // rejects ("invalid time"). Re-issue until the response parses.
    for (let attempt = 1; ; attempt++) {
      const result = await timestamp.fn(body);
      if (result.statusCode >= 300 || typeof result.response === 'string') return result;
      const der = Buffer.from(result.response.buffer, result.response.byteOffset, result.response.byteLength);
      try {
        void RFC3161Timestamp.parse(der).tstInfo.genTime;
        return result;
      } catch (error) {
        if (attempt >= MAX_TSA_ATTEMPTS) throw error;
        stats.tsaReissued++;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
  });

  const start = new Date(Date.now() - 60_000).toISOString();
  const b64 = (bytes: ArrayBufferView | Buffer): string =>
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const trustedRoot: TrustedRootJSON = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: baseURL,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(tlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: createHash('sha256').update(tlog.publicKey).digest('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: baseURL,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: baseURL,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(ctlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: b64(ctlog.logID) },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: baseURL,
        // Leaf (the signing certificate) first, then the root.
        certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
        validFor: { start },
      },
    ],
  };

  return {
    fulcioURL: baseURL,
    rekorURL: baseURL,
    tsaURL: baseURL,
    trustedRoot,
    identityToken: (subject, issuer, extraClaims = {}) => fakeJWT({ iss: issuer, sub: subject, aud: 'sigstore', ...extraClaims }),
    stats,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function serve(routes: Map<string, HandlerFn>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = req.method === 'POST' ? routes.get(path) : undefined;
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route for ${req.method} ${path}`);
      return;
    }
    const { statusCode, response, contentType } = await handler(Buffer.concat(chunks).toString('utf8'));
    const body = typeof response === 'string' ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength);
    res.writeHead(statusCode, { 'content-type': contentType ?? 'text/plain' }).end(body);
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Real Rekor stores a `dsse` entry in canonical form: no envelope, the payload hash and the
 * signatures with their verifiers. The mock stores the proposal as sent, which then fails
 * verification (TLOG_BODY_ERROR), so canonicalise it here. Other kinds pass through.
 */
export function canonicaliseDsseEntry(body: string): string {
  let entry: unknown;
  try {
    entry = JSON.parse(body);
  } catch {
    return body;
  }
  if (!isRecord(entry) || entry.kind !== 'dsse' || !isRecord(entry.spec)) return body;
  const proposed = entry.spec.proposedContent;
  if (!isRecord(proposed) || typeof proposed.envelope !== 'string' || !Array.isArray(proposed.verifiers)) return body;
  const envelope = JSON.parse(proposed.envelope) as { payload: string; signatures: { sig: string }[] };
  const verifier = String(proposed.verifiers[0]);
  return JSON.stringify({
    apiVersion: entry.apiVersion,
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: createHash('sha256').update(proposed.envelope).digest('hex') },
      payloadHash: {
        algorithm: 'sha256',
        value: createHash('sha256').update(Buffer.from(envelope.payload, 'base64')).digest('hex'),
      },
      signatures: envelope.signatures.map((s) => ({ signature: s.sig, verifier })),
    },
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fakeJWT(claims: Record<string, unknown>): string {
  const enc = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ iat: now, exp: now + 600, ...claims })}.`;
}

function ecKeyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

type MockModule = typeof MockExports;

/**
 * @sigstore/mock loads nock at import time, and nock patches node:http globally. Restore it so
 * that our clients really talk HTTP to our server (and nothing is silently intercepted).
 */
async function loadMock(): Promise<MockModule> {
  const mock = await import('@sigstore/mock');
  const requireFromMock = createRequire(createRequire(import.meta.url).resolve('@sigstore/mock'));
  const nock = requireFromMock('nock') as { isActive: () => boolean; restore: () => void };
  if (nock.isActive()) nock.restore();
  return (mock as MockModule & { default?: MockModule }).default ?? mock;
}

/** True when nock intercepts node:http (it must not, once the services are started). */
export function nockIsActive(): boolean {
  const requireFromMock = createRequire(createRequire(import.meta.url).resolve('@sigstore/mock'));
  const nock = requireFromMock('nock') as { isActive: () => boolean };
  // The default export is node:http's own object, which nock patches (named imports are not live).
  return nock.isActive() || http.ClientRequest.name === 'OverriddenClientRequest';
}
