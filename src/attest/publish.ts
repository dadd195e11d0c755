// Signs a statement and uploads the bundle: git notes on every attested commit (pushed to the
// remote), plus the optional directory and HTTP targets. Then marks the commits attested and
// removes captured data no pending work needs.
import { join } from 'node:path';
import type { TraceConfig } from '../config.js';
import type { Statement } from '../core/predicate.js';
import { TraceError } from '../errors.js';
import { dirtyPaths } from '../git.js';
import type { Repo } from '../repo.js';
import type { SigningOptions } from '../signing/sign.js';
import type { Store } from '../store.js';

export interface SignerChoice {
  options: SigningOptions;
  /** For messages: `key <id>` or `keyless <subject>`. */
  description: string;
}

export interface SignerContext {
  config: TraceConfig;
  env: Readonly<Record<string, string | undefined>>;
  interactive: boolean;
  /** The repository's local state: which keys this machine signed with before (a missing one is not replaced silently). */
  stateDir?: string;
}

/** `auto` signs keyless when a token can be had without asking, else with the local key (so a fresh install just works). */
export async function chooseSigner(context: SignerContext): Promise<SignerChoice> {
  const signing = context.config.trace.signing;
  if (signing.mode !== 'key') {
    const { getIdentityToken, describeIdentityToken } = await import('../signing/identity.js');
    const token = await getIdentityToken({ env: context.env, interactive: signing.mode === 'keyless' && context.interactive, issuer: signing.oidcIssuer, clientId: signing.oidcClientId });
    if (token) {
      const who = describeIdentityToken(token);
      return {
        options: { mode: 'keyless', identityToken: token, fulcioURL: signing.fulcioURL, rekorURL: signing.rekorURL, ...(signing.tsaURL ? { tsaURL: signing.tsaURL } : {}) },
        description: `keyless ${who.email ?? who.subject ?? 'identity'}`,
      };
    }
    if (signing.mode === 'keyless') {
      throw new TraceError('SIGNING_FAILED', 'keyless signing needs an identity token and none could be had', {
        hint: 'set SIGSTORE_ID_TOKEN, run in GitHub Actions with `permissions: id-token: write`, or run `trace attest` in a terminal to log in',
      });
    }
  }
  const { loadOrCreateKey } = await import('../signing/key.js');
  const { keysUsedHere, recordKeyUsed, signingKeyDir } = await import('../signing/public-keys.js');
  const key = await loadOrCreateKey(signingKeyDir(context.config, context.env), context.stateDir ? { usedBefore: keysUsedHere(context.stateDir) } : {});
  if (context.stateDir) recordKeyUsed(context.stateDir, key.keyId);
  return { options: { mode: 'key', key }, description: `key ${key.keyId.slice(0, 16)}` };
}

export interface UploadOutcome {
  notes: { added: number; pushed: boolean | null; attempts: number; problems: string[] };
  directory?: string;
  http?: number;
}

export async function uploadBundle(input: {
  repo: Repo;
  config: TraceConfig;
  statement: Statement;
  bundle: string;
  remote: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
}): Promise<UploadOutcome> {
  const { addBundleNotes, fetchNotes, pushNotes } = await import('../upload/notes.js');
  // A note holds one bundle a line: a bundle that is already one line is used as it is (no second copy).
  const line = /[\r\n]/.test(input.bundle) ? JSON.stringify(JSON.parse(input.bundle)) : input.bundle;
  const commits = input.statement.subject.map((s) => s.digest.gitCommit);
  const added = await addBundleNotes(input.repo.root, commits.map((commit) => ({ commit, bundleLine: line })));
  const outcome: UploadOutcome = { notes: { added: added.changed, pushed: null, attempts: 0, problems: [] } };
  const upload = input.config.trace.upload;
  if (upload.notes && input.remote) {
    const fetched = await fetchNotes(input.repo.root, input.remote);
    const pushed = await pushNotes(input.repo.root, input.remote);
    outcome.notes = {
      added: added.changed,
      pushed: pushed.pushed,
      attempts: pushed.attempts,
      problems: [...fetched.problems, ...pushed.problems].map((p) => (p.commit ? `${p.commit.slice(0, 12)}: ${p.reason}` : p.reason)),
    };
    if (!pushed.pushed) throw new TraceError('UPLOAD_FAILED', `the attestation could not be pushed to ${input.remote}: ${pushed.error ?? 'unknown error'}`, { hint: 'the commits stay pending; the next push (or `trace attest`) tries again' });
  }
  const { uploadToDirectory, uploadToHttp, tokenFromEnv } = await import('../upload/targets.js');
  if (upload.directory) {
    const dir = join(input.repo.root, upload.directory);
    outcome.directory = (await uploadToDirectory(dir, { name: commits[0]!, bundle: input.bundle })).path;
  }
  if (upload.http) {
    const token = tokenFromEnv(input.env, upload.http.tokenEnv);
    outcome.http = (await uploadToHttp(upload.http.url, input.bundle, { ...(token ? { token } : {}), timeoutMs: 30_000 })).status;
  }
  return outcome;
}

/** After an upload: the commits are attested, and captured changes of paths with nothing left uncommitted are dropped. */
export async function markAttested(repo: Repo, store: Store, commits: readonly string[], at: string): Promise<{ prunedPaths: number }> {
  store.markAttested(commits, at);
  const pending = store.db.prepare('SELECT count(*) AS n FROM commits WHERE attested_at IS NULL').get() as { n: number };
  if (pending.n > 0) return { prunedPaths: 0 };
  // A path's captures are still needed while its work-tree content differs from HEAD (uncommitted agent lines).
  const dirty = await dirtyPaths(repo.root);
  const done = store.capturedPaths().filter((path) => !dirty.has(path));
  store.pruneCaptures(done);
  return { prunedPaths: done.length };
}
