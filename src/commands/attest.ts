// `trace attest` and trace's part of `pre-push`: compute the statement first (a plan that
// `--dry-run` and `--json` print), then sign, upload and mark the commits attested.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { buildEvidence, phaseTimer } from '../attest/evidence.js';
import { attestable, commitsInRange, commitsToAttest, parsePrePushInput, type RefUpdate } from '../attest/plan.js';
import { chooseSigner, markAttested, uploadBundle, type UploadOutcome } from '../attest/publish.js';
import { CONFIG_FILE, loadConfig, saysRequireTrace, type TraceConfig } from '../config.js';
import { openRepo, requireInitialised } from '../context.js';
import type { Statement } from '../core/predicate.js';
import { TraceError } from '../errors.js';
import { git } from '../git.js';
import { fileLogger, type Logger } from '../log.js';
import type { Outcome } from '../program.js';
import type { Repo } from '../repo.js';
import type { Store } from '../store.js';
import { openSettledStore } from '../capture/open.js';
import { NOTES_REF, readNotes } from '../upload/notes.js';

export interface AttestResult {
  commits: string[];
  already_attested: string[];
  /** Commits among `commits` that an earlier push put on the remote without an attestation. */
  pushed_unattested: string[];
  dry_run: boolean;
  statement?: Statement;
  signer?: string;
  upload?: UploadOutcome;
  output?: string;
  pruned_paths?: number;
  /** Bundles of already-attested commits written to `output` from the notes (`--output` with nothing new to attest). */
  exported_bundles?: number;
  timings: Record<string, number>;
}

interface RunInput {
  repo: Repo;
  store: Store;
  config: TraceConfig;
  commits: string[];
  alreadyAttested: string[];
  pushedUnattested?: string[];
  remote: string | undefined;
  branch?: string;
  dryRun: boolean;
  output?: string;
  env: Readonly<Record<string, string | undefined>>;
  interactive: boolean;
  now: () => Date;
  /** Called as commits are attributed (a progress line). */
  onProgress?: (done: number, total: number) => void;
  /** Sees the statement once it is built, before it is signed (the pre-push policy preview). */
  beforeSigning?: (statement: Statement) => Promise<void>;
}

/** The whole attestation of a set of commits; throws a TraceError saying what failed. */
export async function attestCommits(input: RunInput): Promise<AttestResult> {
  const result: AttestResult = { commits: input.commits, already_attested: input.alreadyAttested, pushed_unattested: input.pushedUnattested ?? [], dry_run: input.dryRun, timings: {} };
  if (input.commits.length === 0) return result;
  // Attesting a large commit (30,000 files) makes much short-lived garbage: V8 would let the heap
  // grow to four times what is live before collecting it (270 MB for 50 MB live); a smaller growth
  // step keeps the push under 200 MB. The flag is read at each collection, so setting it now works.
  setFlagsFromString('--heap-growing-percent=30');
  const evidence = await buildEvidence({ repo: input.repo, store: input.store, config: input.config, commits: input.commits, ...(input.remote ? { remote: input.remote } : {}), ...(input.branch ? { branch: input.branch } : {}), ...(input.onProgress ? { onProgress: input.onProgress } : {}), now: input.now });
  result.statement = evidence.statement;
  Object.assign(result.timings, evidence.timings);
  if (input.beforeSigning) await input.beforeSigning(evidence.statement);
  if (input.dryRun) return result;
  const phase = phaseTimer(result.timings);
  const signer = await chooseSigner({ config: input.config, env: input.env, interactive: input.interactive, stateDir: input.repo.stateDir });
  const { signStatement } = await import('../signing/sign.js');
  const bundle = JSON.stringify(await signStatement(evidence.statement, signer.options));
  result.signer = signer.description;
  phase('signing');
  if (input.output) {
    result.output = resolve(input.output);
    writeFileSync(result.output, `${bundle}\n`);
  }
  result.upload = await uploadBundle({ repo: input.repo, config: input.config, statement: evidence.statement, bundle, remote: input.remote, env: input.env });
  phase('upload');
  result.pruned_paths = (await markAttested(input.repo, input.store, input.commits, input.now().toISOString())).prunedPaths;
  phase('cleanup');
  return result;
}

