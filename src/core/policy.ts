// The repository's verify policies (`trace.policies` in .chainloop.yml) as pure decisions over
// attestation statements: each rule takes statements and returns violations, never throws on bad
// data (a session object comes from a remote note and is read defensively) and touches no I/O.
//
// Allow-lists fail closed: a session whose agent or model is unknown violates them. Limits judge what
// is known: a session without usage data does not exceed a token or cost limit. A session named by
// line ranges but missing from `predicate.sessions` is not judged here; verify's consistency check
// reports it.
import { z } from 'zod';
import { TraceError } from '../errors.js';
import type { Predicate, Statement } from './predicate.js';
import { escapeRegExp, forbiddenCommandHit, pathMatches } from './commands.js';
import { isRedactionExempt } from './redact.js';

export {
  BUILTIN_COMMAND_RULES,
  type BuiltinCommandRule,
  type CommandContext,
  globToRegExp,
  matchBuiltinCommand,
  pathMatches,
  simpleCommands,
} from './commands.js';

const share = z.number().min(0).max(1);

export const regexSource = z
  .string()
  .min(1)
  .superRefine((source, ctx) => {
    try {
      new RegExp(source);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${error instanceof Error ? error.message : String(error)}` });
    }
  });

const forbiddenCommandsSchema = z
  .strictObject({
    builtin: z.boolean().default(true).describe('Check the built-in list of destructive shell commands (rm -rf /, force-push to a protected branch, curl | sh, DROP DATABASE, mkfs, dd to a disk, chmod -R 777 /, fork bomb).'),
    patterns: z.array(regexSource).default([]).describe('Extra forbidden commands: JavaScript regular expressions, case-sensitive, matched anywhere in each captured command.'),
    protectedBranches: z
      .array(z.string().min(1))
      .default(['main', 'master'])
      .describe('Branches (globs: * within a path segment, ** across) an agent must not force-push to, e.g. release/*.'),
  })
  .prefault({});

export const policiesSchema = z
  .strictObject({
    allowedAgents: z
      .array(z.string().min(1))
      .optional()
      .describe('Agents allowed to write committed code (claude-code or claude, cursor, codex, gemini-cli, ...). Absent: any agent.'),
    allowedModels: z
      .array(z.string().min(1))
      .optional()
      .describe('Models allowed in agent sessions: exact ids or globs with * (claude-sonnet-4-*). Absent: any model.'),
    maxAiShare: z
      .strictObject({
        perCommit: share.optional().describe('Highest share (0..1) of AI-written lines among the lines a commit adds (lines of unknown author count as AI); generated files left out.'),
        perRange: share.optional().describe('Highest share (0..1) of AI-written lines among all lines the verified range adds (lines of unknown author count as AI).'),
      })
      .optional(),
    maxTokensPerSession: z.number().int().min(0).optional().describe('Highest total token count of one agent session.'),
    maxCostPerSessionUsd: z.number().min(0).optional().describe('Highest estimated cost (USD) of one agent session.'),
    forbiddenCommands: forbiddenCommandsSchema,
    aiForbiddenPaths: z
      .array(z.string().min(1))
      .optional()
      .describe('Paths (globs: *, ?, **; a pattern without / matches at any depth; a directory covers its contents) that must hold no AI-written line.'),
    noUnredactedSecrets: z.boolean().default(true).describe('Fail when a session object or warning of the attestation still holds a secret.'),
    guardRequired: z
      .boolean()
      .default(false)
      .describe("Every agent session must have run with the guard enforcing (trace.guard.mode: enforce and its hook installed): the attestation's guard record must show the session in enforce mode only."),
    forbiddenInstructions: z
      .array(regexSource)
      .optional()
      .describe("Patterns (JavaScript regular expressions) that must not appear in the agent configuration a session ran with (instruction files, agent settings, skills; from the guard's config evidence), e.g. disableAllHooks. Judged on the files whose content the repository holds (their git blob id)."),
    allowedMcpServers: z
      .array(z.string().min(1))
      .optional()
      .describe('MCP servers agent sessions may call or have configured (names; * as wildcard), from the session objects\' tools_used.mcp_servers and the guard\'s record (servers its MCP configs declared, calls it saw). Absent: any server.'),
  })
  .prefault({});

export type Policies = z.output<typeof policiesSchema>;

export interface Violation {
  /** The policy key, e.g. `allowedAgents`, `maxAiShare.perCommit`, `forbiddenCommands`. */
  rule: string;
  commit?: string;
  session?: string;
  path?: string;
  /** What was seen: the agent, the model, the share, the command, the secret's rule and place (never the secret). */
  evidence: string;
  message: string;
}

export type DetectSecrets = (text: string) => { ruleId: string }[];

export interface EvaluateOptions {
  /** A git blob's text by its id, undefined when the repository does not hold it (for forbiddenInstructions). */
  readBlob?: (oid: string) => string | undefined;
  /** Required when `noUnredactedSecrets` is on (the default): normally the redactor of src/core/redact.ts. */
  detectSecrets?: DetectSecrets;
}

type Commit = Predicate['commits'][number];
type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const short = (sha: string): string => sha.slice(0, 7);
const percent = (value: number): string => `${Math.round(value * 1000) / 10}%`;
const clip = (text: string, max = 200): string => {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
};

/** `*` matches any run of characters (including `/`); the rest is literal. */
function wildcardMatches(pattern: string, value: string): boolean {
  return new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`).test(value);
}

// ---------------------------------------------------------------------------------------------
// Sessions, read defensively

interface SessionView {
  index: number;
  id: string;
  raw: Json;
  commits: string[];
}

function sessionsOf(statement: Statement): SessionView[] {
  const { commits, sessions } = statement.predicate;
  return sessions.map((raw, index) => {
    const id = raw.session.id;
    const own = commits.filter((c) => c.session_ids.includes(id)).map((c) => c.sha);
    const fromContext = (obj(raw.git_context)?.commits ?? []) as unknown[];
    return { index, id, raw, commits: own.length > 0 ? own : fromContext.filter((c): c is string => typeof c === 'string') };
  });
}

function sessionLabel(s: SessionView): string {
  const [first, second, ...rest] = s.commits;
  if (first === undefined) return `session ${s.id}`;
  if (second === undefined) return `commit ${short(first)}, session ${s.id}`;
  const more = rest.length > 0 ? ` +${rest.length} more` : '';
  return `commits ${short(first)}, ${short(second)}${more}, session ${s.id}`;
}

function sessionViolation(s: SessionView, rule: string, evidence: string, what: string): Violation {
  const first = s.commits[0];
  return {
    rule,
    ...(first === undefined ? {} : { commit: first }),
    session: s.id,
    evidence,
    message: `${sessionLabel(s)}: ${what} (trace.policies.${rule})`,
  };
}

const AGENT_ALIASES: Record<string, string> = {
  claude: 'claude-code',
  'claude-code': 'claude-code',
  'claude code': 'claude-code',
  gemini: 'gemini-cli',
  copilot: 'github-copilot',
};

/** `claude` and `claude-code` name the same agent, as do the hook names and Chainloop names of the others. */
export function normalizeAgent(name: string): string {
  const lower = name.trim().toLowerCase();
  return AGENT_ALIASES[lower] ?? lower;
}

// ---------------------------------------------------------------------------------------------
// Rules over sessions

export function checkAllowedAgents(statement: Statement, policies: Policies): Violation[] {
  const allowed = policies.allowedAgents;
  if (allowed === undefined) return [];
  const names = new Set(allowed.map(normalizeAgent));
  const list = allowed.join(', ') || 'none';
  const out: Violation[] = [];
  for (const s of sessionsOf(statement)) {
    const agent = str(obj(s.raw.agent)?.name);
    if (agent === undefined) out.push(sessionViolation(s, 'allowedAgents', '(unknown agent)', `the agent is unknown, and only ${list} may write code`));
    else if (!names.has(normalizeAgent(agent))) out.push(sessionViolation(s, 'allowedAgents', agent, `agent ${agent} is not allowed (allowed: ${list})`));
  }
  return out;
}

export function checkAllowedModels(statement: Statement, policies: Policies): Violation[] {
  const allowed = policies.allowedModels;
  if (allowed === undefined) return [];
  const list = allowed.join(', ') || 'none';
  const out: Violation[] = [];
  for (const s of sessionsOf(statement)) {
    const model = obj(s.raw.model);
    const used = new Set<string>();
    const primary = str(model?.primary);
    if (primary !== undefined) used.add(primary);
    for (const m of Array.isArray(model?.models_used) ? model.models_used : []) if (str(m) !== undefined) used.add(m as string);
    if (used.size === 0) {
      out.push(sessionViolation(s, 'allowedModels', '(unknown model)', `the model is unknown, and only ${list} may be used`));
      continue;
    }
    for (const m of used) {
      if (!allowed.some((pattern) => wildcardMatches(pattern, m))) out.push(sessionViolation(s, 'allowedModels', m, `model ${m} is not allowed (allowed: ${list})`));
    }
  }
  return out;
}

export function checkMaxTokensPerSession(statement: Statement, policies: Policies): Violation[] {
  const max = policies.maxTokensPerSession;
  if (max === undefined) return [];
  const out: Violation[] = [];
  for (const s of sessionsOf(statement)) {
    const total = num(obj(s.raw.usage)?.total_tokens);
    if (total !== undefined && total > max) {
      out.push(sessionViolation(s, 'maxTokensPerSession', `${total} tokens`, `the session used ${total} tokens, more than the ${max} allowed`));
    }
  }
  return out;
}

export function checkMaxCostPerSession(statement: Statement, policies: Policies): Violation[] {
  const max = policies.maxCostPerSessionUsd;
  if (max === undefined) return [];
  const out: Violation[] = [];
  for (const s of sessionsOf(statement)) {
    const cost = num(obj(s.raw.usage)?.estimated_cost_usd);
    if (cost !== undefined && cost > max) {
      out.push(sessionViolation(s, 'maxCostPerSessionUsd', `$${cost.toFixed(2)}`, `the session cost an estimated $${cost.toFixed(2)}, more than the $${max.toFixed(2)} allowed`));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// AI share

interface LineCounts {
  added: number;
  /** AI lines, with the `unknown` ones: lines an agent may have written count as not human. */
  ai: number;
  /** Of those, the lines attributed `unknown`. */
  unknown: number;
}

/** Added and not-human (ai + unknown) added lines of a commit; generated files are left out, as in the predicate's totals. */
export function commitLineCounts(commit: Commit): LineCounts {
  let added = 0;
  let ai = 0;
  let unknown = 0;
  for (const file of commit.files) {
    if (file.generated === true) continue;
    added += file.lines_added;
    ai += file.ai_lines_added + (file.unknown_lines_added ?? 0);
    unknown += file.unknown_lines_added ?? 0;
  }
  return { added, ai, unknown };
}

export function checkMaxAiSharePerCommit(statement: Statement, policies: Policies): Violation[] {
  const max = policies.maxAiShare?.perCommit;
  if (max === undefined) return [];
  const out: Violation[] = [];
  for (const commit of statement.predicate.commits) {
    const { added, ai, unknown } = commitLineCounts(commit);
    if (added === 0 || ai / added <= max) continue;
    const evidence = `${ai} of ${added} added lines (${percent(ai / added)}${unknown ? `, ${unknown} of them of unknown author` : ''})`;
    out.push({
      rule: 'maxAiShare.perCommit',
      commit: commit.sha,
      evidence,
      message: `commit ${short(commit.sha)}: ${evidence} are AI-written, above the ${percent(max)} allowed (trace.policies.maxAiShare.perCommit)`,
    });
  }
  return out;
}

/** Across every statement of the range; a commit attested in several statements counts once. */
export function checkMaxAiSharePerRange(statements: readonly Statement[], policies: Policies): Violation[] {
  const max = policies.maxAiShare?.perRange;
  if (max === undefined) return [];
  const seen = new Set<string>();
  let added = 0;
  let ai = 0;
  let unknown = 0;
  for (const statement of statements) {
    for (const commit of statement.predicate.commits) {
      if (seen.has(commit.sha)) continue;
      seen.add(commit.sha);
      const counts = commitLineCounts(commit);
      added += counts.added;
      ai += counts.ai;
      unknown += counts.unknown;
    }
  }
  if (added === 0 || ai / added <= max) return [];
  const evidence = `${ai} of ${added} added lines (${percent(ai / added)}${unknown ? `, ${unknown} of them of unknown author` : ''}) in ${seen.size} commit${seen.size === 1 ? '' : 's'}`;
  return [
    {
      rule: 'maxAiShare.perRange',
      evidence,
      message: `the range: ${evidence} are AI-written, above the ${percent(max)} allowed (trace.policies.maxAiShare.perRange)`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Paths

export function checkAiForbiddenPaths(statement: Statement, policies: Policies): Violation[] {
  const globs = policies.aiForbiddenPaths;
  if (globs === undefined || globs.length === 0) return [];
  const out: Violation[] = [];
  for (const commit of statement.predicate.commits) {
    for (const file of commit.files) {
      const aiRanges = file.lines.filter((r) => r.attribution === 'ai');
      const aiLines = aiRanges.reduce((n, r) => n + r.end - r.start + 1, 0) || file.ai_lines_added;
      if (aiLines === 0) continue;
      const glob = globs.find((g) => pathMatches(g, file.path));
      if (glob === undefined) continue;
      const sessions = [...new Set(aiRanges.map((r) => r.session_id).filter((id): id is string => id !== undefined))];
      const [firstSession] = sessions;
      const ranges = aiRanges.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(',');
      const evidence = `${file.path}: ${aiLines} AI line${aiLines === 1 ? '' : 's'}${ranges ? ` (${ranges})` : ''}`;
      out.push({
        rule: 'aiForbiddenPaths',
        commit: commit.sha,
        ...(firstSession === undefined ? {} : { session: firstSession }),
        path: file.path,
        evidence,
        message: `commit ${short(commit.sha)}${sessions.length > 0 ? `, session ${sessions.join(', ')}` : ''}: ${evidence}, but ${glob} must hold no AI-written line (trace.policies.aiForbiddenPaths)`,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Commands (the shell reader and the built-in rules are in core/commands.ts, shared with the guard)

/**
 * Every command an agent ran, from the retained conversation: `input.command` of each tool call
 * (the hook records and the `prompts` retention: `{type:'tool_call', name, input}`; `full`
 * retention: the transcript's `tool_use` blocks), a string or an argv array.
 */
export function sessionCommands(session: Json): (string | string[])[] {
  const out: (string | string[])[] = [];
  const raw = obj(session.raw_session);
  if (raw === undefined) return out;
  const visit = (value: unknown, depth: number): void => {
    if (depth > 12) return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
      return;
    }
    const o = obj(value);
    if (o === undefined) return;
    const input = obj(o.input);
    if (typeof o.name === 'string' && input !== undefined) {
      const command = input.command;
      if (typeof command === 'string' && command.length > 0) out.push(command);
      else if (Array.isArray(command) && command.length > 0 && command.every((w) => typeof w === 'string')) out.push(command);
    }
    for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) visit(v, depth + 1);
  };
  for (const thread of Object.values(raw)) visit(thread, 0);
  return out;
}

export function checkForbiddenCommands(statement: Statement, policies: Policies): Violation[] {
  const rules = policies.forbiddenCommands;
  if (!rules.builtin && rules.patterns.length === 0) return [];
  const out: Violation[] = [];
  for (const s of sessionsOf(statement)) {
    const branch = str(obj(s.raw.git_context)?.branch);
    for (const command of sessionCommands(s.raw)) {
      const text = typeof command === 'string' ? command : command.join(' ');
      // The same function the guard denies with (core/commands.ts).
      const hit = forbiddenCommandHit(command, rules, branch);
      if (hit === undefined) continue;
      if (hit.pattern === undefined) out.push(sessionViolation(s, 'forbiddenCommands', clip(text), `the agent ran \`${clip(hit.evidence, 120)}\`, a forbidden command (${hit.id})`));
      else out.push(sessionViolation(s, 'forbiddenCommands', clip(text), `the agent ran \`${clip(text, 120)}\`, which matches the forbidden pattern /${hit.pattern}/`));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The guard (src/guard/) and MCP servers

type GuardSession = NonNullable<Predicate['guard']>['sessions'][number];

function guardSessionOf(statement: Statement, id: string): GuardSession | undefined {
  return statement.predicate.guard?.sessions.find((g) => g.session_id === id);
}

export function checkGuardRequired(statement: Statement, policies: Policies): Violation[] {
  if (!policies.guardRequired) return [];
  const out: Violation[] = [];
  for (const s of sessionsOf(statement)) {
    const modes = guardSessionOf(statement, s.id)?.modes ?? [];
    if (modes.length === 1 && modes[0] === 'enforce') continue;
    const evidence = modes.length === 0 ? 'guard never ran' : `guard modes: ${modes.join(', ')}`;
    const what = modes.length === 0 ? 'the session ran without the guard (its hook not installed, or trace.guard.mode off)' : `the session ran with the guard in ${modes.join(' and ')} mode, not enforce only`;
    out.push(sessionViolation(s, 'guardRequired', evidence, what));
  }
  return out;
}

export function checkAllowedMcpServers(statement: Statement, policies: Policies): Violation[] {
  const allowed = policies.allowedMcpServers;
  if (allowed === undefined) return [];
  const list = allowed.join(', ') || 'none';
  const out: Violation[] = [];
  for (const s of sessionsOf(statement)) {
    const used = new Set<string>();
    const servers = obj(s.raw.tools_used)?.mcp_servers;
    for (const entry of Array.isArray(servers) ? servers : []) {
      const server = str(obj(entry)?.server);
      if (server !== undefined) used.add(server);
    }
    // Servers the session's MCP configs declared (config evidence), and calls the guard saw (also denied ones).
    for (const declared of guardSessionOf(statement, s.id)?.config?.mcp_servers ?? []) used.add(declared.name);
    for (const d of guardSessionOf(statement, s.id)?.decisions ?? []) {
      const m = /^mcp__(.+?)__/.exec(d.tool);
      if (m !== null) used.add(m[1]!);
    }
    for (const server of used) {
      if (!allowed.some((pattern) => wildcardMatches(pattern, server))) out.push(sessionViolation(s, 'allowedMcpServers', server, `MCP server ${server} is not allowed (allowed: ${list})`));
    }
  }
  return out;
}

export function checkForbiddenInstructions(statement: Statement, policies: Policies, readBlob: (oid: string) => string | undefined): Violation[] {
  const patterns = policies.forbiddenInstructions;
  if (patterns === undefined || patterns.length === 0) return [];
  const regexes = patterns.map((source) => ({ source, re: new RegExp(source) }));
  const out: Violation[] = [];
  for (const s of sessionsOf(statement)) {
    for (const file of guardSessionOf(statement, s.id)?.config?.files ?? []) {
      if (file.kind === 'mcp') continue;
      const oid = /^gitoid:blob:sha1:([0-9a-f]{40})$/.exec(file.digest)?.[1];
      const text = oid === undefined ? undefined : readBlob(oid);
      if (text === undefined) continue;
      for (const { source, re } of regexes) {
        const m = re.exec(text);
        if (m !== null) out.push(sessionViolation(s, 'forbiddenInstructions', `${file.path}: ${clip(m[0], 80)}`, `the session ran with ${file.path} holding \`${clip(m[0], 80)}\`, which matches the forbidden pattern /${source}/`));
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Secrets

/** Scans every string value (not keys, not the places redaction leaves alone) of the session objects and warnings; the evidence names the rule and place, never the secret. */
export function checkNoUnredactedSecrets(statement: Statement, policies: Policies, detectSecrets: DetectSecrets): Violation[] {
  if (!policies.noUnredactedSecrets) return [];
  const out: Violation[] = [];
  const sessions = sessionsOf(statement);
  const report = (where: string, text: string, s: SessionView | undefined): void => {
    const rules = [...new Set(detectSecrets(text).map((f) => f.ruleId))];
    if (rules.length === 0) return;
    const evidence = `${rules.join(', ')} at ${where}`;
    if (s !== undefined) out.push(sessionViolation(s, 'noUnredactedSecrets', evidence, `a secret (${rules.join(', ')}) is left unredacted at ${where}`));
    else out.push({ rule: 'noUnredactedSecrets', evidence, message: `the attestation's ${where} holds an unredacted secret (${rules.join(', ')}) (trace.policies.noUnredactedSecrets)` });
  };
  const walk = (value: unknown, where: string, s: SessionView | undefined, depth: number): void => {
    if (typeof value === 'string') report(where, value, s);
    else if (depth > 64) return;
    else if (Array.isArray(value)) value.forEach((v, k) => walk(v, `${where}[${k}]`, s, depth + 1));
    else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) if (!isRedactionExempt(k, value)) walk(v, /^[A-Za-z_$][\w$]*$/.test(k) ? `${where}.${k}` : `${where}[${JSON.stringify(k)}]`, s, depth + 1);
  };
  for (const s of sessions) walk(s.raw, `sessions[${s.index}]`, s, 0);
  statement.predicate.warnings.forEach((w, k) => walk(w, `warnings[${k}]`, undefined, 0));
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Every rule over the statements of one verified range; a violation seen in several statements is reported once. */
export function evaluatePolicies(statements: readonly Statement[], policies: Policies, options: EvaluateOptions = {}): Violation[] {
  const { detectSecrets } = options;
  if (policies.noUnredactedSecrets && detectSecrets === undefined) {
    throw new TraceError('BAD_ARGUMENT', 'evaluatePolicies: noUnredactedSecrets is on but no detectSecrets function was given');
  }
  const all: Violation[] = [];
  for (const statement of statements) {
    all.push(
      ...checkAllowedAgents(statement, policies),
      ...checkAllowedModels(statement, policies),
      ...checkMaxTokensPerSession(statement, policies),
      ...checkMaxCostPerSession(statement, policies),
      ...checkMaxAiSharePerCommit(statement, policies),
      ...checkAiForbiddenPaths(statement, policies),
      ...checkForbiddenCommands(statement, policies),
      ...checkGuardRequired(statement, policies),
      ...checkAllowedMcpServers(statement, policies),
      ...(options.readBlob === undefined ? [] : checkForbiddenInstructions(statement, policies, options.readBlob)),
      ...(detectSecrets === undefined ? [] : checkNoUnredactedSecrets(statement, policies, detectSecrets)),
    );
  }
  all.push(...checkMaxAiSharePerRange(statements, policies));
  const seen = new Set<string>();
  return all.filter((v) => {
    const key = JSON.stringify([v.rule, v.commit, v.session, v.path, v.evidence]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
