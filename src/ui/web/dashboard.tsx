// The Dashboard: a period (presets or from/to) beside the previous period of the same length: cards with
// the change, sessions and cost per day, the model breakdown, top authors and top tools with their error
// rate. Everything comes from /api/v1/stats (= `trace sessions stats --json`).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { Empty, ErrorState, Loading } from './components.js';
import { useApi } from './data.js';
import { dateValue } from './filters.js';
import { compact, count, percent, signedPercent, totalTokens, usd } from './format.js';
import { params, setParams } from './router.js';
import type { DaySeries } from './chart.js';
import type { Stats, StatsFigures } from './types.js';

const PERIODS = [
  { value: '24h', label: '24 h' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
] as const;
const DEFAULT_PERIOD = '7d';

export function DashboardPage() {
  const search = params.value;
  const since = search.get('since') ?? DEFAULT_PERIOD;
  const until = search.get('until') ?? undefined;
  const base = { since, until };
  const byDay = useApi<Stats>('/api/v1/stats', { ...base, by: 'day' });
  const byModel = useApi<Stats>('/api/v1/stats', { ...base, by: 'model' });
  const byAuthor = useApi<Stats>('/api/v1/stats', { ...base, by: 'author' });
  const failed = [byDay, byModel, byAuthor].find((r) => r.error && !r.loading);
  return (
    <div class="dashboard">
      <header class="dash-head">
        <h1>Dashboard</h1>
        <div class="segmented" role="group" aria-label="Period">
          {PERIODS.map((p) => (
            <button key={p.value} type="button" aria-pressed={since === p.value && !until} onClick={() => setParams({ since: p.value === DEFAULT_PERIOD ? undefined : p.value, until: undefined })}>
              {p.label}
            </button>
          ))}
        </div>
        <label>
          <span class="label">From</span>
          <input type="date" value={dateValue(since)} onChange={(e) => setParams({ since: (e.target as HTMLInputElement).value || undefined })} />
        </label>
        <label>
          <span class="label">To</span>
          <input type="date" value={dateValue(until)} onChange={(e) => setParams({ until: (e.target as HTMLInputElement).value || undefined })} />
        </label>
        {byDay.data ? (
          <span class="muted period">
            {byDay.data.period.since.slice(0, 16).replace('T', ' ')} → {byDay.data.period.until.slice(0, 16).replace('T', ' ')} UTC, against the {periodLength(byDay.data)} before
          </span>
        ) : null}
      </header>
      {failed ? (
        <ErrorState error={failed.error} retry={() => [byDay, byModel, byAuthor].forEach((r) => r.reload())} />
      ) : !byDay.data ? (
        <Loading what="the dashboard" rows={6} />
      ) : byDay.data.current.sessions === 0 && byDay.data.previous.sessions === 0 ? (
        <Empty title="No sessions in this period">
          <p>Pick a longer period, or run an agent in a repository where trace is set up.</p>
        </Empty>
      ) : (
        <>
          <Cards stats={byDay.data} />
          <section class="panel">
            <h2>Sessions and cost per day</h2>
            <DailyChart stats={byDay.data} />
          </section>
          <div class="panels">
            <section class="panel">
              <h2>Models</h2>
              {byModel.data ? <ModelTable stats={byModel.data} /> : <Loading what="models" rows={3} />}
            </section>
            <section class="panel">
              <h2>Top authors</h2>
              {byAuthor.data ? <AuthorTable stats={byAuthor.data} /> : <Loading what="authors" rows={3} />}
            </section>
            <section class="panel">
              <h2>Top tools</h2>
              <p class="muted small">Calls the hooks recorded; the error rate below counts every call.</p>
              <ToolTable stats={byDay.data} />
            </section>
          </div>
        </>
      )}
    </div>
  );
}

function periodLength(stats: Stats): string {
  const days = (Date.parse(stats.period.until) - Date.parse(stats.period.since)) / 86_400_000;
  return days < 1 ? `${Math.round(days * 24)} hours` : `${Math.round(days * 10) / 10} days`;
}

/** A figure with its change against the previous period (also the org dashboard's). */
export function Card(props: { name: string; label: string; value: ComponentChildren; raw: number | null; previous: string; change: number | null | undefined; note?: string }) {
  const change = props.change;
  const trend = change === null || change === undefined ? 'none' : change > 0 ? 'up' : change < 0 ? 'down' : 'flat';
  return (
    <div class="card" data-card={props.name} data-raw={props.raw ?? ''}>
      <span class="label">{props.label}</span>
      <span class="value" data-value>
        {props.value}
      </span>
      <span class={`change ${trend}`} data-change={change ?? ''} title={`previous period: ${props.previous}`}>
        {change === null || change === undefined ? 'no previous data' : `${signedPercent(change)} vs previous`}
      </span>
      {props.note ? <span class="muted note">{props.note}</span> : null}
    </div>
  );
}

function Cards(props: { stats: Stats }) {
  const { current: c, previous: p, change } = props.stats;
  const tokens = (f: StatsFigures) => totalTokens(f.token_usage);
  return (
    <div class="cards">
      <Card name="sessions" label="Sessions" value={count(c.sessions)} raw={c.sessions} previous={count(p.sessions)} change={change.sessions} />
      <Card name="active_authors" label="Active authors" value={count(c.active_authors)} raw={c.active_authors} previous={count(p.active_authors)} change={change.active_authors} />
      <Card name="ai_commits" label="AI-assisted commits" value={count(c.ai_commits)} raw={c.ai_commits} previous={count(p.ai_commits)} change={change.ai_commits} />
      <Card name="ai_share" label="AI share of committed lines" value={percent(c.ai_share)} raw={c.ai_share} previous={percent(p.ai_share)} change={change.ai_share} note={`${count(c.ai_lines_added)} of ${count(c.lines_added)} lines`} />
      <Card name="tokens" label="Tokens" value={compact(tokens(c))} raw={tokens(c)} previous={compact(tokens(p))} change={change.tokens} note={`in ${compact(c.token_usage.input)} · cache ${compact(c.token_usage.cache_read)}/${compact(c.token_usage.cache_write)} · out ${compact(c.token_usage.output)}`} />
      <Card name="cost" label="Cost (estimated)" value={usd(c.cost_usd)} raw={c.cost_usd} previous={usd(p.cost_usd)} change={change.cost_usd} {...(c.unpriced_sessions ? { note: `+ ${count(c.unpriced_sessions)} unpriced sessions` } : {})} />
    </div>
  );
}

/** One point per UTC day of the period, zero where the breakdown has no row. */
function daySeries(stats: Stats): DaySeries {
  const byKey = new Map(stats.breakdown.map((b) => [b.key, b]));
  const first = Date.parse(`${stats.period.since.slice(0, 10)}T00:00:00Z`);
  const end = Date.parse(stats.period.until.length === 10 ? `${stats.period.until}T00:00:00Z` : stats.period.until);
  const series: DaySeries = { days: [], sessions: [], cost: [] };
  for (let day = first; day < end && series.days.length < 400; day += 86_400_000) {
    const row = byKey.get(new Date(day).toISOString().slice(0, 10));
    series.days.push(day / 1000);
    series.sessions.push(row?.sessions ?? 0);
    series.cost.push(Math.round((row?.cost_usd ?? 0) * 100) / 100);
  }
  return series;
}

/** Sessions and cost per day of the period (uPlot, loaded when first drawn). */
export function DailyChart(props: { stats: Stats }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let dispose: (() => void) | undefined;
    let cancelled = false;
    const target = host.current;
    if (!target) return;
    void import('./chart.js').then(async ({ drawDaily }) => {
      const remove = await drawDaily(target, daySeries(props.stats));
      if (cancelled) remove();
      else dispose = remove;
    });
    return () => {
      cancelled = true;
      dispose?.();
    };
  }, [props.stats]);
  return <div class="chart" ref={host} data-chart="daily" />;
}

