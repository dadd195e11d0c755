// `trace sessions export [filters] --format jsonl|csv`: every matching session, one per line, streamed;
// the prompt text is redacted as the attestation redacts it (and left out with retention `none`); CSV
// cells that a spreadsheet would read as a formula are neutralised.
import { loadConfig } from '../config.js';
import { TraceError } from '../errors.js';
import type { Outcome } from '../program.js';
import { parseFilters, type FilterFlags } from '../sessions/filters.js';
import { eachSession, type SessionRow } from '../sessions/query.js';
import { gitIdentity, openSessions } from './sessions.js';

export interface SessionsExportOptions extends FilterFlags {
  cwd: string;
  now: Date;
  format?: string;
  write: (chunk: string) => void;
}

const CSV_COLUMNS = [
  'id', 'agent', 'agent_version', 'models', 'initiator_name', 'initiator_email', 'branch', 'started_at', 'last_active_at', 'duration_s', 'threads',
  'tool_calls', 'tool_errors', 'input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'output_tokens', 'cost_usd', 'unpriced', 'commits',
  'lines_added', 'ai_lines_added', 'last_prompt', 'source', 'attestation', 'attested_by',
] as const;

/** A CSV cell: quoted when needed; text a spreadsheet would run as a formula (= + - @, tab, CR first) gets a leading '. */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** `key <id>` or `<subject> (<issuer>)`; the reason when the attestation does not verify. */
function signerCell(row: SessionRow): string | null {
  const a = row.attestation;
  if (a.status === 'unverified') return a.reason;
  if (!a.signer) return null;
  return a.signer.kind === 'key' ? `key ${a.signer.key_id}` : `${a.signer.subject} (${a.signer.issuer})`;
}

function csvRow(row: SessionRow): string {
  const cells: (string | number | boolean | null)[] = [
    row.id, row.agent.name, row.agent.version, row.models.join(';'), row.initiator.name, row.initiator.email, row.branch, row.started_at, row.last_active_at,
    row.duration_s, row.threads, row.tool_calls.total, row.tool_calls.errors, row.token_usage.input, row.token_usage.cache_read, row.token_usage.cache_write,
    row.token_usage.output, row.cost.usd, row.cost.unpriced, row.code.commits, row.code.lines_added, row.code.ai_lines_added, row.last_prompt,
    row.source, row.attestation.status, signerCell(row),
  ];
  return cells.map(csvCell).join(',');
}

export async function sessionsExport(options: SessionsExportOptions): Promise<Outcome> {
  const format = options.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') throw new TraceError('BAD_ARGUMENT', `--format: ${JSON.stringify(format)} is not jsonl or csv`, { hint: 'e.g. `trace sessions export --format csv > sessions.csv`' });
  const { repo, store, me, agents } = await openSessions(options.cwd, options.now);
  try {
    const email = options.author === 'me' ? (me.email ?? (await gitIdentity(repo.root)).email) : null;
    const filters = parseFilters(options, { now: options.now, agents: await agents.names(), me: () => email });
    const config = loadConfig(repo.root);
    const { createRedactor } = await import('../core/redact.js');
    const redactor = await createRedactor({ extraPatterns: config.trace.redaction.patterns, entropy: config.trace.redaction.entropy });
    const keepPrompts = config.trace.transcripts.retention !== 'none';
    if (format === 'csv') options.write(`${CSV_COLUMNS.join(',')}\n`);
    let count = 0;
    let redactions = 0;
    for (const row of eachSession(store, filters)) {
      if (row.last_prompt !== null) {
        if (keepPrompts) {
          const redacted = redactor.redactText(row.last_prompt);
          redactions += redacted.findings.length;
          row.last_prompt = redacted.text;
        } else row.last_prompt = null;
      }
      options.write(format === 'csv' ? `${csvRow(row)}\n` : `${JSON.stringify(row)}\n`);
      count++;
    }
    process.stderr.write(`trace: exported ${count} session(s)${redactions ? `, ${redactions} secret(s) redacted` : ''}\n`);
    return { json: { exported: count, redactions }, text: '' };
  } finally {
    store.close();
  }
}
