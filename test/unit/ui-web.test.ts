// The pure parts of the web pages: how the search box and the URL become an API query, and the
// range and number texts.
import { describe, expect, it } from 'vitest';
import { dateValue, listQuery, searchQuery } from '../../src/ui/web/filters.js';
import { compact, costText, rangeText, signedPercent } from '../../src/ui/web/format.js';

describe('the search box', () => {
  it.each([
    ['', {}],
    ['  ', {}],
    ['npm test', { q: 'npm test' }],
    ['beef', { q: 'beef' }],
    ['0b6e', { id: '0b6e' }],
    ['A11CE000-0000', { id: 'a11ce000-0000' }],
    ['id:cafe', { id: 'cafe' }],
    ['fix 0b6e', { q: 'fix 0b6e' }],
  ])('%j → %j', (text, query) => {
    expect(searchQuery(text)).toEqual(query);
  });

  it('turns the URL into the API query, paging included', () => {
    const query = listQuery(new URLSearchParams('q=0b6e&agent=codex&has=errors,denied&since=7d&after=abc'));
    expect(query).toMatchObject({ id: '0b6e', agent: 'codex', has: 'errors,denied', since: '7d', after: 'abc' });
    expect(query.q).toBeUndefined();
    expect(query.offset).toBeUndefined();
  });

  it('fills a date input only from a plain date', () => {
    expect(dateValue('2026-11-20')).toBe('2026-11-20');
    expect(dateValue('7d')).toBe('');
    expect(dateValue(undefined)).toBe('');
  });
});

describe('texts', () => {
  it('names the exact range, and a capped count', () => {
    expect(rangeText(0, 25, 1342, false)).toBe('1–25 of 1,342');
    expect(rangeText(25, 25, 10000, true)).toBe('26–50 of 10,000+');
    expect(rangeText(0, 0, 0, false)).toBe('0 of 0');
  });

  it('shortens numbers and money as the CLI does', () => {
    expect(compact(999)).toBe('999');
    expect(compact(48_600)).toBe('48.6k');
    expect(compact(3_334_164)).toBe('3.3M');
    expect(costText({ usd: 2.93819, unpriced: false, prices_as_of: '2026-11-21' })).toBe('$2.94');
    expect(costText({ usd: null, unpriced: true, prices_as_of: '2026-11-21' })).toBe('unpriced');
    expect(costText({ usd: 0.5, unpriced: true, prices_as_of: '2026-11-21' })).toBe('$0.50+');
    expect(signedPercent(2)).toBe('+200%');
    expect(signedPercent(-0.25)).toBe('-25%');
    expect(signedPercent(null)).toBe('–');
  });
});
