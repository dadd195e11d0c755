// Builds the statement for a set of commits: their attribution (attributing on the fly any that
// lack it), one Chainloop session object per contributing session, redacted, then validated.
import { readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { Attributor } from '../attribution/attribute.js';
import { agentByName } from '../agents/index.js';
import type { AgentSessionRead, ConversationEntry } from '../agents/types.js';
import { interruptedWarnings } from '../capture/interrupted.js';
import type { TraceConfig } from '../config.js';
import { buildStatement, filesForSession, type Statement, statementIssues, unknownLineWarnings } from '../core/predicate.js';
import { redactDeep } from '../core/redact.js';
import { applyRetention, type PathContext, relativiseText, retainedEntry } from '../core/retention.js';
import { buildSessionObject } from '../core/session.js';
import { buildThreads, threadUsage } from '../core/threads.js';
import type { CommitAttribution } from '../core/types.js';
import { TraceError } from '../errors.js';
import { git, gitRaw } from '../git.js';
import { packagePath } from '../install/assets.js';
import type { Repo } from '../repo.js';
import { hookCalls } from '../sessions/detail.js';
import type { Store } from '../store.js';

export const GENERATOR = { name: 'chainloop-trace', version: '0.1.0' };

export interface EvidenceInput {
  repo: Repo;
  store: Store;
  config: TraceConfig;
  commits: readonly string[];
  /** The remote the push goes to (name or URL), for the git context. */
  remote?: string;
  branch?: string;
  now: () => Date;
  /** The user's home directory, rewritten to `~` outside `full` retention (default: os.homedir()). */
  home?: string;
  /** Called as commits are attributed, for a progress line. */
  onProgress?: (done: number, total: number) => void;
}

export interface Evidence {
  statement: Statement;
  /** Milliseconds per phase, for `npm run bench` and `--json`. */
  timings: Record<string, number>;
}

/** `https://user:token@host/x.git` → `https://host/x.git`: credentials never go into an attestation. */
export function publicRemoteUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

async function remoteUrl(cwd: string, remote: string | undefined): Promise<string | undefined> {
  if (!remote) return undefined;
  const result = await gitRaw(['remote', 'get-url', remote], { cwd, okCodes: [2, 128] });
  return publicRemoteUrl(result.code === 0 ? result.stdout.toString('utf8').trim() : remote);
}

function repositoryName(url: string | undefined, root: string): string {
  const source = url ?? root;
  const last = source.replace(/\/+$/, '').split(/[/:]/).pop() ?? 'repository';
  return last.replace(/\.git$/, '') || 'repository';
}

/** In `prompts` retention a tool input's long strings (a long command) are cut; file contents are already summarised. */
const MAX_RETAINED_STRING = 2000;
const PLACEHOLDER = /\[REDACTED:[a-z0-9._-]+\]/g;

/**
 * A retained string cut after `MAX_RETAINED_STRING` characters. It runs on redacted text (redact
 * first, then cut: a secret across the cut is found whole, so no prefix of it survives), and a cut
 * inside a placeholder keeps the whole placeholder.
 */
export function cutRetainedString(text: string): string {
  if (text.length <= MAX_RETAINED_STRING) return text;
  let cut = MAX_RETAINED_STRING;
  for (const placeholder of text.matchAll(PLACEHOLDER)) {
    if (placeholder.index >= cut) break;
    if (placeholder.index + placeholder[0].length > cut) cut = placeholder.index + placeholder[0].length;
  }
  if (cut >= text.length) return text;
  return `${text.slice(0, cut)}…[${text.length - cut} more characters not retained]`;
}

function truncateStrings(value: unknown): unknown {
  if (typeof value === 'string') return cutRetainedString(value);
  if (Array.isArray(value)) return value.map(truncateStrings);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, truncateStrings(v)]));
  return value;
}

/** `prompts` retention: each session's kept conversation with its long strings cut (after redaction). */
function cutRawSessions(sessions: object[]): object[] {
  return sessions.map((session) => {
    const raw = (session as { raw_session?: unknown }).raw_session;
    return raw === undefined ? session : { ...session, raw_session: truncateStrings(raw) };
  });
}

/** The conversation kept for `retention`, from the agent's own records when they can be read, else from what the hooks stored. */
function rawSession(store: Store, sessionId: string, retention: TraceConfig['trace']['transcripts']['retention'], read: AgentSessionRead): Record<string, unknown[]> | undefined {
  if (retention === 'none') return undefined;
  if (retention === 'full' && read.records !== null) return { main: read.records };
  if (retention === 'prompts' && read.conversation !== null) return { main: read.conversation.map(retainedEntry) };
  const prompts: ConversationEntry[] = store.prompts(sessionId).map((p) => ({ type: 'prompt', text: p.text, timestamp: p.at }));
  const calls: ConversationEntry[] = store.toolCalls(sessionId).map((c) => ({ type: 'tool_call', id: c.tool_use_id, name: c.tool_name, input: c.input_json ? (JSON.parse(c.input_json) as unknown) : null, timestamp: c.started_at ?? undefined }));
  const entries = [...prompts, ...calls].sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
  return { main: retention === 'full' ? entries : entries.map(retainedEntry) };
}

function pathContext(root: string, home: string): PathContext {
  let real = root;
  try {
    real = realpathSync(root);
  } catch {
    // the root as given
  }
  return { roots: [...new Set([root, real])], home };
}

let sessionValidator: ((value: unknown) => string[]) | undefined;

