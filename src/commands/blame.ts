// `trace blame <file>`: each line of the file at a revision with ai/human, session, agent and model.
import { Attributor } from '../attribution/attribute.js';
import { openRepo } from '../context.js';
import { TraceError } from '../errors.js';
import { gitRaw } from '../git.js';
import { NOTES_REF, readNotes } from '../upload/notes.js';
import type { Outcome } from '../program.js';
import type { Progress, Style } from '../terminal.js';
import { canonicalAgentName, commitAttribution, type KnownAttribution, openStoreForReading, resolveCommit } from './show.js';

export interface BlameOptions {
  cwd: string;
  file: string;
  rev?: string;
  /** Colours for the text; none when absent. */
  style?: Style;
  /** A progress line for long work; none when absent. */
  progress?: (label: string, total?: number) => Progress;
}

export interface BlameAuthor {
  name: string;
  email: string;
  /** ISO 8601 in the author's time zone, as `git log --format=%aI`. */
  date: string;
}

export interface BlameLine {
  line: number;
  commit: string;
  attribution: 'ai' | 'human' | 'unknown';
  session_id: string | null;
  agent: string | null;
  model: string | null;
  /** The commit's author (for an ai line: who committed the agent's work). */
  author: BlameAuthor;
  /** False when the commit that wrote the line had no capture (made before trace, or elsewhere). */
  captured: boolean;
  text: string;
}

interface Origin {
  commit: string;
  originLine: number;
  path: string;
  author: BlameAuthor;
  text: string;
}

/** `author-time` (seconds) and `author-tz` (`+0130`) as ISO 8601 with that offset. */
export function authorDate(seconds: number, tz: string): string {
  const match = /^([+-])(\d\d)(\d\d)$/.exec(tz);
  const offset = match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
  const local = new Date((seconds + offset * 60) * 1000).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** `git blame --porcelain`: for each line, the commit, the line number (and path) there that wrote it, and the commit's author. */
export function parseBlamePorcelain(out: string): Origin[] {
  const origins: Origin[] = [];
  const paths = new Map<string, string>();
  const authors = new Map<string, { name: string; email: string; time: number; tz: string }>();
  let current: { commit: string; originLine: number } | undefined;
  let pendingPath: string | undefined;
  const authorOf = (commit: string) => {
    let author = authors.get(commit);
    if (!author) authors.set(commit, (author = { name: '', email: '', time: 0, tz: '+0000' }));
    return author;
  };
  for (const line of out.split('\n')) {
    const header = /^([0-9a-f]{40,64}) (\d+) (\d+)/.exec(line);
    if (header && !line.startsWith('\t')) {
      current = { commit: header[1]!, originLine: Number(header[2]) };
      pendingPath = undefined;
      continue;
    }
    if (line.startsWith('\t') && current) {
      if (pendingPath !== undefined) paths.set(current.commit, pendingPath);
      const author = authorOf(current.commit);
      origins.push({ ...current, path: paths.get(current.commit) ?? '', author: { name: author.name, email: author.email, date: authorDate(author.time, author.tz) }, text: line.slice(1) });
    } else if (line.startsWith('filename ')) pendingPath = line.slice('filename '.length);
    else if (current && line.startsWith('author ')) authorOf(current.commit).name = line.slice('author '.length);
    else if (current && line.startsWith('author-mail ')) authorOf(current.commit).email = line.slice('author-mail '.length).replace(/^<|>$/g, '');
    else if (current && line.startsWith('author-time ')) authorOf(current.commit).time = Number(line.slice('author-time '.length));
    else if (current && line.startsWith('author-tz ')) authorOf(current.commit).tz = line.slice('author-tz '.length);
  }
  return origins;
}

/** What `git blame` says when the file is not in the revision. */
const NO_SUCH_PATH = /no such path|does not exist|not in '[^']*'/i;

