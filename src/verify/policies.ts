// Policies for trace verify: from `--policy FILE` (a YAML file of `trace.policies` keys) or
// `trace.policies` of `.chainloop.yml` at the base of the range. The rules are pure (core/policy.ts).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { TraceConfig } from '../config.js';
import { formatIssues } from '../config.js';
import { evaluatePolicies, type Policies, policiesSchema, type Violation } from '../core/policy.js';
import type { Statement } from '../core/predicate.js';
import { TraceError } from '../errors.js';

export function loadPolicyFile(file: string): Policies {
  let value: unknown;
  try {
    value = parse(readFileSync(file, 'utf8')) ?? {};
  } catch (cause) {
    throw new TraceError('BAD_CONFIG', `--policy ${file}: ${(cause as Error).message}`, { cause });
  }
  const result = policiesSchema.safeParse(value);
  if (!result.success) throw new TraceError('BAD_CONFIG', `--policy ${file} has problems:\n${formatIssues(result.error.issues).map((l) => `  ${l}`).join('\n')}`);
  return result.data;
}

export async function evaluateRangePolicies(input: { statements: Statement[]; config: TraceConfig; policyFile?: string }): Promise<Violation[]> {
  const policies = input.policyFile ? loadPolicyFile(input.policyFile) : input.config.trace.policies;
  if (input.statements.length === 0) return [];
  let detectSecrets: ((text: string) => { ruleId: string }[]) | undefined;
  if (policies.noUnredactedSecrets) {
    const { createRedactor } = await import('../core/redact.js');
    const redactor = await createRedactor({ extraPatterns: input.config.trace.redaction.patterns, entropy: input.config.trace.redaction.entropy });
    detectSecrets = (text) => redactor.redactText(text).findings;
  }
  return evaluatePolicies(input.statements, policies, detectSecrets ? { detectSecrets } : {});
}
