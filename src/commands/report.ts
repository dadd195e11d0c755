// `trace report [<range>]`: the pull-request summary a reviewer reads, from what `trace verify` finds
// over the range and the sessions behind it. `trace verify --report FILE` writes the same report.
import { writeFileSync } from 'node:fs';
import { openRepo } from '../context.js';
import { TraceError } from '../errors.js';
import { gitRaw } from '../git.js';
import type { Outcome } from '../program.js';
import { isInitialised, type Repo } from '../repo.js';
import { buildReport, type CommitInfo, type Report } from '../report/build.js';
import { renderMarkdown } from '../report/markdown.js';
import type { SessionRow } from '../sessions/query.js';
import { verifyRangeEvidence, type VerifiedRange } from '../verify/run.js';
import { verifyOptionsOf, type VerifyCommandOptions } from './verify.js';

export type ReportFormat = 'markdown' | 'json';

export function parseReportFormat(value: string | undefined, flag = '--format'): ReportFormat | undefined {
  if (value === undefined) return undefined;
  if (value === 'markdown' || value === 'md') return 'markdown';
  if (value === 'json') return 'json';
  throw new TraceError('BAD_ARGUMENT', `${flag}: ${JSON.stringify(value)} is not a report format`, { hint: `use ${flag} markdown or ${flag} json` });
}

/** The format of a report file: the flag, else its extension (.json), else Markdown. */
export function reportFileFormat(file: string, flag: ReportFormat | undefined): ReportFormat {
  return flag ?? (file.toLowerCase().endsWith('.json') ? 'json' : 'markdown');
}

async function commitInfo(cwd: string, commits: readonly string[]): Promise<Map<string, CommitInfo>> {
  const out = new Map<string, CommitInfo>();
  if (commits.length === 0) return out;
  const listed = await gitRaw(['log', '--no-walk=unsorted', '--format=%H%x00%s%x00%an%x00%ae', '--stdin'], { cwd, input: `${commits.join('\n')}\n` });
  for (const line of listed.stdout.toString('utf8').split('\n')) {
    const [sha, subject, name, email] = line.split('\0');
    if (sha && subject !== undefined) out.set(sha, { subject, author: { name: name ?? '', email: email ?? '' } });
  }
  return out;
}

/** The report of a verified range, with the sessions this machine recorded read from its store. */
export async function reportOf(repo: Repo, verified: VerifiedRange, now: Date): Promise<Report> {
  const info = await commitInfo(repo.root, verified.result.commits.map((c) => c.sha));
  if (!isInitialised(repo)) return buildReport({ verified, commitInfo: info, localSession: () => undefined });
  const { openSessions } = await import('./sessions.js');
  const { summaryRow } = await import('../sessions/query.js');
  const { store } = await openSessions(repo.root, now);
  try {
    return buildReport({ verified, commitInfo: info, localSession: (id): SessionRow | undefined => summaryRow(store, id) });
  } finally {
    store.close();
  }
}

export function renderReport(report: Report, format: ReportFormat): string {
  return format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderMarkdown(report);
}

/** Writes the report of a verification to `file` (`trace verify --report`). */
export async function writeReport(repo: Repo, verified: VerifiedRange, file: string, format: ReportFormat | undefined, now: Date): Promise<void> {
  const report = await reportOf(repo, verified, now);
  try {
    writeFileSync(file, renderReport(report, reportFileFormat(file, format)));
  } catch (cause) {
    throw new TraceError('BAD_ARGUMENT', `--report ${file}: ${(cause as Error).message}`, { cause });
  }
}

export interface ReportCommandOptions extends VerifyCommandOptions {
  format?: string;
  now: Date;
}

export async function report(options: ReportCommandOptions): Promise<Outcome> {
  const format = parseReportFormat(options.format) ?? 'markdown';
  const repo = await openRepo(options.cwd);
  const verified = await verifyRangeEvidence(verifyOptionsOf(repo, options));
  const built = await reportOf(repo, verified, options.now);
  // The report is the output whatever the verdict: exit 0 (`trace verify` is the gate).
  return { json: built, text: renderReport(built, format).trimEnd() };
}
