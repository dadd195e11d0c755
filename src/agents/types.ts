// What trace asks of an agent. Everything that knows one agent lives in its folder, src/agents/<agent>/,
// behind these two interfaces; capture, store, attribution, attest and verify know no agent by name.
//
// - `AgentHooks` is the hot path: `trace hook <hookName> <event>` runs it on every tool call, inside the
//   hook bundle. It must import nothing heavy (no zod, no node:child_process, no node:crypto).
// - `Agent` is everything else (install, session summary, detection), loaded by commands on demand.
import type { Declaration } from '../core/types.js';
import type { SessionRecord, Store } from '../store.js';

export type { AgentName } from '../core/types.js';
import type { AgentName } from '../core/types.js';

/** trace's own capture events: every agent's hook payloads become these. */
export type CaptureEventName = 'session-start' | 'session-end' | 'user-prompt-submit' | 'pre-tool-use' | 'post-tool-use' | 'post-tool-use-failure' | 'turn-usage';

/** Token counts an agent reports for one turn in a hook payload (Cursor's `stop`/`afterAgentResponse`). */
export interface TurnUsage {
  model: string | undefined;
  /** Input tokens as the agent reports them; `cacheReadTokens` says how many of them were cache reads when the agent counts them apart. */
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export interface CaptureEvent {
  name: CaptureEventName;
  sessionId: string;
  /** The directory file paths are resolved against (the workspace root when the payload's cwd is empty). */
  cwd: string | undefined;
  /** The agent's own record of the session (transcript, rollout, chat file, events.jsonl), when the payload names it. */
  transcriptPath: string | undefined;
  model: string | undefined;
  /** The agent's version, when the payload says it. */
  agentVersion?: string | undefined;
  source: string | undefined;
  reason: string | undefined;
  prompt: string | undefined;
  promptId: string | undefined;
  /** The subagent that made the call, when the agent says so. */
  agentId: string | undefined;
  tool: ToolCall | undefined;
  error: string | undefined;
  /** For `turn-usage`. */
  usage?: TurnUsage | undefined;
}

export interface ToolCall {
  /** The tool's name as the agent calls it (stored as is). */
  name: string;
  /** Pairs the pre and post events of one call; unique within the session. */
  useId: string;
  /** `file`: the call writes the files of `filePaths`; `shell`: any file may change (work-tree snapshots). */
  kind: 'file' | 'shell';
  input: Record<string, unknown>;
  response: unknown;
  /** The files a file tool writes (one or more: a patch can touch several), absolute or relative to the event's cwd. Empty for a shell call. */
  filePaths: string[];
  /**
   * How long the call ran, in milliseconds, when the post event says (Claude Code's `duration_ms`):
   * a call seen only by its post hook started at most this long before the hook.
   */
  durationMs?: number | undefined;
}

export type ParseResult = { ok: true; events: CaptureEvent[] } | { ok: false; ignored: boolean; problems: string[] };

/** What the guard tells the agent about one call. `warn`: no decision, a note for the person (where the agent shows one). */
export type GuardAnswer = { kind: 'allow' } | { kind: 'warn'; reason: string } | { kind: 'ask' | 'deny'; reason: string };

/** What `trace hook <agent> guard` prints and exits with. */
export interface GuardHookOutput {
  stdout?: string;
  stderr?: string;
  exitCode: number;
}

/**
 * The guard's side of one agent (`trace hook <hookName> guard`): its pre-tool payload is read with
 * `parse(preEvent, …)`, and the decision answered in the agent's own format.
 */
export interface AgentGuard {
  /** The event name `parse` knows the agent's pre-tool payload by. */
  preEvent: string;
  /** Whether the agent can ask the person (else an ask is decided by `trace.guard.headlessAsk`). */
  canAsk: boolean;
  /** Whether the agent honours a deny; one that does not is guarded in `warn` only, and `trace status` says so. */
  canDeny: boolean;
  /** The answer in the agent's format: allow prints nothing. */
  answer(answer: GuardAnswer): GuardHookOutput;
  /** How a shell lane (src/guard/lane.ts) finds a file call in the payload's text; absent: every call goes to Node. */
  lane?: GuardLaneFormat;
}

/**
 * Texts of the agent's compact pre-tool JSON that only its own keys can produce (inside a JSON string
 * every quote is escaped), so a shell can read a file call's session, directory and path from them.
 */
export interface GuardLaneFormat {
  /** The file tools the lane may decide. */
  tools: readonly string[];
  /** What every payload starts with, up to the session id's value. */
  sessionLead: string;
  /** What precedes the working directory's value (the first such text in the payload). */
  cwdLead: string;
  /** What precedes the written file's path for `tool`: it names the tool, so the lane knows both. */
  pathLead: (tool: string) => string;
  /** The shell tool the lane may decide, and what precedes its command (naming the tool). */
  shell?: { tool: string; commandLead: string };
}

/** The hot-path side of one agent. */
export interface AgentHooks {
  /** Chainloop's spelling, recorded in the store and printed everywhere. */
  name: AgentName;
  /** The first argument of `trace hook`, and the `trace init --<hookName>` flag. */
  hookName: string;
  /**
   * One payload of `event` (the second argument of `trace hook`, as the installed config passes it)
   * as trace's capture events: none (an event trace does not use), one, or several. `ignored`: a payload
   * trace must not record and must not log as an error (one relayed from another agent's hooks).
   */
  parse(event: string, payload: unknown): ParseResult;
  /**
   * The agent sends no call id: `ToolCall.useId` is made of what its pre and post events share, so two
   * identical calls get the same one. Each call is then stored as `<useId>#<when its pre event came>`.
   */
  callIdsRepeat?: boolean;
  /** What the hook prints on stdout for `event`, for agents that read a JSON answer; undefined: nothing. */

