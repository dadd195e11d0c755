// `trace server`: the org server (src/server/). `trace server sync`: pull attestations from git
// remotes once. Both read trace-server.yml; the server runs until SIGINT or SIGTERM.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Outcome } from '../program.js';
import { loadServerConfig, parseListen, type LoadedServerConfig } from '../server/config.js';
import type { ServerDb } from '../server/db.js';
import type { ServerMetrics } from '../server/metrics.js';
import type { RemoteSyncResult } from '../server/sync.js';
import type { Trust } from '../server/trust.js';

export interface ServerCommandOptions {
  cwd: string;
  config?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** Progress lines (stderr). */
  log: (line: string) => void;
  /** Resolves when the server should stop (a signal). */
  stopped: Promise<string>;
}

interface Started {
  config: LoadedServerConfig;
  store: ServerDb;
  trust: Trust;
  metrics: ServerMetrics;
}

async function start(options: Pick<ServerCommandOptions, 'cwd' | 'config' | 'env'>): Promise<Started> {
  const config = loadServerConfig({ file: options.config, cwd: options.cwd, env: options.env });
  const [{ openServerDb }, { migrate }, { loadTrust }, { createMetrics }] = await Promise.all([
    import('../server/db.js'),
    import('../server/migrate.js'),
    import('../server/trust.js'),
    import('../server/metrics.js'),
  ]);
  const trust = loadTrust(config);
  const store = await openServerDb(config.database);
  try {
    await migrate(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  return { config, store, trust, metrics: createMetrics() };
}

function syncCacheDir(config: LoadedServerConfig): string {
  return join(config.database.startsWith('postgres') || config.database === ':memory:' ? config.baseDir : dirname(config.database), 'trace-server-sync');
}

export async function server(options: ServerCommandOptions): Promise<Outcome> {
  const { config, store, trust, metrics } = await start(options);
  const [{ createApp }, { serve }] = await Promise.all([import('../server/app.js'), import('@hono/node-server')]);
  const now = () => new Date();
  const app = createApp({ config, store, trust, metrics, now, log: options.log, uiDir: fileURLToPath(new URL('../ui/', import.meta.url)) });
  const { host, port } = parseListen(config.listen);
  const http = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const listening = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
      options.log(`trace server listening on http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port} (${store.engine}${store.engine === 'sqlite' ? ` ${config.database}` : ''})`);
      resolve(listening);
    });
    listening.once('error', reject);
  });

  const timers: NodeJS.Timeout[] = [];
  let busy = Promise.resolve();
  const background = (name: string, work: () => Promise<void>) => {
    busy = busy.then(work).catch((error: unknown) => options.log(`${name} failed: ${(error as Error).message}`));
  };
  const { purge } = await import('../server/purge.js');
  const purgeNow = () =>
    background('purge', async () => {
      const result = await purge(store, { ...config.retention, now, onBatch: (kind, rows) => metrics.purged.inc({ kind }, rows) });
      const total = Object.values(result).reduce((a, b) => a + b, 0);
      if (total > 0) options.log(`purged ${Object.entries(result).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ')}`);
    });
  if (config.retention.contentDays > 0 || config.retention.metadataDays > 0) {
    purgeNow();
    timers.push(setInterval(purgeNow, config.retention.intervalMinutes * 60_000));
  }
  if (config.sync.intervalMinutes > 0 && config.sync.remotes.length > 0) {
    const { syncRemotes } = await import('../server/sync.js');
    const syncNow = () =>
      background('sync', async () => {
        const results = await syncRemotes({ store, trust, now, maxBytes: config.limits.bundleBytes }, config.sync.remotes, {
          cacheDir: syncCacheDir(config),
          onOutcome: (outcome) => {
            metrics.ingest.inc({ status: String(outcome.status), source: 'sync' });
            if (outcome.status === 422) metrics.verifyFailures.inc({ reason: outcome.body.error.reason ?? 'unknown' });
          },
        });
        for (const r of results) options.log(syncLine(r));
      });
    syncNow();
    timers.push(setInterval(syncNow, config.sync.intervalMinutes * 60_000));
  }

  const signal = await options.stopped;
  options.log(`${signal}: stopping`);
  for (const timer of timers) clearInterval(timer);
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await busy;
  await store.close();
  return { json: { stopped: signal }, text: '' };
}

function syncLine(r: RemoteSyncResult): string {
  const rejected = r.rejected.length > 0 ? `, ${r.rejected.length} rejected (${r.rejected.slice(0, 3).map((x) => `${x.status}: ${x.detail}`).join('; ')})` : '';
  return r.error ? `sync ${r.url}: ${r.error}` : `sync ${r.url}: ${r.lines} bundles, ${r.stored} new, ${r.duplicates} already held${rejected}`;
}

export async function serverSync(options: Pick<ServerCommandOptions, 'cwd' | 'config' | 'env'> & { remotes: string[] }): Promise<Outcome> {
  const { config, store, trust } = await start(options);
  try {
    const { syncRemotes } = await import('../server/sync.js');
    const remotes = options.remotes.length > 0 ? options.remotes.map((url) => ({ url })) : config.sync.remotes;
    if (remotes.length === 0) {
      const { TraceError } = await import('../errors.js');
      throw new TraceError('BAD_ARGUMENT', 'no remotes to sync', { hint: 'list them under sync.remotes in trace-server.yml, or give one: trace server sync <git-url>' });
    }
    const results = await syncRemotes({ store, trust, now: () => new Date(), maxBytes: config.limits.bundleBytes }, remotes, { cacheDir: syncCacheDir(config) });
    const failed = results.some((r) => r.error !== undefined);
    return { json: { remotes: results }, text: results.map(syncLine).join('\n'), exitCode: failed ? 1 : 0 };
  } finally {
    await store.close();
  }
}
