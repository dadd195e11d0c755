// `trace verify [<range>]`: for CI. Exit 0 when every commit checks out, 1 on a verification
// failure or policy violation, 2 on bad usage or configuration.
import { appendFileSync } from 'node:fs';
import { openRepo } from '../context.js';
import { TraceError } from '../errors.js';
import type { Outcome } from '../program.js';
import { progress, type Style, style } from '../terminal.js';
import type { Repo } from '../repo.js';
import { type VerifyOptions, type VerifyResult, verifyRangeEvidence } from '../verify/run.js';

export interface VerifyCommandOptions {
  cwd: string;
  range?: string;
  allCommits?: boolean;
  fetch: boolean;
  remote: string;
  bundle: string[];
  key: string[];
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  trustedRoot?: string;
  policy?: string;
  /** Also write the pull-request report (`trace report`) here; its format by `reportFormat`, else the file's extension. */
  report?: string;
  reportFormat?: string;
  env: Readonly<Record<string, string | undefined>>;
}

/** What to verify, from the command's options (shared with `trace report`). */
export function verifyOptionsOf(repo: Repo, options: VerifyCommandOptions): VerifyOptions {
  if (options.certificateIdentity && options.certificateIdentityRegexp) {
    throw new TraceError('BAD_ARGUMENT', '--certificate-identity and --certificate-identity-regexp cannot be used together', {
      hint: 'give the exact identity with --certificate-identity, or a pattern with --certificate-identity-regexp',
    });
  }
  const identity = {
    ...(options.certificateIdentity ? { subject: options.certificateIdentity } : {}),
    ...(options.certificateIdentityRegexp ? { subjectRegExp: options.certificateIdentityRegexp } : {}),
    ...(options.certificateOidcIssuer ? { issuer: options.certificateOidcIssuer } : {}),
  };
  return {
    repo,
    ...(options.range ? { range: options.range } : {}),
    // In CI every commit of the range must be attested unless told otherwise.
    allCommits: options.allCommits ?? options.env.CI === 'true',
    fetch: options.fetch,
    remote: options.remote,
    bundleFiles: options.bundle,
    keyFiles: options.key,
    ...(Object.keys(identity).length ? { identity } : {}),
    ...(options.trustedRoot ? { trustedRootFile: options.trustedRoot } : {}),
    ...(options.policy ? { policyFile: options.policy } : {}),
    progress: (total) => progress('verifying commits', total, { env: options.env }),
  };
}

export async function verify(options: VerifyCommandOptions): Promise<Outcome> {
  const { parseReportFormat } = await import('./report.js');
  const reportFormat = parseReportFormat(options.reportFormat, '--report-format');
  const repo = await openRepo(options.cwd);
  const verified = await verifyRangeEvidence(verifyOptionsOf(repo, options));
  const result = verified.result;
  if (options.report !== undefined) await (await import('./report.js')).writeReport(repo, verified, options.report, reportFormat, new Date());
  if (options.env.GITHUB_ACTIONS === 'true') reportToGitHub(result, options.env);
  return { json: result, text: renderVerify(result, style(process.stdout, options.env)), exitCode: result.ok ? 0 : 1 };
}

function share(ai: number, added: number): string {
  return added === 0 ? '-' : `${Math.round((ai / added) * 100)}%`;
}

const PLAIN: Pick<Style, 'ai' | 'ok' | 'failed' | 'warning' | 'dim' | 'bold'> = { ai: String, ok: String, failed: String, warning: String, dim: String, bold: String };

function resultCell(c: VerifyResult['commits'][number]): 'ok' | 'ok (clean merge)' | 'FAILED' | 'VIOLATION' {
  if (!c.ok) return c.failures.length ? 'FAILED' : 'VIOLATION';
  return !c.attested && c.merge === 'clean' ? 'ok (clean merge)' : 'ok';
}

