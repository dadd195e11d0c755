// trace verify: for a range of commits, check each attestation's signature and signer, that the
// commit is a subject, that the predicate is valid and agrees with git, then the team's policies.
// The result is a value; the command renders it and picks the exit code.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { commitDiffs } from '../attribution/commit-diff.js';
import { parseConfig, type TraceConfig } from '../config.js';
import { checkConsistency } from '../core/consistency.js';
import { type Statement, statementIssues } from '../core/predicate.js';
import { TraceError } from '../errors.js';
import { commitId, gitRaw } from '../git.js';
import type { Repo } from '../repo.js';
import { publicKeyId } from '../signing/key.js';
import type { TrustPolicy } from '../signing/verify.js';
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
}

export type { Violation } from '../core/policy.js';
import type { Violation } from '../core/policy.js';

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
}

export interface VerifyResult {
  range: string;
  base: string | null;
  commits: CommitVerdict[];
  bundles_verified: number;
  fetch?: { merged: boolean; problems: string[] };
  violations: Violation[];
  ok: boolean;
}

async function revParse(cwd: string, rev: string): Promise<string | null> {
  return (await commitId(cwd, rev)) ?? null;
}

/** The remote's default branch as a local ref: origin/HEAD, else origin/main, else origin/master. */
async function remoteDefault(cwd: string, remote: string): Promise<string | null> {
  const symbolic = await gitRaw(['symbolic-ref', '--quiet', `refs/remotes/${remote}/HEAD`], { cwd, okCodes: [1, 128] });
  const candidates = [symbolic.code === 0 ? symbolic.stdout.toString('utf8').trim() : '', `refs/remotes/${remote}/main`, `refs/remotes/${remote}/master`];
  for (const ref of candidates) if (ref && (await revParse(cwd, ref))) return ref;
  return null;
}

export async function resolveRange(cwd: string, remote: string, range: string | undefined): Promise<{ label: string; base: string | null; commits: string[] }> {
  let label: string;
  let base: string | null;
  let args: string[];
  if (range === undefined) {
    const upstream = await remoteDefault(cwd, remote);
    label = upstream ? `${upstream.replace('refs/remotes/', '')}..HEAD` : 'HEAD';
    base = upstream ? await revParse(cwd, upstream) : null;
    args = upstream ? [`${upstream}..HEAD`] : ['HEAD'];
  } else if (range.includes('..')) {
    const [left] = range.split(/\.\.\.?/);
    label = range;
    base = await revParse(cwd, left || 'HEAD');
    if (!base) throw new TraceError('BAD_ARGUMENT', `${left} is not a commit here`, { hint: 'give a range like origin/main..HEAD; in CI check out with fetch-depth: 0' });
    args = [range];
  } else {
    const sha = await revParse(cwd, range);
    if (!sha) throw new TraceError('BAD_ARGUMENT', `${range} is not a commit here`);
    label = range;
    base = await revParse(cwd, `${sha}^`);
    args = ['--no-walk', sha];
  }
  const listed = await gitRaw(['rev-list', '--reverse', '--topo-order', ...args, '--'], { cwd, okCodes: [128] });
  if (listed.code !== 0) throw new TraceError('BAD_ARGUMENT', `${label} is not a commit range here: ${listed.stderr.trim()}`);
  return { label, base, commits: listed.stdout.toString('utf8').split('\n').filter(Boolean) };
}

/** Files of the repository as they are at `rev` (keys and config are read at the base of the range, not its head). */
async function filesAt(cwd: string, rev: string, dir: string): Promise<Map<string, string>> {
  const listing = await gitRaw(['ls-tree', '-r', '-z', '--name-only', rev, '--', dir], { cwd, okCodes: [128] });
  const files = new Map<string, string>();
  for (const path of listing.stdout.toString('utf8').split('\0').filter(Boolean)) {
    files.set(path, (await gitRaw(['show', `${rev}:${path}`], { cwd })).stdout.toString('utf8'));
  }
  return files;
}

async function configAt(cwd: string, rev: string | null): Promise<TraceConfig> {
  if (!rev) return parseConfig('');
  const shown = await gitRaw(['show', `${rev}:.chainloop.yml`], { cwd, okCodes: [128] });
  return parseConfig(shown.code === 0 ? shown.stdout.toString('utf8') : '', `.chainloop.yml at ${rev.slice(0, 12)}`);
}

