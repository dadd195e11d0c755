// `trace why <file>:<line>[-<line>]`: who wrote these lines — the commit, and for AI lines the session,
// the thread's prompt, the tool call and the model — or "human, in commit X by Y". From the local
// store, else from the commit's attestation note (a fresh clone: session, agent and model only).
import { Attributor } from '../attribution/attribute.js';
import { agentByName } from '../agents/index.js';
import { openRepo } from '../context.js';
import { TraceError } from '../errors.js';
import { gitRaw } from '../git.js';
import type { Outcome } from '../program.js';
import { readRecords } from '../sessions/refresh.js';
import type { Store } from '../store.js';
import type { Style } from '../terminal.js';
import { parseBlamePorcelain, type BlameAuthor } from './blame.js';
import { canonicalAgentName, commitAttribution, type KnownAttribution, openStoreForReading, resolveCommit } from './show.js';

export interface WhyOptions {
  cwd: string;
  target: string;
  rev?: string;
  style?: Style;
}

export interface WhyLine {
  line: number;
  text: string;
  commit: string;
  author: BlameAuthor;
  attribution: 'ai' | 'human' | 'unknown';
  /** Where the commit's attribution comes from: this machine's record, its attestation note (not verified here), or computed now (no capture). */
  source: KnownAttribution['origin'];
  session: { id: string; agent: string | null; model: string | null } | null;
  thread: { idx: number; prompt: string; prompt_at: string } | null;
  tool_call: { tool_use_id: string; tool: string; at: string | null; input: unknown } | null;
}

/** `path:12` or `path:12-20` (1-based, inclusive). */
export function parseTarget(target: string): { file: string; start: number; end: number } {
  const match = /^(.+):(\d+)(?:-(\d+))?$/.exec(target);
  const start = Number(match?.[2]);
  const end = match?.[3] === undefined ? start : Number(match[3]);
  if (!match || start < 1 || end < start) {
    throw new TraceError('BAD_ARGUMENT', `${JSON.stringify(target)} is not <file>:<line> or <file>:<first>-<last>`, { hint: 'e.g. `trace why src/app.ts:42` or `trace why src/app.ts:40-48`' });
  }
  return { file: match[1]!, start, end };
}

interface CallFound {
  sessionId: string;
  toolCallId: number;
  toolUseId: string;
  tool: string;
  at: string | null;
  input: unknown;
}

/** The last call of `sessionId` on `path` whose after-content has `text` and whose before-content had it fewer times. */
function callThatWrote(store: Store, sessionId: string, path: string, text: string): CallFound | undefined {
  const count = (content: string, needle: string) => (needle === '' ? 0 : content.split('\n').filter((line) => line === needle).length);
  const latin1 = Buffer.from(text, 'utf8').toString('latin1');
  const changes = store.sessionChangesForPath(sessionId, path).filter((c) => c.after_state === 'content' && c.after_oid !== null);
  for (const change of changes.reverse()) {
    try {
      const after = count(store.getText(change.after_oid!), latin1);
      const before = change.before_state === 'content' && change.before_oid ? count(store.getText(change.before_oid), latin1) : 0;
      if (after > before) {
        const row = store.db.prepare('SELECT tool_use_id, tool_name, coalesce(ended_at, started_at) AS started_at, input_json FROM tool_calls WHERE id = ?').get(change.tool_call_id) as
          | { tool_use_id: string; tool_name: string; started_at: string | null; input_json: string | null }
          | undefined;
        if (!row) continue;
        let input: unknown = row.input_json;
        try {
          input = row.input_json === null ? null : JSON.parse(row.input_json);
        } catch {
          // kept as text
        }
        return { sessionId, toolCallId: change.tool_call_id, toolUseId: row.tool_use_id, tool: row.tool_name, at: row.started_at, input };
      }
    } catch {
      // a blob the store no longer holds: try an earlier change
    }
  }
  return undefined;
}

