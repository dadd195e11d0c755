// `trace show [<commit>]`: the attribution of a commit, readable, or as JSON in the predicate's shape.
import { Attributor } from '../attribution/attribute.js';
import { type AttestedSession, attributionFromNotes } from '../attest/from-notes.js';
import { openRepo } from '../context.js';
import { isInitialised, type Repo } from '../repo.js';
import type { CommitAttribution } from '../core/types.js';
import { TraceError } from '../errors.js';
import { commitId, gitRaw } from '../git.js';
import type { Outcome } from '../program.js';
import { canonicalAgent, Store } from '../store.js';
import { openSettledStore } from '../capture/open.js';
import type { Style } from '../terminal.js';

export interface ShowOptions {
  cwd: string;
  commit?: string;
  /** Colours for the text; none when absent. */
  style?: Style;
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

/**
 * A commit's attribution: recorded here, else from its attestation note, else computed now (human, no capture).
 * `hasNote: false` says the caller already knows it has no note (blame reads the notes of all its commits at once).
 */
export async function commitAttribution(attributor: Attributor, sha: string, hints: { hasNote?: boolean } = {}): Promise<KnownAttribution> {
  const sessionsOf = (ids: readonly string[]) =>
    new Map(ids.map((id) => {
      const session = attributor.store.session(id);
      return [id, { agent: session?.agent ?? null, model: session?.model ?? null }] as const;
    }));
  const local = attributor.store.commit(sha);
  if (local) return { attribution: local, origin: 'local', sessions: sessionsOf(local.session_ids) };
  const attested = hints.hasNote === false ? undefined : await attributionFromNotes(attributor.repo.root, sha);
  if (attested) return { attribution: attested.attribution, origin: 'attestation', sessions: attested.sessions };
  const computed = await attributor.attribute(sha, { captured: false, now: () => new Date(), save: false });
  return { attribution: computed, origin: 'computed', sessions: sessionsOf(computed.session_ids) };
}

/** The store where trace is set up; an empty one in memory where it is not (a fresh clone reading attestations). */
export async function openStoreForReading(repo: Repo): Promise<Store> {
  return isInitialised(repo) ? await openSettledStore(repo) : Store.openInMemory();
}

/** The commit's subject (first line of its message). */
async function commitSubject(cwd: string, sha: string): Promise<string> {
  const result = await gitRaw(['log', '-1', '--format=%s', sha], { cwd, okCodes: [128] });
  return result.code === 0 ? result.stdout.toString('utf8').trim() : '';
}

/** What `trace show --json` prints for a commit: its attribution in the predicate's shape, with its subject, origin and sessions. */
export interface CommitReport {
  known: KnownAttribution;
  subject: string;
  sessions: { id: string; agent: string | null; model: string | null }[];
  json: Record<string, unknown>;
}

/** The report of commit `rev` (`trace show`, `GET /api/v1/commits/:sha`), from an open store. */
export async function commitReport(repo: Repo, store: Store, rev: string): Promise<CommitReport> {
  const sha = await resolveCommit(repo.root, rev);
  const known = await commitAttribution(new Attributor(repo, store), sha);
  const subject = await commitSubject(repo.root, sha);
  const sessions = known.attribution.session_ids.map((id) => ({ id, agent: canonicalAgentName(known.sessions.get(id)?.agent ?? null), model: known.sessions.get(id)?.model ?? null }));
  // In the predicate's shape: the local reason for unknown lines stays out (the text says it).
  const files = known.attribution.files.map(({ unknown_reason: _reason, ...file }) => file);
  return { known, subject, sessions, json: { ...known.attribution, files, subject, origin: known.origin, sessions } };
}

export async function show(options: ShowOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  const store = await openStoreForReading(repo);
  try {
    const report = await commitReport(repo, store, options.commit ?? 'HEAD');
    return { json: report.json, text: renderShow(report.known, report.subject, report.sessions, options.style) };
  } finally {
    store.close();
  }
}

/** Chainloop's agent name, also for attestations made before trace used it everywhere. */
export function canonicalAgentName(name: string | null): string | null {
  return name === null ? null : canonicalAgent(name);
}

/** What to say about where the attribution of a commit made without capture comes from, or nothing. */
export function captureNote(origin: KnownAttribution['origin'], captured: boolean, aiLines: number): string | undefined {
  if (captured) return undefined;
  const where = origin === 'attestation' ? 'on the machine that attested it' : 'on this machine';
  if (aiLines === 0) return `made without capture ${where}: its lines are attributed to human`;
  return `made without capture ${where}: its AI lines are attributed from captured agent edits and earlier attributed commits; the rest to human`;
}

const PLAIN = (text: string) => text;

function renderShow(known: KnownAttribution, subject: string, sessions: { id: string; agent: string | null; model: string | null }[], style?: Style): string {
  const attribution = known.attribution;
  const c = { ai: style?.ai ?? PLAIN, human: style?.human ?? PLAIN, dim: style?.dim ?? PLAIN, bold: style?.bold ?? PLAIN, warning: style?.warning ?? PLAIN };
  const tag = (kind: 'ai' | 'human' | 'unknown', text: string) => (kind === 'ai' ? c.ai(text) : kind === 'unknown' ? c.warning(text) : c.human(text));
  const lines = [c.bold(`commit ${attribution.sha}`), `author ${attribution.author.name} <${attribution.author.email}> ${attribution.author.date}`];
  if (subject) lines.push('', `    ${subject}`);
  if (attribution.parents.length > 1) lines.push('', `merge of ${attribution.parents.map((p) => p.slice(0, 12)).join(' ')}: no line ranges`);
  let ai = 0;
  let human = 0;
  let unknown = 0;
  const body: string[] = [];
  for (const file of attribution.files) {
    if (!file.generated) {
      ai += file.ai_lines_added;
      human += file.human_lines_added;
      unknown += file.unknown_lines_added ?? 0;
    }
    const tags = [file.binary ? 'binary' : '', file.generated ? 'generated' : ''].filter(Boolean).join(', ');
    const name = file.old_path ? `${file.old_path} → ${file.path}` : file.path;
    body.push('', `${file.status.padEnd(8)} ${c.bold(name)}  +${file.lines_added} -${file.lines_removed}  ${tag('ai', `ai ${file.ai_lines_added}`)} / ${tag('human', `human ${file.human_lines_added}`)}${file.unknown_lines_added ? ` / ${tag('unknown', `unknown ${file.unknown_lines_added}`)}` : ''}${tags ? c.dim(`  (${tags})`) : ''}`);
    for (const range of file.lines) {
      const span = range.start === range.end ? `${range.start}` : `${range.start}-${range.end}`;
      body.push(`  ${span.padStart(11)}  ${tag(range.attribution, range.attribution)}${range.session_id ? c.dim(`  session ${range.session_id}`) : ''}`);
    }
    for (const range of file.ambiguous ?? []) {
      const span = range.start === range.end ? `${range.start}` : `${range.start}-${range.end}`;
      const who = [...range.session_ids.map((id) => `session ${id}`), ...(range.human ? ['a person'] : [])].join(', ');
      body.push(c.warning(`  ${span.padStart(11)}  ambiguous: could be ${who} (changed while their calls ran at once)`));
    }
  }
  // Said once the counts are known, so it never contradicts them.
  const note = captureNote(known.origin, attribution.captured, ai);
  if (note) lines.push('', c.warning(note));
  lines.push(...body);
  const total = ai + human + unknown;
  lines.push('', `added lines: ${total}, ${tag('ai', `ai ${ai}${total ? ` (${Math.round((ai / total) * 100)}%)` : ''}`)}, ${tag('human', `human ${human}`)}${unknown ? `, ${tag('unknown', `unknown ${unknown} (written by an agent while over trace.capture.maxFileBytes)`)}` : ''}`);
  for (const session of sessions) lines.push(`session ${session.id}: ${c.ai(session.agent ?? 'unknown agent')}${session.model ? `, ${session.model}` : ''}`);
  if (known.origin === 'attestation') lines.push(c.dim('(from the commit’s attestation note; `trace verify` checks its signature)'));
  return lines.join('\n');
}
