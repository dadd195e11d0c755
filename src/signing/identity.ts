// Where a keyless signature's OIDC identity token comes from: the environment, CI, or a browser login.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TraceError, errorMessage } from '../errors.js';

export const DEFAULT_OIDC_ISSUER = 'https://oauth2.sigstore.dev/auth';
export const DEFAULT_OIDC_CLIENT_ID = 'sigstore';
const AUDIENCE = 'sigstore';

export interface IdentityTokenOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Only then may a browser login be started. */
  interactive: boolean;
  /** OIDC issuer for the browser login. */
  issuer?: string;
  clientId?: string;
  /** How long to wait for the browser login, in milliseconds (default 5 minutes). */
  timeoutMs?: number;
  /** Local port for the redirect (default: a free one). */
  port?: number;
  /** Opens the authorization URL; by default the `open` package launches the browser. */
  openBrowser?: (url: string) => Promise<void>;
  /** Told the authorization URL before the browser is opened, so it can be shown to the user. */
  onAuthorizationUrl?: (url: string) => void;
  /** Tests only: allow an http:// issuer (openid-client refuses them otherwise). */
  allowInsecureIssuer?: boolean;
  fetch?: typeof fetch;
}

/**
 * An identity token for Fulcio: `SIGSTORE_ID_TOKEN`, else GitHub Actions' OIDC token, else (only
 * when `interactive`) a browser login; undefined when none can be had.
 */
export async function getIdentityToken(opts: IdentityTokenOptions): Promise<string | undefined> {
  const fromEnv = opts.env.SIGSTORE_ID_TOKEN?.trim();
  if (fromEnv) return fromEnv;

  const requestURL = opts.env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = opts.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (requestURL && requestToken) return githubActionsToken(requestURL, requestToken, opts.fetch ?? fetch);

  if (opts.interactive) return browserLogin(opts);
  return undefined;
}

/** The claims that name the signer, read from a token without checking it (Fulcio checks it). */
export function describeIdentityToken(token: string): { issuer?: string; subject?: string; email?: string; expiresAt?: Date } {
  const part = token.split('.')[1];
  if (part === undefined) return {};
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
    const text = (key: string): string | undefined => (typeof claims[key] === 'string' ? claims[key] : undefined);
    const exp = typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : undefined;
    return { issuer: text('iss'), subject: text('sub'), email: text('email'), expiresAt: exp };
  } catch {
    return {};
  }
}

async function githubActionsToken(requestURL: string, requestToken: string, fetchFn: typeof fetch): Promise<string> {
  const hint = 'Give the workflow job `permissions: id-token: write`, or set SIGSTORE_ID_TOKEN.';
  let url: URL;
  try {
    url = new URL(requestURL);
  } catch (cause) {
    throw new TraceError('SIGNING_FAILED', `ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: ${requestURL}`, { cause, hint });
  }
  url.searchParams.set('audience', AUDIENCE);
  let body: unknown;
  try {
    const response = await fetchFn(url, {
      headers: { Accept: 'application/json', Authorization: `Bearer ${requestToken}` },
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) {
      throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
    }
    body = await response.json();
  } catch (cause) {
    throw new TraceError('SIGNING_FAILED', `Could not get an identity token from GitHub Actions: ${errorMessage(cause)}`, { cause, hint });
  }
  const value = (body as { value?: unknown } | null)?.value;
  if (typeof value !== 'string' || value === '') {
    throw new TraceError('SIGNING_FAILED', 'GitHub Actions answered the identity-token request without a token.', { hint });
  }
  return value;
}

/** OAuth 2.0 authorization code flow with PKCE, state and nonce, redirecting to a local port. */
async function browserLogin(opts: IdentityTokenOptions): Promise<string> {
  const client = await import('openid-client');
  const issuer = opts.issuer ?? DEFAULT_OIDC_ISSUER;
  const hint = `Check the network and the issuer URL (${issuer}), or sign with the local key instead.`;

  let config: Awaited<ReturnType<typeof client.discovery>>;
  try {
    config = await client.discovery(new URL(issuer), opts.clientId ?? DEFAULT_OIDC_CLIENT_ID, undefined, client.None(), {
      execute: opts.allowInsecureIssuer ? [client.allowInsecureRequests] : [],
      timeout: 30,
      ...(opts.fetch ? { [client.customFetch]: opts.fetch } : {}),
    });
  } catch (cause) {
    throw new TraceError('SIGNING_FAILED', `Could not use the OIDC issuer ${issuer}: ${describeError(cause)}`, { cause, hint });
  }

  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const { server, port } = await listen(opts.port ?? 0);
  const redirectURI = `http://localhost:${port}/auth/callback`;

  try {
    const authorizationURL = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectURI,
      scope: 'openid email',
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });

    const callback = waitForCallback(server, opts.timeoutMs ?? 5 * 60_000);
    opts.onAuthorizationUrl?.(authorizationURL.href);
    const openBrowser = opts.openBrowser ?? defaultOpenBrowser;
    // If the browser cannot be launched, the user can still open the URL shown above.
    openBrowser(authorizationURL.href).catch(() => undefined);
    const { url: callbackURL, respond } = await callback;

    try {
      const tokens = await client.authorizationCodeGrant(config, new URL(callbackURL, redirectURI), {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      if (!tokens.id_token) throw new Error('the token response has no id_token');
      respond(200, 'Signed in. You can close this window and return to the terminal.');
      return tokens.id_token;
    } catch (cause) {
      respond(400, 'Sign-in failed. See the terminal for details.');
      throw new TraceError('SIGNING_FAILED', `The browser login with ${issuer} failed: ${describeError(cause)}`, { cause, hint });
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/** openid-client's messages are generic ("invalid response encountered"); the detail is in the cause. */
function describeError(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error; e instanceof Error && messages.length < 4; e = e.cause) {
    if (!messages.includes(e.message)) messages.push(e.message);
  }
  return messages.length > 0 ? messages.join(': ') : errorMessage(error);
}

async function defaultOpenBrowser(url: string): Promise<void> {
  const { default: open } = await import('open');
  await open(url);
}

function listen(port: number): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (cause) =>
      reject(new TraceError('SIGNING_FAILED', `Cannot listen for the login redirect on port ${port}: ${errorMessage(cause)}`, { cause })),
    );
    server.listen(port, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

interface Callback {
  url: string;
  respond: (status: number, text: string) => void;
}

/** Resolves with the first request to /auth/callback; rejects on timeout or an error redirect. */
function waitForCallback(server: Server, timeoutMs: number): Promise<Callback> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new TraceError('SIGNING_FAILED', `The browser login did not complete within ${Math.round(timeoutMs / 1000)} s.`, {
          hint: 'Run the command again and finish the login in the browser, or set SIGSTORE_ID_TOKEN.',
        }),
      );
    }, timeoutMs);
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/auth/callback') {
        res.writeHead(404).end();
        return;
      }
      clearTimeout(timer);
      const respond = (status: number, text: string): void => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
      };
      const error = url.searchParams.get('error');
      if (error !== null) {
        respond(400, 'Sign-in failed. See the terminal for details.');
        const description = url.searchParams.get('error_description');
        reject(new TraceError('SIGNING_FAILED', `The OIDC issuer refused the login: ${error}${description ? ` (${description})` : ''}`));
        return;
      }
      resolve({ url: req.url ?? '/', respond });
    });
  });
}
