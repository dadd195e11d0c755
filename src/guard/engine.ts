// The guard's decision over one tool call, before it runs: a pure function of the call, the
// settings and where it runs. It reads commands with the shell reader trace verify's policies use
// (core/commands.ts), so a command the guard denies as forbidden is one verify flags. No I/O, no zod:
// the guard's hook bundle loads it on every guarded call.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { commandIndex, commandName, commandsOf, escapeRegExp, type ForbiddenCommands, forbiddenCommandHit, pathMatches, type SimpleCommand } from '../core/commands.js';
import type { GuardConfig, GuardRuleConfig } from './schema.js';

export type Decision = 'allow' | 'ask' | 'deny';

/** What a tool call does, as the guard sees it (every agent's payload becomes this: src/guard/agents.ts). */
export interface GuardCall {
  /** The tool's name as the agent calls it. */
  tool: string;
  kind: 'shell' | 'file' | 'mcp' | 'other';
  /** A shell call's command: text, or an argv (Codex). */
  command?: string | readonly string[];
  /** The files a file tool writes: absolute, or relative to `cwd`. */
  paths: readonly string[];
  /** An MCP call's server and tool. */
  mcpServer?: string;
  mcpTool?: string;
}

export interface GuardSettings {
  guard: GuardConfig;
  /** `trace.policies.forbiddenCommands`: the list verify checks afterwards. */
  forbiddenCommands: ForbiddenCommands;
}

export interface GuardContext {
  /** The repository's work tree. */
  root: string;
  /** The directory relative paths are resolved against. */
  cwd: string;
  /** The current branch (the target of a push that names none). */
  branch?: string;
  /** The redaction detectors, when `secretsInCommands` is on; absent: that check is skipped. */
  detectSecrets?: (text: string) => { ruleId: string }[];
}

export interface RuleHit {
  /** The rule's id: a built-in one (`rm-root`, `protected-path`, …) or a custom rule's. */
  rule: string;
  decision: Decision;
  message: string;
}

export interface GuardResult {
  decision: Decision;
  /** The first rule of the winning strength (absent for allow without a matching rule). */
  rule?: string;
  message?: string;
  /** Every matching rule, in evaluation order. */
  hits: RuleHit[];
}

const STRENGTH: Record<Decision, number> = { allow: 0, ask: 1, deny: 2 };

export const BUILTIN_GUARD_RULES: readonly { id: string; decision: Decision | 'config'; what: string }[] = [
  { id: 'forbiddenCommands', decision: 'deny', what: 'trace.policies.forbiddenCommands (rm-root, force-push-protected, pipe-to-shell, sql-drop, mkfs, write-disk, chmod-root, fork-bomb, and its patterns)' },
  { id: 'protected-path', decision: 'deny', what: 'a write to trace.guard.builtin.protectedPaths (file tools; shell >, >>, tee, cp, mv)' },
  { id: 'outside-repository', decision: 'config', what: 'a file tool writing outside the repository (trace.guard.builtin.outsideRepository)' },
  { id: 'secret-in-command', decision: 'ask', what: 'a command holding a secret (the redaction detectors)' },
];

const clip = (text: string, max = 160): string => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** A name against a pattern whose `*` is any text (rules' `tools`, MCP servers). */
export function wildcard(pattern: string, value: string, flags = ''): boolean {
  return new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, flags).test(value);
}

/** A path the call writes, repository-relative (`outside` when it leaves the work tree). */
interface Target {
  path: string;
  outside: boolean;
}

export function targetOf(path: string, context: Pick<GuardContext, 'root' | 'cwd'>): Target {
  const absolute = resolve(context.cwd, path);
  const rel = relative(context.root, absolute);
  const outside = rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  return { path: outside ? absolute : rel.split(sep).join('/') || '.', outside };
}

const REDIRECT = /^\d*>>?$|^&>>?$|^>\|$/;
const COPIES = new Set(['cp', 'mv', 'install', 'ln', 'rsync']);

/** Files a shell command writes that the reader can see: redirections, tee's files, cp/mv's destination. */
export function shellWrites(commands: readonly SimpleCommand[]): string[] {
  const out: string[] = [];
  for (const cmd of commands) {
    cmd.words.forEach((w, k) => {
      const next = cmd.words[k + 1];
      if (REDIRECT.test(w) && next !== undefined && !next.startsWith('&') && next !== '/dev/null') out.push(next);
    });
    const at = commandIndex(cmd.words);
    const first = cmd.words[at];
    if (first === undefined) continue;
    const name = commandName(first);
    const args: string[] = [];
    for (let k = at + 1; k < cmd.words.length; k++) {
      const w = cmd.words[k]!;
      if (/^\d*[<>]/.test(w) || /^&>/.test(w)) {
        k++;
        continue;
      }
      if (!w.startsWith('-')) args.push(w);
    }
    if (name === 'tee') out.push(...args);
    else if (COPIES.has(name) && args.length >= 2) out.push(args[args.length - 1]!);
  }
  return out;
}