export interface AttestOptions {
  cwd: string;
  range?: string;
  dryRun?: boolean;
  output?: string;
  remote?: string;
  env: Readonly<Record<string, string | undefined>>;
  interactive: boolean;
}

async function remoteNames(cwd: string): Promise<string[]> {
  return (await git(['remote'], { cwd })).split('\n').filter(Boolean);
}

/** `--remote` names a configured remote, or is a URL or path git can push to; anything else is refused before any work. */
async function chooseRemote(cwd: string, given: string | undefined): Promise<string | undefined> {
  const remotes = await remoteNames(cwd);
  if (given === undefined) return remotes.includes('origin') ? 'origin' : remotes[0];
  if (remotes.includes(given) || /[/:]/.test(given)) return given;
  throw new TraceError('BAD_ARGUMENT', `--remote ${given}: this repository has no remote of that name${remotes.length ? ` (its remotes: ${remotes.join(', ')})` : ' (it has none)'}`, {
    hint: remotes.length ? `pass one of them, e.g. --remote ${remotes[0]}, or add it with \`git remote add ${given} <url>\`` : `add it with \`git remote add ${given} <url>\``,
  });
}

/** A progress line on stderr while many commits are attributed (only on a terminal, after a second). */
async function attributionProgress(): Promise<{ onProgress: (done: number, total: number) => void; done: () => void }> {
  const { progress } = await import('../terminal.js');
  let line: ReturnType<typeof progress> | undefined;
  return {
    onProgress: (done, total) => {
      line ??= progress('trace: attributing commits', total);
      line.update(done);
    },
    done: () => line?.done(),
  };
}

/** `--output` on commits that are all attested already: their bundles from the notes, as JSON Lines. */
async function exportBundles(cwd: string, commits: readonly string[], output: string): Promise<{ file: string; bundles: number }> {
  const notes = await readNotes(cwd, [...commits], NOTES_REF);
  const lines = [...new Set(commits.flatMap((sha) => notes.get(sha) ?? []))];
  const file = resolve(cwd, output);
  writeFileSync(file, lines.map((line) => `${line}\n`).join(''));
  return { file, bundles: lines.length };
}

/** `trace attest [<range>]`: by default the commits of HEAD not on any remote-tracking branch and not attested yet. */
export async function attest(options: AttestOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  requireInitialised(repo);
  const config = loadConfig(repo.root);
  const remote = await chooseRemote(repo.root, options.remote);
  let commits: string[];
  let alreadyAttested: string[] = [];
  let pushedUnattested: string[] = [];
  if (options.range) {
    const listed = await commitsInRange(repo.root, options.range).catch((cause: unknown) => {
      throw new TraceError('BAD_ARGUMENT', `${options.range} is not a commit range here`, { cause });
    });
    const notes = await readNotes(repo.root, listed, NOTES_REF);
    commits = listed.filter((sha) => !notes.has(sha));
    alreadyAttested = listed.filter((sha) => notes.has(sha));
  } else {
    const head = (await git(['rev-parse', 'HEAD'], { cwd: repo.root })).trim();
    const store = await openSettledStore(repo);
    try {
      ({ commits, alreadyAttested, pushedUnattested } = await commitsToAttest(repo.root, remote ?? '', [{ localRef: 'HEAD', localSha: head, remoteRef: 'refs/heads/(attest)', remoteSha: '0'.repeat(40) }], store));
    } finally {
      store.close();
    }
  }
  if (commits.length === 0 && alreadyAttested.length > 0 && options.output && !options.dryRun) {
    const exported = await exportBundles(repo.root, alreadyAttested, options.output);
    const result: AttestResult = { commits: [], already_attested: alreadyAttested, pushed_unattested: [], dry_run: false, output: exported.file, exported_bundles: exported.bundles, timings: {} };
    return { json: result, text: `nothing new to attest; wrote the ${exported.bundles} bundle(s) of ${alreadyAttested.length} already-attested commit(s) from ${NOTES_REF} to ${exported.file}` };
  }
  const store = await openSettledStore(repo);
  const progressLine = await attributionProgress();
  try {
    const result = await attestCommits({
      repo,
      store,
      config,
      commits,
      alreadyAttested,
      pushedUnattested,
      remote,
      dryRun: options.dryRun === true,
      ...(options.output ? { output: options.output } : {}),
      env: options.env,
      interactive: options.interactive,
      onProgress: progressLine.onProgress,
      // The same preview as pre-push: what CI will say about this statement, before it is signed.
      beforeSigning: async (statement) => {
        progressLine.done();
        await previewPolicyViolations(repo.root, remote ?? '', statement, config.trace.redaction, fileLogger(repo.stateDir, () => new Date()), options.dryRun ? 'nothing is signed (--dry-run)' : 'signing it anyway');
      },
      now: () => new Date(),
    });
    progressLine.done();
    if (options.dryRun) {
      // The statement when there is one (what would be signed); else an object saying why there is none.
      if (result.statement) return { json: result.statement, text: JSON.stringify(result.statement, null, 2) };
      return { json: { commits: [], already_attested: result.already_attested, dry_run: true, statement: null }, text: 'nothing to attest: every commit in the range already has an attestation' };
    }
    return { json: result, text: renderAttest(result) };
  } finally {
    progressLine.done();
    store.close();
  }
}

