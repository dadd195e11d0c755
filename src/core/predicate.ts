// The attestation: an in-toto Statement v1 whose predicate joins each pushed commit's line
// attribution with the agent sessions behind it. The zod schema here is the contract; its JSON
// Schema is generated into schemas/ (npm run schemas) for readers outside this tool.
import { z } from 'zod';
import type { CommitAttribution, FileAttribution } from './types.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'urn:chainloop-trace:predicate:ai-line-attribution:v1';
export const PREDICATE_VERSION = 1;

const sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a full git commit id');

const lineRange = z
  .strictObject({
    start: z.number().int().min(1),
    end: z.number().int().min(1),
    attribution: z.enum(['ai', 'human', 'unknown']).describe('unknown: an agent wrote the file while it could not be captured (over trace.capture.maxFileBytes); not human'),
    session_id: z.string().min(1).optional(),
  })
  .refine((r) => r.end >= r.start, 'end must not be before start')
  .refine((r) => (r.attribution === 'ai') === (r.session_id !== undefined), 'ai ranges name their session, human and unknown ranges do not');

const count = z.number().int().min(0);

const ambiguousRange = z
  .strictObject({
    start: z.number().int().min(1),
    end: z.number().int().min(1),
    session_ids: z.array(z.string().min(1)).describe('The sessions whose tool calls, running at the same time, could have written these lines.'),
    human: z.boolean().describe('A person could have written them too: the only calls running could not write a file they do not name.'),
  })
  .refine((r) => r.end >= r.start, 'end must not be before start')
  .describe('Added lines whose author could not be told apart between calls that ran at once; `lines` holds the attribution they share (ai, credited to the first session, or human).');

const fileSchema = z.strictObject({
  path: z.string().min(1),
  old_path: z.string().min(1).optional(),
  status: z.enum(['created', 'modified', 'deleted', 'renamed']),
  binary: z.literal(true).optional(),
  generated: z.literal(true).optional(),
  lines_added: count,
  lines_removed: count,
  ai_lines_added: count,
  ai_lines_removed: count,
  human_lines_added: count,
  human_lines_removed: count,
  unknown_lines_added: count.optional().describe('Added lines whose author is unknown (in neither ai_lines_added nor human_lines_added); absent when none.'),
  lines: z.array(lineRange),
  ambiguous: z.array(ambiguousRange).optional(),
});

const commitSchema = z.strictObject({
  sha,
  parents: z.array(sha),
  author: z.strictObject({ name: z.string(), email: z.string(), date: z.string() }),
  captured: z.boolean().describe('False when no capture was available (hooks absent, another machine): lines are human.'),
  session_ids: z.array(z.string().min(1)),
  files: z.array(fileSchema),
});

export const predicateSchema = z.strictObject({
  version: z.literal(PREDICATE_VERSION),
  generator: z.strictObject({ name: z.string(), version: z.string() }),
  repository: z.strictObject({ name: z.string().min(1), remote: z.string().optional() }),
  created_at: z.string().min(1),
  transcript_retention: z.enum(['none', 'prompts', 'full']),
  redaction: z.strictObject({
    total: count,
    rules: z.array(z.strictObject({ ruleId: z.string(), count })),
  }),
  commits: z.array(commitSchema).min(1),
  sessions: z.array(z.looseObject({ schema_version: z.string(), session: z.looseObject({ id: z.string() }) })).describe(
    'One Chainloop CHAINLOOP_AI_CODING_SESSION object per contributing session (schemas/chainloop-ai-coding-session-0.1.schema.json).',
  ),
  warnings: z.array(z.string()),
  guard: z
    .strictObject({
      sessions: z.array(
        z.strictObject({
          session_id: z.string(),
          modes: z.array(z.enum(['warn', 'enforce'])).describe('The guard modes its hook ran in during the session; empty: the guard never ran (not installed, or mode off).'),
          config: z
            .strictObject({
              files: z.array(z.strictObject({ path: z.string(), kind: z.string(), size: z.number().int().min(0), digest: z.string() })),
              mcp_servers: z.array(z.strictObject({ name: z.string(), source: z.string(), command: z.string().optional(), url: z.string().optional() })),
            })
            .optional()
            .describe("The agent configuration at the session's first guarded call: instruction files, MCP configs and agent settings (path, size, git blob id) and the MCP servers they declare."),
          decisions: z.array(
            z.strictObject({
              at: z.string(),
              tool_use_id: z.string().nullable(),
              tool: z.string(),
              rule: z.string(),
              decision: z.enum(['ask', 'deny']),
              outcome: z.enum(['ask', 'deny', 'warn', 'allow']),
              message: z.string().optional(),
            }),
          ),
        }),
      ),
    })
    .optional()
    .describe("The guard's record of each session: the modes it ran in and every deny, ask and warning (src/guard/)."),
});

