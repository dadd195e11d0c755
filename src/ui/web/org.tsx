// `trace server`'s own pages: the org dashboard (/org, from /api/v1/stats/org: cards with the change
// against the period before, sessions and cost per day, top users, models with cost) and the
// repositories (/repositories: sessions, AI share and last activity; a click filters the sessions).
import type { ComponentChildren } from 'preact';
import { Empty, ErrorState, Loading } from './components.js';
import { useApi } from './data.js';
import { dateValue } from './filters.js';
import { compact, count, percent, totalTokens, usd } from './format.js';
import { navigate, onLinkClick, params, setParams, withParams } from './router.js';
import { Bar, Card, DailyChart } from './dashboard.js';
import type { OrgFigures, OrgStats, RepositoryEntry as Repository } from '../../server/shapes.js';
import type { Stats } from './types.js';

const PERIODS = ['7', '30', '90'] as const;
const DEFAULT_DAYS = '30';

/** The sessions page filtered by these, over the dashboard's period. */
function sessionsHref(filters: Record<string, string | undefined>, period?: { since: string; until: string }): string {
  const target = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filters, ...(period ? { since: period.since, until: period.until } : {}) })) if (value) target.set(key, value);
  const text = target.toString();
  return `/sessions${text ? `?${text}` : ''}`;
}

function Link(props: { href: string; children: ComponentChildren; class?: string }) {
  return (
    <a href={props.href} class={props.class} onClick={(e) => onLinkClick(e, props.href)}>
      {props.children}
    </a>
  );
}

