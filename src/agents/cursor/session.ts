// Reads a Cursor session back: the agent transcript from disk (the path the hooks gave, else where
// Cursor keeps it) and the turns' token counts the stop hook left in the store. A missing or
// unreadable transcript is a warning, never an error.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../../errors.js';
import { readRegularFile } from '../read-file.js';
import type { AgentSessionRead, TurnUsage } from '../types.js';
import type { SessionRecord } from '../../store.js';
import { summarizeCursorSession } from './summary.js';

/** Reading the transcript may take this long at most. */
const READ_BUDGET_MS = 5_000;

/**
 * Where Cursor keeps a conversation's transcript when the hooks named none (`transcript_path` is null
 * on sessionStart and a first prompt): `~/.cursor/projects/<workspace path, / → ->/agent-transcripts/<id>/<id>.jsonl`
 * (IDE 2.7+, cursor-agent), or `<id>.jsonl` beside them (older).
 */
export function transcriptCandidates(sessionId: string, workspace: string | null, home: string): string[] {
  if (workspace === null || workspace === '') return [];
  const slug = workspace.replace(/^[\\/]+/, '').replace(/[\\/:]+/g, '-');
  const dir = join(home, '.cursor', 'projects', slug, 'agent-transcripts');
  return [join(dir, sessionId, `${sessionId}.jsonl`), join(dir, `${sessionId}.jsonl`)];
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}

/**
 * `afterEditCalls`: the session's edits that came from Cursor's legacy afterFileEdit event, which has
 * no before-edit counterpart: their before-content was worked back by undoing the edit.
 */
export async function readCursorSession(session: SessionRecord, turns: readonly TurnUsage[], options: { home?: string; afterEditCalls?: number } = {}): Promise<AgentSessionRead> {
  const warnings: string[] = [];
  if (options.afterEditCalls) {
    warnings.push(`${options.afterEditCalls} edit(s) came from Cursor's afterFileEdit event, which has no before-edit hook: the content before each was rebuilt by undoing the edit (or left unknown where it could not be)`);
  }
  const deadline = Date.now() + READ_BUDGET_MS;
  const candidates = session.transcript_path ? [session.transcript_path] : transcriptCandidates(session.id, session.cwd, options.home ?? homedir());
  let transcript: string | null = null;
  let lastError: unknown;
  for (const path of candidates) {
    try {
      transcript = await readRegularFile(path, { deadline });
      break;
    } catch (error) {
      lastError = error;
      if (!isNotFound(error)) break;
    }
  }
  if (transcript === null) {
    const where = candidates[0] ?? 'its transcript';
    warnings.push(
      candidates.length === 0
        ? 'Cursor named no transcript for this session (transcripts off, or no hook carried the path): prompts and tool counts come from the hooks only'
        : isNotFound(lastError)
          ? `Cursor transcript ${where} not found (deleted, or transcripts are off): prompts and tool counts come from the hooks only`
          : `cannot read Cursor transcript ${where}: ${errorMessage(lastError)}`,
    );
  }
  const { summary, conversation, records } = summarizeCursorSession({ transcript, turns: [...turns], hookModel: session.model ?? undefined, agentVersion: session.agent_version ?? undefined });
  return { summary, warnings, conversation: transcript === null ? null : conversation, records: transcript === null ? null : records };
}
