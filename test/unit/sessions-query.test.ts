// The sessions commands' pure parts: flags to filters, times, cursors, CSV cells, ages, why targets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { csvCell } from '../../src/commands/sessions-export.js';
import { parseAge } from '../../src/commands/sessions-prune.js';
import { parseTarget } from '../../src/commands/why.js';
import { TraceError } from '../../src/errors.js';
import { filterArgs, parseFilters, parseTime } from '../../src/sessions/filters.js';
import { listSessions, queryKey } from '../../src/sessions/query.js';
import { Store } from '../../src/store.js';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const context = { now: NOW, agents: ['claude-code', 'cursor'], me: () => 'ada@example.com' };
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TraceError);
    expect((error as TraceError).code).toBe('BAD_ARGUMENT');
    return (error as TraceError).message;
  }
  throw new Error('no error');
}

describe('filters', () => {
  it('reads times as spans, dates and RFC 3339, and refuses anything else', () => {
    expect(parseTime('since', '7d', NOW, false)).toBe('2026-11-24T12:00:00.000Z');
    expect(parseTime('since', '24h', NOW, false)).toBe('2026-11-30T12:00:00.000Z');
    expect(parseTime('since', '2026-11-20', NOW, false)).toBe('2026-11-20T00:00:00.000Z');
    expect(parseTime('until', '2026-11-20', NOW, true)).toBe('2026-11-21T00:00:00.000Z');
    expect(parseTime('since', '2026-11-20T10:00:00+02:00', NOW, false)).toBe('2026-11-20T08:00:00.000Z');
    for (const bad of ['yesterday', '2026-13-45', '7', '-3d', '']) expect(usage(() => parseTime('since', bad, NOW, false))).toContain('--since');
  });

  it('turns flags into filters: claude is claude-code, me is the git email, has values split and checked', () => {
    expect(parseFilters({ agent: 'claude', author: 'me', has: ['errors,commits', 'errors'], commit: 'ABCDEF1', file: './src/a.ts' }, context)).toEqual({
      agent: 'claude-code',
      author: 'ada@example.com',
      has: ['errors', 'commits'],
      commit: 'abcdef1',
      file: 'src/a.ts',
    });
    expect(usage(() => parseFilters({ agent: 'vim' }, context))).toContain('unknown agent "vim"');
    expect(usage(() => parseFilters({ model: 'a*b*' }, context))).toContain('--model');
    expect(usage(() => parseFilters({ has: ['bugs'] }, context))).toContain('"bugs"');
    expect(usage(() => parseFilters({ commit: 'xyz' }, context))).toContain('--commit');
    expect(usage(() => parseFilters({ author: 'me' }, { ...context, me: () => null }))).toContain('user.email');
  });

  it('repeats flags on a command line, quoted where a shell needs it', () => {
    expect(filterArgs({ agent: 'cursor', search: "it's broken", has: ['errors'] })).toEqual(['--agent', 'cursor', '--search', "'it'\\''s broken'", '--has', 'errors']);
  });
});

describe('paging', () => {
  const store = (() => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-sessions-query-'));
    dirs.push(dir);
    const s = Store.open(dir);
    for (let i = 0; i < 7; i++) {
      // Two sessions share a last activity: the id breaks the tie.
      const at = `2026-11-2${i < 2 ? 0 : i}T10:00:00.000Z`;
      s.write(() => s.upsertSession({ id: `s${i}`, agent: i % 2 ? 'cursor' : 'claude-code', at, started_at: at }));
    }
    return s;
  })();

  it('walks by cursor over ties, every session once, in order; and by offset', () => {
    const all = listSessions(store, {}, { limit: 100 }).sessions.map((s) => s.id);
    expect(all).toEqual(['s6', 's5', 's4', 's3', 's2', 's1', 's0']);
    const walked: string[] = [];
    let after: string | undefined;
    do {
      const page = listSessions(store, {}, { limit: 2, after });
      walked.push(...page.sessions.map((s) => s.id));
      after = page.next_cursor ?? undefined;
    } while (after);
    expect(walked).toEqual(all);
    const third = listSessions(store, {}, { limit: 2, offset: 4 });
    expect([third.offset, third.count, third.sessions.map((s) => s.id)]).toEqual([4, 7, ['s2', 's1']]);
  });

  it('refuses a cursor of another query, a made-up cursor, and --after with --offset', () => {
    const cursor = listSessions(store, { agent: 'cursor' }, { limit: 1 }).next_cursor!;
    expect(usage(() => listSessions(store, {}, { limit: 1, after: cursor }))).toContain('another query');
    expect(usage(() => listSessions(store, {}, { limit: 1, after: 'eyJ4IjoxfQ' }))).toContain('not a cursor');
    expect(usage(() => listSessions(store, {}, { limit: 1, after: cursor, offset: 1 }))).toContain('--after and --offset');
    // The query as typed is what a cursor belongs to: a span resolved later is still the same query.
    const typed = queryKey({ since: '7d' });
    const page = listSessions(store, { since: '2026-11-01T00:00:00.000Z' }, { limit: 1 }, typed);
    expect(listSessions(store, { since: '2026-11-01T00:00:01.000Z' }, { limit: 1, after: page.next_cursor! }, typed).sessions).toHaveLength(1);
  });
});

describe('export, prune and why inputs', () => {
  it('neutralises CSV formulas and quotes what needs it', () => {
    expect(csvCell('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-rf')).toBe("'-rf");
    expect(csvCell('@x')).toBe("'@x");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(null)).toBe('');
  });

  it('reads ages above zero only', () => {
    expect(parseAge('90d')).toBe(90);
    expect(parseAge('2w')).toBe(14);
    expect(parseAge('36h')).toBe(1.5);
    expect(parseAge('30')).toBe(30);
    for (const bad of ['0', '0d', '-1d', 'forever']) expect(usage(() => parseAge(bad))).toContain('--older-than');
  });

  it('reads file:line and file:first-last', () => {
    expect(parseTarget('src/a.ts:12')).toEqual({ file: 'src/a.ts', start: 12, end: 12 });
    expect(parseTarget('C:/x:y.ts:3-9')).toEqual({ file: 'C:/x:y.ts', start: 3, end: 9 });
    for (const bad of ['src/a.ts', 'src/a.ts:0', 'src/a.ts:9-3', ':4']) expect(usage(() => parseTarget(bad))).toContain('<file>:<line>');
  });
});
