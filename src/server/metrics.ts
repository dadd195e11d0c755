// /metrics: Prometheus text from prom-client, one registry per server instance (no global state).
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServerMetrics {
  registry: Registry;
  ingest: Counter<'status' | 'source'>;
  ingestSeconds: Histogram<'status'>;
  verifyFailures: Counter<'reason'>;
  purged: Counter<'kind'>;
  requests: Counter<'route' | 'status'>;
}

export function createMetrics(options: { defaults?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (options.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'trace_server_' });
  return {
    registry,
    ingest: new Counter({ name: 'trace_server_ingest_total', help: 'Attestation bundles received, by answer status and source (http, sync)', labelNames: ['status', 'source'], registers: [registry] }),
    ingestSeconds: new Histogram({
      name: 'trace_server_ingest_seconds',
      help: 'Time to check and store one bundle',
      labelNames: ['status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    verifyFailures: new Counter({ name: 'trace_server_verify_failures_total', help: 'Bundles refused by verification, by reason (the verifier code)', labelNames: ['reason'], registers: [registry] }),
    purged: new Counter({ name: 'trace_server_purged_rows_total', help: 'Rows removed or emptied by retention, by kind', labelNames: ['kind'], registers: [registry] }),
    requests: new Counter({ name: 'trace_server_read_requests_total', help: 'Read API answers, by route and status', labelNames: ['route', 'status'], registers: [registry] }),
  };
}
