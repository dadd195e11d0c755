// One session: a summary strip, then tabs: the threads (each prompt followed by its steps: responses with
// model, tokens and cost; tool calls with status, duration, input, error and file edits), the files with
// their committed ai/human ranges, the commits, and the raw object. Edits can be replayed one by one
// across the session (`edit=<n>`), and find-in-session (`find=`) marks prompts, tools, inputs and errors.
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { getJson } from './api.js';
import { CopyButton, CostBadge, Empty, ErrorState, Loading, TokenBadges } from './components.js';
import { useApi } from './data.js';
import { ago, clock, compact, count, dateTime, duration, shortId } from './format.js';
import { param, setParams } from './router.js';
import type { ServerCommit } from '../../server/shapes.js';
import type { FileDiff, SessionShow, Step, Thread, ToolStep } from './types.js';

const TABS = [
  { value: 'threads', label: 'Threads' },
  { value: 'files', label: 'Files' },
  { value: 'commits', label: 'Commits' },
  { value: 'raw', label: 'Raw JSON' },
] as const;

/** Each file edit of the session in step order: the n of /api/v1/sessions/:id/files/:n/diff. */
export interface Edit {
  n: number;
  thread: number;
  tool_use_id: string;
  tool: string;
  path: string;
  lines_added: number;
  lines_removed: number;
}

export function sessionEdits(show: SessionShow): Edit[] {
  const edits: Edit[] = [];
  for (const thread of show.threads) {
    for (const step of thread.steps) {
      if (step.kind !== 'tool_call') continue;
      for (const file of step.files) edits.push({ n: edits.length, thread: thread.idx, tool_use_id: step.tool_use_id, tool: step.tool, path: file.path, lines_added: file.lines_added, lines_removed: file.lines_removed });
    }
  }
  return edits;
}

/** The whole session: the server answers up to 200 threads at a time, the rest are read after. */
async function loadSession(id: string, signal: AbortSignal): Promise<SessionShow> {
  const path = `/api/v1/sessions/${encodeURIComponent(id)}`;
  const first = await getJson<SessionShow & { threads_page?: { offset: number; limit: number; total: number } }>(path, {}, signal);
  const page = first.threads_page;
  performance.mark('trace:session-data');
  if (!page) return first;
  const threads = [...first.threads];
  while (threads.length < page.total) {
    const next = await getJson<SessionShow>(path, { thread_offset: String(threads.length), thread_limit: String(page.limit) }, signal);
    if (next.threads.length === 0) break;
    threads.push(...next.threads);
  }
  return { ...first, threads };
}

export function SessionView(props: { id: string }) {
  const [state, setState] = useState<{ id: string; data?: SessionShow; error?: unknown }>({ id: props.id });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => (s.id === props.id && s.data ? s : { id: props.id }));
    loadSession(props.id, controller.signal).then(
      (data) => setState({ id: props.id, data }),
      (error: unknown) => {
        if ((error as Error).name !== 'AbortError') setState({ id: props.id, error });
      },
    );
    return () => controller.abort();
  }, [props.id, attempt]);
  if (state.error) return <ErrorState error={state.error} retry={() => setAttempt((n) => n + 1)} />;
  if (!state.data || state.id !== props.id) return <Loading what="the session" rows={5} />;
  return <SessionBody show={state.data} />;
}

function SessionBody(props: { show: SessionShow }) {
  const { show } = props;
  const tab = param('tab') ?? 'threads';
  const edits = useMemo(() => sessionEdits(show), [show]);
  // For the bench: when a session is on screen.
  useEffect(() => {
    performance.mark('trace:session');
  }, [show]);
  return (
    <article class="session" data-session={show.session.id}>
      <SummaryStrip show={show} />
      <nav class="tabs" role="tablist" aria-label="Session views">
        {TABS.map((t) => (
          <button key={t.value} type="button" role="tab" aria-selected={tab === t.value} onClick={() => setParams({ tab: t.value === 'threads' ? undefined : t.value }, { replace: true })}>
            {t.label}
            {t.value === 'threads' ? <span class="count">{show.threads.length}</span> : t.value === 'files' ? <span class="count">{new Set(edits.map((e) => e.path)).size}</span> : t.value === 'commits' ? <span class="count">{show.commits.length}</span> : null}
          </button>
        ))}
      </nav>
      {tab === 'files' ? <FilesTab show={show} edits={edits} /> : tab === 'commits' ? <CommitsTab show={show} /> : tab === 'raw' ? <RawTab show={show} /> : <ThreadsTab show={show} edits={edits} />}
    </article>
  );
}

