// `trace blame <file>`: each line of the file at a revision with ai/human, session, agent and model.
import { Attributor } from '../attribution/attribute.js';
import { openRepo } from '../context.js';
import { TraceError } from '../errors.js';
import { gitRaw } from '../git.js';
import type { Outcome } from '../program.js';
import { commitAttribution, type KnownAttribution, openStoreForReading, resolveCommit } from './show.js';

export interface BlameOptions {
  cwd: string;
  file: string;
  rev?: string;
}

export interface BlameLine {
  line: number;
  commit: string;
  attribution: 'ai' | 'human';
  session_id: string | null;
  agent: string | null;
  model: string | null;
  /** False when the commit that wrote the line had no capture (made before trace, or elsewhere). */
  captured: boolean;
  text: string;
}

interface Origin {
  commit: string;
  originLine: number;
  path: string;
  text: string;
}

/** `git blame --porcelain`: for each line, the commit and the line number (and path) there that wrote it. */
export function parseBlamePorcelain(out: string): Origin[] {
  const origins: Origin[] = [];
  const paths = new Map<string, string>();
  let current: { commit: string; originLine: number } | undefined;
  let pendingPath: string | undefined;
  for (const line of out.split('\n')) {
    const header = /^([0-9a-f]{40,64}) (\d+) (\d+)/.exec(line);
    if (header && !line.startsWith('\t')) {
      current = { commit: header[1]!, originLine: Number(header[2]) };
      pendingPath = undefined;
      continue;
    }
    if (line.startsWith('filename ')) pendingPath = line.slice('filename '.length);
    else if (line.startsWith('\t') && current) {
      if (pendingPath !== undefined) paths.set(current.commit, pendingPath);
      origins.push({ ...current, path: paths.get(current.commit) ?? '', text: line.slice(1) });
    }
  }
  return origins;
}

export async function blame(options: BlameOptions): Promise<Outcome> {
  const repo = await openRepo(options.cwd);
  const rev = await resolveCommit(repo.root, options.rev ?? 'HEAD');
  const result = await gitRaw(['-c', 'core.quotePath=false', 'blame', '--porcelain', rev, '--', options.file], { cwd: options.cwd, okCodes: [128] });
  if (result.code !== 0) throw new TraceError('BAD_ARGUMENT', `cannot blame ${options.file} at ${options.rev ?? 'HEAD'}: ${result.stderr.trim()}`);
  const origins = parseBlamePorcelain(result.stdout.toString('utf8'));
  const store = openStoreForReading(repo);
  try {
    const attributor = new Attributor(repo, store);
    const commits = new Map<string, KnownAttribution>();
    const lines: BlameLine[] = [];
    for (const [index, origin] of origins.entries()) {
      let known = commits.get(origin.commit);
      if (!known) {
        known = await commitAttribution(attributor, origin.commit);
        commits.set(origin.commit, known);
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
        agent: session?.agent ?? null,
        model: session?.model ?? null,
        captured: attribution.captured,
        text: origin.text,
      });
    }
    const width = String(lines.length).length;
    const text = lines
      .map((l) => {
        const who = l.attribution === 'ai' ? `ai ${[l.agent, l.model, l.session_id?.slice(0, 8)].filter(Boolean).join(' ')}` : l.captured ? 'human' : 'human (no capture)';
        return `${l.commit.slice(0, 8)} ${who.padEnd(34)} ${String(l.line).padStart(width)}) ${l.text}`;
      })
      .join('\n');
    return { json: { file: options.file, rev, lines }, text };
  } finally {
    store.close();
  }
}
