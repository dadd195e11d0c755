// The README's GitHub Actions workflow, run as written: its `run:` script, with the `${{ … }}`
// expressions GitHub would substitute, in a clone made the way actions/checkout makes it with
// fetch-depth 0, on pull-request and push histories. `npx` is replaced by a stand-in that runs
// this checkout's trace (no test reaches the registry).
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { NOTES } from '../support/attestations.js';
import { FakeClaude } from '../support/claude.js';
import { cleanupTemps, makeRepo, PACKAGE_ROOT, run, TRACE_BIN, type RunResult, type TestRepo } from '../support/repo.js';

afterAll(cleanupTemps);

const ZERO = '0000000000000000000000000000000000000000';

interface Step {
  name?: string;
  run?: string;
  env?: Record<string, string>;
}

/** The workflow of README.md's "Verifying in CI": the YAML block that has `jobs:`. */
function readmeWorkflow(): { on: Record<string, unknown>; step: Step } {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const workflows = blocks.filter((b) => /^jobs:/m.test(b));
  expect(workflows).toHaveLength(1);
  for (const doc of parseAllDocuments(workflows[0]!)) expect(doc.errors).toEqual([]);
  const workflow = parse(workflows[0]!) as { on: Record<string, unknown>; jobs: Record<string, { steps: Step[] }> };
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
  const verifySteps = steps.filter((s) => s.run?.includes('trace verify'));
  expect(verifySteps).toHaveLength(1);
  const checkout = steps.find((s) => (s as { uses?: string }).uses?.startsWith('actions/checkout'));
  expect((checkout as { with?: Record<string, unknown> } | undefined)?.with?.['fetch-depth']).toBe(0);
  return { on: workflow.on, step: verifySteps[0]! };
}

/** GitHub's `${{ expr }}` substitution for the expressions the workflow uses; any other is an error. */
function substitute(text: string, context: Record<string, string>): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expression: string) => {
    const alternatives = expression.split('||').map((e) => e.trim());
    for (const name of alternatives) {
      if (!(name in context)) throw new Error(`the README's workflow uses \${{ ${name} }}, which this test does not know`);
    }
    return alternatives.map((name) => context[name]!).find((value) => value !== '') ?? '';
  });
}

/** A clone as actions/checkout makes it with fetch-depth 0: every branch and tag, the event's ref checked out detached. */
function checkout(repo: TestRepo, ref: string, extraRefspecs: string[] = []): string {
  const dir = join(repo.home, `ci-${Math.random().toString(36).slice(2, 8)}`);
  repo.git(['init', '-q', dir]);
  repo.git(['remote', 'add', 'origin', repo.remote], { cwd: dir });
  repo.git(['fetch', '-q', '--prune', '--no-recurse-submodules', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*', ...extraRefspecs], { cwd: dir });
  repo.git(['checkout', '-q', '--detach', ref], { cwd: dir });
  return dir;
}

/** Runs the workflow's step in `dir` as the runner would: its env, CI=true, GITHUB_ACTIONS=true. */
function runStep(repo: TestRepo, dir: string, context: Record<string, string>): RunResult {
  const { step } = readmeWorkflow();
  const bin = join(repo.home, 'fake-bin');
  mkdirSync(bin, { recursive: true });
  // `npx --yes -p chainloop-trace trace …` → this checkout's bin/trace.
  writeFileSync(
    join(bin, 'npx'),
    `#!/bin/sh\nwhile [ "$#" -gt 0 ] && [ "$1" != trace ]; do shift; done\n[ "$#" -gt 0 ] || { echo "fake npx: no trace in the command" >&2; exit 127; }\nshift\nexec "${process.execPath}" "${TRACE_BIN}" "$@"\n`,
  );
  chmodSync(join(bin, 'npx'), 0o755);
  const summary = join(repo.home, 'step-summary.md');
  writeFileSync(summary, '');
  const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, substitute(String(v), context)]));
  return run('sh', ['-e', '-c', substitute(step.run!, context)], {
    cwd: dir,
    env: { ...repo.env, ...stepEnv, PATH: `${bin}:${repo.env.PATH ?? ''}`, CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
  });
}

