// Attributes a commit: git's diff says which lines are added, the capture store and earlier
// attributions say who wrote them. The decisions are the pure engine's (core/attribution.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AttributedText, aiRemovedCount, attributeLines, declaredSource, fromRanges, mergeRanges, ownLines, type RemovedLines, replayFile } from '../core/attribution.js';
import { callWindows, type CallWindow, creditShellChange, overlappingCalls } from '../core/concurrency.js';
import type { Author, CommitAttribution, FileAttribution, FileChange } from '../core/types.js';
import { hooksByName } from '../agents/hooks.js';
import type { AgentHooks } from '../agents/types.js';
import { readGitBlobs } from '../capture/shell.js';
import { gitRaw } from '../git.js';
import type { Repo } from '../repo.js';
import type { CallOfChange, FileChangeRecord, Store } from '../store.js';
import { commitDiff, commitDiffs, commitInfo, commitInfos, type CommitInfo, type DiffFile, renamedFrom } from './commit-diff.js';

/** How many earlier AI commits of a path are searched for lines a commit carries (cherry-pick, squash, revert). */
const EARLIER_COMMITS_SEARCHED = 20;

export interface AttributeOptions {
  /** The commit was made here with the hooks in place (false: attributed later, no capture is known for it). */
  captured: boolean;
  /** Commits this one replaces (amend, rebase, squash), newest first: their lines keep their authors. */
  rewrittenFrom?: readonly string[];
  now: () => Date;
  /** Store the result (default true). */
  save?: boolean;
  /** The commit a cherry-pick or rebase copied, as CHERRY_PICK_HEAD named it when the commit was made (default: read it now). */
  picked?: readonly string[];
}

export interface AttributorOptions {
  /** Only captured changes stored by then (ISO) count: later ones were made after the commit (see queue.ts). */
  asOf?: string;
}

/** A path's captured changes replayed: its lines with their authors, and what agents removed. */
interface Replayed {
  text: AttributedText;
  removedByAgent: RemovedLines;
  changes: FileChange[];
  /** Why an agent's write of the path could not be captured (over the size cap), when one could not. */
  uncaptured: string | null;
  /** The sessions whose writes of the path could not be captured. */
  uncapturedBy: string[];
}

/** The replay of a path no agent touched (read only, shared). */
const NO_CHANGES: Replayed = { ...replayFile([]), changes: [], uncaptured: null, uncapturedBy: [] };

/** Attribution work for one process: replays and blobs are reused across the commits it attributes. */
export class Attributor {
  private readonly replays = new Map<string, Replayed>();
  private readonly sourceTexts = new Map<string, AttributedText | null>();
  private readonly infos = new Map<string, CommitInfo>();
  private readonly diffs = new Map<string, DiffFile[]>();
  private readonly generated = new Set<string>();
  /** Commits whose prefetched diff holds only some of their files. */
  private readonly partial = new Set<string>();
  private prefetched = false;

  constructor(
    readonly repo: Repo,
    readonly store: Store,
    private readonly options: AttributorOptions = {},
  ) {}

  private replayOf(path: string): Replayed {
    let cached = this.replays.get(path);
    if (!cached) {
      const changes: FileChange[] = [];
      let uncaptured: string | null = null;
      const uncapturedBy = new Set<string>();
      let previous: string | null = null;
      let previousOid: string | null = null;
      // Most calls start from the content the previous one left: decode each version once.
      const text = (oid: string | null) => (oid === null ? null : oid === previousOid ? previous : this.store.getText(oid));
      const asOf = this.options.asOf;
      const all = this.store.changesForPath(path);
      if (all.length === 0) {
        // Most paths of a large commit made without capture: one shared answer, not a replay each.
        this.replays.set(path, NO_CHANGES);
        return NO_CHANGES;
      }
      // A change is stored when its call ends (its start for one still running).
      const stored = asOf === undefined ? all : all.filter((record) => (record.call_ended_at ?? record.call_started_at ?? '') <= asOf);
      for (const record of stored) {
        if (record.skipped && record.session_id !== '') {
          uncaptured = record.skipped;
          uncapturedBy.add(record.session_id);
        }
      }
      const records = inTimeOrder(
        stored.filter((record) => !(record.skipped || record.after_state === 'pending' || record.after_state === 'skipped' || record.after_state === 'unknown')),
      );
      const concurrency = this.concurrencyOf(path, records);
      for (const record of records) {
        const before = record.before_state === 'content' ? text(record.before_oid) : record.before_state === 'absent' ? null : previous;
        const after = record.after_state === 'content' ? text(record.after_oid) : null;
        previousOid = record.after_state === 'content' ? record.after_oid : null;
        // An observation of the work tree (after a reset) is a human change: before and after are the same text.
        const author: Author = record.session_id === '' ? { kind: 'human' } : { kind: 'ai', sessionId: record.session_id };
        const known = concurrency.get(record.id);
        changes.push(known ? { before, after, ...known } : { before, after, author });
        previous = after;
      }
      cached = { ...replayFile(changes), changes, uncaptured, uncapturedBy: [...uncapturedBy] };
      this.replays.set(path, cached);
    }
    return cached;
  }

