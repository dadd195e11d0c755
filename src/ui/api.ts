// The JSON API of `trace ui` (/api/v1): thin routes that check their parameters with zod, ask the
// session queries `trace sessions` and `trace show` use (sessions/requests.ts, commands/show.ts) and
// answer with the same JSON. Errors are `{ error: { code, message, hint? } }`.
import { zValidator } from '@hono/zod-validator';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Agent } from '../agents/types.js';
import { TraceError } from '../errors.js';
import type { Repo } from '../repo.js';
import { commitParam, editParam, flagsOf, MAX_THREADS_PAGE, modelsParams, sessionIdParam, sessionsParams, showParams, statsParams } from '../sessions/params.js';
import { listModels, lookupSession } from '../sessions/query.js';
import { sessionShow, sessionsPage, sessionsStatsFor, type RequestContext } from '../sessions/requests.js';
import type { Store } from '../store.js';

export interface ApiDeps {
  repo: Repo;
  /** Open for the server's life. */
  store: Store;
  loadAgent: (name: string) => Promise<Agent | undefined>;
  /** Brings the summary rows up to date (new sessions, new commits) and gives the request's context. */
  prepare: () => Promise<RequestContext>;
  /** The sessions a request without `source` sees (`trace ui --source`); all by default. */
  source?: string | undefined;
}

export interface ApiErrorBody {
  error: { code: string; message: string; hint?: string; candidates?: unknown };
}

export function errorBody(code: string, message: string, extra: { hint?: string | undefined; candidates?: unknown } = {}): ApiErrorBody {
  return { error: { code, message, ...(extra.hint !== undefined ? { hint: extra.hint } : {}), ...(extra.candidates !== undefined ? { candidates: extra.candidates } : {}) } };
}

/** A failed zod check: 400 naming every problem as `field: message`. */
function invalid(result: { success: boolean; error?: { issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; keys?: readonly string[] }[] } }, c: Context) {
  if (result.success || !result.error) return undefined;
  const problems = result.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys' && issue.keys ? `${issue.keys.join(', ')}: not a parameter of ${c.req.path}` : `${issue.path.map(String).join('.') || 'query'}: ${issue.message}`,
  );
  return c.json(errorBody('BAD_ARGUMENT', problems.join('; ')), 400);
}

/** A TraceError as the API answers it: the caller's mistakes are 400, the rest 500. */
export function traceErrorResponse(error: unknown, c: Context): Response {
  if (error instanceof TraceError) {
    const status: ContentfulStatusCode = error.code === 'BAD_ARGUMENT' || error.code === 'BAD_INPUT' ? 400 : 500;
    return c.json(errorBody(error.code, error.message, { hint: error.hint }), status);
  }
  return c.json(errorBody('INTERNAL', error instanceof Error ? error.message : String(error)), 500);
}

/** The session an id or prefix names, or the 404/409 answer. */
function findSession(store: Store, idOrPrefix: string, c: Context): { id: string } | { response: Response } {
  const found = lookupSession(store, idOrPrefix);
  if (found.kind === 'found') return { id: found.id };
  if (found.kind === 'none') return { response: c.json(errorBody('NOT_FOUND', `no session ${JSON.stringify(idOrPrefix)} in the local store`), 404) };
  return {
    response: c.json(
      errorBody('AMBIGUOUS', `${JSON.stringify(idOrPrefix)} is the start of ${found.more ? 'more than 10' : found.candidates.length} sessions`, { hint: 'give more of the id', candidates: found.candidates }),
      409,
    ),
  };
}

export function sessionsApi(deps: ApiDeps): Hono {
  const api = new Hono();
  const filterFlags = (query: Parameters<typeof flagsOf>[0]) => {
    const flags = flagsOf(query);
    if (flags.source === undefined && deps.source !== undefined) flags.source = deps.source;
    return flags;
  };
  api.use('*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });

  api.get('/sessions', zValidator('query', sessionsParams, invalid), async (c) => {
    const { limit, after, offset, ...filters } = c.req.valid('query');
    const context = await deps.prepare();
    return c.json(await sessionsPage(deps.store, filterFlags(filters), { limit, after, offset }, context));
  });

  api.get('/sessions/:id', zValidator('param', sessionIdParam, invalid), zValidator('query', showParams, invalid), async (c) => {
    await deps.prepare();
    const found = findSession(deps.store, c.req.valid('param').id, c);
    if ('response' in found) return found.response;
    const q = c.req.valid('query');
    const threads = { offset: q.thread_offset ?? 0, limit: q.thread_limit ?? MAX_THREADS_PAGE };
    return c.json(await sessionShow(deps.store, found.id, { thread: q.thread, diffs: q.diffs, full: q.full, threads }, deps.loadAgent));
  });

  api.get('/sessions/:id/files/:n/diff', zValidator('param', editParam, invalid), async (c) => {
    await deps.prepare();
    const { id: idOrPrefix, n } = c.req.valid('param');
    const found = findSession(deps.store, idOrPrefix, c);
    if ('response' in found) return found.response;
    const { sessionDetail, sessionEdit } = await import('../sessions/detail.js');
    const detail = await sessionDetail(deps.store, found.id, deps.loadAgent);
    const { edit, count } = await sessionEdit(detail, deps.store, n);
    if (!edit) return c.json(errorBody('NOT_FOUND', `session ${found.id.slice(0, 8)} has ${count} file edit(s): there is no edit ${n}`, { hint: count > 0 ? `give 0 to ${count - 1}` : 'trace holds no edit of this session: it edited no file, or the captured contents were dropped after the push that attested them' }), 404);
    return c.json(edit);
  });

  api.get('/models', zValidator('query', modelsParams, invalid), async (c) => {
    await deps.prepare();
    const { q, limit } = c.req.valid('query');
    return c.json({ models: listModels(deps.store, q ?? '', limit ?? 20) });
  });

  api.get('/stats', zValidator('query', statsParams, invalid), async (c) => {
    const { by, ...filters } = c.req.valid('query');
    const context = await deps.prepare();
    return c.json(await sessionsStatsFor(deps.store, filterFlags(filters), by, context));
  });

  api.get('/commits/:sha', zValidator('param', commitParam, invalid), async (c) => {
    await deps.prepare();
    const { sha } = c.req.valid('param');
    const { commitId } = await import('../git.js');
    const full = await commitId(deps.repo.root, sha);
    if (!full) return c.json(errorBody('NOT_FOUND', `${sha} is not a commit in this repository (or names several)`), 404);
    const { commitReport } = await import('../commands/show.js');
    return c.json((await commitReport(deps.repo, deps.store, full)).json);
  });

  api.all('*', (c) => c.json(errorBody('NOT_FOUND', `no API endpoint ${c.req.path}`, { hint: 'see the `trace ui` section of the README' }), 404));
  return api;
}