function SummaryStrip(props: { show: SessionShow }) {
  const s = props.show.session;
  const stat = (label: string, value: ComponentChildren, name: string) => (
    <div class="stat" data-stat={name}>
      <span class="label">{label}</span>
      <span class="value">{value}</span>
    </div>
  );
  return (
    <header class="summary">
      <div class="summary-title">
        <h2>
          <span class="mono">{shortId(s.id)}</span> <CopyButton text={s.id} what="session id" />
        </h2>
        <span class="muted">
          {s.repository ? (
            <>
              <span class="chip repo" data-repository={s.repository}>
                {s.repository}
              </span>{' '}
            </>
          ) : null}
          {s.agent.name}
          {s.agent.version ? ` ${s.agent.version}` : ''} · {s.initiator.name ?? s.initiator.email ?? 'unknown author'}
          {s.branch ? ` · ${s.branch}` : ''} · started {dateTime(s.started_at)} ({ago(s.last_active_at)} last active)
        </span>
        <span class="models">
          {s.models.map((m) => (
            <span key={m} class="chip model">
              {m}
            </span>
          ))}
        </span>
      </div>
      <div class="stats">
        {stat('Duration', duration(s.duration_s === null ? null : s.duration_s * 1000), 'duration')}
        {stat('Threads', count(s.threads), 'threads')}
        {stat('Tool calls', <>{count(s.tool_calls.total)}{s.tool_calls.errors ? <span class="errors"> · {s.tool_calls.errors} {s.tool_calls.errors === 1 ? 'error' : 'errors'}</span> : null}</>, 'tool_calls')}
        {stat('Tokens', <TokenBadges usage={s.token_usage} />, 'tokens')}
        {stat('Cost', <CostBadge cost={s.cost} />, 'cost')}
        {stat('AI lines', s.code.lines_added ? `${count(s.code.ai_lines_added)} of ${count(s.code.lines_added)} in ${s.code.commits} commit${s.code.commits === 1 ? '' : 's'}` : 'none committed', 'ai_lines')}
      </div>
      {props.show.warnings.length > 0 ? (
        <details class="warnings">
          <summary>{props.show.warnings.length === 1 ? '1 warning' : `${props.show.warnings.length} warnings`}</summary>
          <ul>
            {props.show.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </details>
      ) : null}
    </header>
  );
}

/** Text with every case-insensitive occurrence of `find` marked. */
function Marked(props: { text: string; find: string }) {
  const { text, find } = props;
  if (!find) return <>{text}</>;
  const lower = text.toLowerCase();
  const needle = find.toLowerCase();
  const parts: ComponentChildren[] = [];
  let from = 0;
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, from)) {
    if (at > from) parts.push(text.slice(from, at));
    parts.push(<mark class="hit">{text.slice(at, at + find.length)}</mark>);
    from = at + find.length;
  }
  parts.push(text.slice(from));
  return <>{parts}</>;
}

function occurrences(text: string | null | undefined, find: string): number {
  if (!text || !find) return 0;
  const lower = text.toLowerCase();
  const needle = find.toLowerCase();
  let n = 0;
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + needle.length)) n++;
  return n;
}

const inputText = (input: unknown): string => (typeof input === 'string' ? input : JSON.stringify(input, null, 2) ?? '');

/** One line saying what a tool call did. */
function inputSummary(step: ToolStep): string {
  const input = step.input as Record<string, unknown> | string | null;
  if (input === null || input === undefined) return '';
  if (typeof input === 'string') return input;
  for (const key of ['command', 'file_path', 'path', 'pattern', 'url', 'query', 'description', 'prompt']) {
    const value = input[key];
    if (typeof value === 'string') return value;
  }
  return JSON.stringify(input);
}

