// Domain types shared by the pure core and the adapters around it.

/** Chainloop's agent names: what every command prints and every attestation carries. */
export type AgentName = 'claude-code' | 'cursor' | 'codex' | 'gemini-cli' | 'copilot' | 'opencode';

/**
 * Who last wrote a line: an agent tool call of a session, a person, or one of several candidates
 * when calls ran at once and nothing shows which of them wrote it (`human`: a person may have too).
 */
export type Author = { kind: 'ai'; sessionId: string } | { kind: 'human' } | { kind: 'ambiguous'; sessionIds: string[]; human: boolean };

/**
 * What a file tool call says it writes: the whole content (Write) or the strings it puts in
 * (Edit's `new_string`, MultiEdit's edits). Empty fragments: the call is known to have written none
 * of the lines (a shell call that another call is shown to have made the change for).
 */
export type Declaration = { kind: 'content'; text: string } | { kind: 'fragments'; fragments: string[] };

/** One observed change of a file. `null` content means the file did not exist (before) or was deleted (after). */
export interface FileChange {
  before: string | null;
  after: string | null;
  author: Author;
  /**
   * The call ran while another call that changed this file was running. Its snapshots may then hold
   * the other call's writes: only the lines it declared (`declared`; all when undefined) are its,
   * and a difference between what was known and its before-content is not taken as a human edit.
   */
  concurrent?: boolean;
  declared?: Declaration;
  /** What the concurrent file tool calls declared: not this call's lines when it declares nothing itself (a shell call). */
  declaredByOthers?: Declaration[];
}

/**
 * A run of added lines in a committed file: 1-based, inclusive. `unknown`: an agent wrote the file
 * while it could not be captured (larger than `trace.capture.maxFileBytes`), so who wrote these
 * lines is not known; policies count them as not human.
 */
export interface LineRange {
  start: number;
  end: number;
  attribution: 'ai' | 'human' | 'unknown';
  session_id?: string;
}

/** Added lines whose author is one of several candidates (calls that ran at once): 1-based, inclusive. */
export interface AmbiguousRange {
  start: number;
  end: number;
  /** The sessions whose calls could have written the lines. */
  session_ids: string[];
  /** A person could have written them too (the only call running could not write files it does not name). */
  human: boolean;
}

export type FileStatus = 'created' | 'modified' | 'deleted' | 'renamed';

export interface FileAttribution {
  path: string;
  old_path?: string;
  status: FileStatus;
  binary?: boolean;
  generated?: boolean;
  lines_added: number;
  lines_removed: number;
  ai_lines_added: number;
  ai_lines_removed: number;
  human_lines_added: number;
  human_lines_removed: number;
  /** Added lines attributed `unknown` (absent: none); not counted in ai or human lines added. */
  unknown_lines_added?: number;
  /** Why lines are unknown (kept locally for the predicate's warning; not a predicate field). */
  unknown_reason?: string;
  lines: LineRange[];
  /** Lines of `lines` whose author could not be told apart between concurrent calls (and a person). */
  ambiguous?: AmbiguousRange[];
}

export interface CommitAttribution {
  sha: string;
  parents: string[];
  author: { name: string; email: string; date: string };
  /** False when no capture was available for any of its files (hooks absent, another machine). */
  captured: boolean;
  files: FileAttribution[];
  session_ids: string[];
}
