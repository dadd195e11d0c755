// Reads a Codex session back from its rollout (the `transcript_path` of its hook payloads).
// A missing or unreadable rollout is a warning, never thrown.
import { readRegularFile } from '../read-file.js';
import { errorMessage } from '../../errors.js';
import type { SessionRecord } from '../../store.js';
import type { AgentSessionRead } from '../types.js';
import { parseRollout, summarizeCodexRollout } from './rollout.js';

/** Reading one rollout may take this long at most. */
const READ_BUDGET_MS = 5_000;

/** What a rollout cannot say, whatever it holds. */
export const ROLLOUT_LIMITS = [
  'Codex cost is estimated at API prices; with ChatGPT sign-in Codex bills in plan credits, not per token',
];

/** The session from rollout text: the pure part of `readCodexSession`. */
export function codexSessionFromRollout(text: string): AgentSessionRead {
  const parsed = parseRollout(text);
  const { summary, conversation } = summarizeCodexRollout(parsed);
  return { summary, warnings: [...ROLLOUT_LIMITS], conversation, records: parsed.records };
}

export async function readCodexSession(session: Pick<SessionRecord, 'transcript_path'>): Promise<AgentSessionRead> {
  const path = session.transcript_path;
  if (!path) return { summary: null, warnings: ['no rollout path was recorded for this Codex session (its hooks sent no transcript_path); session usage is unknown'], conversation: null, records: null };
  let text: string;
  try {
    text = await readRegularFile(path, { deadline: Date.now() + READ_BUDGET_MS });
  } catch (error) {
    const missing = (error as { code?: unknown }).code === 'ENOENT';
    return {
      summary: null,
      warnings: [missing ? `Codex rollout ${path} not found (moved to archived_sessions or removed); session usage is unknown` : `cannot read Codex rollout ${path}: ${errorMessage(error)}`],
      conversation: null,
      records: null,
    };
  }
  return codexSessionFromRollout(text);
}
