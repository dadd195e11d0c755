// `trace show [<commit>]`: the attribution of a commit, readable, or as JSON in the predicate's shape.
import { Attributor } from '../attribution/attribute.js';
import { openRepo, requireInitialised } from '../context.js';
import type { CommitAttribution } from '../core/types.js';
import { TraceError } from '../errors.js';
import { git } from '../git.js';
import type { Outcome } from '../program.js';
import { Store } from '../store.js';

export interface ShowOptions {
  cwd: string;
  commit?: string;
}

export async function resolveCommit(cwd: string, rev: string): Promise<string> {
  try {
    return (await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { cwd })).trim();
  } catch (cause) {
    throw new TraceError('BAD_ARGUMENT', `${rev} is not a commit in this repository`, { cause });
  }
}

/** The stored attribution of a commit; one made without trace here is attributed now, as human with no capture. */
export async function commitAttribution(attributor: Attributor, sha: string): Promise<CommitAttribution> {
  return attributor.store.commit(sha) ?? (await attributor.attribute(sha, { captured: false, now: () => new Date(), save: false }));
}

export async function show(options: ShowOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  requireInitialised(repo);
  const sha = await resolveCommit(repo.root, options.commit ?? 'HEAD');
  const store = Store.open(repo.stateDir);
  try {
    const attribution = await commitAttribution(new Attributor(repo, store), sha);
    const sessions = attribution.session_ids.map((id) => {
      const session = store.session(id);
      return { id, agent: session?.agent ?? null, model: session?.model ?? null };
    });
    return { json: { ...attribution, sessions }, text: renderShow(attribution, sessions) };
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
