// The API's JSON shapes, from the one zod schema the CLI and the servers share (types only: zod is not bundled).
import type { z } from 'zod';
import type { sessionRowSchema, sessionShowSchema, sessionsListSchema, sessionStatsSchema } from '../../sessions/schema.js';

export type SessionRow = z.output<typeof sessionRowSchema>;
export type SessionPage = z.output<typeof sessionsListSchema>;
export type SessionShow = z.output<typeof sessionShowSchema>;
export type Thread = SessionShow['threads'][number];
export type Step = Thread['steps'][number];
export type AssistantStep = Extract<Step, { kind: 'assistant' }>;
export type ToolStep = Extract<Step, { kind: 'tool_call' }>;
export type TokenUsage = SessionRow['token_usage'];
export type Cost = SessionRow['cost'];
export type Stats = z.output<typeof sessionStatsSchema>;
export type StatsFigures = Stats['current'];

/** GET /api/v1/sessions/:id/files/:n/diff: the n-th file edit of a session, in step order. */
export interface FileDiff {
  path: string;
  tool_use_id: string;
  before: string | null;
  after: string | null;
  diff: string | null;
}
