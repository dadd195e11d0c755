// Small pieces shared by the pages: copy buttons with a toast, token and cost badges, and the designed
// loading, empty and error states.
import { signal } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { ApiError } from './api.js';
import { compact, costText, count } from './format.js';
import { onLinkClick } from './router.js';
import type { Cost, TokenUsage } from './types.js';

const toast = signal<{ text: string; id: number } | null>(null);
let toastTimer: number | undefined;

export function showToast(text: string): void {
  toast.value = { text, id: Date.now() };
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (toast.value = null), 2200);
}

export function Toast() {
  const current = toast.value;
  return (
    <div class="toast" role="status" aria-live="polite">
      {current ? <span key={current.id}>{current.text}</span> : null}
    </div>
  );
}

export async function copyText(text: string, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    showToast(`Copied ${what}`);
  } catch {
    showToast(`Could not copy ${what}: the browser refused the clipboard`);
  }
}

/** A button that copies `text` and never lets the click reach the row it sits in. */
export function CopyButton(props: { text: string; what: string; label?: ComponentChildren; class?: string; title?: string }) {
  return (
    <button
      type="button"
      class={`copy ${props.class ?? ''}`}
      title={props.title ?? `Copy ${props.what}`}
      data-copy={props.what}
      onClick={(event) => {
        event.stopPropagation();
        event.preventDefault();
        void copyText(props.text, props.what);
      }}
    >
      {props.label ?? <CopyIcon />}
      {props.label ? null : <span class="sr-only">Copy {props.what}</span>}
    </button>
  );
}

function CopyIcon() {
  return (
    <svg class="icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      <rect x="5" y="5" width="8.5" height="8.5" rx="1.5" fill="none" stroke="currentColor" stroke-width="1.4" />
      <path d="M3.5 10.5h-.5A1 1 0 0 1 2 9.5V3a1 1 0 0 1 1-1h6.5a1 1 0 0 1 1 1v.5" fill="none" stroke="currentColor" stroke-width="1.4" />
    </svg>
  );
}

export function TokenBadges(props: { usage: TokenUsage; cost?: Cost }) {
  const u = props.usage;
  return (
    <span class="badges">
      <span class="badge tokens" data-tokens="input" data-value={u.input} title={`${count(u.input)} input tokens`}>
        in {compact(u.input)}
      </span>
      <span class="badge tokens" data-tokens="cache" data-value={`${u.cache_read}/${u.cache_write}`} title={`${count(u.cache_read)} cache read, ${count(u.cache_write)} cache write`}>
        cache {compact(u.cache_read)}/{compact(u.cache_write)}
      </span>
      <span class="badge tokens" data-tokens="output" data-value={u.output} title={`${count(u.output)} output tokens`}>
        out {compact(u.output)}
      </span>
      {props.cost ? <CostBadge cost={props.cost} /> : null}
    </span>
  );
}

export function CostBadge(props: { cost: Cost }) {
  const { cost } = props;
  const title = cost.unpriced ? `Estimated from prices as of ${cost.prices_as_of}; some usage is of a model without a price and is left out` : `Estimated from prices as of ${cost.prices_as_of}`;
  return (
    <span class={`badge cost${cost.unpriced ? ' unpriced' : cost.usd === null ? ' none' : ''}`} data-cost={cost.usd ?? ''} title={title}>
      {costText(cost)}
    </span>
  );
}

export function Loading(props: { what: string; rows?: number }) {
  return (
    <div class="state loading" aria-busy="true" aria-label={`Loading ${props.what}`}>
      {Array.from({ length: props.rows ?? 6 }, (_, i) => (
        <div key={i} class="skeleton" />
      ))}
      <p class="muted">Loading {props.what}…</p>
    </div>
  );
}

export function ErrorState(props: { error: unknown; retry?: () => void }) {
  const error = props.error;
  const api = error instanceof ApiError ? error : undefined;
  return (
    <div class="state error" role="alert">
      <h3>{api?.status === 401 ? 'Not signed in' : api?.status === 404 ? 'Not found' : 'Something went wrong'}</h3>
      <p>{error instanceof Error ? error.message : String(error)}</p>
      {api && api.status !== 0 ? <p class="muted mono">{api.code}</p> : null}
      {api?.status === 404 ? (
        <a class="button" href="/sessions" onClick={(e) => onLinkClick(e, '/sessions')}>
          Back to the sessions
        </a>
      ) : props.retry ? (
        <button type="button" class="button" onClick={props.retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state empty">
      <h3>{props.title}</h3>
      {props.children}
    </div>
  );
}
