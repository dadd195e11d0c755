// `trace guard check | test | log`: the guard's rules as the hook applies them, one call decided by
// hand, and the decisions recorded so far.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE, parseConfig } from '../config.js';
import { openRepo } from '../context.js';
import { BUILTIN_COMMAND_RULES } from '../core/commands.js';
import { TraceError } from '../errors.js';
import { mcpOf } from '../guard/agents.js';
import { BUILTIN_GUARD_RULES, evaluateGuard, type GuardCall, type GuardResult } from '../guard/engine.js';
import { guardDecisions, ingestGuardDecisions } from '../guard/log.js';
import { commandSecretDetector } from '../guard/secrets.js';
import { type LoadedGuard, settingsFromConfig } from '../guard/settings.js';
import type { Outcome } from '../program.js';
import type { Repo } from '../repo.js';
import { isInitialised } from '../repo.js';

function loadGuard(repo: Repo): LoadedGuard {
  const file = join(repo.root, CONFIG_FILE);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  // Throws BAD_CONFIG (exit 2) with every problem named.
  return settingsFromConfig(parseConfig(text, file));
}

export async function guardCheck(options: { cwd: string }): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  let loaded: LoadedGuard;
  try {
    loaded = loadGuard(repo);
  } catch (error) {
    if (error instanceof TraceError && /mode:\s*["']?enforce/.test(existsSync(join(repo.root, CONFIG_FILE)) ? readFileSync(join(repo.root, CONFIG_FILE), 'utf8') : '')) {
      throw new TraceError('BAD_CONFIG', `${error.message}\nWhile the config is invalid, the guard (mode: enforce) denies every guarded tool call.`, { cause: error });
    }
    throw error;
  }
  const { guard, forbiddenCommands } = loaded.settings;
  const json = {
    mode: guard.mode,
    headlessAsk: guard.headlessAsk,
    builtin: {
      forbiddenCommands: guard.builtin.forbiddenCommands ? { decision: 'deny', rules: forbiddenCommands.builtin ? BUILTIN_COMMAND_RULES.map((r) => r.id) : [], patterns: forbiddenCommands.patterns, protectedBranches: forbiddenCommands.protectedBranches } : false,
      protectedPaths: { decision: 'deny', globs: guard.builtin.protectedPaths },
      secretsInCommands: guard.builtin.secretsInCommands ? { decision: 'ask', extraPatterns: loaded.redaction.patterns.map((p) => p.id) } : false,
      outsideRepository: guard.builtin.outsideRepository,
    },
    rules: guard.rules,
  };
  const lines = [`${CONFIG_FILE}: trace.guard is valid.`, '', `mode: ${guard.mode}${guard.mode === 'warn' ? ' (decisions are recorded and shown, nothing is blocked)' : guard.mode === 'off' ? ' (the guard decides nothing)' : ' (the agent is told deny or ask)'}`];
  lines.push(`headless ask: ${guard.headlessAsk}`, '', 'built-in rules:');
  if (guard.builtin.forbiddenCommands) {
    for (const rule of forbiddenCommands.builtin ? BUILTIN_COMMAND_RULES : []) lines.push(`  deny  ${rule.id.padEnd(22)} ${rule.description}`);
    for (const pattern of forbiddenCommands.patterns) lines.push(`  deny  ${'forbiddenCommands'.padEnd(22)} /${pattern}/`);
    lines.push(`        protected branches: ${forbiddenCommands.protectedBranches.join(', ') || '(none)'} (trace.policies.forbiddenCommands)`);
  } else lines.push('  forbidden commands: off');
  lines.push(guard.builtin.protectedPaths.length > 0 ? `  deny  ${'protected-path'.padEnd(22)} ${guard.builtin.protectedPaths.join(', ')}` : '  protected paths: none');
  lines.push(guard.builtin.secretsInCommands ? `  ask   ${'secret-in-command'.padEnd(22)} ${BUILTIN_GUARD_RULES.find((r) => r.id === 'secret-in-command')!.what}` : '  secrets in commands: off');
  lines.push(`  ${guard.builtin.outsideRepository.padEnd(5)} ${'outside-repository'.padEnd(22)} a file tool writing outside the repository`);
  lines.push('', guard.rules.length > 0 ? 'custom rules:' : 'custom rules: none');
  for (const rule of guard.rules) {
    const what = [rule.tools ? `tools ${rule.tools.join(', ')}` : undefined, rule.command ? `command /${rule.command}/` : undefined, rule.paths ? `paths ${rule.paths.join(', ')}` : undefined, rule.mcpServersNotIn ? `MCP servers not in ${rule.mcpServersNotIn.join(', ')}` : undefined].filter(Boolean).join('; ');
    lines.push(`  ${rule.decision.padEnd(5)} ${rule.id.padEnd(22)} ${what}${rule.message ? ` — ${rule.message}` : ''}`);
  }
  return { json, text: lines.join('\n') };
}

