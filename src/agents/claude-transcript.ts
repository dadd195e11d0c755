// Reads a Claude Code transcript and its subagent files from disk and summarizes them.
// A missing, rotated or unreadable transcript is reported as a warning, never thrown.

import { readFile, readdir } from 'node:fs/promises';
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

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}

export async function readClaudeTranscript(transcriptPath: string): Promise<ClaudeTranscriptRead> {
  const warnings: string[] = [];
  let main: string;
  try {
    main = await readFile(transcriptPath, 'utf8');
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
      text = await readFile(file, 'utf8');
    } catch (error) {
      warnings.push(`cannot read subagent transcript ${file}: ${errorMessage(error)}`);
      continue;
    }
    const entry: ClaudeTranscriptInput['subagents'][number] = { agentId, text };
    const metaPath = file.replace(/\.jsonl$/, '.meta.json');
    try {
      entry.meta = JSON.parse(await readFile(metaPath, 'utf8')) as unknown;
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
