// Policies for trace verify: from `--policy FILE` or `trace.policies` at the base of the range.
import type { TraceConfig } from '../config.js';
import type { Statement } from '../core/predicate.js';
import type { Violation } from './run.js';

export async function evaluateRangePolicies(_input: { statements: Statement[]; config: TraceConfig; policyFile?: string; commits: string[] }): Promise<Violation[]> {
  return [];
}
