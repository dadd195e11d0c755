// Whom the server trusts to sign for a repository: the `trust:` entries whose globs match it, with
// the same checks as `trace verify` (trusted keys by id; keyless: identity, issuer, trusted root).
import { readFileSync } from 'node:fs';
import { TraceError, errorMessage } from '../errors.js';
import { isTrustedKey, parseKeyFile } from '../signing/public-keys.js';
import type { TrustPolicy } from '../signing/verify.js';
import { verifyAttestation, type CheckedAttestation } from '../verify/attestation.js';
import { repositoryMatches, type LoadedServerConfig } from './config.js';

interface TrustEntry {
  repositories: string[];
  keys: Map<string, string>;
  identities: { issuer: string; subject?: string; subjectRegExp?: string }[];
  trustedRoot?: object;
}

export interface Trust {
  /** Verifies `bundle` for `repository`: accepted when any entry for that repository accepts it. */
  verify(bundle: unknown, repository: string): Promise<CheckedAttestation>;
  /** A trusted key's owner, from its file's `# owner:` line. */
  owner(keyId: string): string | null;
}

/** Reads every key and trusted-root file now, so a bad path stops the server at start. */
export function loadTrust(config: Pick<LoadedServerConfig, 'trust'>, options: { publicRoot?: () => Promise<object> } = {}): Trust {
  const problems: string[] = [];
  const owners = new Map<string, string | null>();
  const entries: TrustEntry[] = config.trust.map((entry, i) => {
    const keys = new Map<string, string>();
    entry.keys.forEach((file, k) => {
      try {
        const key = parseKeyFile(file, readFileSync(file, 'utf8'));
        if (!isTrustedKey(key)) problems.push(`trust.${i}.keys.${k}: ${file}: ${key.reason}`);
        else {
          keys.set(key.keyId, key.pem);
          owners.set(key.keyId, key.owner);
        }
      } catch (cause) {
        problems.push(`trust.${i}.keys.${k}: ${file}: ${errorMessage(cause)}`);
      }
    });
    let trustedRoot: object | undefined;
    if (entry.trustedRoot !== undefined) {
      try {
        trustedRoot = JSON.parse(readFileSync(entry.trustedRoot, 'utf8')) as object;
      } catch (cause) {
        problems.push(`trust.${i}.trustedRoot: ${entry.trustedRoot}: ${errorMessage(cause)}`);
      }
    }
    const identities = entry.identities.map((id) => ({ issuer: id.issuer, ...(id.subject !== undefined ? { subject: id.subject } : {}), ...(id.subjectRegexp !== undefined ? { subjectRegExp: id.subjectRegexp } : {}) }));
    return { repositories: entry.repositories, keys, identities, ...(trustedRoot ? { trustedRoot } : {}) };
  });
  if (problems.length > 0) throw new TraceError('BAD_CONFIG', `the server's trust settings have problems:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  let publicRoot: Promise<object> | undefined;
  const sigstoreRoot = () =>
    (publicRoot ??= (options.publicRoot ?? fetchPublicRoot)().catch((cause: unknown) => {
      publicRoot = undefined;
      throw cause;
    }));

  return {
    owner: (keyId) => owners.get(keyId) ?? null,
    async verify(bundle, repository) {
      const matching = entries.filter((e) => e.repositories.some((glob) => repositoryMatches(glob, repository)));
      if (matching.length === 0) return { ok: false, code: 'NO_TRUST_POLICY', message: `no trust entry of the server covers the repository ${repository}: nobody is trusted to sign for it` };
      const keyless = !isKeyBundle(bundle);
      let last: CheckedAttestation | undefined;
      for (const entry of matching) {
        const policies: TrustPolicy[] = [];
        if (!keyless) policies.push({ publicKeys: entry.keys });
        else {
          if (entry.identities.length === 0) continue;
          let root = entry.trustedRoot;
          if (root === undefined) {
            try {
              root = await sigstoreRoot();
            } catch (cause) {
              return { ok: false, code: 'NO_TRUST_POLICY', message: `the bundle is keyless and Sigstore's public trusted root could not be fetched (${errorMessage(cause)}): set trust[].trustedRoot` };
            }
          }
          for (const identity of entry.identities) policies.push({ publicKeys: entry.keys, trustedRoot: root, identity });
        }
        for (const policy of policies) {
          const outcome = await verifyAttestation(bundle, policy);
          if (outcome.ok) return outcome;
          // A tampered or malformed bundle fails the same way under every policy.
          if (outcome.code === 'MALFORMED' || outcome.code === 'SIGNATURE' || outcome.code === 'PAYLOAD' || outcome.code === 'SCHEMA') return outcome;
          last = outcome;
        }
      }
      return last ?? { ok: false, code: 'NO_TRUST_POLICY', message: `the bundle is signed keyless, but no trusted identity is configured for ${repository}` };
    },
  };
}

function isKeyBundle(bundle: unknown): boolean {
  return typeof (bundle as { verificationMaterial?: { publicKey?: unknown } } | null)?.verificationMaterial?.publicKey === 'object';
}

async function fetchPublicRoot(): Promise<object> {
  const [{ getTrustedRoot }, { TrustedRoot }] = await Promise.all([import('@sigstore/tuf'), import('@sigstore/protobuf-specs')]);
  return TrustedRoot.toJSON(await getTrustedRoot()) as object;
}
