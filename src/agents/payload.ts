// Checks every agent's hook parser shares. Hand-written rather than zod: they run on every tool call
// (src/agents/<agent>/hooks.ts) and must stay near Node's start-up time.

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `payload[key]` when it is a string; absent or null is undefined; anything else is a problem named `at`. */
export function optionalString(payload: Json, key: string, problems: string[], at = key): string | undefined {
  const value = payload[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    problems.push(`${at}: expected a string`);
    return undefined;
  }
  return value;
}

/** `payload[key]` when it is a non-negative number (floored); absent or null is undefined. */
export function optionalCount(payload: Json, key: string, problems: string[]): number | undefined {
  const value = payload[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    problems.push(`${key}: expected a non-negative number`);
    return undefined;
  }
  return Math.floor(value);
}

/** Session ids name files and rows: plain identifiers only. */
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** A session id `value` (read from the field `at`), or '' with the problem recorded. */
export function sessionIdOf(value: unknown, at: string, problems: string[]): string {
  if (typeof value !== 'string') problems.push(`${at}: expected a string`);
  else if (!SESSION_ID.test(value)) problems.push(`${at}: not a plain identifier (letters, digits, . _ : -)`);
  else return value;
  return '';
}

/**
 * A stable 64-bit hash of `text`, as 16 hex digits: for ids made of what a call's events share, and
 * names of pending records. A plain string hash rather than node:crypto, which would cost a hook ~3 ms to load.
 */
export function stableHash(text: string): string {
  let high = 0x811c9dc5;
  let low = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    high = Math.imul(high ^ code, 0x01000193);
    low = Math.imul(low ^ code, 0x5bd1e995);
  }
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return `${hex(high)}${hex(low)}`;
}
