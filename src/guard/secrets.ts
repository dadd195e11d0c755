// The secret check of the guard: trace's own redaction detectors and the config's patterns, without
// secretlint (too slow to load on every call) and without the entropy detector (commands are full of
// hashes and ids). The hook, `trace guard test` and the tests use this one function.
import { createRedactor } from '../core/redact.js';

const NO_SCANNER = { ruleIds: [] as string[], scan: () => [] };

/**
 * Whether a built-in detector could match at all: a token long enough to be a key or token, or a
 * word that gives a short secret its context (a password flag, an Authorization header, user:pass@).
 * Compiling the detectors costs a few milliseconds, which a plain `npm test` need not pay.
 */
export function mayHoldSecret(text: string): boolean {
  return /[A-Za-z0-9_\-+/=.]{16,}/.test(text) || /pass|pwd|secret|token|key|auth|bearer|cred|login|\s-p\S|:\/\/[^\s/@]*:[^\s/@]*@/i.test(text);
}

export async function commandSecretDetector(patterns: readonly { id: string; pattern: string }[]): Promise<(text: string) => { ruleId: string }[]> {
  const redactor = await createRedactor({ extraPatterns: [...patterns], entropy: false, scanner: NO_SCANNER });
  return (text) => (patterns.length === 0 && !mayHoldSecret(text) ? [] : redactor.redactText(text).findings);
}
