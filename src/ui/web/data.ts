// A fetch bound to a key: re-runs when the key changes, aborts the previous one, and keeps the last
// good value on screen while the next loads (so paging does not flash an empty table).
import { useEffect, useState } from 'preact/hooks';
import { getJson, type Query } from './api.js';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string | null, query: Query = {}): Loaded<T> {
  const key = path === null ? null : `${path}?${JSON.stringify(query)}`;
  const [state, setState] = useState<{ key: string | null; data: T | undefined; error: unknown; loading: boolean }>({ key: null, data: undefined, error: undefined, loading: path !== null });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    setState((s) => ({ ...s, key, loading: true, error: undefined }));
    getJson<T>(path, query, controller.signal).then(
      (data) => setState({ key, data, error: undefined, loading: false }),
      (error: unknown) => {
        if ((error as Error).name !== 'AbortError') setState((s) => ({ ...s, key, error, loading: false }));
      },
    );
    return () => controller.abort();
  }, [key, attempt]);
  return { data: state.data, error: state.error, loading: state.loading, reload: () => setAttempt((n) => n + 1) };
}