function matchesIn(show: SessionShow, find: string): number {
  if (!find) return 0;
  let n = 0;
  for (const thread of show.threads) {
    n += occurrences(thread.prompt, find);
    for (const step of thread.steps) {
      if (step.kind !== 'tool_call') continue;
      n += occurrences(step.tool, find) + occurrences(inputText(step.input), find) + occurrences(step.error, find);
    }
  }
  return n;
}

function FindBar(props: { show: SessionShow }) {
  const urlFind = param('find') ?? '';
  const [text, setText] = useState(urlFind);
  const [current, setCurrent] = useState(0);
  useEffect(() => setText(urlFind), [urlFind]);
  useEffect(() => {
    if (text === urlFind) return;
    const timer = window.setTimeout(() => setParams({ find: text || undefined }, { replace: true }), 200);
    return () => window.clearTimeout(timer);
  }, [text]);
  const total = useMemo(() => matchesIn(props.show, urlFind), [props.show, urlFind]);
  useEffect(() => setCurrent(0), [urlFind]);
  const go = (delta: number) => {
    const marks = [...document.querySelectorAll<HTMLElement>('.session mark.hit')];
    if (marks.length === 0) return;
    const next = (current + delta + marks.length) % marks.length;
    marks.forEach((m, i) => m.classList.toggle('current', i === next));
    marks[next]!.scrollIntoView({ block: 'center' });
    setCurrent(next);
  };
  return (
    <div class="find" role="search">
      <input
        type="search"
        name="find"
        placeholder="Find in session: prompts, tools, inputs, errors"
        value={text}
        onInput={(e) => setText((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            go(e.shiftKey ? -1 : 1);
          }
        }}
      />
      <span class="muted" data-find-count={total}>
        {urlFind ? (total === 0 ? 'no matches' : `${total} match${total === 1 ? '' : 'es'}`) : ''}
      </span>
      <button type="button" class="button ghost" disabled={total === 0} onClick={() => go(-1)} title="Previous match (Shift+Enter)">
        ↑
      </button>
      <button type="button" class="button ghost" disabled={total === 0} onClick={() => go(1)} title="Next match (Enter)">
        ↓
      </button>
    </div>
  );
}

function ThreadsTab(props: { show: SessionShow; edits: Edit[] }) {
  const { show, edits } = props;
  const find = param('find') ?? '';
  const thread = Number(param('thread') ?? '0');
  const editParam = param('edit');
  const editIndex = editParam === undefined ? undefined : Number(editParam);
  const editsByCall = useMemo(() => {
    const map = new Map<string, Edit[]>();
    for (const e of edits) map.set(e.tool_use_id, [...(map.get(e.tool_use_id) ?? []), e]);
    return map;
  }, [edits]);
  useEffect(() => {
    if (thread > 0) document.getElementById(`thread-${thread}`)?.scrollIntoView({ block: 'start' });
  }, [thread, show]);
  // Stepping through the edits brings each edit's tool call into view under the replay.
  useEffect(() => {
    if (editIndex !== undefined) document.querySelector('.step.replaying')?.scrollIntoView({ block: 'nearest' });
  }, [editIndex]);
  if (show.threads.length === 0) return <Empty title="No threads">{<p>trace saw no prompt in this session.</p>}</Empty>;
  return (
    <div class="threads-tab">
      <div class="threads-tools">
        <FindBar show={show} />
        {edits.length > 0 && !onServer(show) ? (
          <button type="button" class="button" onClick={() => setParams({ edit: editIndex === undefined ? '0' : undefined }, { replace: true })}>
            {editIndex === undefined ? `Replay edits (${edits.length})` : 'Close replay'}
          </button>
        ) : null}
      </div>
      {editIndex !== undefined && edits.length > 0 && !onServer(show) ? <EditReplay id={show.session.id} edits={edits} index={Math.min(Math.max(0, editIndex), edits.length - 1)} /> : null}
      <ol class="threads">
        {show.threads.map((t) => (
          <ThreadCard key={t.idx} thread={t} find={find} active={t.idx === thread} editsByCall={editsByCall} currentEdit={editIndex} />
        ))}
      </ol>
    </div>
  );
}

