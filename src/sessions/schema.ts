// JSON Schemas of `trace sessions --json` and `trace sessions show --json` (schemas/sessions-*.schema.json):
// the one shape the CLI, the web view and the server to come share. Written against the types in
// sessions/query.ts, sessions/detail.ts and core/threads.ts; a test checks real output against them.
import { z } from 'zod';

const tokenUsage = z.object({ input: z.number().int(), cache_read: z.number().int(), cache_write: z.number().int(), output: z.number().int() }).describe('Tokens: four numbers (input excludes cache reads and writes)');
const cost = z.object({
  usd: z.number().nullable().describe('Estimated from the dated price table over priced responses; null when none could be priced'),
  unpriced: z.boolean().describe('Some usage is of a model without a price: usd leaves it out'),
  prices_as_of: z.string(),
});

const signer = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('key'), key_id: z.string().describe('Hex SHA-256 of the public key (SPKI DER)'), owner: z.string().nullable().describe("The key file's `# owner:` line") }),
    z.object({ kind: z.literal('keyless'), subject: z.string(), issuer: z.string().describe('OIDC issuer of the Sigstore certificate') }),
  ])
  .describe('Who signed the attestation');

const attestation = z
  .object({
    status: z.enum(['verified', 'unverified', 'none']).describe('verified: with trace verify\'s rules (signature, signer trusted at the base of its commits, schema, subject); none: in no bundle of the notes ref'),
    signer: signer.nullable(),
    reason: z.string().nullable().describe('Why it does not verify (unverified only)'),
  })
  .describe('The attestation in refs/notes/chainloop-trace that names the session; a verified bundle wins over one that does not verify');

export const sessionRowSchema = z.object({
  id: z.string(),
  source: z.enum(['local', 'notes', 'server']).describe("local: captured by this clone's hooks; notes: known only from its attestation (a teammate's session); server: held by trace server"),
  repository: z.string().optional().describe("The repository named by the session's attestations (trace server)"),
  attestation,
  agent: z.object({ name: z.string(), version: z.string().nullable() }),
  models: z.array(z.string()),
  initiator: z.object({ name: z.string().nullable(), email: z.string().nullable() }).describe('The git identity that ran the session'),
  branch: z.string().nullable(),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  last_active_at: z.string().describe('The latest prompt or tool call, else the start'),
  duration_s: z.number().int().nullable(),
  threads: z.number().int(),
  tool_calls: z.object({ total: z.number().int(), errors: z.number().int() }),
  token_usage: tokenUsage,
  cost,
  code: z.object({ commits: z.number().int(), lines_added: z.number().int(), ai_lines_added: z.number().int() }),
  last_prompt: z.string().nullable(),
});

export const sessionsListSchema = z.object({
  sessions: z.array(sessionRowSchema),
  count: z.number().int().describe('Matching sessions, counted up to 10,000 (1,000 with a text search); see count_is_capped'),
  count_is_capped: z.boolean(),
  offset: z.number().int().describe('Position of the first session of this page among all matches'),
  has_next_page: z.boolean(),
  next_cursor: z.string().nullable(),
});

const file = z.object({ path: z.string(), lines_added: z.number().int(), lines_removed: z.number().int(), before: z.string().nullable(), after: z.string().nullable() });

const step = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('assistant'), at: z.string().nullable(), model: z.string().nullable(), token_usage: tokenUsage, cost, thinking: z.string().nullable(), subagent: z.string().nullable() }),
  z.object({
    kind: z.literal('tool_call'),
    at: z.string().nullable(),
    tool_use_id: z.string(),
    tool: z.string(),
    mcp_server: z.string().nullable(),
    input: z.unknown(),
    status: z.enum(['ok', 'error', 'denied', 'pending', 'unknown']),
    error: z.string().nullable(),
    duration_ms: z.number().int().nullable(),
    files: z.array(file),
    subagent: z.string().nullable(),
    seen_by: z.enum(['hooks', 'records', 'both']),
    guard: z
      .object({ rule: z.string(), decision: z.enum(['ask', 'deny']), outcome: z.enum(['ask', 'deny', 'warn', 'allow']), message: z.string(), mode: z.enum(['warn', 'enforce']) })
      .nullable()
      .describe("The guard's decision on the call when not a plain allow; outcome is what the agent was told (deny: the step is denied)"),
  }),
]);