/** What GitHub does for a pull request: a merge commit of head into base at refs/pull/N/merge. */
function makePullRequest(repo: TestRepo, number: number, base: string, head: string): string {
  const gitDir = ['--git-dir', repo.remote];
  const baseSha = repo.git([...gitDir, 'rev-parse', `refs/heads/${base}`]).stdout.trim();
  const headSha = repo.git([...gitDir, 'rev-parse', `refs/heads/${head}`]).stdout.trim();
  const tree = repo.git([...gitDir, 'merge-tree', '--write-tree', baseSha, headSha]).stdout.split('\n')[0]!.trim();
  const merge = repo.git([...gitDir, 'commit-tree', tree, '-p', baseSha, '-p', headSha, '-m', `Merge ${headSha} into ${baseSha}`]).stdout.trim();
  repo.git([...gitDir, 'update-ref', `refs/pull/${number}/merge`, merge]);
  repo.git([...gitDir, 'update-ref', `refs/pull/${number}/head`, headSha]);
  return merge;
}

function pullRequestContext(repo: TestRepo, number: number, base: string): Record<string, string> {
  const gitDir = ['--git-dir', repo.remote];
  return {
    'github.event_name': 'pull_request',
    'github.base_ref': base,
    'github.event.pull_request.base.sha': repo.git([...gitDir, 'rev-parse', `refs/heads/${base}`]).stdout.trim(),
    'github.event.pull_request.head.sha': repo.git([...gitDir, 'rev-parse', `refs/pull/${number}/head`]).stdout.trim(),
    'github.event.pull_request.head.repo.clone_url': repo.remote,
    'github.event.before': '',
    'github.sha': repo.git([...gitDir, 'rev-parse', `refs/pull/${number}/merge`]).stdout.trim(),
  };
}

function pushContext(before: string, sha: string): Record<string, string> {
  return {
    'github.event_name': 'push',
    'github.base_ref': '',
    'github.event.pull_request.base.sha': '',
    'github.event.pull_request.head.sha': '',
    'github.event.pull_request.head.repo.clone_url': '',
    'github.event.before': before,
    'github.sha': sha,
  };
}

/**
 * main carries trace's configuration and the developer's key; `feature` adds AI and human work,
 * attested on push; main moves on meanwhile. Returns the pull request's CI run.
 */
function prShapedHistory(): { repo: TestRepo; agent: FakeClaude } {
  const repo = makeRepo();
  repo.commit('trace set up');
  repo.git(['push', '-q', 'origin', 'main']);
  repo.git(['checkout', '-q', '-b', 'feature']);
  const agent = new FakeClaude(repo);
  agent.start('claude-opus-4-8');
  agent.write('src/a.ts', 'export const a = 1;\nexport const b = 2;\n');
  repo.commit('ai work');
  repo.write('notes.md', 'by hand\n');
  repo.commit('human work');
  repo.git(['push', '-q', 'origin', 'feature']);
  repo.git(['checkout', '-q', 'main']);
  repo.write('CHANGELOG.md', 'main moved on\n');
  repo.commit('main moves on');
  repo.git(['push', '-q', 'origin', 'main']);
  repo.git(['checkout', '-q', 'feature']);
  return { repo, agent };
}

function runPullRequest(repo: TestRepo): RunResult {
  makePullRequest(repo, 1, 'main', 'feature');
  const dir = checkout(repo, 'refs/remotes/pull/1/merge', ['+refs/pull/1/merge:refs/remotes/pull/1/merge']);
  return runStep(repo, dir, pullRequestContext(repo, 1, 'main'));
}

function notesOf(repo: TestRepo, commit: string): string {
  return repo.git(['notes', `--ref=${NOTES}`, 'show', commit]).stdout;
}