/** Validates a session object against Chainloop's published schema (copied into schemas/). */
async function validateSession(session: unknown): Promise<string[]> {
  if (!sessionValidator) {
    const { Ajv } = await import('ajv');
    const schema = JSON.parse(readFileSync(packagePath('schemas/chainloop-ai-coding-session-0.1.schema.json'), 'utf8')) as object;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    sessionValidator = (value) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(session)'}: ${e.message ?? 'invalid'}`));
  }
  return sessionValidator(session);
}

/** Records into `timings` the milliseconds since the previous phase ended (or since it was made). */
export function phaseTimer(timings: Record<string, number>): (name: string) => void {
  let mark = performance.now();
  return (name) => {
    const now = performance.now();
    timings[name] = Math.round((now - mark) * 10) / 10;
    mark = now;
  };
}

/**
 * The commits' attributions, from the store or made now. The attributor (its diffs and replays)
 * is garbage once this returns, before the statement is built and signed.
 */
async function attributeAll(input: EvidenceInput): Promise<CommitAttribution[]> {
  const attributor = new Attributor(input.repo, input.store);
  await attributor.prefetch(input.commits.filter((sha) => !input.store.commit(sha)));
  const attributions: CommitAttribution[] = [];
  for (const [index, sha] of input.commits.entries()) {
    attributions.push(input.store.commit(sha) ?? (await attributor.attribute(sha, { captured: false, now: input.now })));
    input.onProgress?.(index + 1, input.commits.length);
  }
  return attributions;
}

export async function buildEvidence(input: EvidenceInput): Promise<Evidence> {
  const timings: Record<string, number> = {};
  const phase = phaseTimer(timings);
  const attributions = await attributeAll(input);
  phase('attribution');

  const url = await remoteUrl(input.repo.root, input.remote);
  const branch = input.branch ?? (await git(['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: input.repo.root })).trim();
  const retention = input.config.trace.transcripts.retention;
  const warnings: string[] = unknownLineWarnings(attributions);
  const sessions: object[] = [];
  const sessionIds = [...new Set(attributions.flatMap((a) => a.session_ids))];
  for (const id of sessionIds) {
    const record = input.store.session(id);
    if (!record) {
      warnings.push(`session ${id} is named by a commit but was not recorded on this machine`);
      continue;
    }
    const agent = agentByName(record.agent);
    const read: AgentSessionRead = agent
      ? await agent.readSession(record, input.store)
      : { summary: null, warnings: [`sessions of agent ${record.agent} cannot be read by this version of trace`], conversation: null, records: null };
    const own = attributions.filter((a) => a.session_ids.includes(id));
    sessions.push(
      buildSessionObject({
        session: { id, agent: record.agent, agentVersion: record.agent_version, model: record.model, startedAt: record.started_at, endedAt: record.ended_at, cwd: record.cwd, prompts: input.store.prompts(id).length },
        transcript: read.summary,
        files: filesForSession(own, id),
        git: { ...(url ? { repository: url } : {}), branch, commits: own.map((a) => a.sha) },
        warnings: [...read.warnings, ...interruptedWarnings(input.store, id)],
        // Per-turn usage travels in the attestation, so another clone sees it after the transcript is gone.
        ...(read.steps ? { threads: threadUsage(buildThreads({ prompts: input.store.prompts(id), toolCalls: await hookCalls(input.store, id, { withFiles: false }), agentSteps: read.steps })) } : {}),
        ...(retention !== 'none' ? { rawSession: rawSession(input.store, id, retention, read) } : {}),
      }),
    );
  }
  // Outside `full` retention no absolute path (a home directory, the checkout's place) leaves the machine.
  const paths = pathContext(input.repo.root, input.home ?? homedir());
  const retained = applyRetention({ sessions, warnings }, retention, paths);
  phase('sessions');

  // The guard's record of these sessions (src/guard/); its messages are redacted below like the rest.
  const { guardEvidence } = await import('../guard/log.js');
  let guard = guardEvidence(input.store, input.repo, sessionIds, retention !== 'none');

  // Secrets never leave the machine: every free-text field is redacted before anything is signed.
  let redacted: { value: { sessions: object[]; warnings: string[] }; report: { total: number; rules: { ruleId: string; count: number }[] } };
  try {
    const { createRedactor } = await import('../core/redact.js');
    const redactor = await createRedactor({ extraPatterns: input.config.trace.redaction.patterns, entropy: input.config.trace.redaction.entropy });
    redacted = redactDeep(retained, redactor);
    if (guard !== undefined) guard = redactDeep(guard, redactor).value;
  } catch (cause) {
    if (cause instanceof TraceError && cause.code === 'BAD_CONFIG') throw cause;
    throw new TraceError('REDACTION_FAILED', `redaction failed, so nothing was signed or uploaded: ${(cause as Error).message}`, { cause });
  }
  phase('redaction');

  const statement = buildStatement({
    repository: { name: input.config.projectName ?? repositoryName(url, input.repo.root), ...(url ? { remote: retention === 'full' ? url : relativiseText(url, paths) } : {}) },
    generator: GENERATOR,
    createdAt: input.now().toISOString(),
    retention,
    commits: attributions,
    // Redact first, then cut: the cut never keeps the start of a secret it would have split.
    sessions: retention === 'prompts' ? cutRawSessions(redacted.value.sessions) : redacted.value.sessions,
    redaction: redacted.report,
    warnings: redacted.value.warnings,
    ...(guard === undefined ? {} : { guard }),
  });
  const problems = statementIssues(statement);
  for (const [index, session] of statement.predicate.sessions.entries()) {
    for (const problem of await validateSession(session)) problems.push(`predicate.sessions.${index}${problem}`);
  }
  if (problems.length > 0) {
    throw new TraceError('BAD_INPUT', `the attestation does not match its schema, so it was not signed:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  phase('validation');
  return { statement, timings };
}
