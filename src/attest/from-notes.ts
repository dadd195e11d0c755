// Reading attestations back from the notes ref, for `show` and `blame` in a clone that has the
// notes (`trace fetch`) but no local capture. The signature is not checked here: that is
// `trace verify`'s job; these commands say where the attribution came from.
import { statementIssues, type Statement } from '../core/predicate.js';
import type { CommitAttribution } from '../core/types.js';
import { NOTES_REF, readNotes } from '../upload/notes.js';

export interface AttestedSession {
  agent: string | null;
  model: string | null;
}

/** The attribution of `sha` in the first well-formed statement of its note, with that statement's sessions. */
export async function attributionFromNotes(cwd: string, sha: string): Promise<{ attribution: CommitAttribution; sessions: Map<string, AttestedSession> } | undefined> {
  const lines = (await readNotes(cwd, [sha], NOTES_REF)).get(sha) ?? [];
  for (const line of lines) {
    let statement: Statement;
    try {
      const bundle = JSON.parse(line) as { dsseEnvelope?: { payload?: string } };
      statement = JSON.parse(Buffer.from(bundle.dsseEnvelope?.payload ?? '', 'base64').toString('utf8')) as Statement;
    } catch {
      continue;
    }
    if (statementIssues(statement).length > 0) continue;
    const commit = statement.predicate.commits.find((c) => c.sha === sha);
    if (!commit) continue;
    const sessions = new Map<string, AttestedSession>();
    for (const session of statement.predicate.sessions as unknown as { session: { id: string }; agent?: { name?: string }; model?: { primary?: string } }[]) {
      sessions.set(session.session.id, { agent: session.agent?.name ?? null, model: session.model?.primary ?? null });
    }
    return { attribution: { ...commit, files: commit.files.map((f) => ({ ...f })) }, sessions };
  }
  return undefined;
}
