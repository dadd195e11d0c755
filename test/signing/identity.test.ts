import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TraceError } from '../../src/errors.js';
import { describeIdentityToken, getIdentityToken } from '../../src/signing/identity.js';
import type { IdentityTokenOptions } from '../../src/signing/identity.js';
import { signStatement } from '../../src/signing/sign.js';
import { verifyBundle } from '../../src/signing/verify.js';
import { startSigstoreServices } from '../support/sigstore-services.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => close(server)));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function rejection(promise: Promise<unknown>): Promise<TraceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TraceError);
  expect((error as TraceError).code).toBe('SIGNING_FAILED');
  return error as TraceError;
}

describe('identity token from the environment', () => {
  it('takes SIGSTORE_ID_TOKEN first, even inside GitHub Actions', async () => {
    const token = await getIdentityToken({
      env: { SIGSTORE_ID_TOKEN: ' eyJ.a.b \n', ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' },
      interactive: true,
      openBrowser: () => Promise.reject(new Error('must not open a browser')),
    });
    expect(token).toBe('eyJ.a.b');
  });

  it('is undefined with nothing in the environment and no interaction allowed', async () => {
    expect(await getIdentityToken({ env: {}, interactive: false })).toBeUndefined();
    expect(await getIdentityToken({ env: { SIGSTORE_ID_TOKEN: '  ' }, interactive: false })).toBeUndefined();
    // Half of the GitHub Actions pair is not GitHub Actions.
    expect(await getIdentityToken({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9' }, interactive: false })).toBeUndefined();
  });
});

describe('identity token from GitHub Actions', () => {
  it('requests a token for audience sigstore with the request token as bearer', async () => {
    const seen: { url?: string; auth?: string } = {};
    const base = await serve((req, res) => {
      seen.url = req.url;
      seen.auth = req.headers.authorization;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: 'gha.jwt.token' }));
    });
    const token = await getIdentityToken({
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-secret' },
      interactive: false,
    });
    expect(token).toBe('gha.jwt.token');
    expect(seen.auth).toBe('Bearer request-secret');
    const url = new URL(seen.url ?? '', base);
    expect(url.pathname).toBe('/token');
    expect(url.searchParams.get('api-version')).toBe('2.0');
    expect(url.searchParams.get('audience')).toBe('sigstore');
  });

  it('explains a refused request and how to grant the permission', async () => {
    const base = await serve((_req, res) => res.writeHead(403).end('forbidden'));
    const error = await rejection(
      getIdentityToken({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: base, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x' }, interactive: false }),
    );
    expect(error.message).toContain('HTTP 403');
    expect(error.hint).toContain('id-token: write');
  });

  it('explains an answer without a token', async () => {
    const base = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"count":1}'));
    const error = await rejection(
      getIdentityToken({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: base, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x' }, interactive: false }),
    );
    expect(error.message).toContain('without a token');
  });
});

/** A tiny OIDC issuer: discovery, an authorization endpoint that approves at once, PKCE-checking token endpoint, JWKS. */
async function startIssuer(options: { subject: string; email?: string; tamperState?: boolean; deny?: boolean }) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const codes = new Map<string, { challenge: string; nonce: string; clientId: string; redirectURI: string }>();
  const requests: string[] = [];
  let issuer = '';
  const base = await serve((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(`${req.method} ${url.pathname}`);
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };
    switch (url.pathname) {
      case '/auth/.well-known/openid-configuration':
        return json(200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/keys`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['ES256'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['none'],
        });
      case '/auth/keys':
        return json(200, { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }] });
      case '/auth/authorize': {
        const p = url.searchParams;
        const redirect = new URL(p.get('redirect_uri') ?? '');
        if (options.deny) {
          redirect.searchParams.set('error', 'access_denied');
          redirect.searchParams.set('error_description', 'the user said no');
        } else {
          expect(p.get('response_type')).toBe('code');
          expect(p.get('code_challenge_method')).toBe('S256');
          expect(p.get('scope')).toBe('openid email');
          const code = randomBytes(8).toString('hex');
          codes.set(code, {
            challenge: p.get('code_challenge') ?? '',
            nonce: p.get('nonce') ?? '',
            clientId: p.get('client_id') ?? '',
            redirectURI: p.get('redirect_uri') ?? '',
          });
          redirect.searchParams.set('code', code);
          redirect.searchParams.set('state', options.tamperState ? 'forged' : (p.get('state') ?? ''));
        }
        res.writeHead(302, { location: redirect.href }).end();
        return;
      }
      case '/auth/token': {
        const form = new URLSearchParams(body);
        const grant = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        if (!grant || createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
          return json(400, { error: 'invalid_grant' });
        }
        if (form.get('redirect_uri') !== grant.redirectURI || form.get('client_id') !== grant.clientId) {
          return json(400, { error: 'invalid_request' });
        }
        const now = Math.floor(Date.now() / 1000);
        const claims = {
          iss: issuer,
          sub: options.subject,
          aud: grant.clientId,
          iat: now,
          exp: now + 300,
          nonce: grant.nonce,
          ...(options.email ? { email: options.email, email_verified: true } : {}),
        };
        const enc = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
        const input = `${enc({ alg: 'ES256', kid: 'k1', typ: 'JWT' })}.${enc(claims)}`;
        const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
        return json(200, { access_token: 'at', token_type: 'Bearer', expires_in: 300, id_token: `${input}.${signature}` });
      }
      default:
        res.writeHead(404).end();
    }
  });
  issuer = `${base}/auth`;
  return { issuer, requests };
}

/** Plays the browser: open the authorization URL, follow the issuer's redirect to our callback. */
async function browser(url: string): Promise<void> {
  const authorize = await fetch(url, { redirect: 'manual' });
  const location = authorize.headers.get('location');
  if (!location) throw new Error(`no redirect from the issuer (HTTP ${authorize.status})`);
  await (await fetch(location)).text();
}

describe('identity token from a browser login (local OIDC issuer)', () => {
  function interactive(issuer: string, extra: Partial<IdentityTokenOptions> = {}): IdentityTokenOptions {
    return { env: {}, interactive: true, issuer, allowInsecureIssuer: true, timeoutMs: 10_000, openBrowser: browser, ...extra };
  }

  it('runs the PKCE code flow and returns the id_token', async () => {
    const { issuer, requests } = await startIssuer({ subject: 'user-123', email: 'dev@example.com' });
    const shown: string[] = [];
    const token = await getIdentityToken(interactive(issuer, { onAuthorizationUrl: (url) => shown.push(url) }));
    expect(token).toBeTypeOf('string');
    expect(describeIdentityToken(token!)).toMatchObject({ issuer, subject: 'user-123', email: 'dev@example.com' });
    expect(shown).toHaveLength(1);
    const authorization = new URL(shown[0]!);
    expect(authorization.searchParams.get('client_id')).toBe('sigstore');
    expect(authorization.searchParams.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+\/auth\/callback$/);
    expect(authorization.searchParams.get('state')).toBeTruthy();
    expect(authorization.searchParams.get('nonce')).toBeTruthy();
    // openid-client does not fetch the JWKS for a code-flow id_token (TLS to the token endpoint
    // vouches for it); Fulcio verifies the token's signature anyway.
    expect(requests).toEqual(['GET /auth/.well-known/openid-configuration', 'GET /auth/authorize', 'POST /auth/token']);
  });

  it('refuses an http issuer unless explicitly allowed (tests only)', async () => {
    const { issuer } = await startIssuer({ subject: 'u' });
    const error = await rejection(getIdentityToken(interactive(issuer, { allowInsecureIssuer: false })));
    expect(error.message).toContain(issuer);
  });

  it('rejects a callback whose state does not match', async () => {
    const { issuer } = await startIssuer({ subject: 'u', tamperState: true });
    const error = await rejection(getIdentityToken(interactive(issuer)));
    expect(error.message).toMatch(/state/i);
  });

  it('reports a login refused by the issuer', async () => {
    const { issuer } = await startIssuer({ subject: 'u', deny: true });
    const error = await rejection(getIdentityToken(interactive(issuer)));
    expect(error.message).toContain('access_denied');
    expect(error.message).toContain('the user said no');
  });

  it('gives up after the timeout when the login is never finished', async () => {
    const { issuer } = await startIssuer({ subject: 'u' });
    const error = await rejection(getIdentityToken(interactive(issuer, { timeoutMs: 300, openBrowser: () => Promise.resolve() })));
    expect(error.message).toMatch(/did not complete/);
    expect(error.hint).toContain('SIGSTORE_ID_TOKEN');
  });

  it('still waits when the browser cannot be launched (the URL is shown instead)', async () => {
    const { issuer } = await startIssuer({ subject: 'u' });
    let shown = '';
    const token = getIdentityToken(
      interactive(issuer, { onAuthorizationUrl: (url) => (shown = url), openBrowser: () => Promise.reject(new Error('no display')) }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await browser(shown); // the user copies the URL into a browser
    expect(await token).toBeTypeOf('string');
  });

  describe('end to end with the local Sigstore services', () => {
    let services: Awaited<ReturnType<typeof startSigstoreServices>>;
    beforeAll(async () => {
      services = await startSigstoreServices();
    });
    afterAll(async () => {
      await services.stop();
    });

    it('signs keyless with the token from the login and verifies against that identity', async () => {
      const { issuer } = await startIssuer({ subject: 'dev@example.com' });
      const token = await getIdentityToken(interactive(issuer));
      const statement = {
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: 'x', digest: { gitCommit: 'c'.repeat(40) } }],
        predicateType: 'https://example.com/p',
        predicate: {},
      };
      const bundle = await signStatement(statement, {
        mode: 'keyless',
        identityToken: token!,
        fulcioURL: services.fulcioURL,
        rekorURL: services.rekorURL,
      });
      const result = await verifyBundle(bundle, {
        publicKeys: new Map(),
        trustedRoot: services.trustedRoot,
        identity: { subject: 'dev@example.com', issuer },
      });
      expect(result).toMatchObject({ ok: true, signer: { kind: 'keyless', subject: 'dev@example.com', issuer } });
    });
  });
});
