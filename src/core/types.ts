// Domain types shared by the pure core and the adapters around it.

/** Chainloop's agent names: what every command prints and every attestation carries. */
export type AgentName = 'claude-code' | 'cursor' | 'codex' | 'gemini-cli' | 'copilot' | 'opencode';

/** Who last wrote a line: an agent tool call of a session, or a person. */
export type Author = { kind: 'ai'; sessionId: string } | { kind: 'human' };

/** One observed change of a file. `null` content means the file did not exist (before) or was deleted (after). */
export interface FileChange {
  before: string | null;
  after: string | null;
  author: Author;
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