function ThreadCard(props: { thread: Thread; find: string; active: boolean; editsByCall: Map<string, Edit[]>; currentEdit: number | undefined }) {
  const t = props.thread;
  return (
    <li id={`thread-${t.idx}`} class={`thread${props.active ? ' active' : ''}`} data-thread={t.idx}>
      <header class="thread-head">
        <a
          class="thread-link"
          href={`?thread=${t.idx}`}
          onClick={(e) => {
            e.preventDefault();
            setParams({ thread: String(t.idx) }, { replace: true });
          }}
        >
          Thread {t.idx}
        </a>
        <span class="muted">
          {clock(t.prompt_at)} · {duration(t.duration_ms)} · {count(t.tool_calls.total)} tool {t.tool_calls.total === 1 ? 'call' : 'calls'}{t.tool_calls.errors ? `, ${t.tool_calls.errors} failed` : ''}
        </span>
        <span class="thread-usage" data-thread-usage={t.idx}>
          <TokenBadges usage={t.token_usage} cost={t.cost} />
        </span>
      </header>
      <div class="prompt-card">
        {t.prompt === null ? <span class="muted">(steps before the first prompt trace saw)</span> : <Marked text={t.prompt} find={props.find} />}
      </div>
      <ol class="steps">
        {t.steps.map((step, i) => (
          <StepRow key={i} step={step} find={props.find} edits={step.kind === 'tool_call' ? (props.editsByCall.get(step.tool_use_id) ?? []) : []} currentEdit={props.currentEdit} />
        ))}
      </ol>
    </li>
  );
}