  /**
   * How the calls that changed `path` while another such call ran (or shell calls that cannot be
   * shown to have written it) are credited, by change id: see core/concurrency.ts. Calls alone in
   * their window keep the plain rule (everything they changed is theirs).
   */
  private concurrencyOf(path: string, records: readonly (FileChangeRecord & CallOfChange)[]): Map<number, Pick<FileChange, 'author' | 'concurrent' | 'declared' | 'declaredByOthers'>> {
    const result = new Map<number, Pick<FileChange, 'author' | 'concurrent' | 'declared' | 'declaredByOthers'>>();
    const windows = new Map<number, CallWindow & { record: FileChangeRecord & CallOfChange }>();
    const captured = records.map((record) => ({
      callId: record.tool_call_id,
      sessionId: record.session_id,
      start: record.call_started_at,
      end: record.call_ended_at,
      shell: record.shell === 1,
      changed: record.before_state !== record.after_state || record.before_oid !== record.after_oid,
      record,
    }));
    for (const window of callWindows(captured)) windows.set(window.id, { ...window, record: window.change.record });
    const input = (callId: number): unknown => {
      const json = this.store.toolInput(callId);
      try {
        return json === null ? undefined : (JSON.parse(json) as unknown);
      } catch {
        return undefined;
      }
    };
    // Each call's input is read by the agent that made it.
    const agents = new Map<string, AgentHooks | undefined>();
    const agentOf = (sessionId: string): AgentHooks | undefined => {
      if (!agents.has(sessionId)) agents.set(sessionId, hooksByName(this.store.session(sessionId)?.agent ?? ''));
      return agents.get(sessionId);
    };
    const declaredWrites = (window: CallWindow & { record: FileChangeRecord & CallOfChange }) => agentOf(window.sessionId)?.declaredWrites(window.record.tool_name, input(window.id), path);
    const commands = new Map<number, string>();
    const commandOf = (window: CallWindow & { record: FileChangeRecord & CallOfChange }): string | undefined => {
      if (!window.record.shell) return undefined;
      if (!commands.has(window.id)) commands.set(window.id, agentOf(window.sessionId)?.shellCommand(window.record.tool_name, input(window.id)) ?? '');
      return commands.get(window.id);
    };
    const overlapping = overlappingCalls([...windows.values()]);
    for (const window of windows.values()) {
      const others = (overlapping.get(window.id) ?? []).map((other) => windows.get(other.id)!);
      const concurrent = others.length > 0;
      const command = commandOf(window);
      if (command !== undefined) {
        const shellOthers = others.flatMap((other) => {
          const otherCommand = commandOf(other);
          return otherCommand === undefined ? [] : [{ ...other, command: otherCommand }];
        });
        const credit = creditShellChange({ ...window, command }, shellOthers, path);
        // Lines a concurrent file tool call declared are that call's, not the shell call's that saw them appear.
        const declaredByOthers = others.flatMap((other) => (other.record.shell ? [] : (declaredWrites(other) ?? [])));
        if (credit.kind === 'observer') result.set(window.record.id, { author: { kind: 'ai', sessionId: window.sessionId }, concurrent: true, declared: { kind: 'fragments', fragments: [] } });
        else if (concurrent || credit.author.kind !== 'ai')
          result.set(window.record.id, { author: credit.author, ...(concurrent ? { concurrent } : {}), ...(declaredByOthers.length > 0 ? { declaredByOthers } : {}) });
      } else if (concurrent) {
        const declared = declaredWrites(window);
        result.set(window.record.id, { author: { kind: 'ai', sessionId: window.sessionId }, concurrent, ...(declared ? { declared } : {}) });
      }
    }
    return result;
  }

  /** A file as committed in `sha`, with the authors its stored attribution gives the lines that commit added. */
  private committedText(sha: string, path: string, blob: string | null): AttributedText | null {
    const key = `${sha}:${path}`;
    if (this.sourceTexts.has(key)) return this.sourceTexts.get(key)!;
    const file = this.store.commit(sha)?.files.find((f) => f.path === path);
    const oid = blob ?? this.store.commitBlob(sha, path);
    let result: AttributedText | null = null;
    if (file && oid) {
      const content = readGitBlobs(this.repo, [oid]).get(oid);
      if (content) result = fromRanges(content.toString('latin1'), file.lines, file.ambiguous);
    }
    this.sourceTexts.set(key, result);
    return result;
  }

