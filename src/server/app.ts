// The HTTP service: routes are thin (authenticate, validate, call ingest or a query, shape the
// answer). Ingest takes bearer tokens only; the read API takes a bearer token or the cookie the
// login page sets. Nothing here is the source of truth: several processes can serve one database.
import { createHash, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { stream } from 'hono/streaming';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { z } from 'zod';
import { AGENT_HOOKS } from '../agents/hooks.js';
import { errorMessage } from '../errors.js';
import { parseFilters } from '../sessions/filters.js';
import { commitParam, filterParams, flagsOf, modelsParams } from '../sessions/params.js';
import { STATS_BY, type StatsBy } from '../sessions/stats.js';
import { DEFAULT_LIMIT, queryKey } from '../sessions/query.js';
import { parseCount, pickFlags } from '../sessions/requests.js';
import { errorBody, traceErrorResponse } from '../ui/api.js';
import { repositoryMatches, type LoadedServerConfig, type ResolvedToken, type Role } from './config.js';
import type { ServerDb } from './db.js';
import { ingestBundle, type IngestContext, type IngestOutcome } from './ingest.js';
import { csvHeader, csvLine, exportSessions, exportWindow, listInitiators, serverCommit, storedBundle } from './lookups.js';
import type { ServerMetrics } from './metrics.js';
import { listRepositories, listServerModels, listServerSessions, MAX_OFFSET, orgStats, SERVER_MAX_LIMIT, serverSessionDetail, serverSessionsStats, type ServerFilters } from './read.js';
import type { Trust } from './trust.js';

export interface AppDeps {
  config: Pick<LoadedServerConfig, 'tokens' | 'limits' | 'publicUrl'>;
  /** The web build of `trace ui` (index.html, assets/); undefined: pages say it is missing. */
  uiDir?: string;
  store: ServerDb;
  trust: Trust;
  metrics: ServerMetrics;
  now: () => Date;
  log?: (line: string) => void;
}

const COOKIE = 'trace_session';
const gunzipAsync = promisify(gunzip);

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Finds the token, comparing digests in constant time (no early exit on a prefix). */
function tokenFor(tokens: readonly ResolvedToken[], presented: Buffer): ResolvedToken | undefined {
  let found: ResolvedToken | undefined;
  for (const token of tokens) if (timingSafeEqual(sha256(token.token), presented)) found ??= token;
  return found;
}

function bearer(c: Context): string | undefined {
  const header = c.req.header('authorization');
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

const problem = (c: Context, status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 500 | 501, code: string, message: string) => c.json(errorBody(code, message), status);

/** A value; empty (what a form sends for a cleared field) is as if absent — as in sessions/params.ts. */
const text = z.string().transform((value) => (value === '' ? undefined : value));

/** `trace ui`'s list parameters (sessions/params.ts), plus the org server's repository, initiator and count. */
const listQuery = filterParams
  .extend({
    repository: text.optional(),
    initiator: text.optional(),
    limit: text.optional(),
    after: text.optional(),
    offset: text.optional(),
    count: z.enum(['capped', 'exact', 'none']).default('capped'),
  })
  .strict();

const statsParamsServer = filterParams.extend({ by: text.optional(), repository: text.optional(), initiator: text.optional() }).strict();

const statsQuery = z
  .object({
    since: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD').optional(),
    until: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD').optional(),
    days: z.coerce.number().int().min(1).max(366).default(30),
    repository: text.optional(),
    initiator: text.optional(),
  })
  .strict();

const commitQuery = z.object({ repository: text.optional() }).strict();

/** The export: the session list's filters, a format, no paging. */
const exportQuery = filterParams
  .extend({
    repository: text.optional(),
    initiator: text.optional(),
    format: z.enum(['csv', 'jsonl'], { message: 'format: csv or jsonl' }).default('csv'),
  })
  .strict();

/** Every problem as `field: message` (unknown parameters named), like `trace ui`'s API. */
function issues(error: z.ZodError, path: string): string {
  return error.issues.map((i) => (i.code === 'unrecognized_keys' ? `${i.keys.join(', ')}: not a parameter of ${path}` : `${i.path.join('.') || 'query'}: ${i.message}`)).join('; ');
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const log = deps.log ?? (() => undefined);
  const ingestContext: IngestContext = { store: deps.store, trust: deps.trust, now: deps.now, maxBytes: deps.config.limits.bundleBytes };
  const secure = deps.config.publicUrl?.startsWith('https:') === true;

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], connectSrc: ["'self'"], objectSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"], frameAncestors: ["'none'"] },
      referrerPolicy: 'no-referrer',
      xFrameOptions: 'DENY',
      strictTransportSecurity: false,
    }),
  );

  app.onError((error, c) => {
    const response = traceErrorResponse(error, c);
    if (response.status < 500) return response;
    log(`error: ${c.req.method} ${c.req.path}: ${errorMessage(error)}`);
    return problem(c, 500, 'INTERNAL', 'the server failed to answer; see its log');
  });

  app.get('/healthz', async (c) => {
    try {
      await deps.store.db.selectFrom('schema_migrations').select('version').limit(1).execute();
      return c.json({ ok: true, engine: deps.store.engine });
    } catch (error) {
      return c.json({ ok: false, detail: errorMessage(error) }, 503);
    }
  });

  app.get('/metrics', async (c) => c.text(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }));

  app.post('/api/v1/attestations', async (c) => {
    const started = performance.now();
    const answer = (outcome: IngestOutcome) => {
      const status = String(outcome.status);
      deps.metrics.ingest.inc({ status, source: 'http' });
      deps.metrics.ingestSeconds.observe({ status }, (performance.now() - started) / 1000);
      if (outcome.status === 422) deps.metrics.verifyFailures.inc({ reason: outcome.body.error.reason ?? 'unknown' });
      return c.json(outcome.body, outcome.status);
    };
    const presented = bearer(c);
    const token = presented === undefined ? undefined : tokenFor(deps.config.tokens, sha256(presented));
    if (!token) {
      deps.metrics.ingest.inc({ status: '401', source: 'http' });
      return c.json(errorBody('UNAUTHORIZED', presented === undefined ? 'send the ingest token as Authorization: Bearer <token>' : "the token is not one of the server's tokens"), 401, { 'www-authenticate': 'Bearer' });
    }
    if (token.role === 'reader') return answer({ status: 403, body: { error: { code: 'FORBIDDEN', message: `${token.name} is a reader token; writing needs an ingest or admin token` } } });
    const length = Number(c.req.header('content-length') ?? '0');
    const max = deps.config.limits.bundleBytes;
    if (length > max) return answer({ status: 413, body: { error: { code: 'TOO_LARGE', message: `the body is ${length} bytes, over the server's limit of ${max}` } } });
    let body = Buffer.from(await c.req.arrayBuffer());
    if (body.length > max) return answer({ status: 413, body: { error: { code: 'TOO_LARGE', message: `the body is over the server's limit of ${max} bytes` } } });
    if (c.req.header('content-encoding') === 'gzip') {
      try {
        body = await gunzipAsync(body, { maxOutputLength: max + 1 });
      } catch (error) {
        const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || /maxOutputLength|too large/i.test(errorMessage(error));
        return answer(tooLarge ? { status: 413, body: { error: { code: 'TOO_LARGE', message: `the bundle unzips to more than ${max} bytes` } } } : { status: 400, body: { error: { code: 'MALFORMED', message: `the gzip body does not unzip: ${errorMessage(error)}` } } });
      }
    }
    const scope = token.role === 'admin' ? { ...token, repositories: ['*'] } : token;
    const outcome = await ingestBundle(ingestContext, scope, body);
    if (outcome.status === 201) log(`stored ${outcome.body.digest.slice(0, 12)} (${outcome.body.repository}, ${outcome.body.commits} commits, ${outcome.body.sessions} sessions) from ${token.name}`);
    return answer(outcome);
  });

  // --- reading: a bearer token, or the cookie the login page sets ---
  const reader = (c: Context): ResolvedToken | Response => {
    const presented = bearer(c);
    let token: ResolvedToken | undefined;
    if (presented !== undefined) token = tokenFor(deps.config.tokens, sha256(presented));
    else {
      const cookie = getCookie(c, COOKIE);
      if (cookie && /^[0-9a-f]{64}$/.test(cookie)) token = tokenFor(deps.config.tokens, Buffer.from(cookie, 'hex'));
    }
    if (!token) return c.json(errorBody('UNAUTHORIZED', 'send a reader token as Authorization: Bearer <token>, or log in at /login'), 401, { 'www-authenticate': 'Bearer' });
    if (!canRead(token.role)) return problem(c, 403, 'FORBIDDEN', `${token.name} is an ingest token; reading needs a reader or admin token`);
    return token;
  };
  const visibleRepos = async (token: ResolvedToken): Promise<number[] | undefined> => {
    if (token.role === 'admin' || token.repositories.includes('*')) return undefined;
    const repos = await deps.store.db.selectFrom('repos').select(['id', 'name']).execute();
    return repos.filter((r) => token.repositories.some((glob) => repositoryMatches(glob, r.name))).map((r) => Number(r.id));
  };
  const count = (route: string, status: number) => deps.metrics.requests.inc({ route, status: String(status) });

  app.get('/api/v1/sessions', async (c) => {
    const token = reader(c);
    if (token instanceof Response) return token;
    const parsed = listQuery.safeParse(queryOf(c));
    if (!parsed.success) {
      count('sessions', 400);
      return problem(c, 400, 'BAD_ARGUMENT', issues(parsed.error, c.req.path));
    }
    const { repository, initiator: asked, limit, after, offset, count: counting, author, file, ...rest } = parsed.data;
    if (file !== undefined) return problem(c, 400, 'BAD_ARGUMENT', 'file: the server keeps no file paths (attestations carry counts); filter by commit instead');
    const initiator = asked ?? author;
    if (initiator === 'me') return problem(c, 400, 'BAD_ARGUMENT', 'initiator: "me" means nothing to the server; give an email');
    const flags = pickFlags(flagsOf(rest));
    const base = parseFilters(flags, { now: deps.now(), agents: AGENT_HOOKS.map((h) => h.name), me: () => null });
    const filters: ServerFilters = { ...base, ...(repository !== undefined ? { repository } : {}), ...(initiator !== undefined ? { initiator } : {}) };
    const page = await listServerSessions(deps.store, filters, {
      limit: parseCount('limit', limit, 1, SERVER_MAX_LIMIT, '50') ?? DEFAULT_LIMIT,
      after,
      offset: parseCount('offset', offset, 0, MAX_OFFSET, '50'),
      count: counting,
      visible: await visibleRepos(token),
      key: queryKey({ ...flags, repository, initiator }),
    });
    count('sessions', 200);
    return c.json(page);
  });

  app.get('/api/v1/sessions/:id', async (c) => {
    const token = reader(c);
    if (token instanceof Response) return token;
    const id = c.req.param('id');
    const repository = c.req.query('repository');
    const detail = await serverSessionDetail(deps.store, id, { repository, visible: await visibleRepos(token) });
    if (!detail) {
      count('session', 404);
      return problem(c, 404, 'NOT_FOUND', `no session ${JSON.stringify(id)}${repository ? ` in ${repository}` : ''} that this token may read`);
    }
    count('session', 200);
    return c.json(detail);
  });

  app.get('/api/v1/repositories', async (c) => {
    const token = reader(c);
    if (token instanceof Response) return token;
    count('repositories', 200);
    return c.json({ repositories: await listRepositories(deps.store, await visibleRepos(token)) });
  });

  app.get('/api/v1/stats/org', async (c) => {
    const token = reader(c);
    if (token instanceof Response) return token;
    const parsed = statsQuery.safeParse(c.req.query());
    if (!parsed.success) {
      count('stats', 400);
      return problem(c, 400, 'BAD_ARGUMENT', issues(parsed.error, c.req.path));
    }
    const q = parsed.data;
    const until = q.until ?? new Date(deps.now().getTime() + 86_400_000).toISOString().slice(0, 10);
    const since = q.since ?? new Date(Date.parse(`${until}T00:00:00Z`) - q.days * 86_400_000).toISOString().slice(0, 10);
    if (since >= until) return problem(c, 400, 'BAD_ARGUMENT', 'since must be before until');
    count('stats', 200);
    return c.json(await orgStats(deps.store, { since, until, repository: q.repository, initiator: q.initiator, visible: await visibleRepos(token) }));
  });

  // `trace ui`'s dashboard figures (`trace sessions stats --json`) over every visible repository.
  app.get('/api/v1/stats', async (c) => {
    const token = reader(c);
    if (token instanceof Response) return token;
    const parsed = statsParamsServer.safeParse(queryOf(c));
    if (!parsed.success) {
      count('stats', 400);
      return problem(c, 400, 'BAD_ARGUMENT', issues(parsed.error, c.req.path));
    }
    const { by, repository, initiator: asked, author, file, ...rest } = parsed.data;
    if (file !== undefined) return problem(c, 400, 'BAD_ARGUMENT', 'file: the server keeps no file paths (attestations carry counts); filter by commit instead');
    if (by !== undefined && !(STATS_BY as readonly string[]).includes(by)) return problem(c, 400, 'BAD_ARGUMENT', `by: unknown breakdown ${JSON.stringify(by)} (use one of ${STATS_BY.join(', ')})`);
    const initiator = asked ?? author;
    if (initiator === 'me') return problem(c, 400, 'BAD_ARGUMENT', 'initiator: "me" means nothing to the server; give an email');
    const base = parseFilters(pickFlags(flagsOf(rest)), { now: deps.now(), agents: AGENT_HOOKS.map((h) => h.name), me: () => null });
    const until = base.until ?? deps.now().toISOString();
    const since = base.since ?? new Date(Date.parse(until) - 7 * 86_400_000).toISOString();
    if (since >= until) return problem(c, 400, 'BAD_ARGUMENT', 'since must come before until');
    const filters: ServerFilters = { ...base, ...(repository !== undefined ? { repository } : {}), ...(initiator !== undefined ? { initiator } : {}) };
    count('stats', 200);
    return c.json(await serverSessionsStats(deps.store, filters, { since, until }, by as StatsBy | undefined, await visibleRepos(token)));
  });

  app.get('/api/v1/models', async (c) => {
    const token = reader(c);
    if (token instanceof Response) return token;
    const parsed = modelsParams.safeParse(queryOf(c));
    if (!parsed.success) return problem(c, 400, 'BAD_ARGUMENT', issues(parsed.error, c.req.path));
    return c.json({ models: await listServerModels(deps.store, parsed.data.q ?? '', parsed.data.limit ?? 20, await visibleRepos(token)) });
  });

  // --- what `trace ui`'s API has beside the lists, and the server's own lookups (each counted in /metrics) ---
  const counted =
    (route: string, handler: (c: Context) => Response | Promise<Response>) =>
    async (c: Context): Promise<Response> => {
      try {
        const response = await handler(c);
        count(route, response.status);
        return response;
      } catch (error) {
        count(route, traceErrorResponse(error, c).status);
        throw error;
      }
    };
  const badQuery = (c: Context, error: z.ZodError) => problem(c, 400, 'BAD_ARGUMENT', issues(error, c.req.path));

  // What the pages ask first: a `trace ui` answers 404 here, so the pages know which server they talk to.
  app.get(
    '/api/v1/server',
    counted('server', (c) => {
      const token = reader(c);
      if (token instanceof Response) return token;
      return c.json({ server: 'trace server', engine: deps.store.engine, token: { name: token.name, role: token.role, repositories: token.role === 'admin' ? ['*'] : token.repositories }, keeps_file_contents: false });
    }),
  );

  app.get(
    '/api/v1/initiators',
    counted('initiators', async (c) => {
      const token = reader(c);
      if (token instanceof Response) return token;
      const parsed = modelsParams.safeParse(queryOf(c));
      if (!parsed.success) return badQuery(c, parsed.error);
      return c.json({ initiators: await listInitiators(deps.store, parsed.data.q ?? '', parsed.data.limit ?? 20, await visibleRepos(token)) });
    }),
  );

  app.get(
    '/api/v1/commits/:sha',
    counted('commit', async (c) => {
      const token = reader(c);
      if (token instanceof Response) return token;
      const sha = commitParam.safeParse({ sha: c.req.param('sha') });
      if (!sha.success) return badQuery(c, sha.error);
      const query = commitQuery.safeParse(c.req.query());
      if (!query.success) return badQuery(c, query.error);
      const repository = query.data.repository;
      const found = await serverCommit(deps.store, sha.data.sha, { repository, visible: await visibleRepos(token) });
      if (found.kind === 'none') return problem(c, 404, 'NOT_FOUND', `no commit ${sha.data.sha}${repository ? ` in ${repository}` : ''} that this token may read (the server knows a commit once a verified attestation named it)`);
      if (found.kind === 'ambiguous') {
        return c.json(
          errorBody('AMBIGUOUS', `${sha.data.sha} names ${found.candidates.length > 10 ? 'more than 10' : found.candidates.length} commits`, { hint: 'give more of the sha, or ?repository=<name>', candidates: found.candidates }),
          409,
        );
      }
      return c.json(found.commit);
    }),
  );

  app.get(
    '/api/v1/sessions/:id/files/:n/diff',
    counted('diff', (c) => {
      const token = reader(c);
      if (token instanceof Response) return token;
      return c.json(
        errorBody('NOT_KEPT', 'trace server keeps no file contents: attestations carry counts and line ranges, not the files', {
          hint: `read the diff in a clone that captured the session: trace sessions show ${c.req.param('id')} --diffs`,
        }),
        501,
      );
    }),
  );

  app.get(
    '/api/v1/export/sessions',
    counted('export', async (c) => {
      const token = reader(c);
      if (token instanceof Response) return token;
      const parsed = exportQuery.safeParse(queryOf(c));
      if (!parsed.success) return badQuery(c, parsed.error);
      const { format, repository, initiator: asked, author, file, ...rest } = parsed.data;
      if (file !== undefined) return problem(c, 400, 'BAD_ARGUMENT', 'file: the server keeps no file paths (attestations carry counts); filter by commit instead');
      const initiator = asked ?? author;
      if (initiator === 'me') return problem(c, 400, 'BAD_ARGUMENT', 'initiator: "me" means nothing to the server; give an email');
      const base = parseFilters(pickFlags(flagsOf(rest)), { now: deps.now(), agents: AGENT_HOOKS.map((h) => h.name), me: () => null });
      const window = exportWindow(base.since, base.until, deps.now());
      const filters: ServerFilters = { ...base, ...window, ...(repository !== undefined ? { repository } : {}), ...(initiator !== undefined ? { initiator } : {}) };
      const visible = await visibleRepos(token);
      const rows = exportSessions(deps.store, filters, visible);
      // The first page is read before the status is sent: a failing query is still a problem answer.
      const first = await rows.next();
      const name = `trace-sessions-${window.since.slice(0, 10)}-${window.until.slice(0, 10)}.${format}`;
      c.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
      c.header('content-disposition', `attachment; filename="${name}"`);
      c.header('cache-control', 'no-store');
      return stream(c, async (out) => {
        if (format === 'csv') await out.write(csvHeader());
        for (let next = first; !next.done; next = await rows.next()) await out.write(format === 'csv' ? csvLine(next.value) : `${JSON.stringify(next.value)}\n`);
      }, (error) => {
        log(`error: export stopped: ${errorMessage(error)}`);
        return Promise.resolve();
      });
    }),
  );

  app.get(
    '/api/v1/attestations/:digest',
    counted('attestation', async (c) => {
      const token = reader(c);
      if (token instanceof Response) return token;
      const digest = c.req.param('digest') ?? '';
      if (!/^[0-9a-fA-F]{64}$/.test(digest)) return problem(c, 400, 'BAD_ARGUMENT', 'digest: 64 hex digits (the SHA-256 the ingest answer and GET /api/v1/commits/:sha give)');
      const found = await storedBundle(deps.store, digest, await visibleRepos(token));
      if (found.kind === 'none') return problem(c, 404, 'NOT_FOUND', `no bundle ${digest.toLowerCase()} that this token may read`);
      if (found.kind === 'dropped') return problem(c, 404, 'NOT_FOUND', `the bundle ${digest.toLowerCase()} of ${found.repository} was received ${found.received_at}; content retention has dropped its bytes since (its figures stay)`);
      c.header('content-disposition', `attachment; filename="${digest.toLowerCase()}.sigstore.json"`);
      c.header('cache-control', 'no-store');
      return c.body(found.raw, 200, { 'content-type': 'application/json' });
    }),
  );

  app.all('/api/*', (c) => problem(c, 404, 'NOT_FOUND', `no API endpoint ${c.req.path} on trace server`));

  // --- the browser's login: a reader token once, then a cookie holding its digest ---
  app.get('/login', (c) => c.html(loginPage()));
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const presented = typeof form.token === 'string' ? form.token.trim() : '';
    const token = presented === '' ? undefined : tokenFor(deps.config.tokens, sha256(presented));
    if (!token || !canRead(token.role)) return c.html(loginPage('That is not a reader token of this server.'), 401);
    setCookie(c, COOKIE, sha256(presented).toString('hex'), { httpOnly: true, sameSite: 'Strict', secure, path: '/', maxAge: 12 * 3600 });
    return c.redirect('/', 303);
  });
  app.post('/logout', (c) => {
    deleteCookie(c, COOKIE, { path: '/' });
    return c.redirect('/login', 303);
  });

  // `trace ui`'s pages (the web build in dist/ui/), for a logged-in reader; they call the API above.
  const signedIn = (c: Context) => !(reader(c) instanceof Response);
  app.get('/assets/*', async (c, next) => (signedIn(c) ? next() : c.text('log in at /login\n', 401)));
  if (deps.uiDir !== undefined) app.get('/assets/*', serveStatic({ root: deps.uiDir }));
  app.get('/assets/*', (c) => c.text('not found\n', 404));
  app.get('/favicon.ico', (c) => c.body(null, 404));
  app.get('*', async (c) => {
    if (!signedIn(c)) return c.redirect('/login', 303);
    c.header('Cache-Control', 'no-store');
    try {
      if (deps.uiDir === undefined) throw new Error('no web build');
      return c.html(await readFile(join(deps.uiDir, 'index.html'), 'utf8'));
    } catch {
      return c.html('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>trace server</title></head><body><h1>trace server</h1><p>The web build is missing (no dist/ui/index.html): run <code>npm run build</code> in the trace package. The API works without it: <a href="/api/v1/sessions">/api/v1/sessions</a>.</p></body></html>');
    }
  });
  return app;
}

/** The query as hono's validator gives it to zod: one value as text, a repeated one as a list. */
function queryOf(c: Context): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(c.req.queries()).map(([key, values]) => [key, values.length === 1 ? values[0]! : values]));
}

function canRead(role: Role): boolean {
  return role === 'reader' || role === 'admin';
}

function loginPage(message?: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>trace server: log in</title>
</head>
<body><h1>trace server</h1>${message ? `<p role="alert">${message}</p>` : ''}
<form method="post" action="/login"><label>Reader token<br><input name="token" type="password" autocomplete="current-password" required></label><br><button type="submit">Log in</button></form></body></html>`;
}