function StepRow(props: { step: Step; find: string; edits: Edit[]; currentEdit: number | undefined }) {
  const { step, find } = props;
  if (step.kind === 'assistant') {
    return (
      <li class="step assistant">
        <span class="step-kind">response</span>
        <span class="chip model">{step.model ?? 'unknown model'}</span>
        <TokenBadges usage={step.token_usage} cost={step.cost} />
        <span class="muted time">{clock(step.at)}</span>
        {step.subagent ? <span class="chip">subagent {step.subagent}</span> : null}
        {step.thinking ? (
          <details class="thinking">
            <summary>thinking</summary>
            <pre>{step.thinking}</pre>
          </details>
        ) : null}
      </li>
    );
  }
  const inputHit = find !== '' && occurrences(inputText(step.input), find) > 0;
  const current = props.edits.some((e) => e.n === props.currentEdit);
  return (
    <li class={`step tool status-${step.status}${current ? ' replaying' : ''}`} data-tool={step.tool} data-status={step.status}>
      <div class="step-line">
        <span class="step-kind">tool</span>
        <span class="tool-name mono">
          <Marked text={step.tool} find={find} />
        </span>
        {step.mcp_server ? <span class="chip">mcp {step.mcp_server}</span> : null}
        <span class={`status ${step.status}`}>{step.status}</span>
        <span class="muted">{duration(step.duration_ms)}</span>
        <span class="summary-line mono" title={inputSummary(step)}>
          {inputSummary(step)}
        </span>
        <span class="muted time">{clock(step.at)}</span>
      </div>
      <Expandable label="input" open={inputHit}>
        {() => (
          <pre class="input">
            <Marked text={inputText(step.input)} find={find} />
          </pre>
        )}
      </Expandable>
      {step.error ? (
        <div class="error-text">
          <pre>
            <Marked text={step.error} find={find} />
          </pre>
        </div>
      ) : null}
      {props.edits.length > 0 ? (
        <ul class="edits">
          {props.edits.map((e) => (
            <li key={e.n}>
              <button type="button" class={`edit-link${e.n === props.currentEdit ? ' current' : ''}`} onClick={() => setParams({ edit: String(e.n) }, { replace: true })}>
                <span class="mono">{e.path}</span> <span class="added">+{e.lines_added}</span> <span class="removed">−{e.lines_removed}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}

/** A disclosure whose content is built only once opened (a long session has hundreds of inputs). */
function Expandable(props: { label: string; open?: boolean; children: () => ComponentChildren }) {
  const [open, setOpen] = useState(props.open ?? false);
  useEffect(() => {
    if (props.open) setOpen(true);
  }, [props.open]);
  return (
    <div class={`expandable${open ? ' open' : ''}`}>
      <button type="button" class="disclosure" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? '▾' : '▸'} {props.label}
      </button>
      {open ? props.children() : null}
    </div>
  );
}

/** The n-th edit's diff, with previous/next across the whole session. */
function EditReplay(props: { id: string; edits: Edit[]; index: number }) {
  const { edits, index } = props;
  const edit = edits[index]!;
  const diff = useApi<FileDiff>(`/api/v1/sessions/${encodeURIComponent(props.id)}/files/${index}/diff`);
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName)) return;
      if (event.key === '[' && index > 0) setParams({ edit: String(index - 1) }, { replace: true });
      if (event.key === ']' && index < edits.length - 1) setParams({ edit: String(index + 1) }, { replace: true });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [index, edits.length]);
  return (
    <div class="replay" ref={panel} data-edit={index}>
      <div class="replay-head">
        <button type="button" class="button" disabled={index === 0} onClick={() => setParams({ edit: String(index - 1) }, { replace: true })} title="Previous edit ( [ )">
          ← Previous edit
        </button>
        <span>
          Edit <strong>{index + 1}</strong> of {edits.length}: <span class="mono">{edit.path}</span> by <span class="mono">{edit.tool}</span> in thread {edit.thread}{' '}
          <span class="added">+{edit.lines_added}</span> <span class="removed">−{edit.lines_removed}</span>
        </span>
        <button type="button" class="button" disabled={index === edits.length - 1} onClick={() => setParams({ edit: String(index + 1) }, { replace: true })} title="Next edit ( ] )">
          Next edit →
        </button>
      </div>
      {diff.error && !diff.loading ? (
        <ErrorState error={diff.error} retry={diff.reload} />
      ) : !diff.data || diff.loading ? (
        <Loading what="the diff" rows={3} />
      ) : diff.data.diff === null ? (
        <Empty title="Contents not held">
          <p>trace no longer holds one side of this edit (retention, or a file over the capture size limit).</p>
        </Empty>
      ) : (
        <DiffView text={diff.data.diff} />
      )}
    </div>
  );
}

export function DiffView(props: { text: string }) {
  const lines = props.text.split('\n');
  // Drop the "Index:"/"====" preamble of createTwoFilesPatch; keep ---/+++ and hunks.
  const start = Math.max(0, lines.findIndex((l) => l.startsWith('--- ')));
  return (
    <pre class="diff">
      {lines.slice(start).map((line, i) => {
        const kind = line.startsWith('+++') || line.startsWith('---') ? 'file' : line.startsWith('@@') ? 'hunk' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('\\') ? 'note' : 'ctx';
        return (
          <span key={i} class={`line ${kind}`}>
            {line || ' '}
            {'\n'}
          </span>
        );
      })}
    </pre>
  );
}

interface CommitShow {
  sha: string;
  subject?: string;
  author?: { name: string; email: string; date: string };
  origin?: string;
  files: { path: string; status: string; lines_added: number; ai_lines_added?: number; human_lines_added?: number; lines: { start: number; end: number; attribution: 'ai' | 'human'; session_id?: string }[] }[];
}

function FilesTab(props: { show: SessionShow; edits: Edit[] }) {
  const files = useMemo(() => {
    const byPath = new Map<string, { path: string; edits: Edit[]; added: number; removed: number }>();
    for (const e of props.edits) {
      const f = byPath.get(e.path) ?? { path: e.path, edits: [], added: 0, removed: 0 };
      f.edits.push(e);
      f.added += e.lines_added;
      f.removed += e.lines_removed;
      byPath.set(e.path, f);
    }
    return [...byPath.values()];
  }, [props.edits]);
  return (
    <div class="files-tab">
      <h3>Edited in this session</h3>
      {files.length === 0 ? (
        <Empty title="No file edits">
          <p>{onServer(props.show) ? 'trace server keeps no file contents or paths: attestations carry counts. Open the session in a clone that captured it (trace ui) for its edits and diffs.' : 'No tool call of this session changed a file trace captured.'}</p>
        </Empty>
      ) : (
        <table class="plain">
          <thead>
            <tr>
              <th>File</th>
              <th class="num">Edits</th>
              <th class="num">Lines</th>
              <th>Replay</th>
            </tr>
          </thead>
          <tbody>
            {files.map((f) => (
              <tr key={f.path}>
                <td class="mono">{f.path}</td>
                <td class="num">{f.edits.length}</td>
                <td class="num">
                  <span class="added">+{f.added}</span> <span class="removed">−{f.removed}</span>
                </td>
                <td>
                  {f.edits.map((e) => (
                    <button key={e.n} type="button" class="button ghost small" onClick={() => setParams({ tab: undefined, edit: String(e.n), thread: String(e.thread) })}>
                      #{e.n + 1}
                    </button>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Committed lines</h3>
      {props.show.commits.length === 0 ? (
        <p class="muted">None of this session's lines are committed yet.</p>
      ) : onServer(props.show) ? (
        <ServerCommitFigures show={props.show} />
      ) : (
        props.show.commits.map((c) => <CommitRanges key={c.sha} sha={c.sha} session={props.show.session.id} />)
      )}
    </div>
  );
}

function CommitRanges(props: { sha: string; session: string }) {
  const commit = useApi<CommitShow>(`/api/v1/commits/${props.sha}`);
  if (commit.error && !commit.loading) return <ErrorState error={commit.error} retry={commit.reload} />;
  if (!commit.data) return <Loading what={`commit ${props.sha.slice(0, 12)}`} rows={1} />;
  return (
    <section class="commit-ranges" data-commit={props.sha}>
      <h4>
        <span class="mono">{props.sha.slice(0, 12)}</span> {commit.data.subject ?? ''}
      </h4>
      <table class="plain">
        <tbody>
          {commit.data.files.map((f) => (
            <tr key={f.path}>
              <td class="mono">{f.path}</td>
              <td class="num">
                <span class="ai">ai {f.ai_lines_added ?? 0}</span> / <span class="human">human {f.human_lines_added ?? 0}</span>
              </td>
              <td class="ranges">
                {f.lines.map((r, i) => (
                  <span key={i} class={`range ${r.attribution}${r.session_id === props.session ? ' mine' : ''}`} title={r.session_id ? `session ${r.session_id}` : r.attribution}>
                    {r.start === r.end ? r.start : `${r.start}–${r.end}`} {r.attribution}
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function CommitsTab(props: { show: SessionShow }) {
  if (props.show.commits.length === 0) {
    return (
      <Empty title="No commits yet">
        <p>The session's lines reach a commit when someone commits them; trace attributes each commit as it is made.</p>
      </Empty>
    );
  }
  return (
    <table class="plain commits">
      <thead>
        <tr>
          <th>Commit</th>
          <th class="num">Lines added</th>
          <th class="num">AI lines</th>
          <th>Attested</th>
          <th>Verified · signer</th>
        </tr>
      </thead>
      <tbody>
        {props.show.commits.map((c) => (
          <tr key={c.sha} data-commit={c.sha}>
            <td>
              <span class="mono" title={c.sha}>
                {c.sha.slice(0, 12)}
              </span>{' '}
              <CopyButton text={c.sha} what="commit sha" />
            </td>
            <td class="num">{count(c.lines_added)}</td>
            <td class="num">{count(c.ai_lines_added)}</td>
            <td>{c.attested ? <span class="status ok">attested</span> : <span class="status pending">not yet pushed</span>}</td>
            {onServer(props.show) ? <ServerVerdict sha={c.sha} repository={props.show.session.repository} /> : <Verdict show={props.show} sha={c.sha} attested={c.attested} />}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What the notes say of a commit: the bundle attesting it, verified (with its signer) or not (with why). */
function Verdict(props: { show: SessionShow; sha: string; attested: boolean }) {
  const bundles = (props.show.attestations ?? []).filter((a) => a.commits.includes(props.sha));
  const bundle = bundles.find((a) => a.status === 'verified') ?? bundles[0];
  if (!bundle) {
    return (
      <td class="muted" title="Its attestation is not in this clone's notes: `trace fetch`, or `trace verify` on the range">
        {props.attested ? 'not in the notes here' : '–'}
      </td>
    );
  }
  const signer = bundle.signer === null ? '' : bundle.signer.kind === 'key' ? `key ${bundle.signer.key_id.slice(0, 16)}${bundle.signer.owner ? ` · ${bundle.signer.owner}` : ''}` : `${bundle.signer.subject} · ${bundle.signer.issuer}`;
  return bundle.status === 'verified' ? (
    <td>
      <span class="status ok">verified</span> <span class="mono">{signer}</span>
    </td>
  ) : (
    <td title={bundle.reason ?? ''}>
      <span class="status error">unverified</span> <span class="muted">{bundle.reason}</span>
    </td>
  );
}

/** A session of `trace server`: its rows come from attestations, and the server keeps no file contents. */
const onServer = (show: SessionShow): boolean => show.session.source === 'server';

function useServerCommit(sha: string, repository: string | undefined) {
  return useApi<ServerCommit>(`/api/v1/commits/${sha}`, repository ? { repository } : {});
}

function ServerVerdict(props: { sha: string; repository: string | undefined }) {
  const commit = useServerCommit(props.sha, props.repository);
  if (commit.error && !commit.loading) return <td class="muted">{commit.error instanceof Error ? commit.error.message : 'not known'}</td>;
  if (!commit.data) return <td class="muted">…</td>;
  const v = commit.data.verification;
  return (
    <td title={`${v.verified_by}, ${dateTime(v.verified_at)}`} data-verdict="verified">
      <span class="status ok">verified at ingest</span> <span class="mono">{v.signer}</span>
    </td>
  );
}

/** The committed lines as the server holds them: per commit, AI and human counts (no paths, no ranges). */
function ServerCommitFigures(props: { show: SessionShow }) {
  return (
    <table class="plain server-commits">
      <thead>
        <tr>
          <th>Commit</th>
          <th class="num">AI lines</th>
          <th class="num">Human lines</th>
          <th>Bundle</th>
        </tr>
      </thead>
      <tbody>
        {props.show.commits.map((c) => (
          <ServerCommitRow key={c.sha} sha={c.sha} repository={props.show.session.repository} />
        ))}
      </tbody>
    </table>
  );
}

function ServerCommitRow(props: { sha: string; repository: string | undefined }) {
  const commit = useServerCommit(props.sha, props.repository);
  const c = commit.data;
  const bundle = c?.verification.bundles.at(-1);
  return (
    <tr data-commit={props.sha}>
      <td class="mono">{props.sha.slice(0, 12)}</td>
      <td class="num ai">{c ? count(c.ai_lines_added) : '…'}</td>
      <td class="num human">{c ? count(c.human_lines_added) : '…'}</td>
      <td>
        {!bundle ? (
          <span class="muted">{commit.error ? 'not known' : c ? 'purged' : '…'}</span>
        ) : bundle.raw_available ? (
          <a class="mono" href={`/api/v1/attestations/${bundle.digest}`} download={`${bundle.digest}.sigstore.json`} title="The signed bundle, for trace verify --bundle">
            {bundle.digest.slice(0, 12)}
          </a>
        ) : (
          <span class="mono muted" title="content retention dropped the bundle's bytes">
            {bundle.digest.slice(0, 12)}
          </span>
        )}
      </td>
    </tr>
  );
}

function RawTab(props: { show: SessionShow }) {
  const text = useMemo(() => JSON.stringify(props.show, null, 2), [props.show]);
  return (
    <div class="raw">
      <div class="raw-head">
        <span class="muted">
          The session as <code>trace sessions show {shortId(props.show.session.id)} --json</code> prints it ({compact(text.length)} characters)
        </span>
        <CopyButton text={text} what="session JSON" label="Copy JSON" />
      </div>
      <pre class="json">{text}</pre>
    </div>
  );
}
