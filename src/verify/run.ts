// trace verify: for a range of commits, check each attestation's signature and signer, that the
// commit is a subject, that the predicate is valid and agrees with git, then the team's policies.
// The result is a value; the command renders it and picks the exit code.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { commitDiffs } from '../attribution/commit-diff.js';
import { CONFIG_FILE } from '../config.js';
import { checkConsistency } from '../core/consistency.js';
import type { Statement } from '../core/predicate.js';
import { TraceError, errorMessage } from '../errors.js';
import { commitId, gitRaw } from '../git.js';
import { remoteDefault } from './remote.js';
import type { Repo } from '../repo.js';
import { publicKeyId } from '../signing/key.js';
import { keysAt, type TrustedKey } from '../signing/public-keys.js';
import { signerLabel, trustAt, trustPolicy } from './trust.js';
import type { TrustPolicy, VerifyFailureCode } from '../signing/verify.js';
import { NOTES_REF, readNotes } from '../upload/notes.js';

export interface VerifyOptions {
  repo: Repo;
  /** `A..B`, or one commit; undefined: the current branch's commits not on the remote's default branch. */
  range?: string;
  allCommits: boolean;
  fetch: boolean;
  remote: string;
  bundleFiles: string[];
  keyFiles: string[];
  identity?: { subject?: string; subjectRegExp?: string; issuer?: string };
  trustedRootFile?: string;
  policyFile?: string;
  /** Called once the number of commits is known; what it returns hears how far verification is. */
  progress?: (total: number) => { update(done: number): void; done(): void };
}

export type { Violation } from '../core/policy.js';
import type { Policies, Violation } from '../core/policy.js';

export interface CommitVerdict {
  sha: string;
  attested: boolean;
  ok: boolean;
  signers: string[];
  ai_lines: number;
  added_lines: number;
  sessions: string[];
  agents: string[];
  models: string[];
  failures: string[];
  violations: Violation[];
  /**
   * Merge commits only: `clean` when the commit's tree is what merging its parents gives (it adds
   * no lines of its own and needs no attestation), `resolved` when it differs (conflict resolution
   * or other changes: it must be attested), `unknown` when git could not tell (an octopus merge,
   * or history missing from a shallow clone).
   */
  merge?: 'clean' | 'resolved' | 'unknown';
  /** What is worth knowing but does not fail the commit (during adoption: what would have). */
  notes: string[];
}

export interface VerifyResult {
  range: string;
  base: string | null;
  /** The tip of the range. */
  head: string | null;
  /**
   * True when the base has no `.chainloop.yml`: the range adopts trace, nothing at its base can vouch
   * for it, so failures are reported as notes and the range passes; enforcement starts once it is merged.
   */
  adoption: boolean;
  /** `git rev-parse --is-shallow-repository`: keys, policies and merges need the whole history. */
  shallow: boolean;
  /** Sentences for the reader: adoption, an empty range, a shallow clone, key files that do not parse. */
  notices: string[];
  commits: CommitVerdict[];
  bundles_verified: number;
  fetch?: { merged: boolean; problems: string[] };
  violations: Violation[];
  ok: boolean;
}

async function revParse(cwd: string, rev: string): Promise<string | null> {
  return (await commitId(cwd, rev)) ?? null;
}

const SHALLOW_HINT = 'this clone is shallow: fetch the whole history (in GitHub Actions, actions/checkout with `fetch-depth: 0`; elsewhere `git fetch --unshallow`)';

export interface ResolvedRange {
  label: string;
  base: string | null;
  head: string | null;
  commits: string[];
  /** True when the range was given on the command line. */
  explicit: boolean;
}

