// `trace report` over a realistic range: two agent sessions (one with a guard denial), a human commit,
// an unattested commit. Every number of the report is checked against `trace show --json` and
// `trace sessions --json` / `trace sessions show --json`, and the Markdown against the JSON.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/build.js';
import { reportSchema } from '../../src/report/schema.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, tempDir, type TestRepo } from '../support/repo.js';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/agents/claude/transcripts/', import.meta.url));
const REAL = 'entire-cli_5a-c45bc32212-0_cc2.1.7-2.1.12_opus-sonnet_invalid-line.jsonl';
const A = 'aaaaaaaa-1111-4111-8111-000000000001';
const B = 'bbbbbbbb-2222-4222-8222-000000000002';
const CONFIG = 'trace:\n  guard:\n    mode: enforce\n  policies:\n    allowedModels: ["claude-*"]\n';

let repo: TestRepo;
let base: string;
let commits: { ai1: string; ai2: string; human: string; unattested: string };
let denied: string;

function json<T>(args: string[]): T {
  const result = repo.trace([...args, '--json']);
  if (result.code !== 0) throw new Error(`trace ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

interface ShowJson {
  sha: string;
  files: { path: string; lines_added: number; ai_lines_added: number; generated?: true }[];
  session_ids: string[];
  author: { name: string; email: string };
  subject: string;
}
interface SessionJson {
  id: string;
  agent: { name: string; version: string | null };
  models: string[];
  threads: number;
  duration_s: number | null;
  started_at: string | null;
  token_usage: { input: number; cache_read: number; cache_write: number; output: number };
  cost: { usd: number | null; unpriced: boolean };
}
interface ShowSessionJson {
  session: SessionJson;
  commits: { sha: string; lines_added: number; ai_lines_added: number }[];
  threads: { steps: { kind: string; tool_use_id?: string; status?: string }[] }[];
}

beforeAll(() => {
  repo = makeRepo();
  repo.write('.chainloop.yml', CONFIG);
  base = repo.commit('trace set up, the guard enforcing');
  repo.git(['push', '-q', 'origin', 'main']);
  const dir = tempDir('trace-report-transcripts-');

  // A: a real transcript; writes a file, is denied a force push, commits.
  const aPath = join(dir, `${A}.jsonl`);
  copyFileSync(join(FIXTURES, REAL), aPath);
  const a = new FakeClaude(repo, { sessionId: A, transcriptPath: aPath });
  a.start('claude-opus-4-5');
  a.prompt('add a');
  a.write('src/a.ts', 'export const a = 1;\nexport const b = 2;\nexport const c = 3;\n');
  denied = a.bash('FOO=1 git push -f origin main');
  const ai1 = repo.commit('add a');

  // B: a transcript written to match its calls; a new file and an edit of A's, with a person's line mixed in.
  const bPath = join(dir, `${B}.jsonl`);
  const b = new FakeClaude(repo, { sessionId: B, transcriptPath: bPath });
  b.start('claude-sonnet-4-5');
  b.prompt('add b');
  const write = b.write('src/b.ts', 'one\ntwo\n');
  const edit = b.edit('src/a.ts', 'export const c = 3;\n', 'export const c = 3;\nexport const d = 4;\n');
  repo.write('src/b.ts', 'one\ntwo\nwritten by a person\n');
  const at = (s: number) => new Date(Date.now() - 90_000 + s * 1000).toISOString();
  const lines = [
    { type: 'user', uuid: 'u1', timestamp: at(0), message: { role: 'user', content: 'add b' } },
    { type: 'assistant', timestamp: at(1), message: { id: 'm1', model: 'claude-sonnet-4-5', content: [{ type: 'tool_use', id: write, name: 'Write', input: { file_path: 'src/b.ts' } }], usage: { input_tokens: 100, output_tokens: 50, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200 } } },
    { type: 'user', uuid: 'u2', timestamp: at(2), message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: write, content: 'ok' }] } },
    { type: 'assistant', timestamp: at(30), message: { id: 'm2', model: 'claude-sonnet-4-5', content: [{ type: 'tool_use', id: edit, name: 'Edit', input: { file_path: 'src/a.ts' } }], usage: { input_tokens: 10, output_tokens: 70, cache_read_input_tokens: 1200, cache_creation_input_tokens: 0 } } },
  ];
  writeFileSync(bPath, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const ai2 = repo.commit('add b');

  repo.write('README.md', '# project\n\nby hand\n');
  const human = repo.commit('docs by hand');
  repo.git(['push', '-q', 'origin', 'main']);

  // Committed after the push: no attestation.
  repo.write('NOTES.md', 'later\n');
  const unattested = repo.commit('not pushed yet');
  commits = { ai1, ai2, human, unattested };
}, 180_000);

afterAll(cleanupTemps);

describe('trace report', () => {
  it('agrees with trace show and trace sessions on every number', () => {
    const report = json<Report>(['report', `${base}..HEAD`, '--no-fetch', '--format', 'json']);
    expect(reportSchema.safeParse(report).error).toBeUndefined();
    const range = [commits.ai1, commits.ai2, commits.human, commits.unattested];
    expect(report.commits.map((c) => c.sha)).toEqual(range);

    // Commits: lines and sessions as `trace show` attributes them; attested and verified but the last.
    const shows = new Map(range.map((sha) => [sha, json<ShowJson>(['show', sha])]));
    for (const c of report.commits) {
      const show = shows.get(c.sha)!;
      const files = show.files.filter((f) => !f.generated);
      expect(c.subject).toBe(show.subject);
      expect(c.author).toEqual({ name: show.author.name, email: show.author.email });
      if (c.sha === commits.unattested) {
        expect(c).toMatchObject({ attested: false, verified: false, added_lines: 0, ai_lines: 0, sessions: [] });
        continue;
      }
      expect(c).toMatchObject({ attested: true, verified: true });
      expect(c.signers).toHaveLength(1);
      expect(c.added_lines).toBe(files.reduce((n, f) => n + f.lines_added, 0));
      expect(c.ai_lines).toBe(files.reduce((n, f) => n + f.ai_lines_added, 0));
      expect(c.sessions).toEqual(show.session_ids);
    }
    expect(report.commits.map((c) => c.ai_lines)).toEqual([3, 3, 0, 0]);
    expect(report.unattested.map((c) => c.sha)).toEqual([commits.unattested]);

    // Files: the per-file sums of `trace show` over the attested commits.
    const perFile = new Map<string, { added: number; ai: number }>();
    for (const sha of [commits.ai1, commits.ai2, commits.human]) {
      for (const f of shows.get(sha)!.files) {
        const seen = perFile.get(f.path) ?? { added: 0, ai: 0 };
        perFile.set(f.path, { added: seen.added + f.lines_added, ai: seen.ai + f.ai_lines_added });
      }
    }
    expect(Object.fromEntries(report.files.map((f) => [f.path, { added: f.added_lines, ai: f.ai_lines }]))).toEqual(Object.fromEntries(perFile));
    expect(report.totals).toMatchObject({ commits: 4, attested: 3, verified: 3, unattested: 1 });
    expect(report.totals.added_lines).toBe([...perFile.values()].reduce((n, f) => n + f.added, 0));
    expect(report.totals.ai_lines).toBe([...perFile.values()].reduce((n, f) => n + f.ai, 0));
    expect(report.totals.ai_share).toBeCloseTo(report.totals.ai_lines / report.totals.added_lines, 6);

    // Sessions: the figures of `trace sessions --json`, and their lines per commit of `trace sessions show`.
    const listed = json<{ sessions: SessionJson[] }>(['sessions', '--limit', '50']).sessions;
    expect(report.sessions.map((s) => s.id).sort()).toEqual([A, B]);
    let tokens = 0;
    let cost = 0;
    for (const s of report.sessions) {
      const row = listed.find((r) => r.id === s.id)!;
      const shown = json<ShowSessionJson>(['sessions', 'show', s.id]);
      expect(s.source).toBe('local');
      expect(s.agent).toBe(row.agent.name);
      expect(s.models).toEqual(row.models);
      expect(s.threads).toBe(row.threads);
      expect(s.duration_s).toBe(row.duration_s);
      const t = row.token_usage;
      expect(s.tokens).toEqual({ ...t, total: t.input + t.cache_read + t.cache_write + t.output });
      expect(s.cost).toEqual({ usd: row.cost.usd, unpriced: row.cost.unpriced });
      const inRange = shown.commits.filter((c) => range.includes(c.sha));
      expect(s.commits).toEqual(inRange.map((c) => c.sha));
      expect(s.ai_lines).toBe(inRange.reduce((n, c) => n + c.ai_lines_added, 0));
      expect(s.guard_modes).toEqual(['enforce']);
      tokens += s.tokens!.total;
      cost += s.cost.usd ?? 0;
    }
    expect(report.sessions.find((s) => s.id === B)!.tokens!.total).toBe(100 + 1000 + 200 + 50 + 10 + 1200 + 70);
    expect(report.totals.tokens.total).toBe(tokens);
    expect(report.totals.cost_usd).toBeCloseTo(cost, 6);
    expect(report.totals.sessions).toBe(2);

    // The guard's denial, as the attestation carries it, and the step `trace sessions show` marks denied.
    expect(report.guard_decisions).toEqual([expect.objectContaining({ session_id: A, tool: 'Bash', tool_use_id: denied, rule: 'force-push-protected', decision: 'deny', outcome: 'deny' })]);
    expect(report.totals.guard).toEqual({ deny: 1, ask: 0, warn: 0, allow: 0 });
    const steps = json<ShowSessionJson>(['sessions', 'show', A]).threads.flatMap((t) => t.steps);
    expect(steps.find((s) => s.tool_use_id === denied)).toMatchObject({ status: 'denied' });

    expect(report.policies.checked).toContain('allowedModels');
    expect(report.policies.violations).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('shows the denied call as a denied step with its rule, and --has denied finds the session', () => {
    const steps = json<ShowSessionJson>(['sessions', 'show', A]).threads.flatMap((t) => t.steps) as { tool_use_id?: string; status?: string; guard?: { rule: string; outcome: string; mode: string } | null }[];
    expect(steps.find((s) => s.tool_use_id === denied)).toMatchObject({ status: 'denied', guard: { rule: 'force-push-protected', outcome: 'deny', mode: 'enforce' } });
    expect(steps.filter((s) => s.guard)).toHaveLength(1);
    const text = repo.trace(['sessions', 'show', A]).stdout;
    expect(text).toMatch(/Bash\s+✗ denied by trace guard \[force-push-protected\]/);
    expect(json<{ sessions: { id: string }[] }>(['sessions', '--has', 'denied']).sessions.map((s) => s.id)).toEqual([A]);
  });

  it('renders the same numbers as Markdown, with the marker a workflow finds its comment by', () => {
    const report = json<Report>(['report', `${base}..HEAD`, '--no-fetch', '--format', 'json']);
    const result = repo.trace(['report', `${base}..HEAD`, '--no-fetch']);
    expect(result.code).toBe(0);
    const md = result.stdout;
    expect(md.split('\n')[0]).toBe('<!-- chainloop-trace-report -->');
    const t = report.totals;
    expect(md).toContain(`**4 commit(s)**: 3 attested, 3 verified, 1 unattested`);
    expect(md).toContain(`**AI share**: ${Math.round((t.ai_lines / t.added_lines) * 100)}% (${t.ai_lines} of ${t.added_lines} added lines in attested commits)`);
    for (const f of report.files) expect(md).toMatch(new RegExp(`\\| \`${f.path}\` \\| ${f.added_lines} \\| ${f.ai_lines} \\|`));
    for (const c of report.commits.filter((c) => c.attested)) expect(md).toContain(`(${c.ai_lines}/${c.added_lines})`);
    for (const s of report.sessions) expect(md).toMatch(new RegExp(`\\| \`${s.id.slice(0, 8)}\` \\| claude-code[^|]*\\| [^|]+ \\| ${s.threads} \\|`));
    expect(md).toContain('| `force-push-protected` | deny | deny |');
    expect(md).toContain(`\`${commits.unattested.slice(0, 10)}\` not pushed yet`);
    expect(md).toContain('Checked: ');
  });

  it('in a fresh clone takes the sessions from the attestations, agreeing with the local store', () => {
    const local = json<Report>(['report', `${base}..HEAD`, '--no-fetch', '--format', 'json']);
    const clone = join(repo.home, 'clone');
    repo.git(['clone', '-q', repo.remote, clone]);
    const result = repo.trace(['report', `${base}..origin/main`, '--format', 'json'], { cwd: clone });
    expect(result.code, result.stderr).toBe(0);
    const remote = JSON.parse(result.stdout) as Report;
    expect(remote.sessions.map((s) => s.source)).toEqual(['attestation', 'attestation']);
    for (const s of remote.sessions) {
      const here = local.sessions.find((l) => l.id === s.id)!;
      // The same figures; times and version as the agent's records say them (the hooks saw the run, not the fixture's times).
      const figures = (r: Report['sessions'][number]) => ({ agent: r.agent, models: r.models, tokens: r.tokens, cost: r.cost, commits: r.commits, ai_lines: r.ai_lines, guard_modes: r.guard_modes });
      expect(figures(s)).toEqual(figures(here));
    }
    expect(remote.files).toEqual(local.files);
    expect(remote.guard_decisions.map((d) => d.rule)).toEqual(['force-push-protected']);
    expect(remote.totals.unattested).toBe(0);
  });

  it('is written by trace verify --report, Markdown or JSON by the extension', () => {
    const md = join(repo.home, 'report.md');
    const js = join(repo.home, 'report.json');
    expect(repo.trace(['verify', `${base}..HEAD`, '--no-fetch', '--report', md]).code).toBe(0);
    expect(repo.trace(['verify', `${base}..HEAD`, '--no-fetch', '--report', js]).code).toBe(0);
    expect(readFileSync(md, 'utf8')).toContain('<!-- chainloop-trace-report -->');
    const written = JSON.parse(readFileSync(js, 'utf8')) as Report;
    expect(written.totals).toEqual(json<Report>(['report', `${base}..HEAD`, '--no-fetch', '--format', 'json']).totals);
    // With every commit required, the unattested one fails verify; the report is still written.
    const strict = join(repo.home, 'strict.md');
    expect(repo.trace(['verify', `${base}..HEAD`, '--no-fetch', '--all-commits', '--report', strict]).code).toBe(1);
    expect(readFileSync(strict, 'utf8')).toContain('❌ not attested');
    expect(repo.trace(['report', '--format', 'yaml']).code).toBe(2);
  });
});
