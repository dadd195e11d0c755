// `trace hook <agent> guard`: the guard's own hook entry, separate from capture's pre-tool hook so
// neither can break the other. It decides one pre-tool call and answers in the agent's format: nothing
// for allow, a deny or ask with the rule's reason, a note for warn. It fails closed only where that is
// what the config asks for: an invalid config or a crash in `enforce` mode denies the call.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepo, type Repo } from '../repo.js';
import { fileLogger } from '../log.js';
import { type Answer, type GuardAdapter, guardAdapter, guardCallOf, type HookOutput, type ParsedGuardCall } from './agents.js';
import { decisionReason, evaluateGuard, type GuardResult } from './engine.js';
import { mayHoldSecret } from './may-hold-secret.js';
import type * as SecretsModule from './secrets.js';
import { DECISIONS_DIR, DECISIONS_FILE, SESSIONS_DIR, sessionConfigFile, sessionMarker } from './files.js';
import { refreshGuardLane } from './lane.js';
import { guardSettings, type ImportModule, saysEnforce } from './settings.js';

export interface GuardHookOptions {
  agent: string;
  payload: Buffer;
  cwd: string;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /**
   * Loads the ES modules the bundle leaves out (config schema, secret detectors), by their path from
   * dist/commands/: bin/trace passes one, since the bundle it runs from V8's code cache cannot `import()`.
   */
  importModule?: ImportModule;
}

/** One line of `<state>/guard/decisions.jsonl` (the store's `guard_decisions` table takes them in: src/guard/log.ts). */
export interface DecisionRecord {
  v: 1;
  at: string;
  agent: string;
  session: string;
  tool_use_id: string | null;
  tool: string;
  mode: 'warn' | 'enforce';
  /** What the guard's rules decided. */
  decision: 'ask' | 'deny';
  /** What the agent was told: the decision, `warn` (not enforced, or an agent that cannot be told), or `allow` (an ask nobody could answer, with headlessAsk: allow). */
  outcome: 'ask' | 'deny' | 'warn' | 'allow';
  rule: string;
  message: string;
  /** Every rule that matched. */
  rules: string[];
  headless: boolean;
}

/**
 * Marks that the guard ran in `mode` in the session: one stat per call, one small write per session;
 * at the session's first guarded call, its agent configuration is recorded too.
 */
async function markSession(root: string, stateDir: string | undefined, sessionId: string, mode: 'warn' | 'enforce'): Promise<void> {
  if (stateDir === undefined || sessionId === '') return;
  const marker = sessionMarker(stateDir, sessionId, mode);
  if (existsSync(marker)) return;
  try {
    mkdirSync(join(stateDir, DECISIONS_DIR, SESSIONS_DIR), { recursive: true });
    writeFileSync(marker, '');
    const { recordConfigEvidence } = await import('./config-evidence.js');
    recordConfigEvidence(root, sessionConfigFile(stateDir, sessionId));
  } catch {
    // The decision matters more than the mark.
  }
}

