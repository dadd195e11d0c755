// Reads a Claude Code transcript and its subagent files from disk and summarizes them.
// A missing, rotated or unreadable transcript is reported as a warning, never thrown.

import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errorMessage } from '../../errors.js';
import { readRegularFile } from '../read-file.js';
import type { SessionRecord } from '../../store.js';
import type { AgentSessionRead, TranscriptSummary } from '../types.js';
import { claudeSteps } from './steps.js';
import { promptsAndToolCalls, summarizeClaudeTranscript, type ClaudeTranscriptInput } from './summary.js';

/** Subagent files live at most a few levels down (`subagents/workflows/<wfId>/agent-*.jsonl`). */
const MAX_DEPTH = 4;
const AGENT_FILE = /^agent-(.+)\.jsonl$/;
/** Reading every file of one session may take this long at most. */
const READ_BUDGET_MS = 5_000;

export interface ClaudeTranscriptRead {
  summary: TranscriptSummary | null;
  /** Problems reading files; problems inside the files are in `summary.warnings`. */
  warnings: string[];
  /** The main transcript's text, when it was read. */
  main?: string;
  /** The subagents' files that were read. */
  subagents?: ClaudeTranscriptInput['subagents'];
}

/** A Claude Code session from its transcript: the summary, and the conversation for retention. */
export async function readClaudeSession(session: SessionRecord): Promise<AgentSessionRead> {
  if (!session.transcript_path) return { summary: null, warnings: ['no transcript path was recorded for this session'], conversation: null, records: null };
  const read = await readClaudeTranscript(session.transcript_path);
  if (read.main === undefined) return { summary: read.summary, warnings: read.warnings, conversation: null, records: null };
  const records: unknown[] = [];
  for (const line of read.main.split('\n')) {
    try {
      if (line.trim()) records.push(JSON.parse(line));
    } catch {
      // a torn last line: left out
    }
  }
  const spawnedBy = new Map<string, string>();
  for (const subagent of read.summary?.subagents ?? []) if (subagent.toolUseId !== undefined) spawnedBy.set(subagent.id, subagent.toolUseId);
  const steps = claudeSteps({ main: read.main, subagents: read.subagents ?? [] }, spawnedBy);
  return { summary: read.summary, warnings: read.warnings, conversation: promptsAndToolCalls(read.main), records, steps };
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

  return { summary: summarizeClaudeTranscript({ main, subagents }), warnings, main, subagents };
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
