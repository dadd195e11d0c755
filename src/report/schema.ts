// JSON Schema of `trace report --format json` (schemas/report.schema.json), written against report/build.ts;
// a test checks real output against it.
import { z } from 'zod';

const tokens = z.object({ input: z.number().int(), cache_read: z.number().int(), cache_write: z.number().int(), output: z.number().int(), total: z.number().int() }).describe('Tokens: input excludes cache reads and writes; total is the sum of the four');
const person = z.object({ name: z.string(), email: z.string() });
const violation = z.object({ rule: z.string(), commit: z.string().optional(), session: z.string().optional(), path: z.string().optional(), evidence: z.string(), message: z.string() });
const outcome = z.enum(['ask', 'deny', 'warn', 'allow']);

export const reportSchema = z.object({
  version: z.literal(1),
  range: z.string(),
  base: z.string().nullable(),
  head: z.string().nullable(),
  ok: z.boolean().describe("trace verify's verdict over the range"),
  adoption: z.boolean().describe('The base has no .chainloop.yml: problems are notes, not failures'),
  notices: z.array(z.string()),
  totals: z.object({
    commits: z.number().int(),
    attested: z.number().int(),
    verified: z.number().int(),
    unattested: z.number().int(),
    added_lines: z.number().int().describe('Added lines of the attested commits, generated files left out'),
    ai_lines: z.number().int(),
    ai_share: z.number().nullable().describe('ai_lines / added_lines; null when nothing was added'),
    sessions: z.number().int(),
    tokens,
    cost_usd: z.number().nullable().describe('Estimated, over the sessions with a known cost'),
    cost_incomplete: z.boolean(),
    guard: z.object({ deny: z.number().int(), ask: z.number().int(), warn: z.number().int(), allow: z.number().int() }).describe('Guard decisions by what the agent was told'),
  }),
  commits: z.array(
    z.object({
      sha: z.string(),
      subject: z.string(),
      author: person,
      attested: z.boolean(),
      verified: z.boolean(),
      signers: z.array(z.string()),
      added_lines: z.number().int(),
      ai_lines: z.number().int(),
      sessions: z.array(z.string()),
      agents: z.array(z.string()),
      models: z.array(z.string()),
      merge: z.enum(['clean', 'resolved', 'unknown']).nullable(),
      failures: z.array(z.string()),
      violations: z.array(violation),
      notes: z.array(z.string()),
    }),
  ),
  files: z.array(z.object({ path: z.string(), added_lines: z.number().int(), ai_lines: z.number().int() })),
  sessions: z.array(
    z.object({
      id: z.string(),
      source: z.enum(['local', 'attestation']).describe("local: this machine's session store; attestation: the newest attestation of the range"),
      agent: z.string().nullable(),
      agent_version: z.string().nullable(),
      models: z.array(z.string()),
      threads: z.number().int().nullable(),
      started_at: z.string().nullable(),
      duration_s: z.number().int().nullable(),
      tokens: tokens.nullable(),
      cost: z.object({ usd: z.number().nullable(), unpriced: z.boolean() }),
      commits: z.array(z.string()),
      ai_lines: z.number().int().describe('Its AI lines in the attested commits of the range'),
      guard_modes: z.array(z.enum(['warn', 'enforce'])),
    }),
  ),
  guard_decisions: z.array(
    z.object({ session_id: z.string(), at: z.string(), tool: z.string(), tool_use_id: z.string().nullable(), rule: z.string(), decision: z.enum(['ask', 'deny']), outcome, message: z.string().nullable() }),
  ),
  policies: z.object({ checked: z.array(z.string()), violations: z.array(violation) }),
  unattested: z.array(z.object({ sha: z.string(), subject: z.string(), author: person })),
});

export function reportJsonSchema(): object {
  return z.toJSONSchema(reportSchema, { io: 'input', target: 'draft-7' });
}