export async function resolveRange(cwd: string, remote: string, range: string | undefined, shallow = false): Promise<ResolvedRange> {
  let label: string;
  let base: string | null;
  let head: string | null;
  let args: string[];
  const notACommit = (rev: string) =>
    new TraceError('BAD_ARGUMENT', `${rev} is not a commit here`, {
      hint: shallow ? SHALLOW_HINT : 'give a range like origin/main..HEAD; in CI check out with fetch-depth: 0',
    });
  if (range === undefined) {
    const upstream = await remoteDefault(cwd, remote);
    label = upstream ? `${upstream.replace('refs/remotes/', '')}..HEAD` : 'HEAD';
    base = upstream ? await revParse(cwd, upstream) : null;
    head = await revParse(cwd, 'HEAD');
    args = upstream ? [`${upstream}..HEAD`] : ['HEAD'];
  } else if (range.includes('..')) {
    const [left, right] = range.split(/\.\.\.?/);
    label = range;
    base = await revParse(cwd, left || 'HEAD');
    if (!base) throw notACommit(left ?? range);
    head = await revParse(cwd, right || 'HEAD');
    if (!head) throw notACommit(right ?? range);
    args = [range];
  } else {
    const sha = await revParse(cwd, range);
    if (!sha) throw notACommit(range);
    label = range;
    base = await revParse(cwd, `${sha}^`);
    head = sha;
    args = ['--no-walk', sha];
  }
  const listed = await gitRaw(['rev-list', '--reverse', '--topo-order', ...args, '--'], { cwd, okCodes: [128] });
  if (listed.code !== 0) throw new TraceError('BAD_ARGUMENT', `${label} is not a commit range here: ${listed.stderr.trim()}`, shallow ? { hint: SHALLOW_HINT } : {});
  return { label, base, head, commits: listed.stdout.toString('utf8').split('\n').filter(Boolean), explicit: range !== undefined };
}

/** Why an explicit range has no commits, as far as git can tell. */
async function whyEmpty(cwd: string, range: ResolvedRange): Promise<string> {
  if (range.base && range.head) {
    if (range.base === range.head) return 'both ends are the same commit';
    const reversed = await gitRaw(['rev-list', '--count', `${range.head}..${range.base}`], { cwd, okCodes: [128] });
    const count = Number(reversed.stdout.toString('utf8').trim());
    if (count > 0) return `its end is an ancestor of its start: is it reversed? (${range.head.slice(0, 10)}..${range.base.slice(0, 10)} has ${count} commit(s))`;
    return `${range.head.slice(0, 10)} is already contained in ${range.base.slice(0, 10)}`;
  }
  return 'it selects nothing';
}

/** Is `rev`'s tree what merging its parents gives? Only two-parent merges can be checked. */
async function mergeKind(cwd: string, parents: readonly string[], sha: string): Promise<'clean' | 'resolved' | 'unknown'> {
  if (parents.length !== 2) return 'unknown';
  const merged = await gitRaw(['merge-tree', '--write-tree', '--no-messages', parents[0]!, parents[1]!], { cwd, okCodes: [1, 128, 129] });
  // Exit 1: the parents conflict, so the committed tree holds a resolution.
  if (merged.code === 1) return 'resolved';
  if (merged.code !== 0) return 'unknown';
  const tree = merged.stdout.toString('utf8').split('\n')[0]?.trim();
  const committed = (await gitRaw(['rev-parse', '--verify', '--quiet', `${sha}^{tree}`], { cwd, okCodes: [1, 128] })).stdout.toString('utf8').trim();
  return tree && tree === committed ? 'clean' : 'resolved';
}

async function isShallow(cwd: string): Promise<boolean> {
  const out = await gitRaw(['rev-parse', '--is-shallow-repository'], { cwd, okCodes: [128] });
  return out.stdout.toString('utf8').trim() === 'true';
}

