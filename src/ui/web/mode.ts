// Which server the pages talk to. `trace server` answers GET /api/v1/server (its engine and who the
// token is); `trace ui` answers 404 there. Until the answer comes the pages behave as under `trace ui`,
// so the first rows are not held back by this call.
import { signal } from '@preact/signals';
import { getJson } from './api.js';

export interface ServerInfo {
  server: 'trace server';
  engine: string;
  token: { name: string; role: string; repositories: string[] };
  keeps_file_contents: boolean;
}

/** undefined: not known yet; null: `trace ui` (one repository, this clone). */
export const serverInfo = signal<ServerInfo | null | undefined>(undefined);

export const isServer = (): boolean => serverInfo.value != null;

export function detectServer(): void {
  getJson<ServerInfo>('/api/v1/server').then(
    (info) => (serverInfo.value = info.server === 'trace server' ? info : null),
    () => (serverInfo.value = null),
  );
}