  reply?(event: string): string | undefined;
  /**
   * The content `path` had before `tool` ran, worked back when no pre event was seen (the agent has no
   * before-edit hook, or it did not fire): null when the file did not exist, undefined when unknown.
   * `after` is the file's text now (null: absent; undefined: not text).
   */
  contentBeforeCall(tool: ToolCall, path: string, after: string | null | undefined): string | null | undefined;
  /**
   * Whether this post event of a file tool carries the content its file had before the call (Claude
   * Code's `tool_response.originalFile`): such a tool needs no pre hook, `trace init` installs none
   * for it, and the post hook takes the before content from the payload without a warning.
   */
  reportsContentBefore?(tool: ToolCall): boolean;
  /** Whether the installed config runs shell calls' hooks through sh lanes first (capture/shell-lane.ts), which trace keeps written. */
  shellLanes?: boolean;
  /**
   * The file's bytes before and after a file tool call, from its post payload alone, for a call taken
   * in from the spool after the fact (see capture/spool.ts): `onDisk` is the file now (null: gone;
   * undefined: unreadable), whose bytes are kept when it still holds what the call left (line
   * endings). Undefined when the payload cannot tell; the call is then captured from the disk.
   */
  contentsFromPayload?(tool: ToolCall, onDisk: Buffer | null | undefined): { before: Buffer | null; after: Buffer } | undefined;
  /** What a file tool's input says it writes into `path` (repository-relative), in Latin-1 form; undefined when it declares nothing usable. */
  declaredWrites(toolName: string, input: unknown, path: string): Declaration | undefined;
  /** A shell tool's command, from its input. */
  shellCommand(toolName: string, input: unknown): string | undefined;
  /** The guard's decision formats; absent: the agent has no pre-tool hook the guard can use. */
  guard?: AgentGuard;
}

/** What `trace init` will do to the agent's config file; nothing is written until every plan succeeds. */
export interface InstallPlan {
  /** Repository-relative. */
  file: string;
  /** The new text; undefined when the file stays as it is. */
  text: string | undefined;
  /** The text before, when the file exists. */
  original: string | undefined;
  status: 'installed' | 'upgraded' | 'unchanged';
}

/** A session read back from the agent's own records. */
export interface AgentSessionRead {
  /** Usage, models, tools and messages; null when nothing could be read. */
  summary: TranscriptSummary | null;
  /** Problems reading the records and limits of what they say (in the session object's warnings). */
  warnings: string[];
  /** Prompts and tool calls in order, for `prompts` retention; null: use what the hooks stored. */
  conversation: ConversationEntry[] | null;
  /** The agent's records as they are (parsed JSON values), for `full` retention; null: use what the hooks stored. */
  records: unknown[] | null;
  /**
   * The session step by step as the agent's records show it (prompts, each model response with its
   * tokens, tool calls), in order; absent when the agent's records do not give responses (then
   * `trace sessions show` builds threads from the prompts and tool calls the hooks saw, and says so).
   */
  steps?: AgentStep[];
}

/** Tokens of one model response: four numbers (input excludes cache reads and writes). */
export interface StepTokens {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
}

/** One step of a session in the agent's own records. `subagent`: the subagent that took it. */
export type AgentStep =
  | { kind: 'prompt'; at?: string; text: string }
  | { kind: 'assistant'; at?: string; id: string; model?: string; tokens: StepTokens; costUsd?: number; unpriced: boolean; thinking?: string; subagent?: string }
  | { kind: 'tool_call'; at?: string; id: string; name: string; input: unknown; mcpServer?: string; error?: string; subagent?: string };

/** The cold side of one agent. */
export interface Agent {
  hooks: AgentHooks;
  /** How people call it: "Claude Code", "Codex CLI". */
  displayName: string;
  /** Its executable, looked for on the PATH by `trace init` without an agent flag. */
  executable: string;
  /** The project config file trace's hooks go in, repository-relative. */
  configFile: string;
  /** The project directory whose existence says the agent is used here (`.cursor`). */
  configDir: string;
  /** Plans merging trace's hooks into the config, keeping everything there; throws TraceError BAD_CONFIG for a file it cannot read. */
  planInstall(root: string): InstallPlan;
  /** `text` without trace's entries; null when nothing else is left (the file can go). */
  removeHooks(text: string, file: string): { text: string | null; removed: number };
  /** Whether `text` (the config file) has trace's hooks, all of them and current. */
  hooksInstalled(text: string, file: string): boolean;
  /** What the person must do after install for the hooks to run (Codex: trust the hooks once). */
  afterInstall?: string[];
  /** The session from the agent's own records (and, where the agent reports usage in hooks, the store). */
  readSession(session: SessionRecord, store: Store): Promise<AgentSessionRead>;
  /** A stand-in for the agent working in `workspace` (tests, demo, bench). */
  simulate(workspace: Workspace, options?: { sessionId?: string }): SimulatedAgent;
}

/** The work tree a simulated agent works in, and the environment its hooks run with (HOME, PATH). */
export interface Workspace {
  dir: string;
  env: NodeJS.ProcessEnv;
}

/**
 * A stand-in for an agent, for the tests, the demo and the bench: it reads the hooks installed in the
 * agent's config and runs them with the agent's own payloads, around real file changes, as the agent does.
 * Each method returns the tool call's id.
 */
export interface SimulatedAgent {
  readonly sessionId: string;
  start(model?: string): void;
  prompt(text: string): void;
  write(path: string, content: string): string;
  edit(path: string, oldString: string, newString: string): string;
  bash(command: string): string;
  end(): void;
}

// ---- what an agent's records say of a session (every agent's summariser fills these) ----

export interface ModelUsageSummary {
  model: string;
  /** Deduplicated API responses of this model. */
  responses: number;
  /** Uncached input tokens (Anthropic `input_tokens`). */
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreation5mInputTokens: number;
  cacheCreation1hInputTokens: number;
  /** Undefined when the model is not in the price table. */
  estimatedCostUsd: number | undefined;
  /** Responses in fast mode (`usage.speed: "fast"`), priced at the fast rates; absent when none. */
  fastResponses?: number;
}

export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  /** 5m + 1h. */
  cacheCreationInputTokens: number;
  cacheCreation5mInputTokens: number;
  cacheCreation1hInputTokens: number;
  /** input + output + cache read + cache creation. */
  totalTokens: number;
}