describe("the README's workflow on a pull request", () => {
  it('is triggered by pull_request and push', () => {
    expect(Object.keys(readmeWorkflow().on)).toEqual(expect.arrayContaining(['pull_request', 'push']));
  });

  it("passes attested work: the pull request's commits, not GitHub's unattested merge commit", () => {
    const { repo } = prShapedHistory();
    const result = runPullRequest(repo);
    expect(result.stderr).not.toMatch(/trace: /);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('trace verify origin/main..');
    expect(result.stdout).toContain('2 commit(s), 2 attested, 1 distinct bundle(s) verified: OK');
  });

  it('fails a commit pushed without its attestation', () => {
    const { repo } = prShapedHistory();
    repo.write('late.txt', 'late\n');
    const late = repo.commit('pushed without trace');
    repo.git(['push', '-q', '--no-verify', 'origin', 'feature']);
    const result = runPullRequest(repo);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`::error title=trace verify ${late.slice(0, 10)}::not attested`);
  });

  it("fails a bundle note copied onto another commit", () => {
    const { repo } = prShapedHistory();
    const attested = repo.git(['rev-parse', 'HEAD']).stdout.trim();
    repo.write('late.txt', 'late\n');
    const late = repo.commit('pushed without trace');
    repo.git(['push', '-q', '--no-verify', 'origin', 'feature']);
    repo.git(['notes', `--ref=${NOTES}`, 'copy', attested, late]);
    repo.git(['push', '-q', '--no-verify', 'origin', NOTES]);
    const result = runPullRequest(repo);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('does not name this commit as a subject');
  });

  it('fails an edited file: the commit rewritten after it was attested, its note moved along', () => {
    const { repo } = prShapedHistory();
    const attested = repo.git(['rev-parse', 'HEAD']).stdout.trim();
    const note = notesOf(repo, attested);
    repo.write('notes.md', 'by hand, then edited after signing\n');
    repo.git(['commit', '-q', '-a', '--amend', '--no-edit', '--no-verify']);
    const rewritten = repo.git(['rev-parse', 'HEAD']).stdout.trim();
    repo.git(['notes', `--ref=${NOTES}`, 'add', '-f', '-F', '-', rewritten], { input: note });
    repo.git(['push', '-q', '--no-verify', '--force', 'origin', 'feature', NOTES]);
    const result = runPullRequest(repo);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(rewritten.slice(0, 10));
    expect(result.stdout).toMatch(/does not name this commit as a subject|not attested/);
  });

  it('fails a statement edited inside its bundle (the signature no longer matches)', () => {
    const { repo } = prShapedHistory();
    const ai = repo.git(['rev-parse', 'HEAD~1']).stdout.trim();
    const line = notesOf(repo, ai).split('\n').find(Boolean)!;
    const bundle = JSON.parse(line) as { dsseEnvelope: { payload: string } };
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as { predicate: { commits: { files: { lines: { attribution: string }[] }[] }[] } };
    for (const commit of statement.predicate.commits) for (const file of commit.files) for (const range of file.lines) range.attribution = 'human';
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    repo.git(['notes', `--ref=${NOTES}`, 'add', '-f', '-F', '-', ai], { input: `${JSON.stringify(bundle)}\n` });
    repo.git(['notes', `--ref=${NOTES}`, 'add', '-f', '-F', '-', repo.git(['rev-parse', 'HEAD']).stdout.trim()], { input: `${JSON.stringify(bundle)}\n` });
    // Replace the remote's notes outright (a merge would keep the genuine lines too).
    repo.git(['push', '-q', '--no-verify', '--force', 'origin', NOTES]);
    const result = runPullRequest(repo);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/signature/i);
  });
});

