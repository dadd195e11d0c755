// The Sessions page: the filter bar, the table with its exact range and paging, and, on a wide screen,
// the open session beside the list (`?session=<id>`).
import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, withQuery } from './api.js';
import { CopyButton, Empty, ErrorState, Loading } from './components.js';
import { useApi } from './data.js';
import { AGENTS, dateValue, HAS, hasSet, listQuery, PRESETS, RESET_KEYS } from './filters.js';
import { ago, compact, costText, count, dateTime, rangeText, shortId, totalTokens } from './format.js';
import { serverInfo } from './mode.js';
import { onLinkClick, param, params, setParams } from './router.js';
import { SessionView } from './session.js';
import type { RepositoryEntry } from '../../server/shapes.js';
import type { SessionPage, SessionRow } from './types.js';

const SEARCH_DEBOUNCE_MS = 250;

export function SessionsPage() {
  const search = params.value;
  const query = listQuery(search);
  const page = useApi<SessionPage>('/api/v1/sessions', query);
  const open = param('session');
  const [selected, setSelectedState] = useState(0);
  // The key handler reads the selection from here: j then Enter typed faster than a render must open the row j moved to.
  const selection = useRef(0);
  const setSelected = (i: number) => {
    selection.current = i;
    setSelectedState(i);
  };
  const rows = page.data?.sessions ?? [];
  useEffect(() => setSelected(0), [page.data]);

  // j/k move, Enter opens, / searches, Escape closes the open session.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.metaKey || event.ctrlKey || event.altKey) return;
      if (target && (target.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName))) {
        if (event.key === 'Escape') target.blur();
        return;
      }
      if (event.key === 'j' || event.key === 'k') {
        event.preventDefault();
        setSelected(Math.max(0, Math.min(rows.length - 1, selection.current + (event.key === 'j' ? 1 : -1))));
      } else if (event.key === 'Enter' && rows[selection.current]) {
        event.preventDefault();
        setParams({ session: rows[selection.current]!.id, thread: undefined, find: undefined, tab: undefined, edit: undefined });
      } else if (event.key === '/') {
        event.preventDefault();
        document.querySelector<HTMLInputElement>('#search')?.focus();
      } else if (event.key === 'Escape' && open) {
        setParams({ session: undefined, thread: undefined, find: undefined, tab: undefined, edit: undefined });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [rows, open]);

  useEffect(() => {
    document.querySelector(`tr[data-index="${selected}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  return (
    <div class={`workspace${open ? ' has-detail' : ''}`}>
      <section class="list-pane" aria-label="Sessions">
        <FilterBar />
        {page.error && !page.loading ? (
          <ErrorState error={page.error} retry={page.reload} />
        ) : !page.data ? (
          <Loading what="sessions" rows={8} />
        ) : rows.length === 0 ? (
          <NoSessions filtered={[...search.keys()].some((k) => RESET_KEYS.includes(k as (typeof RESET_KEYS)[number]) || k === 'since' || k === 'until')} />
        ) : (
          <>
            <SessionsTable rows={rows} selected={selected} open={open} loading={page.loading} repository={serverInfo.value != null || rows.some((r) => r.repository !== undefined)} onSelect={setSelected} />
            <Pager page={page.data} />
          </>
        )}
      </section>
      {open ? (
        <section class="detail-pane" aria-label="Open session">
          <div class="detail-head">
            <button type="button" class="button ghost" onClick={() => setParams({ session: undefined, thread: undefined, find: undefined, tab: undefined, edit: undefined })}>
              ← Sessions
            </button>
            <a class="button ghost" href={`/sessions/${encodeURIComponent(open)}${onlySessionParams()}`} onClick={(e) => onLinkClick(e, `/sessions/${encodeURIComponent(open)}${onlySessionParams()}`)}>
              Full page ↗
            </a>
          </div>
          <SessionView id={open} />
        </section>
      ) : null}
    </div>
  );
}

/** The open session's own parameters, for its full page. */
function onlySessionParams(): string {
  const keep = new URLSearchParams();
  for (const key of ['thread', 'find', 'tab', 'edit']) {
    const value = params.value.get(key);
    if (value) keep.set(key, value);
  }
  const text = keep.toString();
  return text ? `?${text}` : '';
}

function NoSessions(props: { filtered: boolean }) {
  if (props.filtered) {
    return (
      <Empty title="No sessions match these filters">
        <p>Widen the time window or clear the filters.</p>
        <button type="button" class="button" onClick={() => setParams(Object.fromEntries([...RESET_KEYS, 'since', 'until'].map((k) => [k, undefined])))}>
          Clear all filters
        </button>
      </Empty>
    );
  }
  if (serverInfo.value != null) {
    return (
      <Empty title="No sessions received yet">
        <p>
          Sessions appear here once a verified attestation of a repository this token may read arrives: point the repositories' <code>trace.upload.http</code> at this server, or list them under <code>sync.remotes</code>.
        </p>
      </Empty>
    );
  }
  return (
    <Empty title="No sessions recorded yet">
      <p>
        Sessions appear here once an agent runs with trace's hooks installed: run <code>trace init</code> in the repository, then work with your agent.
      </p>
    </Empty>
  );
}

function FilterBar() {
  const search = params.value;
  const urlText = search.get('q') ?? '';
  const [text, setText] = useState(urlText);
  const typed = useRef(false);
  // The URL wins when it changes under us (back/forward, reset).
  useEffect(() => {
    if (!typed.current) setText(urlText);
  }, [urlText]);
  useEffect(() => {
    if (!typed.current) return;
    const timer = window.setTimeout(() => {
      typed.current = false;
      setParams({ q: text.trim() || undefined, after: undefined, offset: undefined });
    }, SEARCH_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [text]);

  const has = hasSet(search);
  const since = search.get('since') ?? '';
  const until = search.get('until') ?? '';
  const set = (changes: Record<string, string | undefined>) => setParams({ ...changes, after: undefined, offset: undefined });
  const activeFilters = RESET_KEYS.some((k) => search.has(k));
  const onServer = serverInfo.value != null;

  return (
    <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      <div class="filter-row">
        <label class="search">
          <span class="sr-only">Search</span>
          <input
            id="search"
            type="search"
            placeholder="Search prompts, tools, errors, or an id…  ( / )"
            value={text}
            autocomplete="off"
            onInput={(e) => {
              typed.current = true;
              setText((e.target as HTMLInputElement).value);
            }}
          />
        </label>
        <label>
          <span class="label">Agent</span>
          <select value={search.get('agent') ?? ''} onChange={(e) => set({ agent: (e.target as HTMLSelectElement).value || undefined })}>
            <option value="">Any agent</option>
            {AGENTS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <ModelBox value={search.get('model') ?? ''} onChange={(model) => set({ model: model || undefined })} />
        {onServer ? (
          <>
            <RepositoryFilter value={search.get('repository') ?? ''} onChange={(repository) => set({ repository: repository || undefined })} />
            <SuggestBox name="initiator" label="Initiator" placeholder="email; who ran the agent" endpoint="/api/v1/initiators" listKey="initiators" value={search.get('initiator') ?? ''} onChange={(initiator) => set({ initiator: initiator || undefined })} />
          </>
        ) : (
          <TextFilter name="author" label="Author" placeholder="email or name" />
        )}
        <TextFilter name="branch" label="Branch" placeholder="main" />
      </div>
      <div class="filter-row">
        <div class="segmented" role="group" aria-label="Time range">
          {PRESETS.map((p) => (
            <button key={p.value} type="button" aria-pressed={since === p.value && (p.value !== '' || until === '')} onClick={() => set({ since: p.value || undefined, until: undefined })}>
              {p.label}
            </button>
          ))}
        </div>
        <label>
          <span class="label">From</span>
          <input type="date" value={dateValue(since)} onChange={(e) => set({ since: (e.target as HTMLInputElement).value || undefined })} />
        </label>
        <label>
          <span class="label">To</span>
          <input type="date" value={dateValue(until)} onChange={(e) => set({ until: (e.target as HTMLInputElement).value || undefined })} />
        </label>
        <div class="toggles" role="group" aria-label="Only sessions that">
          {HAS.map((h) => (
            <label key={h.value} class={`toggle${has.has(h.value) ? ' on' : ''}`}>
              <input
                type="checkbox"
                name={`has-${h.value}`}
                checked={has.has(h.value)}
                onChange={(e) => {
                  const next = new Set(has);
                  if ((e.target as HTMLInputElement).checked) next.add(h.value);
                  else next.delete(h.value);
                  set({ has: [...next].join(',') || undefined });
                }}
              />
              {h.label}
            </label>
          ))}
        </div>
        <button
          type="button"
          class="button ghost reset"
          disabled={!activeFilters}
          title="Clear the filters; the time window stays"
          onClick={() => {
            typed.current = false;
            setText('');
            setParams(Object.fromEntries(RESET_KEYS.map((k) => [k, undefined])));
          }}
        >
          Reset
        </button>
        {onServer ? (
          exportDays(since, until) <= EXPORT_MAX_DAYS ? (
            <a class="button ghost export" href={exportHref(search)} download title="The sessions these filters match as CSV (at most 31 days: the last 31 unless From is set)">
              Export CSV
            </a>
          ) : (
            <button type="button" class="button ghost export" disabled title={`An export covers at most ${EXPORT_MAX_DAYS} days: pick a shorter window`}>
              Export CSV
            </button>
          )
        ) : null}
      </div>
    </form>
  );
}

/** A text filter applied on Enter or when the field loses focus. */
function TextFilter(props: { name: string; label: string; placeholder: string }) {
  const value = params.value.get(props.name) ?? '';
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const apply = () => {
    if (text.trim() !== value) setParams({ [props.name]: text.trim() || undefined, after: undefined, offset: undefined });
  };
  return (
    <label>
      <span class="label">{props.label}</span>
      <input
        name={props.name}
        type="text"
        value={text}
        placeholder={props.placeholder}
        onInput={(e) => setText((e.target as HTMLInputElement).value)}
        onBlur={apply}
        onKeyDown={(e) => {
          if (e.key === 'Enter') apply();
        }}
      />
    </label>
  );
}

interface Suggestion {
  value: string;
  sessions?: number;
}

/** The API's answer as a list, whatever its wrapping ({<key>: [...]} of names or of {model|initiator|name, sessions}). */
function suggestions(body: unknown, key: string): Suggestion[] {
  const list = Array.isArray(body) ? body : ((body as Record<string, unknown[] | undefined> | undefined)?.[key] ?? []);
  return list.flatMap((m): Suggestion[] => {
    if (typeof m === 'string') return [{ value: m }];
    const o = m as { model?: unknown; initiator?: unknown; name?: unknown; sessions?: unknown };
    const name = [o.model, o.initiator, o.name].find((v): v is string => typeof v === 'string');
    return name ? [{ value: name, ...(typeof o.sessions === 'number' ? { sessions: o.sessions } : {}) }] : [];
  });
}

/** The model combobox: prefix search through /api/v1/models; a trailing * filters by prefix. */
function ModelBox(props: { value: string; onChange: (model: string) => void }) {
  return <SuggestBox name="model" label="Model" placeholder="any; claude-opus* for a prefix" endpoint="/api/v1/models" listKey="models" value={props.value} onChange={props.onChange} />;
}

/** A text filter with suggestions from a prefix-search endpoint (`?q=`), most used first. */
function SuggestBox(props: { name: string; label: string; placeholder: string; endpoint: string; listKey: string; value: string; onChange: (value: string) => void }) {
  const listId = `${props.name}-options`;
  const [text, setText] = useState(props.value);
  const [options, setOptions] = useState<Suggestion[]>([]);
  const [openList, setOpenList] = useState(false);
  const [active, setActive] = useState(-1);
  useEffect(() => setText(props.value), [props.value]);
  useEffect(() => {
    if (!openList) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      getJson<unknown>(props.endpoint, { q: text.replace(/\*$/, '') }, controller.signal).then(
        (body) => setOptions(suggestions(body, props.listKey).slice(0, 20)),
        () => setOptions([]),
      );
    }, 120);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [text, openList]);
  const commit = (value: string) => {
    setOpenList(false);
    setActive(-1);
    setText(value);
    if (value !== props.value) props.onChange(value);
  };
  return (
    <label class="combobox">
      <span class="label">{props.label}</span>
      <input
        name={props.name}
        type="text"
        role="combobox"
        aria-expanded={openList}
        aria-controls={listId}
        aria-autocomplete="list"
        placeholder={props.placeholder}
        value={text}
        autocomplete="off"
        onFocus={() => setOpenList(true)}
        onBlur={() => window.setTimeout(() => commit(text.trim()), 150)}
        onInput={(e) => {
          setText((e.target as HTMLInputElement).value);
          setOpenList(true);
          setActive(-1);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setActive((i) => Math.min(options.length - 1, i + 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((i) => Math.max(-1, i - 1));
          } else if (e.key === 'Enter') {
            e.preventDefault();
            commit(active >= 0 && options[active] ? options[active].value : text.trim());
          } else if (e.key === 'Escape') setOpenList(false);
        }}
      />
      {openList && options.length > 0 ? (
        <ul id={listId} role="listbox" class="options">
          {options.map((o, i) => (
            <li
              key={o.value}
              role="option"
              aria-selected={i === active}
              class={i === active ? 'active' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                commit(o.value);
              }}
            >
              <span class="mono">{o.value}</span>
              {o.sessions !== undefined ? <span class="muted"> {count(o.sessions)}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </label>
  );
}

/** `trace server`: the repositories the token may read, as a menu. */
function RepositoryFilter(props: { value: string; onChange: (repository: string) => void }) {
  const repos = useApi<{ repositories: RepositoryEntry[] }>('/api/v1/repositories');
  const list = repos.data?.repositories ?? [];
  return (
    <label>
      <span class="label">Repository</span>
      <select name="repository" value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        <option value="">Any repository</option>
        {props.value && !list.some((r) => r.name === props.value) ? <option value={props.value}>{props.value}</option> : null}
        {list.map((r) => (
          <option key={r.name} value={r.name}>
            {r.name}
          </option>
        ))}
      </select>
    </label>
  );
}

const EXPORT_MAX_DAYS = 31;

/** How many days the window of `since`/`until` spans (what the server's export checks); 0 when unbounded (it then takes 31). */
function exportDays(since: string, until: string): number {
  if (!since) return 0;
  const end = until ? Date.parse(until.length === 10 ? `${until}T00:00:00Z` : until) : Date.now();
  const relative = /^(\d+)([mhdw])$/.exec(since);
  if (relative) return Number(relative[1]) * { m: 1 / 1440, h: 1 / 24, d: 1, w: 7 }[relative[2] as 'm' | 'h' | 'd' | 'w'];
  const start = Date.parse(since.length === 10 ? `${since}T00:00:00Z` : since);
  return Number.isFinite(start) && Number.isFinite(end) ? (end - start) / 86_400_000 : 0;
}

/** The export of what the list shows (its filters, no paging), as `trace server` streams it. */
function exportHref(search: URLSearchParams): string {
  const query = listQuery(search);
  return withQuery('/api/v1/export/sessions', { format: 'csv', ...query, limit: undefined, after: undefined, offset: undefined });
}

function SessionsTable(props: { rows: SessionRow[]; selected: number; open: string | undefined; loading: boolean; repository: boolean; onSelect: (i: number) => void }) {
  // For the bench: when the first rows are on screen.
  useEffect(() => {
    if (performance.getEntriesByName('trace:rows').length === 0) performance.mark('trace:rows');
  }, []);
  const openRow = (id: string) => setParams({ session: id, thread: undefined, find: undefined, tab: undefined, edit: undefined });
  return (
    <div class={`table-wrap${props.loading ? ' stale' : ''}`}>
      <table class="sessions">
        <thead>
          <tr>
            <th scope="col">Session</th>
            {props.repository ? <th scope="col">Repository</th> : null}
            <th scope="col">Last active</th>
            <th scope="col">Agent</th>
            <th scope="col">Models</th>
            <th scope="col" class="num">Threads</th>
            <th scope="col" class="num">Tool calls</th>
            <th scope="col">Tokens</th>
            <th scope="col" class="num">Cost</th>
            <th scope="col" class="num">AI lines</th>
            <th scope="col">Last prompt</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((s, i) => (
            <tr
              key={s.id}
              data-index={i}
              data-session={s.id}
              class={`${i === props.selected ? 'selected' : ''}${s.id === props.open ? ' open' : ''}`}
              aria-selected={s.id === props.open}
              onClick={() => {
                props.onSelect(i);
                openRow(s.id);
              }}
            >
              <td class="id">
                <span class="id-cell">
                  <span class="mono" title={s.id}>
                    {shortId(s.id)}
                  </span>
                  <CopyButton text={s.id} what="session id" />
                </span>
              </td>
              {props.repository ? (
                <td class="repo" data-repository={s.repository ?? ''}>
                  {s.repository ?? <span class="muted">–</span>}
                </td>
              ) : null}
              <td title={dateTime(s.last_active_at)}>{ago(s.last_active_at)}</td>
              <td>{s.agent.name}</td>
              <td class="models">
                {s.models.length === 0 ? <span class="muted">–</span> : s.models.map((m) => (
                  <span key={m} class="chip model">
                    {m}
                  </span>
                ))}
              </td>
              <td class="num">{count(s.threads)}</td>
              <td class="num">
                {count(s.tool_calls.total)}
                {s.tool_calls.errors > 0 ? <span class="errors"> ({count(s.tool_calls.errors)} err)</span> : null}
              </td>
              <td class="tokens" title={`in ${count(s.token_usage.input)} · cache read ${count(s.token_usage.cache_read)} / write ${count(s.token_usage.cache_write)} · out ${count(s.token_usage.output)}`}>
                {totalTokens(s.token_usage) === 0 ? (
                  <span class="muted">–</span>
                ) : (
                  <>
                    {compact(s.token_usage.input)} · {compact(s.token_usage.cache_read)}/{compact(s.token_usage.cache_write)} · {compact(s.token_usage.output)}
                  </>
                )}
              </td>
              <td class={`num${s.cost.unpriced ? ' unpriced' : ''}`}>{costText(s.cost)}</td>
              <td class="num" title={`${s.code.ai_lines_added} of ${s.code.lines_added} committed lines, ${s.code.commits} commits`}>
                {s.code.lines_added === 0 ? <span class="muted">–</span> : `${count(s.code.ai_lines_added)}/${count(s.code.lines_added)}`}
              </td>
              <td class="prompt">
                <span class="prompt-text" title={s.last_prompt ?? ''}>
                  {s.last_prompt ?? <span class="muted">–</span>}
                </span>
                <span class="row-actions">
                  <a
                    class="action"
                    href={`/sessions/${encodeURIComponent(s.id)}`}
                    title="Open the session on its own page"
                    onClick={(e) => {
                      e.stopPropagation();
                      onLinkClick(e, `/sessions/${encodeURIComponent(s.id)}`);
                    }}
                  >
                    Open
                  </a>
                  <CopyButton class="action" text={s.id} what="id" label="Copy id" />
                  <CopyButton class="action" text={`trace sessions show ${s.id}`} what="command" label="Copy command" title="Copy `trace sessions show <id>`" />
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Pager(props: { page: SessionPage }) {
  const { page } = props;
  const limit = Number(params.value.get('limit') ?? '25') || 25;
  const atStart = page.offset === 0;
  return (
    <nav class="pager" aria-label="Pages">
      <span class="range" data-range>
        {rangeText(page.offset, page.sessions.length, page.count, page.count_is_capped)}
      </span>
      <button
        type="button"
        class="button"
        disabled={atStart}
        onClick={() => {
          const previous = page.offset - limit;
          setParams({ after: undefined, offset: previous > 0 ? String(previous) : undefined });
        }}
      >
        ← Previous
      </button>
      <button type="button" class="button" disabled={!page.has_next_page || !page.next_cursor} onClick={() => setParams({ after: page.next_cursor ?? undefined, offset: undefined })}>
        Next →
      </button>
    </nav>
  );
}
