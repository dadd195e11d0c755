// `trace verify [<range>]`: for CI. Exit 0 when every commit checks out, 1 on a verification
// failure or policy violation, 2 on bad usage or configuration.
import { appendFileSync } from 'node:fs';
import { openRepo } from '../context.js';
import type { Outcome } from '../program.js';
import { type VerifyResult, verifyRange } from '../verify/run.js';

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
  env: Readonly<Record<string, string | undefined>>;
}

export async function verify(options: VerifyCommandOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  const identity = {
    ...(options.certificateIdentity ? { subject: options.certificateIdentity } : {}),
    ...(options.certificateIdentityRegexp ? { subjectRegExp: options.certificateIdentityRegexp } : {}),
    ...(options.certificateOidcIssuer ? { issuer: options.certificateOidcIssuer } : {}),
  };
  const result = await verifyRange({
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
  });
  if (options.env.GITHUB_ACTIONS === 'true') reportToGitHub(result, options.env);
  return { json: result, text: renderVerify(result), exitCode: result.ok ? 0 : 1 };
}

function share(ai: number, added: number): string {
  return added === 0 ? '-' : `${Math.round((ai / added) * 100)}%`;
}

export function renderVerify(result: VerifyResult): string {
  const rows = result.commits.map((c) => [
    c.sha.slice(0, 10),
    c.attested ? c.signers.join(', ') : 'not attested',
    share(c.ai_lines, c.added_lines),
    String(c.sessions.length),
    c.agents.join(', ') || '-',
    c.models.join(', ') || '-',
    c.ok ? 'ok' : c.failures.length ? 'FAILED' : 'VIOLATION',
  ]);
  const header = ['commit', 'attested by', 'AI', 'sessions', 'agents', 'models', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [`trace verify ${result.range}${result.base ? ` (trust from ${result.base.slice(0, 10)})` : ''}`, '', line(header), ...rows.map(line)];
  const details = result.commits.filter((c) => !c.ok);
  if (details.length) out.push('');
  for (const c of details) {
    for (const failure of c.failures) out.push(`✗ ${c.sha.slice(0, 10)}: ${failure}`);
    for (const v of c.violations) out.push(`✗ ${c.sha.slice(0, 10)}: policy ${v.rule}: ${v.message}`);
  }
  for (const v of result.violations.filter((v) => !v.commit)) out.push(`✗ policy ${v.rule}: ${v.message}`);
  for (const problem of result.fetch?.problems ?? []) out.push(`! remote notes: ${problem}`);
  const attested = result.commits.filter((c) => c.attested).length;
  out.push('', `${result.commits.length} commit(s), ${attested} attested, ${result.bundles_verified} distinct bundle(s) verified: ${result.ok ? 'OK' : 'FAILED'}`);
  return out.join('\n');
}

/** Inside GitHub Actions: error annotations on stdout and a Markdown summary for the job page. */
function reportToGitHub(result: VerifyResult, env: Readonly<Record<string, string | undefined>>): void {
  const escape = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  for (const c of result.commits) {
    for (const failure of c.failures) process.stdout.write(`::error title=trace verify ${c.sha.slice(0, 10)}::${escape(failure)}\n`);
    for (const v of c.violations) process.stdout.write(`::error title=trace policy ${v.rule}::${escape(v.message)}\n`);
  }
  if (!env.GITHUB_STEP_SUMMARY) return;
  const rows = result.commits.map((c) => `| \`${c.sha.slice(0, 10)}\` | ${c.attested ? c.signers.join(', ') : 'not attested'} | ${share(c.ai_lines, c.added_lines)} | ${c.agents.join(', ') || '-'} | ${c.models.join(', ') || '-'} | ${c.ok ? '✅' : '❌'} |`);
  const problems = result.commits.flatMap((c) => [...c.failures.map((f) => `- \`${c.sha.slice(0, 10)}\`: ${f}`), ...c.violations.map((v) => `- \`${c.sha.slice(0, 10)}\`: policy **${v.rule}**: ${v.message}`)]);
  const markdown = [
    `### trace verify ${result.ok ? '✅' : '❌'} \`${result.range}\``,
    '',
    '| commit | attested by | AI | agents | models | result |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    ...problems,
    '',
  ].join('\n');
  appendFileSync(env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
}
