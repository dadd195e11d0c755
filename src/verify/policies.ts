// Policies for trace verify: from `--policy FILE` (a YAML file of `trace.policies` keys) or
// `trace.policies` of `.chainloop.yml` at the base of the range. The rules are pure (core/policy.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { TraceConfig } from '../config.js';
import { CONFIG_FILE, configAtRevision, formatIssues, loadConfig } from '../config.js';
import { evaluatePolicies, type Policies, policiesSchema, type Violation } from '../core/policy.js';
import type { Statement } from '../core/predicate.js';
import { TraceError } from '../errors.js';
import { remoteDefault } from './remote.js';

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

/** A git blob's text from the repository at `cwd`, for forbiddenInstructions. */
function blobReader(cwd: string): (oid: string) => string | undefined {
  return (oid) => {
    const shown = spawnSync('git', ['cat-file', 'blob', oid], { cwd, maxBuffer: 8 * 1024 * 1024 });
    return shown.status === 0 ? shown.stdout.toString('utf8') : undefined;
  };
}

export async function evaluateRangePolicies(input: { statements: Statement[]; config: TraceConfig; policyFile?: string; cwd?: string }): Promise<Violation[]> {
  const policies = input.policyFile ? loadPolicyFile(input.policyFile) : input.config.trace.policies;
  if (input.statements.length === 0) return [];
  let detectSecrets: ((text: string) => { ruleId: string }[]) | undefined;
  if (policies.noUnredactedSecrets) {
    const { createRedactor } = await import('../core/redact.js');
    const redactor = await createRedactor({ extraPatterns: input.config.trace.redaction.patterns, entropy: input.config.trace.redaction.entropy });
    detectSecrets = (text) => redactor.redactText(text).findings;
  }
  return evaluatePolicies(input.statements, policies, { ...(detectSecrets ? { detectSecrets } : {}), ...(input.cwd === undefined ? {} : { readBlob: blobReader(input.cwd) }) });
}

/** What to do about a violation of `rule`: change the work, or (for the team) the policy. */
export function violationFix(rule: string): string {
  const policy = `trace.policies.${rule}`;
  switch (rule) {
    case 'allowedAgents':
    case 'allowedModels':
      return `redo the work with an allowed ${rule === 'allowedAgents' ? 'agent' : 'model'}, or ask the team to add it to ${policy} in ${CONFIG_FILE}`;
    case 'maxTokensPerSession':
    case 'maxCostPerSessionUsd':
      return `split the work into smaller sessions, or ask the team to raise ${policy}`;
    case 'maxAiShare.perCommit':
    case 'maxAiShare.perRange':
      return `review and rework the AI-written lines by hand (or push them with more human work), or ask the team to raise ${policy}`;
    case 'aiForbiddenPaths':
      return `write those lines by hand (amend or rebase the commits before pushing), or ask the team to change ${policy}`;
    case 'forbiddenCommands':
      return `check what the command did; CI fails on it whatever happened, so rewrite the commits without that session or ask the team to change ${policy}`;
    case 'guardRequired':
      return `set trace.guard.mode: enforce, run \`trace init\` so the guard's hook is installed, and redo the work; or ask the team to change ${policy}`;
    case 'forbiddenInstructions':
      return `remove that text from the agent's configuration and redo the work, or ask the team to change ${policy}`;
    case 'allowedMcpServers':
      return `redo the work without that MCP server, or ask the team to add it to ${policy}`;
    case 'noUnredactedSecrets':
      return 'rotate the secret, add a pattern for it under trace.redaction.patterns, then run `trace attest` again';
    default:
      return `see ${policy} in ${CONFIG_FILE}`;
  }
}

/**
 * The configuration whose `trace.policies` CI will apply to a push to `remote`: `.chainloop.yml`
 * on the remote's default branch (the base CI verifies against) when that branch is known here,
 * else the local file.
 */
export async function policyConfigForPush(cwd: string, remote: string): Promise<{ config: TraceConfig; source: string }> {
  const ref = await remoteDefault(cwd, remote);
  if (ref === null) return { config: loadConfig(cwd), source: CONFIG_FILE };
  const source = `${CONFIG_FILE} on ${ref.replace(/^refs\/remotes\//, '')}`;
  return { config: (await configAtRevision(cwd, ref, source)).config, source };
}

/** The violations CI will report for `statement`, evaluated before it is signed (a preview: it never blocks). */
export async function previewPolicies(input: { cwd: string; remote: string; statement: Statement; redactedWith: TraceConfig['trace']['redaction'] }): Promise<{ source: string; violations: Violation[] }> {
  const { config, source } = await policyConfigForPush(input.cwd, input.remote);
  // The statement was just redacted; scanning it again for secrets costs as much as redacting it did
  // and can only find something when CI's redaction settings differ from the ones it was redacted with.
  const sameRedaction = JSON.stringify(config.trace.redaction) === JSON.stringify(input.redactedWith);
  const checked = sameRedaction ? { ...config, trace: { ...config.trace, policies: { ...config.trace.policies, noUnredactedSecrets: false } } } : config;
  return { source, violations: await evaluateRangePolicies({ statements: [input.statement], config: checked, cwd: input.cwd }) };
}