export interface GuardTestOptions {
  cwd: string;
  tool?: string;
  command?: string;
  path?: string[];
  mcpServer?: string;
  branch?: string;
}

const EXIT: Record<GuardResult['decision'], number> = { allow: 0, deny: 1, ask: 3 };

export async function guardTest(options: GuardTestOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  const loaded = loadGuard(repo);
  const paths = options.path ?? [];
  if (options.command === undefined && paths.length === 0 && options.tool === undefined) {
    throw new TraceError('BAD_ARGUMENT', 'say what to test: --command, --path or --tool', { hint: "e.g. trace guard test --tool Bash --command 'git push -f origin main'" });
  }
  const tool = options.tool ?? (options.command !== undefined ? 'Bash' : 'Write');
  const mcp = options.mcpServer !== undefined ? { server: options.mcpServer, tool: tool.replace(/^mcp__.+?__/, '') } : mcpOf(tool, {});
  const call: GuardCall = mcp
    ? { tool, kind: 'mcp', paths, mcpServer: mcp.server, mcpTool: mcp.tool }
    : options.command !== undefined
      ? { tool, kind: 'shell', command: options.command, paths }
      : { tool, kind: paths.length > 0 ? 'file' : 'other', paths };
  const branch = options.branch ?? currentBranch(repo);
  const detectSecrets = loaded.settings.guard.builtin.secretsInCommands ? await commandSecretDetector(loaded.redaction.patterns) : undefined;
  const result = evaluateGuard(call, loaded.settings, { root: repo.root, cwd: options.cwd, ...(branch === undefined ? {} : { branch }), ...(detectSecrets ? { detectSecrets } : {}) });
  const mode = loaded.settings.guard.mode;
  const lines = [`${result.decision}${result.rule ? `  [${result.rule}] ${result.message ?? ''}` : ''}`];
  for (const hit of result.hits.slice(1)) lines.push(`  also ${hit.decision} [${hit.rule}] ${hit.message}`);
  if (mode !== 'enforce' && result.decision !== 'allow') lines.push(`(trace.guard.mode is ${mode}: the agent would ${mode === 'warn' ? 'only be warned' : 'not be stopped'})`);
  return { json: { ...result, mode, call }, text: lines.join('\n'), exitCode: EXIT[result.decision] };
}

function currentBranch(repo: Repo): string | undefined {
  try {
    return /^ref: refs\/heads\/(.+?)\s*$/.exec(readFileSync(join(repo.gitDir, 'HEAD'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

export async function guardLog(options: { cwd: string; session?: string; limit?: number }): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  if (!isInitialised(repo)) return { json: { decisions: [] }, text: 'No guard decisions: trace is not set up here (`trace init`).' };
  const { openCaptureStore } = await import('../capture/open.js');
  const store = openCaptureStore(repo);
  try {
    ingestGuardDecisions(store, repo);
    let rows = guardDecisions(store);
    if (options.session !== undefined) rows = rows.filter((r) => r.session_id.startsWith(options.session!));
    if (options.limit !== undefined) rows = rows.slice(-options.limit);
    if (rows.length === 0) return { json: { decisions: [] }, text: options.session ? `No guard decisions in session ${options.session}.` : 'No guard decisions recorded.' };
    const text = rows.map((r) => `${r.at}  ${r.outcome.padEnd(5)} ${r.decision === r.outcome ? '' : `(${r.decision}) `}[${r.rule}] ${r.agent} ${r.tool}  session ${r.session_id.slice(0, 8)}  ${r.message}`).join('\n');
    return { json: { decisions: rows }, text };
  } finally {
    store.close();
  }
}