function digest(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

/** A verification with what it read: the valid statements of the range and the policies it applied (for `trace report`). */
export interface VerifiedRange {
  result: VerifyResult;
  /** Each distinct valid statement that attests a commit of the range, in the order first met. */
  statements: Statement[];
  /** The policies checked (from --policy, else `trace.policies` at the base); undefined when the range is empty. */
  policies: Policies | undefined;
}

export async function verifyRange(options: VerifyOptions): Promise<VerifyResult> {
  return (await verifyRangeEvidence(options)).result;
}

export async function verifyRangeEvidence(options: VerifyOptions): Promise<VerifiedRange> {
  const cwd = options.repo.root;
  const shallow = await isShallow(cwd);
  const result: VerifyResult = { range: '', base: null, head: null, adoption: false, shallow, notices: [], commits: [], bundles_verified: 0, violations: [], ok: true };
  if (shallow) result.notices.push(`${SHALLOW_HINT}; keys, policies and merges are read from history`);
  if (options.fetch && options.bundleFiles.length === 0) {
    const { assertRemote } = await import('./remote.js');
    await assertRemote(cwd, options.remote, 'pass --no-fetch to verify the notes already here');
    const { fetchNotes } = await import('../upload/notes.js');
    const fetched = await fetchNotes(cwd, options.remote).catch((cause: unknown) => {
      // fetchNotes already says what failed; add only what verify can do about it.
      throw new TraceError('UPLOAD_FAILED', cause instanceof TraceError ? cause.message : `cannot fetch ${NOTES_REF} from ${options.remote}: ${errorMessage(cause)}`, {
        cause,
        hint: `check that \`git fetch ${options.remote}\` works, or pass --no-fetch to verify the notes already here`,
      });
    });
    result.fetch = { merged: fetched.merged, problems: fetched.problems.map((p) => (p.commit ? `${p.commit.slice(0, 12)}: ${p.reason}` : p.reason)) };
  }
  const range = await resolveRange(cwd, options.remote, options.range, shallow);
  result.range = range.label;
  result.base = range.base;
  result.head = range.head;
  if (range.commits.length === 0) {
    // Never a silent "0 commits OK": a range given for CI that selects nothing is a mistake in it.
    if (range.explicit && options.allCommits) {
      throw new TraceError('BAD_ARGUMENT', `the range ${range.label} has no commits: ${await whyEmpty(cwd, range)}`, {
        hint: shallow ? SHALLOW_HINT : 'give the range as BASE..HEAD (older commit first), e.g. origin/main..HEAD',
      });
    }
    result.notices.push(range.explicit ? `nothing to verify: the range ${range.label} has no commits (${await whyEmpty(cwd, range)})` : `nothing to verify: ${range.label} has no commits (the branch has nothing the remote's default branch does not have)`);
    return { result, statements: [], policies: undefined };
  }

  // Trust comes from the base of the range: a range cannot vouch for itself. A base without
  // trace's configuration means this range adopts trace: nothing there can vouch for anything yet.
  const baseTrust = await trustAt(cwd, range.base);
  const config = baseTrust.config;
  result.adoption = !baseTrust.configExists;
  if (result.adoption) {
    result.notices.push(`trace is adopted in this range; enforcement starts once it is merged (${range.base ? `no ${CONFIG_FILE} at its base ${range.base.slice(0, 10)}` : 'the range starts at the first commit'}: problems are reported as notes, not failures)`);
  }
  const publicKeys = baseTrust.publicKeys;
  const baseKeyCount = publicKeys.size;
  if (range.base) for (const bad of baseTrust.invalidKeys) result.notices.push(`${bad.file} at the base ${range.base.slice(0, 10)} is ignored: ${bad.reason}`);
  for (const file of options.keyFiles) addKey(publicKeys, readText(file, '--key'), file);
  const rootFile = options.trustedRootFile ?? baseTrust.trustedRootFile;
  const trust: TrustPolicy = trustPolicy(baseTrust, {
    ...(options.identity ? { identity: options.identity } : {}),
    ...(rootFile ? { trustedRoot: JSON.parse(readText(rootFile, '--trusted-root')) as object } : {}),
  });

  // Bundles per commit: from the notes, or from --bundle files (each a bundle, or JSON Lines of them).
  const linesByCommit = new Map<string, string[]>();
  if (options.bundleFiles.length > 0) {
    const lines = options.bundleFiles.flatMap((file) => bundleLines(readText(file, '--bundle')));
    for (const sha of range.commits) linesByCommit.set(sha, lines);
  } else {
    for (const [sha, lines] of await readNotes(cwd, range.commits, NOTES_REF)) linesByCommit.set(sha, lines);
  }

  const { verifyAttestation } = await import('./attestation.js');
  // Keyless bundles need Sigstore's trusted root; without --trusted-root it comes from Sigstore's
  // TUF repository (online), fetched once and only when a keyless bundle is met.
  let tufTried = false;
  const verifyWithRoot = async (bundle: unknown) => {
    const outcome = await verifyAttestation(bundle, trust);
    if (outcome.ok || outcome.code !== 'NO_TRUST_POLICY' || trust.trustedRoot !== undefined || tufTried) return outcome;
    tufTried = true;
    try {
      const [{ getTrustedRoot }, { TrustedRoot }] = await Promise.all([import('@sigstore/tuf'), import('@sigstore/protobuf-specs')]);
      trust.trustedRoot = TrustedRoot.toJSON(await getTrustedRoot()) as object;
    } catch (cause) {
      return { ...outcome, message: `${outcome.message} Fetching Sigstore's public trusted root failed (${(cause as Error).message}): pass --trusted-root FILE.` };
    }
    return verifyAttestation(bundle, trust);
  };
  // The keys the range's head commits, to name the owner of a key that is not trusted yet.
  let headKeys: TrustedKey[] | undefined;
  const untrustedKeyMessage = async (keyId: string): Promise<string> => {
    headKeys ??= range.head ? (await keysAt(cwd, range.head)).keys : [];
    const atHead = headKeys.find((key) => key.keyId === keyId);
    const file = atHead?.file ?? `.chainloop/keys/${keyId.slice(0, 16)}.pem`;
    const where = range.base ? `at the base ${range.base.slice(0, 10)}` : 'at the base of the range';
    const trusted = `${baseKeyCount} key(s) trusted there${baseKeyCount === 0 && shallow ? ': the clone is shallow, check out with fetch-depth: 0' : ''}`;
    const added = atHead ? `; this range adds ${file}, but a change cannot vouch for itself` : '';
    return `signed with key ${keyId.slice(0, 16)} of ${atHead?.owner ?? 'unknown'}, which is not trusted ${where} (${trusted})${added}. Fix: a maintainer merges a change that adds \`${file}\` (its owner runs \`trace keys add\`); then re-run`;
  };
  type Checked = { ok: true; statement: Statement; signer: string } | { ok: false; message: string; code?: VerifyFailureCode; keyId?: string };
  const verified = new Map<string, Checked>();
  const check = async (line: string): Promise<Checked> => {
    const key = digest(line);
    let outcome = verified.get(key);
    if (!outcome) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      const signature = parsed === undefined ? { ok: false as const, message: 'the note line is not JSON' } : await verifyWithRoot(parsed);
      if (!signature.ok) {
        const keyId = keyHint(parsed);
        outcome = 'code' in signature && signature.code === 'UNTRUSTED_KEY' && keyId ? { ok: false, code: signature.code, keyId, message: await untrustedKeyMessage(keyId) } : { ok: false, message: signature.message };
      } else {
        outcome = { ok: true, statement: signature.statement, signer: signerLabel(signature.signer) };
      }
      verified.set(key, outcome);
      result.bundles_verified++;
    }
    return outcome;
  };

  const parents = await parentsOf(cwd, range.commits);
  const diffs = await commitDiffs(cwd, range.commits.map((sha) => ({ sha, parent: parents.get(sha)?.[0] ?? null })));
  const statementsInRange = new Map<string, Statement>();
  const shown = options.progress?.(range.commits.length);
  try {
    for (const [index, sha] of range.commits.entries()) {
      shown?.update(index);
      result.commits.push(await verifyCommit(sha));
    }
  } finally {
    shown?.done();
  }

  async function verifyCommit(sha: string): Promise<CommitVerdict> {
    const verdict: CommitVerdict = { sha, attested: false, ok: true, signers: [], ai_lines: 0, added_lines: 0, sessions: [], agents: [], models: [], failures: [], violations: [], notes: [] };
    const commitParents = parents.get(sha) ?? [];
    if (commitParents.length > 1) verdict.merge = await mergeKind(cwd, commitParents, sha);
    const lines = linesByCommit.get(sha) ?? [];
    let matched = 0;
    for (const line of lines) {
      const outcome = await check(line);
      if (!outcome.ok) {
        if (options.bundleFiles.length === 0) verdict.failures.push(`bundle ${digest(line).slice(0, 12)}: ${outcome.message}`);
        continue;
      }
      const statement = outcome.statement;
      if (!statement.subject.some((s) => s.digest.gitCommit === sha)) {
        if (options.bundleFiles.length === 0) verdict.failures.push(`bundle ${digest(line).slice(0, 12)} signed by ${outcome.signer} does not name this commit as a subject (copied from another commit?)`);
        continue;
      }
      const commit = statement.predicate.commits.find((c) => c.sha === sha);
      if (!commit) {
        verdict.failures.push(`bundle ${digest(line).slice(0, 12)} names the commit as a subject but has no attribution for it`);
        continue;
      }
      matched++;
      verdict.attested = true;
      verdict.signers.push(outcome.signer);
      for (const problem of checkConsistency(commit, commitParents, diffs.get(sha) ?? [])) verdict.failures.push(`disagrees with git: ${problem}`);
      statementsInRange.set(digest(line), statement);
      const files = commit.files.filter((f) => !f.generated);
      verdict.ai_lines = files.reduce((n, f) => n + f.ai_lines_added, 0);
      verdict.added_lines = files.reduce((n, f) => n + f.lines_added, 0);
      verdict.sessions = commit.session_ids;
      for (const session of statement.predicate.sessions as unknown as { session: { id: string }; agent: { name: string }; model?: { models_used?: string[] } }[]) {
        if (!commit.session_ids.includes(session.session.id)) continue;
        verdict.agents.push(session.agent.name);
        verdict.models.push(...(session.model?.models_used ?? []));
      }
    }
    verdict.signers = [...new Set(verdict.signers)];
    verdict.agents = [...new Set(verdict.agents)];
    verdict.models = [...new Set(verdict.models)];
    if (matched === 0 && verdict.merge === 'clean') {
      // GitHub's pull-request merge commit, or any merge git would have made by itself: its lines
      // are its parents' lines, each verified where it was written.
      verdict.notes.push('clean merge: its tree is what merging its parents gives, so it adds no lines of its own and needs no attestation');
    } else if (matched === 0 && options.allCommits) {
      if (verdict.merge === 'resolved') {
        verdict.failures.push(`merge commit that changes lines beyond merging its parents (a conflict resolution or an edit), and ${lines.length === 0 ? 'it is not attested' : 'none of its attestations is valid'}: it must be attested. Fix: run \`trace attest ${sha.slice(0, 12)}\` where trace is set up (or push it from there), then re-run`);
      } else if (verdict.merge === 'unknown') {
        verdict.failures.push(`merge commit that git cannot re-merge here (${commitParents.length > 2 ? 'an octopus merge' : shallow ? 'the clone is shallow' : 'history is missing'}), and not validly attested`);
      } else verdict.failures.push(lines.length === 0 ? 'not attested' : 'no valid attestation for this commit');
    }
    verdict.ok = verdict.failures.length === 0;
    return verdict;
  }

  const { evaluateRangePolicies, loadPolicyFile } = await import('./policies.js');
  const policies = options.policyFile ? loadPolicyFile(options.policyFile) : config.trace.policies;
  const violations = await evaluateRangePolicies({ statements: [...statementsInRange.values()], config, cwd, ...(options.policyFile ? { policyFile: options.policyFile } : {}) });
  result.violations = violations;
  for (const violation of violations) {
    const verdict = result.commits.find((c) => c.sha === violation.commit);
    if (verdict) {
      verdict.violations.push(violation);
      verdict.ok = false;
    }
  }
  if (result.adoption) {
    // Checked and reported, but nothing at the base can hold this range to anything yet.
    for (const verdict of result.commits) {
      verdict.notes.push(...verdict.failures, ...verdict.violations.map((v) => `policy ${v.rule}: ${v.message}`));
      verdict.failures = [];
      verdict.violations = [];
      verdict.ok = true;
    }
  }
  result.ok = result.commits.every((c) => c.ok) && (result.adoption || violations.length === 0);
  return { result, statements: [...statementsInRange.values()], policies };
}

