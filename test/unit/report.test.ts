// The report as a pure function of a verified range (report/build.ts) and its Markdown (report/markdown.ts).
import { describe, expect, it } from 'vitest';
import { policiesSchema } from '../../src/core/policy.js';
import type { Statement } from '../../src/core/predicate.js';
import { buildReport, checkedPolicies } from '../../src/report/build.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { reportFileFormat } from '../../src/commands/report.js';
import type { CommitVerdict, VerifiedRange } from '../../src/verify/run.js';

const sha = (c: string) => c.repeat(40);
const verdict = (c: string, fields: Partial<CommitVerdict>): CommitVerdict => ({ sha: sha(c), attested: false, ok: true, signers: [], ai_lines: 0, added_lines: 0, sessions: [], agents: [], models: [], failures: [], violations: [], notes: [], ...fields });

function range(fileCount: number): VerifiedRange {
  const files = Array.from({ length: fileCount }, (_, i) => ({ path: `src/f${i}.ts`, status: 'created', lines_added: 2, lines_removed: 0, ai_lines_added: 1, ai_lines_removed: 0, human_lines_added: 1, human_lines_removed: 0, lines: [{ start: 1, end: 1, attribution: 'ai', session_id: 's1' }, { start: 2, end: 2, attribution: 'human' }] }));
  const statement = {
    predicate: {
      commits: [{ sha: sha('a'), parents: [], author: { name: 'Ada', email: 'ada@example.com', date: 'x' }, captured: true, session_ids: ['s1', 's2'], files: [...files, { ...files[0]!, path: 'gen.lock', generated: true }] }],
      sessions: [
        { schema_version: '0.1', agent: { name: 'claude-code', version: '2.1.0' }, session: { id: 's1', duration_seconds: 90 }, model: { primary: 'claude-opus-4-5', models_used: ['claude-opus-4-5'] }, usage: { input_tokens: 10, cache_read_input_tokens: 100, cache_creation_input_tokens: 5, output_tokens: 20, estimated_cost_usd: 0.5, by_thread: [{}, {}] } },
        { schema_version: '0.1', agent: { name: 'codex' }, session: { id: 's2' } },
      ],
      guard: { sessions: [{ session_id: 's1', modes: ['enforce'], decisions: [{ at: '2026-12-01T10:00:00Z', tool_use_id: 't1', tool: 'Bash', rule: 'rm-root', decision: 'deny', outcome: 'deny' }] }] },
    },
  } as unknown as Statement;
  return {
    result: {
      range: 'base..head', base: sha('0'), head: sha('b'), adoption: false, shallow: false, notices: [], bundles_verified: 1, ok: false,
      commits: [verdict('a', { attested: true, signers: ['key abc'], ai_lines: fileCount, added_lines: fileCount * 2, sessions: ['s1', 's2'] }), verdict('b', { ok: false, failures: ['not attested'] })],
      violations: [{ rule: 'allowedAgents', commit: sha('a'), session: 's2', evidence: 'codex', message: 'agent codex | is not allowed' }],
    },
    statements: [statement],
    policies: policiesSchema.parse({ allowedAgents: ['claude-code'], maxAiShare: { perCommit: 0.9 } }),
  };
}

const info = new Map([[sha('a'), { subject: 'feat: a | b', author: { name: 'Ada', email: 'ada@example.com' } }], [sha('b'), { subject: 'wip', author: { name: 'Bo', email: 'bo@example.com' } }]]);

describe('buildReport', () => {
  it('counts over the attested commits, leaves generated files out, and says when a cost is unknown', () => {
    const report = buildReport({ verified: range(3), commitInfo: info, localSession: () => undefined });
    expect(report.totals).toMatchObject({ commits: 2, attested: 1, verified: 1, unattested: 1, added_lines: 6, ai_lines: 3, ai_share: 0.5, sessions: 2, cost_usd: 0.5, cost_incomplete: true, guard: { deny: 1, ask: 0, warn: 0, allow: 0 } });
    expect(report.totals.tokens).toEqual({ input: 10, cache_read: 100, cache_write: 5, output: 20, total: 135 });
    expect(report.files.map((f) => f.path)).toEqual(['src/f0.ts', 'src/f1.ts', 'src/f2.ts']);
    expect(report.sessions.map((s) => [s.id, s.source, s.agent, s.threads, s.ai_lines, s.guard_modes])).toEqual([
      ['s1', 'attestation', 'claude-code', 2, 3, ['enforce']],
      ['s2', 'attestation', 'codex', null, 0, []],
    ]);
    expect(report.unattested.map((c) => c.subject)).toEqual(['wip']);
    expect(report.policies.checked).toEqual(expect.arrayContaining(['allowedAgents', 'maxAiShare.perCommit', 'forbiddenCommands', 'noUnredactedSecrets']));
  });

  it('renders Markdown with cells escaped and long tables cut', () => {
    const md = renderMarkdown(buildReport({ verified: range(60), commitInfo: info, localSession: () => undefined }));
    expect(md.startsWith('<!-- chainloop-trace-report -->\n### trace report ❌ `base..head`')).toBe(true);
    expect(md).toContain('feat: a \\| b');
    expect(md).toContain('…and 10 more');
    expect(md).toContain('- **allowedAgents** (`aaaaaaaaaa`, session `s2`): agent codex \\| is not allowed. Evidence: codex');
    expect(md).toContain('$0.50+');
  });

  it('picks the report file format by flag, else extension', () => {
    expect(reportFileFormat('r.json', undefined)).toBe('json');
    expect(reportFileFormat('r.md', undefined)).toBe('markdown');
    expect(reportFileFormat('r.json', 'markdown')).toBe('markdown');
    expect(checkedPolicies(undefined)).toEqual([]);
  });
});
