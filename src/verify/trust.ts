// The trust a revision gives: the `.chainloop.yml` verify settings and the `.chainloop/keys/*.pem` keys
// committed there. `trace verify` reads it at the base of the range it checks, and the sessions index
// at the base of each bundle's own commits, so a change never vouches for itself in either.
import { isAbsolute, join } from 'node:path';
import { CONFIG_FILE, configAtRevision, parseConfig, type TraceConfig } from '../config.js';
import { keysAt } from '../signing/public-keys.js';
import type { BundleSigner, TrustPolicy } from '../signing/verify.js';

export interface RevisionTrust {
  config: TraceConfig;
  /** Whether `.chainloop.yml` is committed at the revision (false: trace is being adopted there). */
  configExists: boolean;
  /** Keys trusted there (key id → PEM). */
  publicKeys: Map<string, string>;
  /** Key owners from the key files' `# owner:` lines, by key id. */
  owners: Map<string, string | null>;
  /** Key files there that are not keys, each `file: reason`. */
  invalidKeys: { file: string; reason: string }[];
  identity: { subject?: string; subjectRegExp?: string; issuer?: string };
  /** The trusted root file the config names (resolved against `cwd`), if any. */
  trustedRootFile: string | undefined;
}

/** The trust committed at `rev`; null: no revision (a range from the first commit), so nothing is trusted. */
export async function trustAt(cwd: string, rev: string | null): Promise<RevisionTrust> {
  const atRev = rev === null ? { config: parseConfig(''), exists: false } : await configAtRevision(cwd, rev, `${CONFIG_FILE} at ${rev.slice(0, 12)}`);
  const config = atRev.config;
  const publicKeys = new Map<string, string>();
  const owners = new Map<string, string | null>();
  const invalidKeys: { file: string; reason: string }[] = [];
  if (rev !== null) {
    const keys = await keysAt(cwd, rev);
    for (const key of keys.keys) {
      publicKeys.set(key.keyId, key.pem);
      owners.set(key.keyId, key.owner);
    }
    invalidKeys.push(...keys.invalid);
  }
  const verify = config.trace.verify;
  const identity = {
    ...(verify.certificateIdentity ? { subject: verify.certificateIdentity } : {}),
    ...(verify.certificateIdentityRegexp ? { subjectRegExp: verify.certificateIdentityRegexp } : {}),
    ...(verify.certificateOidcIssuer ? { issuer: verify.certificateOidcIssuer } : {}),
  };
  const trustedRootFile = verify.trustedRoot ? (isAbsolute(verify.trustedRoot) ? verify.trustedRoot : join(cwd, verify.trustedRoot)) : undefined;
  return { config, configExists: atRev.exists, publicKeys, owners, invalidKeys, identity, trustedRootFile };
}

/** The policy `verifyBundle` checks against: a revision's trust, plus what the caller adds (`--key`, `--certificate-identity`, `--trusted-root`). */
export function trustPolicy(trust: RevisionTrust, extra: { identity?: TrustPolicy['identity']; trustedRoot?: object } = {}): TrustPolicy {
  const identity = { ...trust.identity, ...extra.identity };
  return { publicKeys: trust.publicKeys, ...(extra.trustedRoot ? { trustedRoot: extra.trustedRoot } : {}), ...(Object.keys(identity).length ? { identity } : {}) };
}

/** How verify names a signer: `key <first 16 hex digits>`, or `<subject> (<issuer>)`. */
export function signerLabel(signer: BundleSigner): string {
  return signer.kind === 'key' ? `key ${signer.keyId.slice(0, 16)}` : `${signer.subject} (${signer.issuer})`;
}