export function renderVerify(result: VerifyResult, colour: Pick<Style, 'ai' | 'ok' | 'failed' | 'warning' | 'dim' | 'bold'> = PLAIN): string {
  const title = `trace verify ${result.range}${result.base ? ` (trust from ${result.base.slice(0, 10)})` : ''}`;
  const notices = result.notices.map((n) => colour.warning(`! ${n}`));
  if (result.commits.length === 0) return [title, ...notices].join('\n');
  const rows = result.commits.map((c) => [
    c.sha.slice(0, 10),
    c.attested ? c.signers.join(', ') : 'not attested',
    share(c.ai_lines, c.added_lines),
    String(c.sessions.length),
    c.agents.join(', ') || '-',
    c.models.join(', ') || '-',
    resultCell(c),
  ]);
  const header = ['commit', 'attested by', 'AI', 'sessions', 'agents', 'models', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // Pad first, colour after: escape codes must not count towards the width.
  const paint = [
    colour.dim,
    (t: string) => (t.startsWith('not attested') ? colour.warning(t) : t),
    (t: string) => (t.trim() === '-' || t.startsWith('0%') ? t : colour.ai(t)),
    String,
    String,
    String,
    (t: string) => (t.startsWith('ok') ? colour.ok(t) : colour.failed(t)),
  ];
  const line = (cells: string[], painted: boolean) => cells.map((cell, i) => (painted ? paint[i]!(cell.padEnd(widths[i]!)) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [colour.bold(title), ...notices, '', colour.bold(line(header, false)), ...rows.map((r) => line(r, true))];
  const details = result.commits.filter((c) => !c.ok || c.notes.length > 0);
  if (details.length) out.push('');
  for (const c of details) {
    for (const failure of c.failures) out.push(colour.failed(`✗ ${c.sha.slice(0, 10)}: ${failure}`));
    for (const v of c.violations) out.push(colour.failed(`✗ ${c.sha.slice(0, 10)}: policy ${v.rule}: ${v.message}`));
    for (const note of c.notes) out.push(colour.dim(`· ${c.sha.slice(0, 10)}: ${note}`));
  }
  if (!result.adoption) for (const v of result.violations.filter((v) => !v.commit)) out.push(colour.failed(`✗ policy ${v.rule}: ${v.message}`));
  else for (const v of result.violations.filter((v) => !v.commit)) out.push(colour.dim(`· policy ${v.rule}: ${v.message}`));
  for (const problem of result.fetch?.problems ?? []) out.push(colour.warning(`! remote notes: ${problem}`));
  const attested = result.commits.filter((c) => c.attested).length;
  const verdict = result.ok ? colour.ok(result.adoption ? 'OK (adoption: not enforced yet)' : 'OK') : colour.failed('FAILED');
  out.push('', `${result.commits.length} commit(s), ${attested} attested, ${result.bundles_verified} distinct bundle(s) verified: ${verdict}`);
  return out.join('\n');
}

/** Inside GitHub Actions: error annotations on stdout and a Markdown summary for the job page. */
function reportToGitHub(result: VerifyResult, env: Readonly<Record<string, string | undefined>>): void {
  const escape = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  for (const notice of result.notices) process.stdout.write(`::notice title=trace verify::${escape(notice)}\n`);
  for (const c of result.commits) {
    for (const failure of c.failures) process.stdout.write(`::error title=trace verify ${c.sha.slice(0, 10)}::${escape(failure)}\n`);
    for (const v of c.violations) process.stdout.write(`::error title=trace policy ${v.rule}::${escape(v.message)}\n`);
  }
  if (!env.GITHUB_STEP_SUMMARY) return;
  const rows = result.commits.map((c) => `| \`${c.sha.slice(0, 10)}\` | ${c.attested ? c.signers.join(', ') : 'not attested'} | ${share(c.ai_lines, c.added_lines)} | ${c.agents.join(', ') || '-'} | ${c.models.join(', ') || '-'} | ${c.ok ? (c.merge === 'clean' && !c.attested ? '✅ clean merge' : '✅') : '❌'} |`);
  const problems = result.commits.flatMap((c) => [...c.failures.map((f) => `- \`${c.sha.slice(0, 10)}\`: ${f}`), ...c.violations.map((v) => `- \`${c.sha.slice(0, 10)}\`: policy **${v.rule}**: ${v.message}`), ...c.notes.map((n) => `- \`${c.sha.slice(0, 10)}\` (note): ${n}`)]);
  const markdown = [
    `### trace verify ${result.ok ? '✅' : '❌'} \`${result.range}\``,
    '',
    ...result.notices.map((n) => `> ${n}`),
    ...(result.notices.length ? [''] : []),
    '| commit | attested by | AI | agents | models | result |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    ...problems,
    '',
  ].join('\n');
  appendFileSync(env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
}
