// `trace show [<commit>]`: the attribution of a commit, readable, or as JSON in the predicate's shape.
import { Attributor } from '../attribution/attribute.js';
import { type AttestedSession, attributionFromNotes } from '../attest/from-notes.js';
import { openRepo } from '../context.js';
import { isInitialised, type Repo } from '../repo.js';
import type { CommitAttribution } from '../core/types.js';
import { TraceError } from '../errors.js';
import { commitId } from '../git.js';
import type { Outcome } from '../program.js';
import { Store } from '../store.js';
import { openCaptureStore } from '../capture/open.js';

export interface ShowOptions {
  cwd: string;
  commit?: string;
}

export async function resolveCommit(cwd: string, rev: string): Promise<string> {
  const sha = await commitId(cwd, rev);
  if (!sha) throw new TraceError('BAD_ARGUMENT', `${rev} is not a commit in this repository`);
  return sha;
}

export interface KnownAttribution {
  attribution: CommitAttribution;
  /** local: recorded on this machine; attestation: read from the commit's note (not verified here); computed: no record, attributed now. */
  origin: 'local' | 'attestation' | 'computed';
  sessions: Map<string, AttestedSession>;
}

/** A commit's attribution: recorded here, else from its attestation note, else computed now (human, no capture). */
export async function commitAttribution(attributor: Attributor, sha: string): Promise<KnownAttribution> {
  const sessionsOf = (ids: readonly string[]) =>
    new Map(ids.map((id) => {
      const session = attributor.store.session(id);
      return [id, { agent: session?.agent ?? null, model: session?.model ?? null }] as const;
    }));
  const local = attributor.store.commit(sha);
  if (local) return { attribution: local, origin: 'local', sessions: sessionsOf(local.session_ids) };
  const attested = await attributionFromNotes(attributor.repo.root, sha);
  if (attested) return { attribution: attested.attribution, origin: 'attestation', sessions: attested.sessions };
  const computed = await attributor.attribute(sha, { captured: false, now: () => new Date(), save: false });
  return { attribution: computed, origin: 'computed', sessions: sessionsOf(computed.session_ids) };
}

/** The store where trace is set up; an empty one in memory where it is not (a fresh clone reading attestations). */
export function openStoreForReading(repo: Repo): Store {
  return isInitialised(repo) ? openCaptureStore(repo) : Store.openInMemory();
}

export async function show(options: ShowOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  const sha = await resolveCommit(repo.root, options.commit ?? 'HEAD');
  const store = openStoreForReading(repo);
  try {
    const known = await commitAttribution(new Attributor(repo, store), sha);
    const sessions = known.attribution.session_ids.map((id) => ({ id, agent: known.sessions.get(id)?.agent ?? null, model: known.sessions.get(id)?.model ?? null }));
    const text = renderShow(known.attribution, sessions) + (known.origin === 'attestation' ? '\n(from the commit’s attestation note; `trace verify` checks its signature)' : '');
    return { json: { ...known.attribution, origin: known.origin, sessions }, text };
  } finally {
    store.close();
  }
}

function renderShow(attribution: CommitAttribution, sessions: { id: string; agent: string | null; model: string | null }[]): string {
  const lines = [`commit ${attribution.sha}`, `author ${attribution.author.name} <${attribution.author.email}> ${attribution.author.date}`];
  if (attribution.parents.length > 1) lines.push(`merge of ${attribution.parents.map((p) => p.slice(0, 12)).join(' ')}: no line ranges`);
  if (!attribution.captured) lines.push('no capture was available for this commit: its lines are attributed to human');
  let ai = 0;
  let human = 0;
  for (const file of attribution.files) {
    if (!file.generated) {
      ai += file.ai_lines_added;
      human += file.human_lines_added;
    }
    const tags = [file.binary ? 'binary' : '', file.generated ? 'generated' : ''].filter(Boolean).join(', ');
    const name = file.old_path ? `${file.old_path} → ${file.path}` : file.path;
    lines.push('', `${file.status.padEnd(8)} ${name}  +${file.lines_added} -${file.lines_removed}  ai ${file.ai_lines_added} / human ${file.human_lines_added}${tags ? `  (${tags})` : ''}`);
    for (const range of file.lines) {
      const span = range.start === range.end ? `${range.start}` : `${range.start}-${range.end}`;
      lines.push(`  ${span.padStart(11)}  ${range.attribution}${range.session_id ? `  session ${range.session_id}` : ''}`);
    }
  }
  const total = ai + human;
  lines.push('', `added lines: ${total}, ai ${ai}${total ? ` (${Math.round((ai / total) * 100)}%)` : ''}, human ${human}`);
  for (const session of sessions) lines.push(`session ${session.id}: ${session.agent ?? 'unknown agent'}${session.model ? `, ${session.model}` : ''}`);
  return lines.join('\n');
}