export async function why(options: WhyOptions): Promise<Outcome> {
  const { file, start, end } = parseTarget(options.target);
  const repo = await openRepo(options.cwd);
  const revName = options.rev ?? 'HEAD';
  const rev = await resolveCommit(repo.root, revName);
  const result = await gitRaw(['-c', 'core.quotePath=false', 'blame', '--porcelain', '-L', `${start},${end}`, rev, '--', file], { cwd: options.cwd, okCodes: [128] });
  if (result.code !== 0) {
    const reason = result.stderr.trim().replace(/^fatal:\s*/, '');
    throw new TraceError('BAD_ARGUMENT', `cannot read ${file}:${start}${end !== start ? `-${end}` : ''} at ${revName}: ${reason}`, { hint: '`trace blame <file>` shows every line of a file' });
  }
  const origins = parseBlamePorcelain(result.stdout.toString('utf8'));
  const store = await openStoreForReading(repo);
  try {
    const attributor = new Attributor(repo, store);
    const commits = new Map<string, KnownAttribution>();
    const models = new Map<string, Map<string, string>>();
    const lines: WhyLine[] = [];
    for (const [index, origin] of origins.entries()) {
      let known = commits.get(origin.commit);
      if (!known) {
        known = await commitAttribution(attributor, origin.commit);
        commits.set(origin.commit, known);
      }
      const range = known.attribution.files.find((f) => f.path === origin.path)?.lines.find((r) => r.start <= origin.originLine && origin.originLine <= r.end);
      const attribution = range?.attribution ?? 'human';
      const sessionId = attribution === 'ai' ? (range?.session_id ?? null) : null;
      const attested = sessionId ? known.sessions.get(sessionId) : undefined;
      const line: WhyLine = {
        line: start + index,
        text: origin.text,
        commit: origin.commit,
        author: origin.author,
        attribution,
        source: known.origin,
        session: sessionId ? { id: sessionId, agent: canonicalAgentName(attested?.agent ?? null), model: attested?.model ?? null } : null,
        thread: null,
        tool_call: null,
      };
      const session = sessionId ? store.session(sessionId) : undefined;
      const call = session ? callThatWrote(store, session.id, origin.path, origin.text) : undefined;
      if (session && call) {
        line.tool_call = { tool_use_id: call.toolUseId, tool: call.tool, at: call.at, input: call.input };
        const prompts = store.prompts(session.id);
        const before = call.at === null ? [] : prompts.filter((p) => p.at <= call.at!);
        const prompt = before.at(-1);
        if (prompt) line.thread = { idx: before.length, prompt: prompt.text, prompt_at: prompt.at };
        // The model of the response that made the call, from the agent's records (cached).
        let byCall = models.get(session.id);
        if (!byCall) {
          byCall = new Map();
          const read = await readRecords(store, session, agentByName);
          let model: string | undefined;
          for (const step of read.steps ?? []) {
            if (step.kind === 'assistant') model = step.model;
            else if (step.kind === 'tool_call' && model !== undefined) byCall.set(step.id, model);
          }
          models.set(session.id, byCall);
        }
        const model = byCall.get(call.toolUseId);
        if (model && line.session) line.session.model = model;
      }
      lines.push(line);
    }
    return { json: { file, rev, lines }, text: renderWhy(lines, options.style) };
  } finally {
    store.close();
  }
}

const PLAIN = (text: string) => text;

function renderWhy(lines: WhyLine[], style?: Style): string {
  const c = { ai: style?.ai ?? PLAIN, human: style?.human ?? PLAIN, dim: style?.dim ?? PLAIN, bold: style?.bold ?? PLAIN };
  const out: string[] = [];
  // Consecutive lines with the same story are told once.
  const key = (l: WhyLine) => `${l.commit}|${l.attribution}|${l.session?.id ?? ''}|${l.tool_call?.tool_use_id ?? ''}`;
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j + 1 < lines.length && key(lines[j + 1]!) === key(lines[i]!)) j++;
    const l = lines[i]!;
    const span = i === j ? `line ${l.line}` : `lines ${l.line}-${lines[j]!.line}`;
    const commit = `commit ${l.commit.slice(0, 12)} by ${l.author.name} <${l.author.email}> ${l.author.date.slice(0, 10)}`;
    if (l.attribution !== 'ai') {
      out.push(c.bold(`${span}: `) + c.human(l.attribution === 'unknown' ? 'unknown (written while the file was too large to capture)' : 'human') + `, in ${commit}`);
    } else {
      out.push(c.bold(`${span}: `) + c.ai(`AI, ${[l.session?.agent, l.session?.model].filter(Boolean).join(' ')}`) + `, in ${commit}`);
      out.push(`  session ${l.session?.id ?? '?'}${l.source === 'attestation' ? c.dim(' (from the attestation note, not verified here)') : ''}`);
      if (l.thread) out.push(`  thread ${l.thread.idx} (${l.thread.prompt_at}): ${oneLine(l.thread.prompt, 200)}`);
      if (l.tool_call) out.push(`  tool call ${l.tool_call.tool} ${l.tool_call.tool_use_id} at ${l.tool_call.at ?? '?'}`);
      if (!l.tool_call && l.source !== 'local') out.push(c.dim('  the prompt and tool call are in the capture store of the machine that ran the session'));
      if (l.session) out.push(c.dim(`  → trace sessions show ${l.session.id.slice(0, 8)}${l.thread ? ` --thread ${l.thread.idx}` : ''}`));
    }
    for (let k = i; k <= j; k++) out.push(c.dim(`    ${String(lines[k]!.line).padStart(4)}  ${lines[k]!.text}`));
    i = j + 1;
  }
  return out.join('\n');
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
