// Reads a Codex session back from its rollout (the `transcript_path` of its hook payloads).
// A missing or unreadable rollout is a warning, never thrown.
import { readRegularFile } from '../read-file.js';
import { errorMessage } from '../../errors.js';
import type { SessionRecord, Store } from '../../store.js';
import type { AgentSessionRead } from '../types.js';
import { PATCH_TOOLS } from './hooks.js';
import { parseRollout, summarizeCodexRollout } from './rollout.js';

/** Reading one rollout may take this long at most. */
const READ_BUDGET_MS = 5_000;

/** What a rollout cannot say, whatever it holds. */
export const ROLLOUT_LIMITS = [
  'Codex cost is estimated at API prices; with ChatGPT sign-in Codex bills in plan credits, not per token',
];

const isPatchTool = (name: string): boolean => (PATCH_TOOLS as readonly string[]).includes(name);

/**
 * The session from rollout text: the pure part of `readCodexSession`. `capturedPatches`: how many
 * apply_patch calls trace's hooks recorded for the session; fewer than the rollout holds means edits
 * went by unseen (hooks not trusted yet, or a Codex build whose hooks cover only Bash).
 */
export function codexSessionFromRollout(text: string, capturedPatches?: number): AgentSessionRead {
  const parsed = parseRollout(text);
  const { summary, conversation } = summarizeCodexRollout(parsed);
  const warnings = [...ROLLOUT_LIMITS];
  const patches = conversation.filter((entry) => entry.type === 'tool_call' && isPatchTool(entry.name)).length;
  if (capturedPatches !== undefined && patches > capturedPatches) {
    warnings.push(
      `${patches - capturedPatches} of ${patches} apply_patch call(s) in the Codex rollout were not seen by trace's hooks (hooks not trusted in Codex's /hooks yet, or a Codex build whose hooks cover only Bash): the lines they wrote are not attributed to this session`,
    );
  }
  return { summary, warnings, conversation, records: parsed.records };
}

export async function readCodexSession(session: Pick<SessionRecord, 'id' | 'transcript_path'>, store?: Pick<Store, 'toolCalls'>): Promise<AgentSessionRead> {
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
  const captured = store?.toolCalls(session.id).filter((call) => isPatchTool(call.tool_name)).length;
  return codexSessionFromRollout(text, captured);
}