/** The public-key hint of a key-signed bundle. */
function keyHint(bundle: unknown): string | undefined {
  const hint = (bundle as { verificationMaterial?: { publicKey?: { hint?: unknown } } } | undefined)?.verificationMaterial?.publicKey?.hint;
  return typeof hint === 'string' && hint ? hint : undefined;
}

async function parentsOf(cwd: string, commits: readonly string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  if (commits.length === 0) return result;
  const out = (await gitRaw(['rev-list', '--no-walk=unsorted', '--parents', '--stdin'], { cwd, input: `${commits.join('\n')}\n` })).stdout.toString('utf8');
  for (const line of out.split('\n').filter(Boolean)) {
    const [sha, ...parents] = line.split(' ');
    result.set(sha!, parents);
  }
  return result;
}

function addKey(keys: Map<string, string>, pem: string, source: string): void {
  try {
    keys.set(publicKeyId(pem), pem);
  } catch (cause) {
    throw new TraceError('BAD_CONFIG', `${source} is not a PEM public key`, { cause });
  }
}

function readText(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new TraceError('BAD_ARGUMENT', `${option} ${file}: ${(cause as Error).message}`, { cause });
  }
}

function bundleLines(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') && !trimmed.includes('\n{')) {
    try {
      return [JSON.stringify(JSON.parse(trimmed))];
    } catch {
      // not one JSON document: JSON Lines below
    }
  }
  return trimmed.split('\n').map((l) => l.trim()).filter(Boolean);
}
