// The query parameters of the sessions HTTP API (`trace ui`, and the org server to come), as zod
// schemas: their shape only (text, one value or repeated, no unknown names). What the values mean is
// checked by the same code as the command-line flags (sessions/requests.ts, filters.ts).
import { z } from 'zod';
import type { FilterFlags } from './filters.js';

/** A value; empty (`agent=`, what a form sends for a cleared field) is as if absent. */
const text = z.string().transform((value) => (value === '' ? undefined : value));
/** `has=errors&has=denied` or `has=errors,denied`. */
const repeatable = z.union([z.string(), z.array(z.string())]).transform((value) => (Array.isArray(value) ? value : [value]).filter((v) => v !== ''));
const flag = z.enum(['1', 'true', '0', 'false']).transform((value) => value === '1' || value === 'true');
const digits = (name: string) => z.string().regex(/^\d+$/, `${name} must be a whole number`);

/** The filters of `trace sessions`, by the flags' names; `q` is `--search`. */
export const filterParams = z.object({
  source: text.optional(),
  agent: text.optional(),
  model: text.optional(),
  author: text.optional(),
  branch: text.optional(),
  commit: text.optional(),
  file: text.optional(),
  since: text.optional(),
  until: text.optional(),
  id: text.optional(),
  has: repeatable.optional(),
  q: text.optional(),
});

export const sessionsParams = filterParams.extend({ limit: text.optional(), after: text.optional(), offset: text.optional() }).strict();

export const statsParams = filterParams.extend({ by: text.optional() }).strict();

/** The most threads one answer holds: a longer session is read a window at a time. */
export const MAX_THREADS_PAGE = 200;

export const showParams = z
  .object({
    thread: text.optional(),
    thread_offset: digits('thread_offset').transform(Number).optional(),
    thread_limit: digits('thread_limit')
      .transform(Number)
      .refine((n) => n >= 1 && n <= MAX_THREADS_PAGE, `thread_limit must be from 1 to ${MAX_THREADS_PAGE}`)
      .optional(),
    diffs: flag.optional(),
    full: flag.optional(),
  })
  .strict();

export const modelsParams = z
  .object({
    q: text.optional(),
    limit: digits('limit')
      .transform(Number)
      .refine((n) => n >= 1 && n <= 100, 'limit must be from 1 to 100')
      .optional(),
  })
  .strict();

export const sessionIdParam = z.object({ id: z.string().min(1).max(200) });
export const editParam = sessionIdParam.extend({ n: digits('n').transform(Number) });
export const commitParam = z.object({ sha: z.string().regex(/^[0-9a-fA-F]{4,64}$/, 'sha must be 4 to 64 hex digits of a commit id') });

/** The filter flags a query names (`q` → search). */
export function flagsOf(query: z.infer<typeof filterParams>): FilterFlags {
  const { q, has, ...rest } = query;
  const flags: FilterFlags = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) (flags as Record<string, string>)[key] = value;
  if (has !== undefined && has.length > 0) flags.has = has;
  if (q !== undefined) flags.search = q;
  return flags;
}
