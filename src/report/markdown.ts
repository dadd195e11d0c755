// The report as GitHub-flavoured Markdown: a pull-request comment and a job summary. The first line is a
// hidden marker, so a workflow finds its own comment to update instead of adding one per push.
import type { Report, ReportTokens } from './build.js';

export const REPORT_MARKER = '<!-- chainloop-trace-report -->';

/** Rows shown per table; the rest are counted (a comment holds at most 65,536 characters). */
const MAX_ROWS = 50;

const short = (sha: string): string => sha.slice(0, 10);
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const pct = (ai: number, added: number): string => (added === 0 ? '-' : `${Math.round((ai / added) * 100)}%`);

export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}

export function formatUsd(usd: number | null, incomplete = false): string {
  if (usd === null) return 'unknown';
  return `$${usd.toFixed(2)}${incomplete ? '+' : ''}`;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

function tokensCell(t: ReportTokens | null): string {
  if (t === null) return '-';
  return `${formatTokens(t.total)} (in ${formatTokens(t.input)}, cache ${formatTokens(t.cache_read + t.cache_write)}, out ${formatTokens(t.output)})`;
}

function table(header: string[], rows: string[][]): string[] {
  const shown = rows.slice(0, MAX_ROWS);
  const out = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...shown.map((r) => `| ${r.map(cell).join(' | ')} |`)];
  if (rows.length > shown.length) out.push('', `…and ${rows.length - shown.length} more (\`trace report --format json\` has them all)`);
  return out;
}

export function renderMarkdown(report: Report): string {
  const t = report.totals;
  const verdict = report.ok ? (report.adoption ? '✅ (adoption: not enforced yet)' : '✅') : '❌';
  const out = [REPORT_MARKER, `### trace report ${verdict} \`${report.range}\``, ''];
  const guard = [t.guard.deny && `${t.guard.deny} denied`, t.guard.ask && `${t.guard.ask} asked`, t.guard.warn && `${t.guard.warn} warned`, t.guard.allow && `${t.guard.allow} let through`].filter(Boolean).join(', ');
  out.push(
    `**${t.commits} commit(s)**: ${t.attested} attested, ${t.verified} verified, ${t.unattested} unattested · ` +
      `**AI share**: ${pct(t.ai_lines, t.added_lines)} (${t.ai_lines} of ${t.added_lines} added lines in attested commits) · ` +
      `**${t.sessions} session(s)**: ${formatTokens(t.tokens.total)} tokens, ${formatUsd(t.cost_usd, t.cost_incomplete)} · ` +
      `**guard**: ${guard || 'no decisions'} · **policies**: ${report.policies.violations.length} violation(s)`,
  );
  for (const notice of report.notices) out.push('', `> ${notice}`);

  out.push('', '#### Commits', '');
  out.push(
    ...table(
      ['commit', 'author', 'attested by', 'AI', 'sessions', 'result'],
      report.commits.map((c) => [
        `\`${short(c.sha)}\` ${c.subject}`,
        c.author.name || c.author.email,
        c.attested ? c.signers.join(', ') : 'not attested',
        c.attested ? `${pct(c.ai_lines, c.added_lines)} (${c.ai_lines}/${c.added_lines})` : '-',
        c.sessions.map((s) => `\`${s.slice(0, 8)}\``).join(' ') || '-',
        c.verified ? (c.merge === 'clean' && !c.attested ? '✅ clean merge' : '✅ verified') : c.attested ? '❌ failed' : c.failures.length ? '❌ not attested' : '⚠️ not attested',
      ]),
    ),
  );

  if (report.files.length > 0) {
    out.push('', '#### AI share per file', '');
    out.push(...table(['file', 'added', 'AI', 'share'], report.files.map((f) => [`\`${f.path}\``, String(f.added_lines), String(f.ai_lines), pct(f.ai_lines, f.added_lines)])));
  }

  if (report.sessions.length > 0) {
    out.push('', '#### Sessions', '');
    out.push(
      ...table(
        ['session', 'agent', 'models', 'threads', 'duration', 'tokens', 'cost', 'AI lines here', 'guard'],
        report.sessions.map((s) => [
          `\`${s.id.slice(0, 8)}\``,
          `${s.agent ?? 'unknown'}${s.agent_version ? ` ${s.agent_version}` : ''}`,
          s.models.join(', ') || '-',
          s.threads === null ? '-' : String(s.threads),
          formatDuration(s.duration_s),
          tokensCell(s.tokens),
          formatUsd(s.cost.usd, s.cost.unpriced),
          String(s.ai_lines),
          s.guard_modes.join(', ') || 'off',
        ]),
      ),
    );
  }

  if (report.guard_decisions.length > 0) {
    out.push('', '#### Guard decisions', '');
    out.push(
      ...table(
        ['when', 'session', 'tool', 'rule', 'decision', 'agent was told', 'why'],
        report.guard_decisions.map((d) => [d.at, `\`${d.session_id.slice(0, 8)}\``, d.tool, `\`${d.rule}\``, d.decision, d.outcome, d.message ?? '(not retained)']),
      ),
    );
  }

  out.push('', '#### Policies', '');
  out.push(report.policies.checked.length > 0 ? `Checked: ${report.policies.checked.map((p) => `\`${p}\``).join(', ')}.` : 'No policies configured.');
  if (report.policies.violations.length === 0) out.push('', report.policies.checked.length > 0 ? 'No violations.' : '');
  else {
    out.push('');
    for (const v of report.policies.violations.slice(0, MAX_ROWS)) {
      const where = [v.commit ? `\`${short(v.commit)}\`` : '', v.session ? `session \`${v.session.slice(0, 8)}\`` : '', v.path ? `\`${v.path}\`` : ''].filter(Boolean).join(', ');
      out.push(`- ${report.adoption ? '(note) ' : ''}**${v.rule}**${where ? ` (${where})` : ''}: ${cell(v.message)}. Evidence: ${cell(v.evidence)}`);
    }
  }
  const problems = report.commits.flatMap((c) => c.failures.map((f) => `- \`${short(c.sha)}\`: ${cell(f)}`));
  if (problems.length > 0) out.push('', '#### Verification failures', '', ...problems.slice(0, MAX_ROWS));

  if (report.unattested.length > 0) {
    out.push('', '#### Unattested commits', '');
    for (const c of report.unattested.slice(0, MAX_ROWS)) out.push(`- \`${short(c.sha)}\` ${cell(c.subject)} (${c.author.name || c.author.email}): no valid attestation; its lines are not counted above`);
  }
  out.push('', `<sub>trace report ${report.base ? `(trust from \`${short(report.base)}\`)` : ''} · session figures from this machine's store where trace recorded the session, else from its newest attestation</sub>`);
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}
