// One attestation bundle checked the way `trace verify` checks it: the Sigstore signature and signer
// against the trust passed in, then the statement against the predicate schema. Shared by
// `trace verify` (per note line) and `trace server` (per ingested bundle), so both accept the same bundles.
import { statementIssues, type Statement } from '../core/predicate.js';
import { verifyBundle, type BundleSigner, type TrustPolicy, type VerifyFailureCode } from '../signing/verify.js';

export type AttestationFailureCode = VerifyFailureCode | 'SCHEMA';

export type CheckedAttestation =
  | { ok: true; statement: Statement; signer: BundleSigner; logIndex?: number; loggedAt?: string }
  | { ok: false; code: AttestationFailureCode; message: string };

/** `bundle` is the parsed bundle JSON. Failures are values; only a bug throws. */
export async function verifyAttestation(bundle: unknown, trust: TrustPolicy): Promise<CheckedAttestation> {
  const signature = await verifyBundle(bundle, trust);
  if (!signature.ok) return signature;
  const issues = statementIssues(signature.statement);
  if (issues.length > 0) return { ok: false, code: 'SCHEMA', message: `the statement does not match the predicate schema: ${issues.slice(0, 5).join('; ')}` };
  return {
    ok: true,
    statement: signature.statement as unknown as Statement,
    signer: signature.signer,
    ...(signature.logIndex !== undefined ? { logIndex: signature.logIndex } : {}),
    ...(signature.loggedAt !== undefined ? { loggedAt: signature.loggedAt } : {}),
  };
}