function ModelTable(props: { stats: Stats }) {
  const { breakdown, current } = props.stats;
  if (breakdown.length === 0) return <p class="muted">No model recorded in this period.</p>;
  return (
    <table class="plain" data-table="models">
      <thead>
        <tr>
          <th>Model</th>
          <th class="num">Sessions</th>
          <th class="num" title="Of the period's sessions (a session with two models counts for both)">
            Share
          </th>
          <th class="num" title="Cost of the sessions that used the model">
            Cost
          </th>
        </tr>
      </thead>
      <tbody>
        {breakdown.map((b) => (
          <tr key={b.key} data-key={b.key}>
            <td class="mono">{b.key}</td>
            <td class="num">{count(b.sessions)}</td>
            <td class="num">
              <Bar value={current.sessions === 0 ? 0 : b.sessions / current.sessions} />
            </td>
            <td class="num">{usd(b.cost_usd)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Bar(props: { value: number | null }) {
  return (
    <span class="bar-cell">
      <span class="bar" aria-hidden="true">
        <span class="fill" style={{ width: `${Math.round((props.value ?? 0) * 100)}%` }} />
      </span>
      {percent(props.value, 0)}
    </span>
  );
}

function AuthorTable(props: { stats: Stats }) {
  const rows = props.stats.breakdown.slice(0, 10);
  if (rows.length === 0) return <p class="muted">No author in this period.</p>;
  return (
    <table class="plain" data-table="authors">
      <thead>
        <tr>
          <th>Author</th>
          <th class="num">Sessions</th>
          <th class="num">Tokens</th>
          <th class="num">Cost</th>
          <th class="num">AI lines</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((b) => (
          <tr key={b.key} data-key={b.key}>
            <td>{b.key}</td>
            <td class="num">{count(b.sessions)}</td>
            <td class="num">{compact(totalTokens(b.token_usage))}</td>
            <td class="num">{usd(b.cost_usd)}</td>
            <td class="num">{count(b.ai_lines_added)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ToolTable(props: { stats: Stats }) {
  const { top_tools: tools, current } = props.stats;
  return (
    <>
      <p class="muted" data-error-rate={current.error_rate}>
        Tool error rate {percent(current.error_rate)} ({count(current.tool_errors)} of {count(current.tool_calls)} calls)
      </p>
      {tools.length === 0 ? (
        <p class="muted">No tool call recorded by the hooks in this period.</p>
      ) : (
        <table class="plain" data-table="tools">
          <thead>
            <tr>
              <th>Tool</th>
              <th class="num">Calls</th>
              <th class="num">Errors</th>
              <th class="num">Error rate</th>
            </tr>
          </thead>
          <tbody>
            {tools.map((t) => (
              <tr key={t.tool} data-key={t.tool}>
                <td class="mono">{t.tool}</td>
                <td class="num">{count(t.calls)}</td>
                <td class="num">{count(t.errors)}</td>
                <td class={`num${t.errors > 0 ? ' errors' : ''}`}>{percent(t.error_rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