export interface ToolUsageCount {
  /** Tool name as the agent calls it; `Task` is reported as `Agent`. */
  name: string;
  count: number;
  /** Set for MCP tools (`mcp__<server>__<tool>`). */
  mcpServer?: string;
}

export interface SubagentSummary {
  /** The agent id (`agent-<id>.jsonl`). */
  id: string;
  type?: string;
  description?: string;
  /** The parent's `Agent`/`Task` tool_use id that spawned it, when known. */
  toolUseId?: string;
  /** Whether its own file (`agent-<id>.jsonl`) was read; without it, its responses come from the parent's `progress` lines. */
  transcriptFound: boolean;
  models: string[];
  /**
   * Tokens of the responses it owns (from its file and the parent's `progress` lines, deduplicated
   * against the main thread); undefined when neither shows any, so its spend is unknown.
   */
  usage: UsageTotals | undefined;
  estimatedCostUsd: number | undefined;
}

export interface TranscriptSummary {
  sessionId?: string;
  cwd?: string;
  gitBranch?: string;
  /** Claude Code version that wrote the transcript. */
  version?: string;
  slug?: string;
  /** Earliest and latest line timestamps over all files, as written. */
  startedAt?: string;
  endedAt?: string;
  primaryModel?: string;
  /** Every model with at least one response, most output tokens first. */
  modelsUsed: string[];
  usageByModel: ModelUsageSummary[];
  /** Totals over main and subagent files. */
  usage: UsageTotals;
  /** Sum over priced models, rounded to micro-dollars; undefined when nothing could be priced. */
  estimatedCostUsd: number | undefined;
  /** False when some usage belongs to a model without a price. */
  costComplete: boolean;
  /**
   * True when some responses were written by a Claude Code version that never writes a response's final
   * usage (2.1.7-2.1.42): output tokens and cost are then lower bounds (a warning says how many responses).
   */
  outputTokensLowerBound?: boolean;
  /** Unique tool_use ids by tool name, most used first. */
  tools: ToolUsageCount[];
  /** MCP tool calls grouped by server, most used first. */
  mcpServers: { server: string; count: number }[];
  totalToolInvocations: number;
  messages: { user: number; assistant: number; total: number };
  subagents: SubagentSummary[];
  /** `compact_boundary` system lines. */
  compactions: number;
  /** Lines that were not a JSON object (partial writes, garbage). */
  invalidLines: number;
  warnings: string[];
}

export type ConversationEntry =
  | { type: 'prompt'; text: string; timestamp?: string }
  | { type: 'tool_call'; id: string; name: string; input: unknown; timestamp?: string };