  /** Sources in priority order, produced lazily: the engine stops as soon as every added line has an author. */
  private *sources(file: DiffFile, explicit: readonly string[], committed: string): Generator<AttributedText> {
    for (const sha of explicit) {
      const text = this.committedText(sha, file.path, null) ?? (file.oldPath ? this.committedText(sha, file.oldPath, null) : null);
      if (text) yield text;
    }
    const replayed = this.replayOf(file.path);
    yield replayed.text;
    // Lines the replay could not settle: each concurrent call's own lines, whatever order they were stored in.
    for (const change of replayed.changes) {
      if (!change.concurrent) continue;
      const own = ownLines(change);
      if (own) yield own;
    }
    const claims = replayed.changes.flatMap((change) =>
      change.concurrent && change.declared && change.author.kind === 'ai' ? [{ sessionId: change.author.sessionId, declared: change.declared }] : [],
    );
    if (claims.length > 0) {
      const declared = declaredSource(committed, claims);
      if (declared) yield declared;
    }
    for (const earlier of this.store.commitsWithAiIn(file.path, EARLIER_COMMITS_SEARCHED)) {
      if (explicit.includes(earlier.sha)) continue;
      const text = this.committedText(earlier.sha, file.path, earlier.blob);
      if (text) yield text;
    }
  }

  /**
   * Reads what attributing many commits needs in a few git processes instead of several per commit.
   * With `paths`, only those files (and the files they were renamed from) are diffed and attributed:
   * what `trace blame` needs of a commit, however large it is. Such attributions are partial: never saved.
   */
  async prefetch(shas: readonly string[], options: { paths?: readonly string[] } = {}): Promise<void> {
    if (shas.length === 0) return;
    const infos = await commitInfos(this.repo.root, shas);
    for (const info of infos) this.infos.set(info.sha, info);
    const single = infos.filter((info) => info.parents.length <= 1);
    const items = single.map((info) => ({ sha: info.sha, parent: info.parents[0] ?? null }));
    let pathspec: string[] | undefined;
    if (options.paths) {
      pathspec = [...new Set([...options.paths, ...(await renamedFrom(this.repo.root, items, new Set(options.paths)))])];
      for (const info of single) this.partial.add(info.sha);
    }
    for (const [sha, diff] of await commitDiffs(this.repo.root, items, pathspec)) this.diffs.set(sha, diff);
    const paths = [...new Set([...this.diffs.values()].flatMap((diff) => diff.map((file) => file.path)))];
    for (const path of await generatedPaths(this.repo.root, paths)) this.generated.add(path);
    this.prefetched = true;
  }

  /** Whether anything could name an author for lines of `path`: if not, its added lines are human without reading it. */
  private hasSources(file: DiffFile, explicit: readonly string[]): boolean {
    return explicit.length > 0 || this.replayOf(file.path).changes.length > 0 || this.uncaptured(file) !== null || this.store.commitsWithAiIn(file.path, 1).length > 0;
  }

  /** Why an agent wrote `file` (or the path it was renamed from) without it being captured, if it did. */
  private uncaptured(file: DiffFile): string | null {
    return this.replayOf(file.path).uncaptured ?? (file.oldPath ? this.replayOf(file.oldPath).uncaptured : null);
  }