function renderAttest(result: AttestResult): string {
  if (result.commits.length === 0) return `nothing to attest${result.already_attested.length ? ` (${result.already_attested.length} commit(s) already attested)` : ''}`;
  const sessions = result.statement?.predicate.sessions.length ?? 0;
  const earlier = result.pushed_unattested.length > 0 ? ` (${result.pushed_unattested.length} of them pushed earlier without an attestation)` : '';
  const lines = [`attested ${result.commits.length} commit(s)${earlier} and ${sessions} session(s), signed with ${result.signer}`];
  if (result.upload?.notes.pushed) lines.push(`  notes pushed (${NOTES_REF}, ${result.upload.notes.attempts} attempt(s))`);
  else lines.push(`  notes written locally (${NOTES_REF})`);
  for (const problem of result.upload?.notes.problems ?? []) lines.push(`  remote notes problem: ${problem}`);
  if (result.upload?.directory) lines.push(`  bundle written to ${result.upload.directory}`);
  if (result.upload?.http) lines.push(`  bundle posted (HTTP ${result.upload.http})`);
  if (result.output) lines.push(`  bundle written to ${result.output}`);
  const redaction = result.statement?.predicate.redaction;
  if (redaction && redaction.total > 0) lines.push(`  redacted ${redaction.total} secret(s): ${redaction.rules.map((r) => `${r.ruleId} ×${r.count}`).join(', ')}`);
  return lines.join('\n');
}

/** Attestations an earlier push could not deliver go with this one, even when it attests nothing new. */
async function deliverWaitingNotes(cwd: string, remote: string): Promise<void> {
  const { fetchNotes, notesWaiting, pushNotes } = await import('../upload/notes.js');
  if (!(await notesWaiting(cwd, remote))) return;
  await fetchNotes(cwd, remote);
  const pushed = await pushNotes(cwd, remote);
  if (!pushed.pushed) throw new TraceError('UPLOAD_FAILED', `attestations from an earlier push are still not on ${remote}: ${pushed.error ?? 'unknown error'}`);
  process.stderr.write(`trace: delivered attestations an earlier push could not upload\n`);
}

/** With requireTrace, a file of the pushed commits whose agent edits could not be captured makes the attestation incomplete. */
function refuseOnCaptureProblems(store: Store, commits: readonly string[]): void {
  const paths = new Set(commits.flatMap((sha) => store.commit(sha)?.files.map((f) => f.path) ?? []));
  const skipped = store.skippedChanges().filter((change) => paths.has(change.path));
  if (skipped.length === 0) return;
  const listed = [...new Map(skipped.map((s) => [s.path, s.skipped])).entries()].slice(0, 5).map(([path, reason]) => `${path} (${reason})`);
  throw new TraceError('VERIFY_FAILED', `agent edits of ${listed.join(', ')} were not captured, so their attribution is incomplete`, {
    hint: 'see `trace status`; raise trace.capture.maxFileBytes if a file was too large, or set requireTrace: false to push anyway',
  });
}