function digest(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

export async function verifyRange(options: VerifyOptions): Promise<VerifyResult> {
  const cwd = options.repo.root;
  const result: VerifyResult = { range: '', base: null, commits: [], bundles_verified: 0, violations: [], ok: true };
  if (options.fetch && options.bundleFiles.length === 0) {
    const { fetchNotes } = await import('../upload/notes.js');
    const fetched = await fetchNotes(cwd, options.remote).catch((cause: unknown) => {
      throw new TraceError('UPLOAD_FAILED', `cannot fetch ${NOTES_REF} from ${options.remote}: ${(cause as Error).message}`, { cause, hint: 'use --no-fetch to verify the notes already here' });
    });
    result.fetch = { merged: fetched.merged, problems: fetched.problems.map((p) => (p.commit ? `${p.commit.slice(0, 12)}: ${p.reason}` : p.reason)) };
  }
  const range = await resolveRange(cwd, options.remote, options.range);
  result.range = range.label;
  result.base = range.base;

  // Trust comes from the base of the range: a range cannot vouch for itself.
  const config = await configAt(cwd, range.base);
  const publicKeys = new Map<string, string>();
  if (range.base) for (const pem of (await filesAt(cwd, range.base, '.chainloop/keys')).values()) addKey(publicKeys, pem, 'a key in .chainloop/keys');
  for (const file of options.keyFiles) addKey(publicKeys, readText(file, '--key'), file);
  const identity = {
    ...(config.trace.verify.certificateIdentity ? { subject: config.trace.verify.certificateIdentity } : {}),
    ...(config.trace.verify.certificateIdentityRegexp ? { subjectRegExp: config.trace.verify.certificateIdentityRegexp } : {}),
    ...(config.trace.verify.certificateOidcIssuer ? { issuer: config.trace.verify.certificateOidcIssuer } : {}),
    ...options.identity,
  };
  const rootFile = options.trustedRootFile ?? (config.trace.verify.trustedRoot ? (isAbsolute(config.trace.verify.trustedRoot) ? config.trace.verify.trustedRoot : join(cwd, config.trace.verify.trustedRoot)) : undefined);
  const trust: TrustPolicy = { publicKeys, ...(rootFile ? { trustedRoot: JSON.parse(readText(rootFile, '--trusted-root')) as object } : {}), ...(Object.keys(identity).length ? { identity } : {}) };

  // Bundles per commit: from the notes, or from --bundle files (each a bundle, or JSON Lines of them).
  const linesByCommit = new Map<string, string[]>();
  if (options.bundleFiles.length > 0) {
    const lines = options.bundleFiles.flatMap((file) => bundleLines(readText(file, '--bundle')));
    for (const sha of range.commits) linesByCommit.set(sha, lines);
  } else {
    for (const [sha, lines] of await readNotes(cwd, range.commits, NOTES_REF)) linesByCommit.set(sha, lines);
  }

  const { verifyBundle } = await import('../signing/verify.js');
  // Keyless bundles need Sigstore's trusted root; without --trusted-root it comes from Sigstore's
  // TUF repository (online), fetched once and only when a keyless bundle is met.
  let tufTried = false;
  const verifyWithRoot = async (bundle: unknown) => {
    const outcome = await verifyBundle(bundle, trust);
    if (outcome.ok || outcome.code !== 'NO_TRUST_POLICY' || trust.trustedRoot !== undefined || tufTried) return outcome;
    tufTried = true;
    try {
      const [{ getTrustedRoot }, { TrustedRoot }] = await Promise.all([import('@sigstore/tuf'), import('@sigstore/protobuf-specs')]);
      trust.trustedRoot = TrustedRoot.toJSON(await getTrustedRoot()) as object;
    } catch (cause) {
      return { ...outcome, message: `${outcome.message} Fetching Sigstore's public trusted root failed (${(cause as Error).message}): pass --trusted-root FILE.` };
    }
    return verifyBundle(bundle, trust);
  };
  const verified = new Map<string, { ok: true; statement: Statement; signer: string } | { ok: false; message: string }>();
  const check = async (line: string) => {
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
      if (!signature.ok) outcome = { ok: false, message: signature.message };
      else {
        const issues = statementIssues(signature.statement);
        outcome = issues.length > 0 ? { ok: false, message: `the statement does not match the predicate schema: ${issues.slice(0, 5).join('; ')}` } : { ok: true, statement: signature.statement as unknown as Statement, signer: signature.signer.kind === 'key' ? `key ${signature.signer.keyId.slice(0, 16)}` : `${signature.signer.subject} (${signature.signer.issuer})` };
      }
      verified.set(key, outcome);
      result.bundles_verified++;
    }
    return outcome;
  };

  const parents = await parentsOf(cwd, range.commits);
  const diffs = await commitDiffs(cwd, range.commits.map((sha) => ({ sha, parent: parents.get(sha)?.[0] ?? null })));
  const statementsInRange = new Map<string, Statement>();
  for (const sha of range.commits) {
    const verdict: CommitVerdict = { sha, attested: false, ok: true, signers: [], ai_lines: 0, added_lines: 0, sessions: [], agents: [], models: [], failures: [], violations: [] };
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
      for (const problem of checkConsistency(commit, parents.get(sha) ?? [], diffs.get(sha) ?? [])) verdict.failures.push(`disagrees with git: ${problem}`);
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
    if (matched === 0 && options.allCommits) verdict.failures.push(lines.length === 0 ? 'not attested' : 'no valid attestation for this commit');
    verdict.ok = verdict.failures.length === 0;
    result.commits.push(verdict);
  }

  const { evaluateRangePolicies } = await import('./policies.js');
  const violations = await evaluateRangePolicies({ statements: [...statementsInRange.values()], config, ...(options.policyFile ? { policyFile: options.policyFile } : {}) });
  result.violations = violations;
  for (const violation of violations) {
    const verdict = result.commits.find((c) => c.sha === violation.commit);
    if (verdict) {
      verdict.violations.push(violation);
      verdict.ok = false;
    }
  }
  result.ok = result.commits.every((c) => c.ok) && violations.length === 0;
  return result;
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