/** Whether nobody can answer an ask: a headless Claude Code run (`claude -p`, the SDK), CI, or TRACE_GUARD_HEADLESS=1. */
export function isHeadless(payload: unknown, env: NodeJS.ProcessEnv): boolean {
  if (env.TRACE_GUARD_HEADLESS === '1') return true;
  if (env.TRACE_GUARD_HEADLESS === '0') return false;
  if (env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0') return true;
  if (typeof env.CLAUDE_CODE_ENTRYPOINT === 'string' && env.CLAUDE_CODE_ENTRYPOINT.startsWith('sdk')) return true;
  const mode = (payload as { permission_mode?: unknown } | null)?.permission_mode;
  return mode === 'dontAsk';
}

function currentBranch(repo: Repo): string | undefined {
  try {
    const head = readFileSync(join(repo.gitDir, 'HEAD'), 'utf8');
    return /^ref: refs\/heads\/(.+?)\s*$/.exec(head)?.[1];
  } catch {
    return undefined;
  }
}

function record(repo: Repo, line: DecisionRecord): void {
  if (!existsSync(repo.stateDir)) return;
  try {
    const dir = join(repo.stateDir, DECISIONS_DIR);
    mkdirSync(dir, { recursive: true });
    // One short line per append: concurrent hooks do not interleave.
    appendFileSync(join(dir, DECISIONS_FILE), `${JSON.stringify(line)}\n`);
  } catch (error) {
    fileLogger(repo.stateDir).log('error', `guard: decision not recorded: ${(error as Error).message}`);
  }
}

/** Runs the guard for one payload; never throws. */
export async function runGuardHook(options: GuardHookOptions): Promise<HookOutput> {
  const adapter = guardAdapter(options.agent);
  if (adapter === undefined) return { exitCode: 0 };
  let repo: Repo | null = null;
  let enforce = false;
  try {
    const payload: unknown = JSON.parse(options.payload.toString('utf8'));
    const payloadCwd = typeof (payload as { cwd?: unknown })?.cwd === 'string' ? (payload as { cwd: string }).cwd : undefined;
    repo = findRepo(payloadCwd ?? options.cwd) ?? findRepo(options.cwd);
    if (repo === null) return { exitCode: 0 };
    const stateDir = existsSync(repo.stateDir) ? repo.stateDir : undefined;
    const { key, result: loaded } = await guardSettings(repo.root, stateDir, options.importModule);
    if (stateDir !== undefined && adapter.lane !== undefined) {
      refreshGuardLane({ hookName: adapter.hookName, format: adapter.lane }, repo, stateDir, loaded.ok ? loaded.loaded : undefined, key, options.now().getTime());
    }
    if (!loaded.ok) {
      if (stateDir) fileLogger(stateDir, options.now).log('error', `guard: ${loaded.error}`);
      if (!loaded.enforce) return { exitCode: 0 };
      const reason = `trace guard config invalid: ${loaded.error.replace(/\s*\n\s*/g, '; ')} — fix .chainloop.yml (run \`trace guard check\`)`;
      const parsed = guardCallOf(adapter, payload);
      if (typeof parsed !== 'string') await markSession(repo.root, stateDir, parsed.sessionId, 'enforce');
      if (typeof parsed !== 'string') record(repo, decisionLine(options, adapter, parsed, 'enforce', { decision: 'deny', rule: 'config-invalid', message: reason, hits: [] }, 'deny', false));
      return adapter.answer({ kind: 'deny', reason });
    }
    const { settings, redaction } = loaded.loaded;
    const mode = settings.guard.mode;
    if (mode === 'off') return { exitCode: 0 };
    enforce = mode === 'enforce';
    const parsed = guardCallOf(adapter, payload);
    if (typeof parsed === 'string') {
      if (stateDir) fileLogger(stateDir, options.now).log('error', `hook ${options.agent} guard: bad payload: ${parsed}`);
      if (!enforce) return { exitCode: 0 };
      return adapter.answer({ kind: 'deny', reason: `trace guard: cannot read the tool call (${parsed})` });
    }
    await markSession(repo.root, stateDir, parsed.sessionId, mode);
    let detectSecrets: ((text: string) => { ruleId: string }[]) | undefined;
    const commandText = parsed.call.command === undefined ? undefined : typeof parsed.call.command === 'string' ? parsed.call.command : parsed.call.command.join(' ');
    if (commandText !== undefined && settings.guard.builtin.secretsInCommands) {
      // The detectors (outside the hook bundle: dist/guard/secrets.js) load only for a command that could hold a secret.
      if (redaction.patterns.length > 0 || mayHoldSecret(commandText)) {
        const { commandSecretDetector } = (options.importModule ? await options.importModule('../guard/secrets.js') : await import('../guard/secrets.js')) as typeof SecretsModule;
        detectSecrets = await commandSecretDetector(redaction.patterns);
      } else detectSecrets = () => [];
    }
    const branch = currentBranch(repo);
    const result = evaluateGuard(parsed.call, settings, {
      root: repo.root,
      cwd: parsed.cwd ?? payloadCwd ?? options.cwd,
      ...(branch === undefined ? {} : { branch }),
      ...(detectSecrets === undefined ? {} : { detectSecrets }),
    });
    if (result.decision === 'allow') return { exitCode: 0 };
    const headless = isHeadless(payload, options.env);
    const answer = answerFor(result, mode, adapter, headless, settings.guard.headlessAsk);
    record(repo, decisionLine(options, adapter, parsed, mode, result, answer.kind, headless));
    return adapter.answer(answer);
  } catch (error) {
    const message = (error as Error).message;
    if (repo && existsSync(repo.stateDir)) fileLogger(repo.stateDir, options.now).log('error', `hook ${options.agent} guard: ${(error as Error).stack ?? message}`);
    if (!enforce && repo) {
      try {
        enforce = saysEnforce(readFileSync(join(repo.root, '.chainloop.yml'), 'utf8'));
      } catch {
        // No config: nothing to enforce.
      }
    }
    return enforce ? adapter.answer({ kind: 'deny', reason: `trace guard failed (${message}); denied because trace.guard.mode is enforce` }) : { exitCode: 0 };
  }
}

/** What the agent is told for a non-allow result. */
export function answerFor(result: GuardResult, mode: 'warn' | 'enforce', adapter: GuardAdapter, headless: boolean, headlessAsk: 'deny' | 'allow'): Answer {
  const reason = decisionReason(result);
  if (mode === 'warn' || !adapter.canDeny) return { kind: 'warn', reason: `${reason} (warn mode: would ${result.decision})` };
  if (result.decision === 'ask' && (headless || !adapter.canAsk)) {
    if (headlessAsk === 'allow') return { kind: 'allow' };
    return { kind: 'deny', reason: `${reason} (nobody can approve it here: ${headless ? 'a headless run' : `${adapter.hookName} cannot ask`}; trace.guard.headlessAsk is deny)` };
  }
  return { kind: result.decision as 'ask' | 'deny', reason };
}

function decisionLine(options: GuardHookOptions, adapter: GuardAdapter, parsed: ParsedGuardCall, mode: 'warn' | 'enforce', result: GuardResult, outcome: Answer['kind'], headless: boolean): DecisionRecord {
  return {
    v: 1,
    at: options.now().toISOString(),
    agent: adapter.name,
    session: parsed.sessionId,
    tool_use_id: parsed.toolUseId ?? null,
    tool: parsed.call.tool,
    mode,
    decision: result.decision === 'allow' ? 'ask' : result.decision,
    outcome,
    rule: result.rule ?? 'guard',
    message: result.message ?? '',
    rules: result.hits.map((h) => h.rule),
    headless,
  };
}
