// Reads a Claude Code transcript and its subagent files from disk and summarizes them.
// A missing, rotated or unreadable transcript is reported as a warning, never thrown.

import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { summarizeClaudeTranscript, type ClaudeTranscriptInput, type TranscriptSummary } from '../core/transcript/claude.js';
import { errorMessage } from '../errors.js';

/** Subagent files live at most a few levels down (`subagents/workflows/<wfId>/agent-*.jsonl`). */
const MAX_DEPTH = 4;
const AGENT_FILE = /^agent-(.+)\.jsonl$/;

export interface ClaudeTranscriptRead {
  summary: TranscriptSummary | null;
  /** Problems reading files; problems inside the files are in `summary.warnings`. */
  warnings: string[];
}

/** A transcript larger than this is not read (Claude Code's own files stay far below it). */
export const MAX_TRANSCRIPT_BYTES = 256 * 1024 * 1024;
/** Reading every file of one session may take this long at most. */
const READ_BUDGET_MS = 5_000;

/**
 * The text of a regular file, read with a size cap and a deadline. A transcript path comes from a
 * hook payload: a FIFO would block a plain read forever and a device (/dev/urandom) never ends, so the
 * file is opened without blocking and its type checked on the open descriptor before any read.
 */
export async function readRegularFile(path: string, limits: { maxBytes?: number; deadline?: number } = {}): Promise<string> {
  const maxBytes = limits.maxBytes ?? MAX_TRANSCRIPT_BYTES;
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`it is not a regular file (${fileKind(stats)}), so it was not read`);
    if (stats.size > maxBytes) throw new Error(`it is ${stats.size} bytes, over the ${maxBytes}-byte limit for a transcript, so it was not read`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      if (limits.deadline !== undefined && Date.now() > limits.deadline) throw new Error('reading it took too long, so it was left unread');
      const buffer = Buffer.alloc(Math.min(4 * 1024 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw new Error(`it grew past the ${maxBytes}-byte limit for a transcript while being read, so it was not read`);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    await handle.close();
  }
}

function fileKind(stats: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean; isDirectory(): boolean }): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isDirectory()) return 'a directory';
  return 'not a file';
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}

export async function readClaudeTranscript(transcriptPath: string): Promise<ClaudeTranscriptRead> {
  const warnings: string[] = [];
  const deadline = Date.now() + READ_BUDGET_MS;
  let main: string;
  try {
    main = await readRegularFile(transcriptPath, { deadline });
  } catch (error) {
    warnings.push(
      isNotFound(error)
        ? `Claude transcript ${transcriptPath} not found (removed or rotated by cleanupPeriodDays); session usage is unknown`
        : `cannot read Claude transcript ${transcriptPath}: ${errorMessage(error)}`,
    );
    return { summary: null, warnings };
  }

  const sessionId = basename(transcriptPath).replace(/\.jsonl$/, '');
  const subagentsDir = join(dirname(transcriptPath), sessionId, 'subagents');
  const subagents: ClaudeTranscriptInput['subagents'] = [];
  for (const file of await listAgentFiles(subagentsDir, 0, warnings)) {
    const agentId = AGENT_FILE.exec(basename(file))?.[1];
    if (agentId === undefined) continue;
    let text: string;
    try {
      text = await readRegularFile(file, { deadline });
    } catch (error) {
      warnings.push(`cannot read subagent transcript ${file}: ${errorMessage(error)}`);
      continue;
    }
    const entry: ClaudeTranscriptInput['subagents'][number] = { agentId, text };
    const metaPath = file.replace(/\.jsonl$/, '.meta.json');
    try {
      entry.meta = JSON.parse(await readRegularFile(metaPath, { deadline, maxBytes: 1024 * 1024 })) as unknown;
    } catch (error) {
      if (!isNotFound(error)) warnings.push(`ignoring unreadable subagent metadata ${metaPath}: ${errorMessage(error)}`);
    }
    subagents.push(entry);
  }

  return { summary: summarizeClaudeTranscript({ main, subagents }), warnings };
}

async function listAgentFiles(dir: string, depth: number, warnings: string[]): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (!isNotFound(error)) warnings.push(`cannot list subagent transcripts in ${dir}: ${errorMessage(error)}`);
    return [];
  }
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && depth < MAX_DEPTH) files.push(...(await listAgentFiles(path, depth + 1, warnings)));
    else if (entry.isFile() && AGENT_FILE.test(entry.name)) files.push(path);
  }
  return files;
}