export async function blame(options: BlameOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  const revName = options.rev ?? 'HEAD';
  const rev = await resolveCommit(repo.root, revName);
  const result = await gitRaw(['-c', 'core.quotePath=false', 'blame', '--porcelain', rev, '--', options.file], { cwd: options.cwd, okCodes: [128] });
  if (result.code !== 0) {
    const reason = result.stderr.trim().replace(/^fatal:\s*/, '');
    if (NO_SUCH_PATH.test(reason)) {
      throw new TraceError('BAD_ARGUMENT', `${options.file} does not exist at ${revName}`, { hint: `\`git log --oneline --all -- ${options.file}\` lists the commits that have it` });
    }
    throw new TraceError('BAD_ARGUMENT', `cannot blame ${options.file} at ${revName}: ${reason}`);
  }
  const origins = parseBlamePorcelain(result.stdout.toString('utf8'));
  const store = await openStoreForReading(repo);
  const distinct = new Set(origins.map((origin) => origin.commit)).size;
  const shown = options.progress?.('blame: attributing commits', distinct);
  try {
    const attributor = new Attributor(repo, store);
    // Commits with no local record: their notes in one read, and what computing the rest needs in a
    // few git processes (Attributor.prefetch) instead of several per commit.
    const unrecorded = [...new Set(origins.map((origin) => origin.commit))].filter((sha) => !store.commit(sha));
    const noted = await readNotes(repo.root, unrecorded, NOTES_REF);
    const toCompute = unrecorded.filter((sha) => !noted.has(sha));
    // Only the file's lines are asked of each commit: its path there, not the commit's other files
    // (a large commit made without capture would otherwise be attributed whole).
    if (toCompute.length > 0) await attributor.prefetch(toCompute, { paths: [...new Set(origins.map((origin) => origin.path))] });
    const commits = new Map<string, KnownAttribution>();
    const lines: BlameLine[] = [];
    for (const [index, origin] of origins.entries()) {
      let known = commits.get(origin.commit);
      if (!known) {
        known = await commitAttribution(attributor, origin.commit, { hasNote: noted.has(origin.commit) || !unrecorded.includes(origin.commit) });
        commits.set(origin.commit, known);
        shown?.update(commits.size, origin.commit.slice(0, 8));
      }
      const attribution = known.attribution;
      const range = attribution.files.find((f) => f.path === origin.path)?.lines.find((r) => r.start <= origin.originLine && origin.originLine <= r.end);
      const sessionId = range?.attribution === 'ai' ? (range.session_id ?? null) : null;
      const session = sessionId ? known.sessions.get(sessionId) : undefined;
      lines.push({
        line: index + 1,
        commit: origin.commit,
        attribution: range?.attribution ?? 'human',
        session_id: sessionId,
        agent: canonicalAgentName(session?.agent ?? null),
        model: session?.model ?? null,
        author: origin.author,
        captured: attribution.captured,
        text: origin.text,
      });
    }
    return { json: { file: options.file, rev, lines }, text: renderBlame(lines, options.style) };
  } finally {
    shown?.done();
    store.close();
  }
}

const PLAIN = (text: string) => text;
const WHO_WIDTH = 40;

function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function renderBlame(lines: readonly BlameLine[], style?: Style): string {
  const c = { ai: style?.ai ?? PLAIN, human: style?.human ?? PLAIN, dim: style?.dim ?? PLAIN, warning: style?.warning ?? PLAIN };
  const width = String(lines.length).length;
  const out = lines.map((l) => {
    const who =
      l.attribution === 'ai'
        ? c.ai(fit(`ai ${[l.agent, l.model, l.session_id?.slice(0, 8)].filter(Boolean).join(' ')}`, WHO_WIDTH))
        : l.attribution === 'unknown'
          ? c.warning(fit(`unknown ${l.author.name} ${l.author.date.slice(0, 10)}`, WHO_WIDTH))
          : c.human(fit(`human${l.captured ? '' : '°'} ${l.author.name} ${l.author.date.slice(0, 10)}`, WHO_WIDTH));
    return `${c.dim(l.commit.slice(0, 8))} ${who} ${String(l.line).padStart(width)}) ${l.text}`;
  });
  if (lines.some((l) => !l.captured && l.attribution === 'human')) out.push('', c.dim('° from a commit made without capture here: attributed to human'));
  if (lines.some((l) => l.attribution === 'unknown')) out.push('', c.dim('unknown: written by an agent while the file was over trace.capture.maxFileBytes, so not captured'));
  return out.join('\n');
}
