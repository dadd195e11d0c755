// The filter flags of `trace sessions` as people type them, checked and turned into SessionFilters.
// Every bad value is exit 2 naming the flag, what was wrong and an example.
import { TraceError } from '../errors.js';
import { HAS_VALUES, SOURCE_VALUES, type HasValue, type SessionFilters, type SourceValue } from './query.js';

export interface FilterFlags {
  agent?: string;
  model?: string;
  author?: string;
  branch?: string;
  commit?: string;
  file?: string;
  since?: string;
  until?: string;
  id?: string;
  has?: string[];
  search?: string;
  source?: string;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `7d`, `24h`, `30m`, `2w` (before now), a date (`2026-11-20`, the day's start in UTC; `until`: the next day's), or an RFC 3339 time. */
export function parseTime(flag: string, value: string, now: Date, end: boolean): string {
  const relative = /^(\d+)([mhdw])$/.exec(value);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNITS[relative[2]!]!).toISOString();
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = Date.parse(`${value}T00:00:00Z`);
    if (Number.isFinite(day)) return new Date(day + (end ? 86_400_000 : 0)).toISOString();
  } else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value)) {
    const at = Date.parse(value);
    if (Number.isFinite(at)) return new Date(at).toISOString();
  }
  throw new TraceError('BAD_ARGUMENT', `--${flag}: ${JSON.stringify(value)} is not a time`, { hint: `give an RFC 3339 time, a date or a span before now, e.g. --${flag} 2026-11-20T09:00:00Z, --${flag} 2026-11-20 or --${flag} 7d` });
}

export function parseFilters(flags: FilterFlags, context: { now: Date; agents: readonly string[]; me: () => string | null }): SessionFilters {
  const filters: SessionFilters = {};
  if (flags.agent !== undefined) {
    const agent = flags.agent === 'claude' ? 'claude-code' : flags.agent;
    if (!context.agents.includes(agent)) {
      throw new TraceError('BAD_ARGUMENT', `--agent: unknown agent ${JSON.stringify(flags.agent)}`, { hint: `use one of: ${context.agents.join(', ')} (e.g. --agent ${context.agents[0]})` });
    }
    filters.agent = agent;
  }
  if (flags.model !== undefined) {
    if (flags.model === '' || flags.model === '*' || flags.model.slice(0, -1).includes('*')) {
      throw new TraceError('BAD_ARGUMENT', `--model: ${JSON.stringify(flags.model)} is not a model name`, { hint: 'give a model exactly, or a prefix with a trailing *, e.g. --model claude-opus-4-5 or --model "claude-opus*"' });
    }
    filters.model = flags.model;
  }
  if (flags.author !== undefined) {
    if (flags.author === 'me') {
      const me = context.me();
      if (!me) throw new TraceError('BAD_ARGUMENT', '--author me: git has no user.email here', { hint: 'set `git config user.email`, or give an email, e.g. --author ada@example.com' });
      filters.author = me;
    } else filters.author = flags.author;
  }
  if (flags.branch !== undefined) filters.branch = flags.branch;
  if (flags.commit !== undefined) {
    if (!/^[0-9a-f]{4,64}$/i.test(flags.commit)) throw new TraceError('BAD_ARGUMENT', `--commit: ${JSON.stringify(flags.commit)} is not a commit id`, { hint: 'give at least 4 hex digits of it, e.g. --commit 3f2a9c1' });
    filters.commit = flags.commit.toLowerCase();
  }
  if (flags.file !== undefined) filters.file = flags.file.replace(/^\.\//, '');
  if (flags.since !== undefined) filters.since = parseTime('since', flags.since, context.now, false);
  if (flags.until !== undefined) filters.until = parseTime('until', flags.until, context.now, true);
  if (flags.id !== undefined) {
    if (flags.id.length === 0) throw new TraceError('BAD_ARGUMENT', '--id: empty', { hint: 'give the start of a session id, e.g. --id 0b6e' });
    filters.id = flags.id;
  }
  if (flags.has !== undefined && flags.has.length > 0) {
    const has = flags.has.flatMap((value) => value.split(',')).map((value) => value.trim());
    const bad = has.filter((value) => !(HAS_VALUES as readonly string[]).includes(value));
    if (bad.length > 0) throw new TraceError('BAD_ARGUMENT', `--has: unknown value ${bad.map((b) => JSON.stringify(b)).join(', ')}`, { hint: `use ${HAS_VALUES.join(', ')}, e.g. --has errors` });
    filters.has = [...new Set(has)] as HasValue[];
  }
  if (flags.source !== undefined) {
    if (!(SOURCE_VALUES as readonly string[]).includes(flags.source)) {
      throw new TraceError('BAD_ARGUMENT', `--source: unknown source ${JSON.stringify(flags.source)}`, { hint: `use ${SOURCE_VALUES.join(', ')} (local: captured here; notes: attested in refs/notes/chainloop-trace), e.g. --source notes` });
    }
    if (flags.source !== 'all') filters.source = flags.source as SourceValue;
  }
  if (flags.search !== undefined) {
    if (flags.search.trim() === '') throw new TraceError('BAD_ARGUMENT', '--search: empty', { hint: 'give words to look for in prompts, tool inputs and errors, e.g. --search "npm test"' });
    filters.search = flags.search;
  }
  return filters;
}

/** The flags that repeat `flags` on a command line (for the footer's next command). */
export function filterArgs(flags: FilterFlags): string[] {
  const quote = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`);
  const args: string[] = [];
  for (const key of ['source', 'agent', 'model', 'author', 'branch', 'commit', 'file', 'since', 'until', 'id', 'search'] as const) {
    const value = flags[key];
    if (value !== undefined) args.push(`--${key}`, quote(value));
  }
  for (const value of flags.has ?? []) args.push('--has', quote(value));
  return args;
}
