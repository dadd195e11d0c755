// The sessions filters as they live in the URL, and as the API takes them.
import type { Query } from './api.js';

export const AGENTS = ['claude-code', 'cursor', 'codex', 'gemini-cli', 'copilot', 'opencode'] as const;
export const HAS = [
  { value: 'errors', label: 'Has errors' },
  { value: 'denied', label: 'Denied' },
  { value: 'unpriced', label: 'Unpriced' },
] as const;
export const PRESETS = [
  { value: '24h', label: '24 h' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '', label: 'All time' },
] as const;

/** Filter parameters (URL name = API name, except the search box `q`, which may be an id prefix). */
export const FILTER_KEYS = ['q', 'agent', 'model', 'author', 'branch', 'has', 'since', 'until', 'repository', 'initiator'] as const;
/** What Reset clears: every filter but the time window (repository and initiator are `trace server`'s). */
export const RESET_KEYS = ['q', 'agent', 'model', 'author', 'branch', 'has', 'repository', 'initiator', 'after', 'offset'] as const;

/** `id:0b6e`, or hex with a digit (a pasted id or its start): an id prefix; anything else: text. */
export function searchQuery(text: string | undefined): Query {
  const value = text?.trim();
  if (!value) return {};
  const explicit = /^id:(\S+)$/i.exec(value);
  if (explicit) return { id: explicit[1]!.toLowerCase() };
  if (/^[0-9a-f-]{4,}$/i.test(value) && /\d/.test(value)) return { id: value.toLowerCase() };
  return { q: value };
}

/** The API query of the sessions list for the URL's parameters. */
export function listQuery(params: URLSearchParams): Query {
  const get = (name: string) => params.get(name) ?? undefined;
  return {
    ...searchQuery(get('q')),
    agent: get('agent'),
    model: get('model'),
    author: get('author'),
    branch: get('branch'),
    has: get('has'),
    since: get('since'),
    until: get('until'),
    // `trace server` only: absent under `trace ui` (nothing sets them there).
    repository: get('repository'),
    initiator: get('initiator'),
    limit: get('limit'),
    after: get('after'),
    offset: get('offset'),
  };
}

export function hasSet(params: URLSearchParams): Set<string> {
  return new Set((params.get('has') ?? '').split(',').filter(Boolean));
}

/** A date input's value for a since/until parameter that is a plain date, else ''. */
export function dateValue(value: string | undefined): string {
  return value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : '';
}
