// `trace sessions stats [filters] [--by …]`: cards with the change against the previous period of the
// same length, and a breakdown table.
import type { Outcome } from '../program.js';
import type { FilterFlags } from '../sessions/filters.js';
import { sessionsStatsFor } from '../sessions/requests.js';
import type { StatsResult } from '../sessions/stats.js';
import type { Style } from '../terminal.js';
import { compact, openSessions, requestContext, tokensText } from './sessions.js';

export interface SessionsStatsOptions extends FilterFlags {
  cwd: string;
  now: Date;
  style: Style;
  by?: string;
}

export async function sessionsStats(options: SessionsStatsOptions): Promise<Outcome> {
  const { repo, store, me, agents } = await openSessions(options.cwd, options.now);
  try {
    const result = await sessionsStatsFor(store, options, options.by, requestContext(repo, options.now, me, agents));
    return { json: result, text: renderStats(result, options.style) };
  } finally {
    store.close();
  }
}

function change(value: number | null | undefined, s: Style): string {
  if (value === null || value === undefined) return s.dim('   –');
  const pct = `${value >= 0 ? '+' : ''}${Math.round(value * 100)}%`;
  return value > 0 ? s.ok(pct) : value < 0 ? s.failed(pct) : s.dim(pct);
}

const pct = (value: number | null) => (value === null ? '–' : `${Math.round(value * 1000) / 10}%`);

function renderStats(r: StatsResult, s: Style): string {
  const c = r.current;
  const tokens = c.token_usage.input + c.token_usage.cache_read + c.token_usage.cache_write + c.token_usage.output;
  const cards: [string, string, number | null | undefined][] = [
    ['sessions', String(c.sessions), r.change.sessions],
    ['active authors', String(c.active_authors), r.change.active_authors],
    ['threads', String(c.threads), r.change.threads],
    ['tool calls', `${c.tool_calls} (${pct(c.error_rate)} errors)`, r.change.tool_calls],
    ['tokens', `${compact(tokens)} (${tokensText(c.token_usage)})`, r.change.tokens],
    ['cost', `$${c.cost_usd.toFixed(2)}${c.unpriced_sessions ? ` (+ ${c.unpriced_sessions} unpriced)` : ''}`, r.change.cost_usd],
    ['AI lines committed', `${c.ai_lines_added}/${c.lines_added} (AI share ${pct(c.ai_share)})`, r.change.ai_lines_added],
    ['AI-assisted commits', String(c.ai_commits), r.change.ai_commits],
  ];
  const width = Math.max(...cards.map(([, v]) => v.length));
  const lines = [s.bold(`${r.period.since} → ${r.period.until}`) + s.dim(`  (change against ${r.previous_period.since} → ${r.previous_period.until})`), ''];
  for (const [label, value, delta] of cards) lines.push(`  ${label.padEnd(19)} ${value.padEnd(width)}  ${change(delta, s)}`);
  if (r.top_tools.length > 0) lines.push('', `  ${'top tools'.padEnd(19)} ${r.top_tools.slice(0, 5).map((t) => `${t.tool} ${t.calls}${t.errors ? ` (${pct(t.error_rate)} errors)` : ''}`).join(', ')}`);
  if (r.by && r.breakdown.length > 0) {
    lines.push('', s.dim(`  ${r.by.toUpperCase().padEnd(30)} SESSIONS  THREADS  TOOLS   TOKENS   COST      AI LINES`));
    for (const b of r.breakdown) {
      const t = b.token_usage.input + b.token_usage.cache_read + b.token_usage.cache_write + b.token_usage.output;
      lines.push(`  ${b.key.slice(0, 30).padEnd(30)} ${String(b.sessions).padStart(8)}  ${String(b.threads).padStart(7)}  ${String(b.tool_calls).padStart(5)}  ${compact(t).padStart(7)}   ${`$${b.cost_usd.toFixed(2)}`.padEnd(8)}  ${b.ai_lines_added}/${b.lines_added}`);
    }
  }
  return lines.join('\n');
}