export const sessionShowSchema = z.object({
  session: sessionRowSchema,
  threads: z.array(
    z.object({
      idx: z.number().int(),
      prompt: z.string().nullable(),
      prompt_at: z.string().nullable(),
      ended_at: z.string().nullable(),
      duration_ms: z.number().int().nullable(),
      models: z.array(z.string()),
      token_usage: tokenUsage,
      cost,
      tool_calls: z.object({ total: z.number().int(), errors: z.number().int() }),
      steps: z.array(step),
    }),
  ),
  commits: z.array(z.object({ sha: z.string(), lines_added: z.number().int(), ai_lines_added: z.number().int(), attested: z.boolean() })),
  subagents: z.array(z.object({ id: z.string(), type: z.string().nullable(), description: z.string().nullable(), tool_use_id: z.string().nullable(), models: z.array(z.string()) })),
  warnings: z.array(z.string()),
  attestations: z
    .array(
      z.object({
        digest: z.string().describe("SHA-256 of the bundle's note line"),
        status: z.enum(['verified', 'unverified']),
        signer: signer.nullable(),
        reason: z.string().nullable(),
        created_at: z.string().nullable(),
        commits: z.array(z.string()).describe("The session's commits this bundle attests"),
      }),
    )
    .describe('Every bundle of the notes ref that names the session, verified first'),
  diffs: z.record(z.string(), z.string().nullable()).optional().describe('With --diffs: "<tool_use_id>:<path>" → unified diff (null when a side is not held)'),
  threads_page: z
    .object({ offset: z.number().int(), limit: z.number().int(), total: z.number().int() })
    .optional()
    .describe('From the HTTP API (`GET /api/v1/sessions/:id`), which pages threads: the window this answer holds of `total` threads'),
});

const statsFigures = z.object({
  sessions: z.number().int(),
  active_authors: z.number().int(),
  threads: z.number().int(),
  tool_calls: z.number().int(),
  tool_errors: z.number().int(),
  error_rate: z.number().describe('tool_errors / tool_calls, 0 without calls'),
  token_usage: tokenUsage,
  cost_usd: z.number(),
  unpriced_sessions: z.number().int(),
  commits: z.number().int().describe('Commits summed per session (a commit of two sessions counts twice)'),
  lines_added: z.number().int(),
  ai_lines_added: z.number().int(),
  ai_share: z.number().nullable().describe('ai_lines_added / lines_added, null without committed lines'),
  ai_commits: z.number().int().describe('Distinct commits with AI lines from these sessions (0 in breakdown rows)'),
});
const period = z.object({ since: z.string(), until: z.string() });

/** `trace sessions stats --json` and the servers' /api/v1/stats (sessions/stats.ts). */
export const sessionStatsSchema = z.object({
  period,
  previous_period: period,
  current: statsFigures,
  previous: statsFigures,
  change: z.record(z.string(), z.number().nullable()).describe('(current - previous) / previous per figure, null when the previous is 0'),
  by: z.enum(['day', 'week', 'agent', 'model', 'author']).nullable(),
  breakdown: z.array(statsFigures.extend({ key: z.string() })),
  top_tools: z.array(z.object({ tool: z.string(), calls: z.number().int(), errors: z.number().int(), error_rate: z.number(), sessions: z.number().int() })).describe('The most called tools of the period, as the hooks recorded them'),
});

export function sessionsJsonSchemas(): { list: object; show: object; stats: object } {
  return {
    list: z.toJSONSchema(sessionsListSchema, { io: 'input', target: 'draft-7' }),
    show: z.toJSONSchema(sessionShowSchema, { io: 'input', target: 'draft-7' }),
    stats: z.toJSONSchema(sessionStatsSchema, { io: 'input', target: 'draft-7' }),
  };
}