function protectedGlob(globs: readonly string[], target: Target): string | undefined {
  const path = target.path.toLowerCase();
  return globs.find((glob) => pathMatches(glob.toLowerCase(), path) || (target.outside && pathMatches(glob.toLowerCase(), path.replace(/^\/+/, ''))));
}

/** The names a rule's `tools` can use for this call: its own, and Claude Code's for its kind. */
function toolNames(call: GuardCall): string[] {
  const names = [call.tool];
  if (call.kind === 'shell') names.push('Bash');
  if (call.kind === 'file') names.push('Write', 'Edit', 'MultiEdit');
  if (call.kind === 'mcp') names.push(`mcp__${call.mcpServer ?? ''}__${call.mcpTool ?? ''}`);
  return names;
}

function customHit(rule: GuardRuleConfig, call: GuardCall, commandTexts: readonly string[], targets: readonly Target[]): string | undefined {
  if (rule.tools !== undefined) {
    const names = toolNames(call);
    if (!rule.tools.some((pattern) => names.some((name) => wildcard(pattern, name, 'i')))) return undefined;
  }
  const evidence: string[] = [];
  if (rule.command !== undefined) {
    const re = new RegExp(rule.command);
    const hit = commandTexts.find((text) => re.test(text));
    if (hit === undefined) return undefined;
    evidence.push(clip(hit, 100));
  }
  if (rule.paths !== undefined) {
    const globs = rule.paths;
    const hit = targets.find((t) => protectedGlob(globs, t) !== undefined);
    if (hit === undefined) return undefined;
    evidence.push(hit.path);
  }
  if (rule.mcpServersNotIn !== undefined) {
    if (call.kind !== 'mcp') return undefined;
    const server = call.mcpServer ?? '';
    if (rule.mcpServersNotIn.some((pattern) => wildcard(pattern, server))) return undefined;
    evidence.push(`MCP server ${server || '(unknown)'} is not in ${rule.mcpServersNotIn.join(', ')}`);
  }
  return evidence.length > 0 ? evidence.join('; ') : call.tool;
}

/** Every rule over one call; the strongest decision wins (deny > ask > allow), the first rule of that strength names it. */
export function evaluateGuard(call: GuardCall, settings: GuardSettings, context: GuardContext): GuardResult {
  const { guard } = settings;
  const hits: RuleHit[] = [];
  const commands = call.command === undefined ? [] : commandsOf(call.command);
  const commandText = call.command === undefined ? undefined : typeof call.command === 'string' ? call.command : call.command.join(' ');
  const commandTexts = commandText === undefined ? [] : [commandText, ...commands.map((c) => c.words.join(' '))];
  const targets = [...call.paths, ...shellWrites(commands)].map((p) => targetOf(p, context));

  if (commandText !== undefined && guard.builtin.forbiddenCommands) {
    const hit = forbiddenCommandHit(call.command!, settings.forbiddenCommands, context.branch);
    if (hit !== undefined) {
      const what = hit.pattern === undefined ? `\`${clip(hit.evidence, 100)}\` is a forbidden command (${hit.id})` : `\`${clip(commandText, 100)}\` matches the forbidden pattern /${hit.pattern}/`;
      hits.push({ rule: hit.pattern === undefined ? hit.id : 'forbiddenCommands', decision: 'deny', message: `${what}; trace verify flags it (trace.policies.forbiddenCommands)` });
    }
  }
  for (const target of targets) {
    const glob = protectedGlob(guard.builtin.protectedPaths, target);
    if (glob !== undefined) hits.push({ rule: 'protected-path', decision: 'deny', message: `${target.path} is protected (${glob} in trace.guard.builtin.protectedPaths)` });
    else if (target.outside && call.kind === 'file' && guard.builtin.outsideRepository !== 'allow') {
      hits.push({ rule: 'outside-repository', decision: guard.builtin.outsideRepository, message: `${target.path} is outside the repository (trace.guard.builtin.outsideRepository)` });
    }
  }
  if (commandText !== undefined && guard.builtin.secretsInCommands && context.detectSecrets !== undefined) {
    const rules = [...new Set(context.detectSecrets(commandText).map((f) => f.ruleId))];
    if (rules.length > 0) hits.push({ rule: 'secret-in-command', decision: 'ask', message: `the command holds a secret (${rules.join(', ')}); it would end up in the agent's context and logs` });
  }
  for (const rule of guard.rules) {
    const evidence = customHit(rule, call, commandTexts, targets);
    if (evidence !== undefined) hits.push({ rule: rule.id, decision: rule.decision, message: rule.message ?? `${evidence} (trace.guard.rules ${rule.id})` });
  }

  let winner: RuleHit | undefined;
  for (const hit of hits) if (winner === undefined || STRENGTH[hit.decision] > STRENGTH[winner.decision]) winner = hit;
  if (winner === undefined) return { decision: 'allow', hits };
  return { decision: winner.decision, rule: winner.rule, message: winner.message, hits };
}

/** The text shown with a decision: `trace guard [rule]: message`. */
export function decisionReason(result: Pick<GuardResult, 'rule' | 'message'>): string {
  return `trace guard [${result.rule ?? 'guard'}]: ${result.message ?? 'no reason given'}`;
}