  async attribute(sha: string, options: AttributeOptions): Promise<CommitAttribution> {
    const info = this.infos.get(sha) ?? (await commitInfo(this.repo.root, sha));
    const blobs = new Map<string, string | null>();
    if (info.parents.length > 1) {
      const merge: CommitAttribution = { sha: info.sha, parents: info.parents, author: info.author, captured: options.captured, files: [], session_ids: [] };
      if (options.save !== false) this.store.saveCommit(merge, blobs, options.now().toISOString());
      return merge;
    }
    if (this.partial.has(info.sha) && options.save !== false) throw new Error(`attribution of ${info.sha} is partial (prefetched for some paths): it cannot be saved`);
    const diff = this.diffs.get(info.sha) ?? (await commitDiff(this.repo.root, info.parents[0] ?? null, info.sha));
    const generated = this.prefetched ? this.generated : await generatedPaths(this.repo.root, diff.map((file) => file.path));
    const explicit = [...(options.rewrittenFrom ?? []), ...(options.picked ?? cherryPickSource(this.repo))].filter((s) => s !== info.sha);
    const textBlobs = readGitBlobs(
      this.repo,
      diff.filter((file) => !file.binary && !file.special && file.blob && file.addedLines.length > 0 && this.hasSources(file, explicit)).map((file) => file.blob!),
    );
    const files = diff.map((file): FileAttribution => {
      blobs.set(file.path, file.blob);
      const base = {
        path: file.path,
        ...(file.oldPath !== undefined ? { old_path: file.oldPath } : {}),
        status: file.status,
        ...(file.binary ? { binary: true } : {}),
        ...(generated.has(file.path) ? { generated: true } : {}),
        lines_added: file.linesAdded,
        lines_removed: file.linesRemoved,
      };
      const content = file.blob ? textBlobs.get(file.blob) : undefined;
      const aiRemoved = file.removedLines.length
        ? aiRemovedCount({ removedLines: file.removedLines, removedByAgent: [file.path, ...(file.oldPath ? [file.oldPath] : [])].map((path) => this.replayOf(path).removedByAgent) })
        : 0;
      if (file.binary || file.special || content === undefined) {
        // Binary, special, or nothing could credit an agent: every added line is human.
        const all = { ...base, ai_lines_added: 0, ai_lines_removed: aiRemoved, human_lines_added: file.linesAdded, human_lines_removed: file.linesRemoved - aiRemoved, lines: file.binary || file.special ? [] : humanRanges(file.addedLines) };
        return file.binary || file.special ? all : withUnknown(all, this.uncaptured(file));
      }
      const committed = content.toString('latin1');
      const result = attributeLines({ committed, addedLines: file.addedLines, sources: this.sources(file, explicit, committed) });
      return withUnknown(
        {
          ...base,
          ai_lines_added: result.ai,
          ai_lines_removed: aiRemoved,
          human_lines_added: result.human,
          human_lines_removed: file.linesRemoved - aiRemoved,
          lines: mergeRanges(result.ranges),
          ...(result.ambiguous ? { ambiguous: result.ambiguous } : {}),
        },
        this.uncaptured(file),
      );
    });
    const sessions = new Set<string>();
    for (const file of files) for (const range of file.lines) if (range.session_id) sessions.add(range.session_id);
    // The sessions that wrote files whose lines are unknown contributed too: attested, so policies on agents and models see them.
    for (const file of files) {
      if (!file.unknown_lines_added) continue;
      for (const path of [file.path, ...(file.old_path ? [file.old_path] : [])]) for (const id of this.replayOf(path).uncapturedBy) sessions.add(id);
    }
    const attribution: CommitAttribution = { sha: info.sha, parents: info.parents, author: info.author, captured: options.captured, files, session_ids: [...sessions].sort() };
    if (options.save !== false) this.store.saveCommit(attribution, blobs, options.now().toISOString());
    return attribution;
  }
}

/**
 * An agent wrote the file while it could not be captured (`reason`): the added lines no source
 * credits could be that agent's as well as a person's, so they are `unknown`, not human.
 */
function withUnknown(file: FileAttribution, reason: string | null): FileAttribution {
  if (reason === null || file.human_lines_added === 0) return file;
  const lines = file.lines.map((range) => (range.attribution === 'human' ? { ...range, attribution: 'unknown' as const } : range));
  return { ...file, human_lines_added: 0, unknown_lines_added: file.human_lines_added, unknown_reason: reason, lines };
}

/**
 * Changes in the order their after-contents were seen (the post hooks' times), which is the order
 * they are stored in unless post hooks running at once waited on each other for the store: then a
 * call stored late would be replayed after calls that started from its result, and its older
 * after-content would undo theirs. Capture order when a time is missing.
 */
function inTimeOrder<T extends { id: number; call_started_at: string | null; call_ended_at: string | null }>(records: T[]): T[] {
  const time = (record: T) => record.call_ended_at ?? record.call_started_at;
  if (records.some((record) => time(record) === null)) return records;
  return records.sort((a, b) => {
    const x = time(a)!;
    const y = time(b)!;
    return x < y ? -1 : x > y ? 1 : a.id - b.id;
  });
}

function humanRanges(lines: readonly number[]): FileAttribution['lines'] {
  return mergeRanges(lines.map((line) => ({ start: line, end: line, attribution: 'human' as const })));
}

/** During a cherry-pick or a rebase pick, git names the commit being copied in CHERRY_PICK_HEAD. */
function cherryPickSource(repo: Repo): string[] {
  const file = join(repo.gitDir, 'CHERRY_PICK_HEAD');
  if (!existsSync(file)) return [];
  const sha = readFileSync(file, 'utf8').trim();
  return /^[0-9a-f]{40,64}$/.test(sha) ? [sha] : [];
}

/** Paths marked `linguist-generated` in .gitattributes. */
async function generatedPaths(cwd: string, paths: readonly string[]): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  const out = (await gitRaw(['check-attr', '-z', '--stdin', 'linguist-generated'], { cwd, input: `${paths.join('\0')}\0` })).stdout.toString('utf8');
  const fields = out.split('\0');
  const result = new Set<string>();
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const value = fields[i + 2];
    if (value === 'set' || value === 'true') result.add(fields[i]!);
  }
  return result;
}
