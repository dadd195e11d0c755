// The URL is the state: every filter, the cursor, the open session, thread, tab and find text are in it,
// so a pasted link shows the same view and back/forward restore it. Routes are real paths
// (/sessions, /sessions/<id>, /dashboard); the server answers index.html for each.
import { computed, signal } from '@preact/signals';

export const location = signal(new URL(window.location.href));

window.addEventListener('popstate', () => {
  location.value = new URL(window.location.href);
});

export const path = computed(() => location.value.pathname);
export const params = computed(() => location.value.searchParams);

export function param(name: string): string | undefined {
  return params.value.get(name) ?? undefined;
}

/** Goes to `to` (a path with its query); `replace` rewrites the current entry (typing, paging within a view). */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = new URL(to, window.location.origin);
  if (url.href === window.location.href) return;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  location.value = url;
}

/** The current path with some query parameters set (undefined or '' removes them). */
export function withParams(changes: Record<string, string | undefined>, base?: string): string {
  const url = new URL(base ?? location.value.href, window.location.origin);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === '') url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  return `${url.pathname}${url.search}`;
}

export function setParams(changes: Record<string, string | undefined>, options: { replace?: boolean } = {}): void {
  navigate(withParams(changes), options);
}

/** Follows a same-origin link without reloading (modifier clicks keep the browser's behaviour). */
export function onLinkClick(event: MouseEvent, href: string): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(href);
}
