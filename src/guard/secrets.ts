// The secret check of the guard: trace's own redaction detectors and the config's patterns, without
// secretlint (too slow to load on every call) and without the entropy detector (commands are full of
// hashes and ids). The hook, `trace guard test` and the tests use this one function.
import { createRedactor } from '../core/redact.js';
import { mayHoldSecret } from './may-hold-secret.js';

const NO_SCANNER = { ruleIds: [] as string[], scan: () => [] };

export { mayHoldSecret };

export async function commandSecretDetector(patterns: readonly { id: string; pattern: string }[]): Promise<(text: string) => { ruleId: string }[]> {
  const redactor = await createRedactor({ extraPatterns: [...patterns], entropy: false, scanner: NO_SCANNER });
  return (text) => (patterns.length === 0 && !mayHoldSecret(text) ? [] : redactor.redactText(text).findings);
}