export function OrgDashboardPage() {
  const search = params.value;
  const since = search.get('since') ?? undefined;
  const until = search.get('until') ?? undefined;
  const days = since ? undefined : (search.get('days') ?? DEFAULT_DAYS);
  const repository = search.get('repository') ?? undefined;
  const stats = useApi<OrgStats>('/api/v1/stats/org', { since, until, days, repository });
  const repos = useApi<{ repositories: Repository[] }>('/api/v1/repositories');
  // The daily chart: `trace ui`'s stats by day over the same dates (the server answers it from its session rows).
  const period = stats.data?.period;
  const daily = useApi<Stats>(period ? '/api/v1/stats' : null, period ? { since: period.since, until: period.until, by: 'day', repository } : {});
  return (
    <div class="dashboard org">
      <header class="dash-head">
        <h1>Organisation</h1>
        <div class="segmented" role="group" aria-label="Period">
          {PERIODS.map((p) => (
            <button key={p} type="button" aria-pressed={!since && days === p} onClick={() => setParams({ days: p === DEFAULT_DAYS ? undefined : p, since: undefined, until: undefined })}>
              {p} days
            </button>
          ))}
        </div>
        <label>
          <span class="label">From</span>
          <input type="date" value={dateValue(since)} onChange={(e) => setParams({ since: (e.target as HTMLInputElement).value || undefined, days: undefined })} />
        </label>
        <label>
          <span class="label">To</span>
          <input type="date" value={dateValue(until)} onChange={(e) => setParams({ until: (e.target as HTMLInputElement).value || undefined })} />
        </label>
        <label>
          <span class="label">Repository</span>
          <select name="repository" value={repository ?? ''} onChange={(e) => setParams({ repository: (e.target as HTMLSelectElement).value || undefined })}>
            <option value="">All repositories</option>
            {(repos.data?.repositories ?? []).map((r) => (
              <option key={r.name} value={r.name}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        {period ? (
          <span class="muted period">
            {period.since} → {stats.data!.period.until} (UTC days, until excluded), against {stats.data!.previous_period.since} → {stats.data!.previous_period.until}
          </span>
        ) : null}
      </header>
      {stats.error && !stats.loading ? (
        <ErrorState error={stats.error} retry={stats.reload} />
      ) : !stats.data ? (
        <Loading what="the organisation's figures" rows={6} />
      ) : stats.data.current.sessions === 0 && stats.data.previous.sessions === 0 && stats.data.current.commits === 0 ? (
        <Empty title="No sessions in this period">
          <p>Pick a longer period, or point developers' `trace.upload.http` (or `trace server sync`) at this server.</p>
        </Empty>
      ) : (
        <>
          <OrgCards stats={stats.data} />
          <section class="panel">
            <h2>Sessions and cost per day</h2>
            {daily.data ? <DailyChart stats={daily.data} /> : daily.error ? <ErrorState error={daily.error} retry={daily.reload} /> : <Loading what="the days" rows={3} />}
          </section>
          <div class="panels">
            <section class="panel">
              <h2>Top users</h2>
              <TopUsers stats={stats.data} repository={repository} />
            </section>
            <section class="panel">
              <h2>Models</h2>
              <Models stats={stats.data} />
            </section>
          </div>
        </>
      )}
    </div>
  );
}

function OrgCards(props: { stats: OrgStats }) {
  const { current: c, previous: p, change } = props.stats;
  const tokens = (f: OrgFigures) => totalTokens(f.token_usage);
  return (
    <div class="cards">
      <Card name="sessions" label="Sessions" value={count(c.sessions)} raw={c.sessions} previous={count(p.sessions)} change={change.sessions} />
      <Card name="active_users" label="Active users" value={count(c.active_users)} raw={c.active_users} previous={count(p.active_users)} change={change.active_users} />
      <Card name="ai_assisted_commits" label="AI-assisted commits" value={count(c.ai_assisted_commits)} raw={c.ai_assisted_commits} previous={count(p.ai_assisted_commits)} change={change.ai_assisted_commits} note={`of ${count(c.commits)} attested commits`} />
      <Card name="ai_share" label="AI share of committed lines" value={percent(c.ai_share)} raw={c.ai_share} previous={percent(p.ai_share)} change={change.ai_share} note={`${count(c.ai_lines_added)} of ${count(c.lines_added)} lines`} />
      <Card name="tokens" label="Tokens" value={compact(tokens(c))} raw={tokens(c)} previous={compact(tokens(p))} change={change.tokens} />
      <Card name="cost" label="Cost (estimated)" value={usd(c.cost_usd)} raw={c.cost_usd} previous={usd(p.cost_usd)} change={change.cost_usd} {...(c.unpriced_sessions ? { note: `+ ${count(c.unpriced_sessions)} unpriced sessions` } : {})} />
    </div>
  );
}

function TopUsers(props: { stats: OrgStats; repository: string | undefined }) {
  const rows = props.stats.top_users;
  if (rows.length === 0) return <p class="muted">No user in this period.</p>;
  return (
    <table class="plain" data-table="users">
      <thead>
        <tr>
          <th>User</th>
          <th class="num">Sessions</th>
          <th class="num">Cost</th>
          <th class="num">AI lines</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((u) => (
          <tr key={u.initiator} data-key={u.initiator}>
            <td>
              <Link href={sessionsHref({ initiator: u.initiator, repository: props.repository }, props.stats.period)}>{u.initiator}</Link>
            </td>
            <td class="num">{count(u.sessions)}</td>
            <td class="num">{usd(u.cost_usd)}</td>
            <td class="num">{count(u.ai_lines_added)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Models(props: { stats: OrgStats }) {
  const rows = props.stats.models;
  const total = props.stats.current.sessions;
  if (rows.length === 0) return <p class="muted">No model recorded in this period.</p>;
  return (
    <table class="plain" data-table="models">
      <thead>
        <tr>
          <th>Model</th>
          <th class="num">Sessions</th>
          <th class="num" title="Of the period's sessions (a session with two models counts for both)">
            Share
          </th>
          <th class="num">Tokens</th>
          <th class="num">Cost</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((m) => (
          <tr key={m.model} data-key={m.model}>
            <td class="mono">{m.model}</td>
            <td class="num">{count(m.sessions)}</td>
            <td class="num">
              <Bar value={total === 0 ? 0 : Math.min(1, m.sessions / total)} />
            </td>
            <td class="num">{compact(m.tokens)}</td>
            <td class="num">{m.cost_usd === null ? <span class="muted">unpriced</span> : usd(m.cost_usd)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function RepositoriesPage() {
  const repos = useApi<{ repositories: Repository[] }>('/api/v1/repositories');
  const list = repos.data?.repositories ?? [];
  return (
    <div class="repositories">
      <header class="dash-head">
        <h1>Repositories</h1>
        {repos.data ? <span class="muted">{list.length === 1 ? '1 repository' : `${count(list.length)} repositories`} this token may read; click one for its sessions</span> : null}
      </header>
      {repos.error && !repos.loading ? (
        <ErrorState error={repos.error} retry={repos.reload} />
      ) : !repos.data ? (
        <Loading what="the repositories" rows={4} />
      ) : list.length === 0 ? (
        <Empty title="No repository yet">
          <p>A repository appears once the server stored a verified attestation of it.</p>
        </Empty>
      ) : (
        <table class="plain repositories-table" data-table="repositories">
          <thead>
            <tr>
              <th>Repository</th>
              <th class="num">Sessions</th>
              <th class="num">Commits</th>
              <th class="num" title="AI lines of the lines committed in the sessions' commits">
                AI share
              </th>
              <th class="num">Cost</th>
              <th>Last activity</th>
              <th>First seen</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.name} data-repository={r.name} class="clickable" onClick={() => navigate(sessionsHref({ repository: r.name }))}>
                <td class="mono">
                  <Link href={sessionsHref({ repository: r.name })}>{r.name}</Link>
                </td>
                <td class="num">{count(r.sessions)}</td>
                <td class="num">{count(r.commits)}</td>
                <td class="num" data-ai-share={r.ai_share ?? ''} title={`${count(r.ai_lines_added)} of ${count(r.lines_added)} lines`}>
                  <Bar value={r.ai_share} />
                </td>
                <td class="num">{usd(r.cost_usd)}</td>
                <td>{r.last_active_day ?? <span class="muted">–</span>}</td>
                <td>{r.first_seen_at.slice(0, 10)}</td>
                <td onClick={(e) => e.stopPropagation()}>
                  <Link class="button ghost small" href={withParams({ repository: r.name }, '/org')}>
                    Dashboard
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
