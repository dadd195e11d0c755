// The HTTP server of `trace ui`: 127.0.0.1 only, one person's browser only. A one-time token in the
// printed URL becomes an HttpOnly, SameSite=Strict cookie; every request without it is 401, a request
// whose Host is not a loopback name is 403 (DNS rebinding), anything but GET/HEAD is 405; no CORS; a
// strict Content-Security-Policy. It serves the web build (dist/ui/index.html for every page path,
// dist/ui/assets/*) and the JSON API under /api/v1 (api.ts).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context, type Env, type Input } from 'hono';
import { parse as parseCookies, serialize as cookie } from 'hono/utils/cookie';
import { secureHeaders } from 'hono/secure-headers';
import { TraceError } from '../errors.js';
import { errorBody, traceErrorResponse } from './api.js';

export interface UiServerOptions {
  /** 0: a free port. */
  port: number;
  /** The web build: index.html and assets/. */
  uiDir: string;
  /** The routes under /api/v1. */
  api: Hono;
  /** A line for the person running the server (stderr), e.g. an unexpected error. */
  log: (line: string) => void;
}

export interface UiServer {
  /** The URL to open, with the one-time token. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const MISSING_BUILD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>trace ui</title></head>
<body><h1>trace ui</h1><p>The web build is missing (no dist/ui/index.html in the trace package): run <code>npm run build</code> there, then reload this page.</p>
<p>The JSON API works without it: <a href="/api/v1/sessions">/api/v1/sessions</a>.</p></body></html>
`;

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const isApi = (path: string) => path === '/api' || path.startsWith('/api/');

/** A refusal: JSON for the API, a line of text for pages. */
function refuse<E extends Env, P extends string, I extends Input>(c: Context<E, P, I>, status: 401 | 403 | 404 | 405, code: string, message: string): Response {
  return isApi(c.req.path) ? c.json(errorBody(code, message), status) : c.text(`trace ui: ${message}\n`, status);
}

/** The app, for a server listening on `port()` (known once it listens). */
export function uiApp(options: { api: Hono; uiDir: string; token: string; secret: string; port: () => number; log: (line: string) => void }): Hono {
  let tokenUsed = false;
  const cookieName = () => `trace_ui_${options.port()}`; // cookies are not kept apart by port: one name per server
  const app = new Hono();

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
      xFrameOptions: 'DENY',
      crossOriginResourcePolicy: 'same-origin',
      crossOriginOpenerPolicy: 'same-origin',
      strictTransportSecurity: false,
    }),
  );

  // DNS rebinding: a page of another site that resolves its name to 127.0.0.1 sends its own Host.
  app.use('*', async (c, next) => {
    const port = options.port();
    const host = (c.req.header('host') ?? '').toLowerCase();
    const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    if (!allowed.includes(host)) return refuse(c, 403, 'FORBIDDEN_HOST', `Host ${JSON.stringify(host)} is not this server's loopback address (open http://127.0.0.1:${port}/)`);
    await next();
  });

  app.use('*', async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      c.header('Allow', 'GET, HEAD');
      return refuse(c, 405, 'METHOD_NOT_ALLOWED', `${c.req.method}: the server is read-only (GET and HEAD)`);
    }
    await next();
  });

  app.use('*', async (c, next) => {
    const authorised = sameSecret(parseCookies(c.req.header('cookie') ?? '', cookieName())[cookieName()], options.secret);
    const token = isApi(c.req.path) ? undefined : c.req.query('token');
    if (token !== undefined) {
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      const target = `${url.pathname}${url.search}`;
      if (authorised) return c.redirect(target, 302);
      if (!tokenUsed && sameSecret(token, options.token)) {
        tokenUsed = true;
        c.header('Set-Cookie', cookie(cookieName(), options.secret, { httpOnly: true, sameSite: 'Strict', path: '/' }));
        return c.redirect(target, 302);
      }
      return refuse(c, 401, 'UNAUTHORIZED', 'this link was used already (its token works once): use the browser it opened, or restart `trace ui` for a new link');
    }
    if (!authorised) return refuse(c, 401, 'UNAUTHORIZED', 'open the link `trace ui` printed (with its token) to use this server');
    await next();
  });

  app.route('/api/v1', options.api);
  app.all('/api/*', (c) => c.json(errorBody('NOT_FOUND', `no API endpoint ${c.req.path}`), 404));
  app.get('/healthz', (c) => c.json({ ok: true }));

  app.get('/assets/*', serveStatic({ root: options.uiDir }));
  app.get('/assets/*', (c) => c.text('not found\n', 404));
  app.get('/favicon.ico', (c) => c.body(null, 404));

  // Every other path is a page of the single-page app: it reads the path itself.
  app.get('*', async (c) => {
    c.header('Cache-Control', 'no-store');
    try {
      return c.html(await readFile(join(options.uiDir, 'index.html'), 'utf8'));
    } catch {
      return c.html(MISSING_BUILD);
    }
  });

  app.onError((error, c) => {
    if (!(error instanceof TraceError)) options.log(`trace ui: ${c.req.method} ${c.req.path}: ${error.stack ?? error.message}`);
    return traceErrorResponse(error, c);
  });
  return app;
}

/** Starts the server on 127.0.0.1 and resolves once it listens. */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const token = randomBytes(32).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  let port = 0;
  const app = uiApp({ api: options.api, uiDir: options.uiDir, token, secret, port: () => port, log: options.log });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new TraceError('BAD_ARGUMENT', `--port ${options.port}: the port is in use`, { hint: 'give another port, or leave --port out for a free one' })
          : new TraceError('UNSUPPORTED', `cannot listen on 127.0.0.1:${options.port}: ${error.message}`, { cause: error }),
      );
    };
    server.once('error', failed);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', failed);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Kept-alive connections would hold close() open.
        server.closeAllConnections();
      }),
  };
}