/** Prints on stderr each policy violation CI will report for this push, so nobody learns of it from a red CI run. Never throws. */
async function previewPolicyViolations(cwd: string, remote: string, statement: Statement, redactedWith: TraceConfig['trace']['redaction'], logger: Logger, goingOn: string): Promise<void> {
  try {
    const { previewPolicies, violationFix } = await import('../verify/policies.js');
    const { source, violations } = await previewPolicies({ cwd, remote, statement, redactedWith });
    if (violations.length === 0) return;
    const { style } = await import('../terminal.js');
    const paint = style(process.stderr);
    const lines = [paint.warning(`trace: warning: ${violations.length} policy violation(s) that \`trace verify\` in CI will report (policies of ${source}); ${goingOn}:`)];
    for (const v of violations) {
      lines.push(`  ${paint.warning('✗')} ${v.rule}: ${v.message}`, `    evidence: ${v.evidence}`, `    → ${violationFix(v.rule)}`);
    }
    process.stderr.write(`${lines.join('\n')}\n`);
  } catch (error) {
    logger.log('warn', `pre-push policy preview: ${error instanceof Error ? error.message : String(error)}`);
    const message = (error instanceof Error ? error.message : String(error)).split('\n').join('\n  ');
    const hint = error instanceof TraceError && error.hint ? `\n  → ${error.hint}` : '';
    process.stderr.write(`trace: warning: could not preview the policies CI will check: ${message}${hint}\n`);
  }
}

/** trace's part of pre-push. Never blocks the push unless `requireTrace: true`. */
export async function prePush(input: { repo: Repo; store: Store; remote: string; stdin: string; env: Readonly<Record<string, string | undefined>>; logger: Logger; now: () => Date }): Promise<Outcome> {
  let config: TraceConfig | undefined;
  try {
    config = loadConfig(input.repo.root);
    const redaction = config.trace.redaction;
    const updates: RefUpdate[] = parsePrePushInput(input.stdin);
    const { commits, alreadyAttested, pushedUnattested } = await commitsToAttest(input.repo.root, input.remote, updates, input.store);
    const branch = updates.find((u) => u.remoteRef.startsWith('refs/heads/'))?.remoteRef.slice('refs/heads/'.length);
    if (config.requireTrace) refuseOnCaptureProblems(input.store, commits);
    const progressLine = await attributionProgress();
    const result = await attestCommits({
      ...input,
      config,
      commits,
      alreadyAttested,
      pushedUnattested,
      ...(branch ? { branch } : {}),
      dryRun: false,
      interactive: false,
      onProgress: progressLine.onProgress,
      beforeSigning: async (statement) => {
        progressLine.done();
        await previewPolicyViolations(input.repo.root, input.remote, statement, redaction, input.logger, 'the push goes on');
      },
    }).finally(() => progressLine.done());
    if (result.commits.length > 0) process.stderr.write(`trace: ${renderAttest(result).split('\n')[0]}\n`);
    else if (config.trace.upload.notes && updates.some(attestable)) await deliverWaitingNotes(input.repo.root, input.remote);
    return { json: result, text: '' };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const hint = error instanceof TraceError && error.hint ? `\n  → ${error.hint}` : '';
    const fix = error instanceof TraceError && error.hint ? ` (fix: ${error.hint})` : '';
    input.logger.log('error', `pre-push: ${message}${fix}${error instanceof Error && error.stack ? `\n${error.stack}` : ''}`);
    if (config === undefined && error instanceof TraceError && error.code === 'BAD_CONFIG') {
      // The config could not be read: only the file's own `requireTrace: true` may refuse the push.
      if (saysRequireTrace(input.repo.root)) {
        process.stderr.write(`trace: push refused (${CONFIG_FILE} says requireTrace: true, and it has problems): ${message}${hint}\n  → fix the file, then push again\n`);
        return { json: null, text: '', exitCode: 1 };
      }
      process.stderr.write(`trace: warning: this push went through unattested because ${message}${hint}\n  → its commits stay pending; fix the file and the next push (or \`trace attest\`) attests them\n`);
      return { json: null, text: '' };
    }
    if (config?.requireTrace) {
      process.stderr.write(`trace: push refused (requireTrace is on): ${message}${hint}\n  → fix it, then push again; \`trace status\` shows what is pending\n`);
      return { json: null, text: '', exitCode: 1 };
    }
    process.stderr.write(`trace: warning: this push is not attested (${message.split('\n')[0]}); its commits stay pending: the next push (or \`trace attest\`) attests them${hint}\n`);
    return { json: null, text: '' };
  }
}