describe("the README's workflow on a push", () => {
  it('verifies the commits a push to main adds, a clean unattested merge included', () => {
    const { repo } = prShapedHistory();
    repo.git(['checkout', '-q', 'main']);
    const before = repo.git(['rev-parse', 'HEAD']).stdout.trim();
    repo.git(['merge', '-q', '--no-ff', '--no-edit', 'feature']);
    const merge = repo.git(['rev-parse', 'HEAD']).stdout.trim();
    // Merged on GitHub's side, say: nobody attested the merge commit.
    repo.git(['push', '-q', '--no-verify', 'origin', 'main']);
    const result = runStep(repo, checkout(repo, merge), pushContext(before, merge));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${merge.slice(0, 10)}  not attested`);
    expect(result.stdout).toContain('ok (clean merge)');
  });

  it('verifies a new branch (before is all zeros) against the default branch', () => {
    const { repo } = prShapedHistory();
    const head = repo.git(['rev-parse', 'HEAD']).stdout.trim();
    const ok = runStep(repo, checkout(repo, 'refs/remotes/origin/feature'), pushContext(ZERO, head));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('trace verify origin/main..HEAD');
    expect(ok.stdout).toContain('2 commit(s), 2 attested');
    repo.write('late.txt', 'late\n');
    const late = repo.commit('pushed without trace');
    repo.git(['push', '-q', '--no-verify', 'origin', 'feature']);
    const failed = runStep(repo, checkout(repo, 'refs/remotes/origin/feature'), pushContext(ZERO, late));
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(`${late.slice(0, 10)}::not attested`);
  });

  it('passes with a notice on the first push of the default branch (nothing to verify yet)', () => {
    const repo = makeRepo();
    const head = repo.commit('trace set up');
    repo.git(['push', '-q', 'origin', 'main']);
    const result = runStep(repo, checkout(repo, 'refs/remotes/origin/main'), pushContext(ZERO, head));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('nothing to verify');
  });
});

/** The workflow's step that publishes the report (the one after verify). */
function publishStep(): Step {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => /^jobs:/m.test(b))!;
  const steps = Object.values((parse(block) as { jobs: Record<string, { steps: Step[] }> }).jobs).flatMap((job) => job.steps);
  const publish = steps.filter((s) => s.run?.includes('trace-report.md') && !s.run.includes('trace verify'));
  expect(publish).toHaveLength(1);
  return publish[0]!;
}

/**
 * A stand-in for `gh api` over one pull request's comments, kept in a JSON file: list (with --jq, the
 * filter the README uses, evaluated here), create (POST) and update (PATCH), each body from --input -.
 */
function fakeGh(bin: string, store: string): void {
  writeFileSync(store, '[]');
  const script = `
const fs = require('node:fs');
const args = process.argv.slice(2);
const comments = JSON.parse(fs.readFileSync(${JSON.stringify(store)}, 'utf8'));
const method = args.includes('-X') ? args[args.indexOf('-X') + 1] : 'GET';
const path = args.find((a) => a.startsWith('repos/'));
const save = () => fs.writeFileSync(${JSON.stringify(store)}, JSON.stringify(comments));
if (args[0] !== 'api' || !path) { console.error('fake gh: ' + args.join(' ')); process.exit(2); }
if (method === 'GET') {
  if (!args.join(' ').includes('startswith("<!-- chainloop-trace-report -->")')) { console.error('fake gh: unexpected filter'); process.exit(2); }
  for (const c of comments) if (c.body.startsWith('<!-- chainloop-trace-report -->')) console.log(c.id);
} else {
  const body = JSON.parse(fs.readFileSync(0, 'utf8')).body;
  if (method === 'POST' && /issues\\/\\d+\\/comments$/.test(path)) comments.push({ id: comments.length + 1, body });
  else if (method === 'PATCH') comments.find((c) => String(c.id) === path.split('/').pop()).body = body;
  else { console.error('fake gh: ' + method + ' ' + path); process.exit(2); }
  save();
}
`;
  writeFileSync(join(bin, 'gh.cjs'), script);
  writeFileSync(join(bin, 'gh'), `#!/bin/sh\nexec "${process.execPath}" "${join(bin, 'gh.cjs')}" "$@"\n`);
  chmodSync(join(bin, 'gh'), 0o755);
}

describe("the README's workflow publishes the report", () => {
  it('as one pull-request comment, updated on the next push, and in the job summary', () => {
    const { repo } = prShapedHistory();
    const bin = join(repo.home, 'fake-bin');
    mkdirSync(bin, { recursive: true });
    const store = join(repo.home, 'comments.json');
    fakeGh(bin, store);
    const publish = publishStep();
    const context = { 'github.token': 'x', 'github.event.pull_request.number': '1', 'github.repository': 'acme/app' };
    const pass = (dir: string) => {
      const summary = join(repo.home, 'step-summary.md');
      const env = Object.fromEntries(Object.entries(publish.env ?? {}).map(([k, v]) => [k, substitute(String(v), context)]));
      return { result: run('bash', ['-e', '-c', substitute(publish.run!, context)], { cwd: dir, env: { ...repo.env, ...env, PATH: `${bin}:${repo.env.PATH ?? ''}`, GITHUB_STEP_SUMMARY: summary } }), summary: readFileSync(summary, 'utf8') };
    };
    makePullRequest(repo, 1, 'main', 'feature');
    const first = checkout(repo, 'refs/remotes/pull/1/merge', ['+refs/pull/1/merge:refs/remotes/pull/1/merge']);
    expect(runStep(repo, first, pullRequestContext(repo, 1, 'main')).code).toBe(0);
    const one = pass(first);
    expect(one.result.stderr).toBe('');
    expect(one.result.code).toBe(0);
    expect(one.summary).toContain('### trace report ✅');
    let comments = JSON.parse(readFileSync(store, 'utf8')) as { id: number; body: string }[];
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('**2 commit(s)**: 2 attested, 2 verified, 0 unattested');

    // The next push: the same comment, now with three commits.
    repo.write('more.md', 'more\n');
    repo.commit('more by hand');
    repo.git(['push', '-q', 'origin', 'feature']);
    makePullRequest(repo, 1, 'main', 'feature');
    const second = checkout(repo, 'refs/remotes/pull/1/merge', ['+refs/pull/1/merge:refs/remotes/pull/1/merge']);
    expect(runStep(repo, second, pullRequestContext(repo, 1, 'main')).code).toBe(0);
    expect(pass(second).result.code).toBe(0);
    comments = JSON.parse(readFileSync(store, 'utf8')) as { id: number; body: string }[];
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('**3 commit(s)**: 3 attested');
  });
});
