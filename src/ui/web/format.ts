// Numbers, times, tokens and money the way the CLI prints them.
import type { Cost, TokenUsage } from './types.js';

const whole = new Intl.NumberFormat('en-US');

export const count = (n: number): string => whole.format(n);

/** 1234 → 1.2k, 3300000 → 3.3M. */
export function compact(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${trim(n / 1000)}k`;
  if (n < 1_000_000_000) return `${trim(n / 1_000_000)}M`;
  return `${trim(n / 1_000_000_000)}B`;
}
const trim = (n: number) => (n >= 100 ? String(Math.round(n)) : n.toFixed(1).replace(/\.0$/, ''));

export const totalTokens = (t: TokenUsage): number => t.input + t.cache_read + t.cache_write + t.output;

export function usd(value: number | null): string {
  if (value === null) return '–';
  if (value === 0) return '$0';
  if (value < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(2)}`;
}

export function costText(cost: Cost): string {
  return cost.usd === null ? (cost.unpriced ? 'unpriced' : '–') : `${usd(cost.usd)}${cost.unpriced ? '+' : ''}`;
}

export function percent(value: number | null, digits = 1): string {
  if (value === null) return '–';
  return `${(value * 100).toFixed(digits).replace(/\.0+$/, '')}%`;
}

export function signedPercent(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  const pct = Math.round(value * 100);
  return `${pct > 0 ? '+' : ''}${pct}%`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago", then the date. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return '–';
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  if (ms < 60_000) return 'just now';
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  if (ms < 30 * 86_400_000) return `${Math.floor(ms / 86_400_000)} d ago`;
  return iso.slice(0, 10);
}

// One formatter each: toLocale*String builds a new one per call, which a 200-thread session pays 1,200 times.
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function dateTime(iso: string | null): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isFinite(d.getTime()) ? dateTimeFormat.format(d) : iso;
}

export function clock(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isFinite(d.getTime()) ? clockFormat.format(d) : '';
}

export function duration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const shortId = (id: string): string => id.slice(0, 8);

/** "1–25 of 1,342" ("of 10,000+" when the count is capped). */
export function rangeText(offset: number, shown: number, total: number, capped: boolean): string {
  if (shown === 0) return `0 of ${count(total)}${capped ? '+' : ''}`;
  return `${count(offset + 1)}–${count(offset + shown)} of ${count(total)}${capped ? '+' : ''}`;
}