export type Predicate = z.output<typeof predicateSchema>;

export const statementSchema = z.strictObject({
  _type: z.literal(STATEMENT_TYPE),
  subject: z
    .array(z.strictObject({ name: z.string().min(1), digest: z.strictObject({ gitCommit: sha }) }))
    .min(1),
  predicateType: z.literal(PREDICATE_TYPE),
  predicate: predicateSchema,
});

export type Statement = z.output<typeof statementSchema>;

export function predicateJsonSchema(): object {
  return z.toJSONSchema(predicateSchema, { io: 'input', target: 'draft-7' });
}

/** A commit's attribution in the predicate's shape (drops nothing the schema allows). */
export function predicateCommit(commit: CommitAttribution): Predicate['commits'][number] {
  return {
    sha: commit.sha,
    parents: commit.parents,
    author: commit.author,
    captured: commit.captured,
    session_ids: commit.session_ids,
    files: commit.files.map((file) => ({
      path: file.path,
      ...(file.old_path !== undefined ? { old_path: file.old_path } : {}),
      status: file.status,
      ...(file.binary ? { binary: true as const } : {}),
      ...(file.generated ? { generated: true as const } : {}),
      lines_added: file.lines_added,
      lines_removed: file.lines_removed,
      ai_lines_added: file.ai_lines_added,
      ai_lines_removed: file.ai_lines_removed,
      human_lines_added: file.human_lines_added,
      human_lines_removed: file.human_lines_removed,
      ...(file.unknown_lines_added ? { unknown_lines_added: file.unknown_lines_added } : {}),
      lines: file.lines.map((r) => (r.attribution === 'ai' ? { start: r.start, end: r.end, attribution: 'ai' as const, session_id: r.session_id! } : { start: r.start, end: r.end, attribution: r.attribution })),
      ...(file.ambiguous !== undefined && file.ambiguous.length > 0
        ? { ambiguous: file.ambiguous.map((r) => ({ start: r.start, end: r.end, session_ids: [...r.session_ids], human: r.human })) }
        : {}),
    })),
  };
}

export interface StatementInput {
  repository: { name: string; remote?: string };
  generator: { name: string; version: string };
  createdAt: string;
  retention: Predicate['transcript_retention'];
  commits: readonly CommitAttribution[];
  sessions: readonly object[];
  redaction: Predicate['redaction'];
  warnings: readonly string[];
  guard?: Predicate['guard'];
}

export function buildStatement(input: StatementInput): Statement {
  return {
    _type: STATEMENT_TYPE,
    subject: input.commits.map((commit) => ({ name: `${input.repository.name}@${commit.sha}`, digest: { gitCommit: commit.sha } })),
    predicateType: PREDICATE_TYPE,
    predicate: {
      version: PREDICATE_VERSION,
      generator: input.generator,
      repository: input.repository,
      created_at: input.createdAt,
      transcript_retention: input.retention,
      redaction: input.redaction,
      commits: input.commits.map(predicateCommit),
      sessions: input.sessions as Predicate['sessions'],
      warnings: [...input.warnings],
      ...(input.guard === undefined ? {} : { guard: input.guard }),
    },
  };
}

/** The predicate's warnings for files whose added lines are attributed `unknown`, one naming each file. */
export function unknownLineWarnings(commits: readonly CommitAttribution[]): string[] {
  const warnings: string[] = [];
  for (const commit of commits) {
    for (const file of commit.files) {
      if (!file.unknown_lines_added) continue;
      warnings.push(
        `${file.path} (commit ${commit.sha.slice(0, 12)}): ${file.unknown_lines_added} added line(s) attributed unknown: an agent wrote the file while it could not be captured (${file.unknown_reason ?? 'skipped'}); raise trace.capture.maxFileBytes to capture such files`,
      );
    }
  }
  return warnings;
}

/** One session's part of a set of commits: its own ai ranges and counts; other sessions' lines are not counted. */
export function filesForSession(commits: readonly CommitAttribution[], sessionId: string): (FileAttribution & { commit: string })[] {
  const files: (FileAttribution & { commit: string })[] = [];
  for (const commit of commits) {
    if (!commit.session_ids.includes(sessionId)) continue;
    for (const file of commit.files) {
      const own = file.lines.filter((r) => r.attribution === 'ai' && r.session_id === sessionId);
      if (own.length === 0) continue;
      const aiAdded = own.reduce((sum, r) => sum + r.end - r.start + 1, 0);
      files.push({ ...file, commit: commit.sha, lines: own, ai_lines_added: aiAdded });
    }
  }
  return files;
}

export function statementIssues(statement: unknown): string[] {
  const result = statementSchema.safeParse(statement);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.') || '(statement)'}: ${issue.message}`);
}
