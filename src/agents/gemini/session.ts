// Reads a Gemini CLI session's chat file (and its subagents' chats) from disk and summarises it.
// A missing or unreadable chat is a warning, never thrown.
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errorMessage } from '../../errors.js';
import { readRegularFile } from '../read-file.js';
import type { AgentSessionRead } from '../types.js';
import { geminiConversation, parseGeminiChat, summarizeGeminiChat } from './chat.js';

/** Reading every file of one session may take this long at most. */
const READ_BUDGET_MS = 5_000;
/** Chat files looked into, newest first, when the name does not give the session away (a resumed session). */
const MAX_SCANNED = 200;
const CHAT_FILE = /^session-.*\.jsonl?$/;

export interface GeminiChatLocation {
  /** The chat file the hooks named (`transcript_path`), when they named one. */
  transcriptPath: string | null;
  sessionId: string;
  /** The directory holding `.gemini/` (GEMINI_CLI_HOME, else the home directory). */
  geminiHome: string;
}

const isNotFound = (error: unknown) => typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

/**
 * The chat file of `sessionId` under `<geminiHome>/.gemini/tmp/<project>/chats/`: a file named after the
 * session's first 8 characters whose sessionId matches, else (a resumed session keeps its first file's
 * name) any recent chat file holding the id.
 */
export async function findChatFile(geminiHome: string, sessionId: string, deadline: number): Promise<string | undefined> {
  const tmp = join(geminiHome, '.gemini', 'tmp');
  const candidates: { path: string; named: boolean }[] = [];
  for (const project of await list(tmp)) {
    const chats = join(tmp, project, 'chats');
    for (const name of await list(chats)) {
      if (CHAT_FILE.test(name)) candidates.push({ path: join(chats, name), named: name.replace(/\.jsonl?$/, '').endsWith(`-${sessionId.slice(0, 8)}`) });
    }
  }
  const named = candidates.filter((c) => c.named);
  const withTimes = await Promise.all(
    candidates.filter((c) => !c.named).map(async (c) => ({ ...c, mtime: (await stat(c.path).catch(() => undefined))?.mtimeMs ?? 0 })),
  );
  const others = withTimes.sort((a, b) => b.mtime - a.mtime).slice(0, MAX_SCANNED);
  for (const candidate of [...named, ...others]) {
    if (Date.now() > deadline) return undefined;
    let text: string;
    try {
      text = await readRegularFile(candidate.path, { deadline });
    } catch {
      continue;
    }
    if (!text.includes(sessionId)) continue;
    if (parseGeminiChat(text).metadata.sessionId === sessionId) return candidate.path;
  }
  return undefined;
}

export async function readGeminiSession(location: GeminiChatLocation): Promise<AgentSessionRead> {
  const warnings: string[] = [];
  const deadline = Date.now() + READ_BUDGET_MS;
  let path = location.transcriptPath ?? undefined;
  let text: string | undefined;
  if (path !== undefined) {
    try {
      text = await readRegularFile(path, { deadline });
    } catch (error) {
      warnings.push(
        isNotFound(error)
          ? `Gemini CLI chat file ${path} not found (removed, or the session was resumed into another file); looked for the session by id instead`
          : `cannot read Gemini CLI chat file ${path}: ${errorMessage(error)}`,
      );
      path = undefined;
    }
  }
  if (text === undefined) {
    const found = await findChatFile(location.geminiHome, location.sessionId, deadline);
    if (found === undefined) {
      warnings.push(
        `no Gemini CLI chat file for session ${location.sessionId} under ${join(location.geminiHome, '.gemini', 'tmp', '*', 'chats')}` +
          `${location.transcriptPath === null ? ' (the hooks named none)' : ''}; token usage, model and conversation are unknown`,
      );
      return { summary: null, warnings, conversation: null, records: null };
    }
    if (location.transcriptPath === null) warnings.push(`the hooks named no chat file; found session ${location.sessionId} in ${found} by its id`);
    path = found;
    try {
      text = await readRegularFile(found, { deadline });
    } catch (error) {
      warnings.push(`cannot read Gemini CLI chat file ${found}: ${errorMessage(error)}`);
      return { summary: null, warnings, conversation: null, records: null };
    }
  }

  // Subagents' chats live in a folder named after the parent session, next to its file.
  const subagents: { agentId: string; text: string }[] = [];
  const sessionDir = join(dirname(path!), location.sessionId);
  for (const name of await list(sessionDir)) {
    if (!/\.jsonl?$/.test(name)) continue;
    try {
      subagents.push({ agentId: basename(name).replace(/\.jsonl?$/, ''), text: await readRegularFile(join(sessionDir, name), { deadline }) });
    } catch (error) {
      warnings.push(`cannot read subagent chat ${join(sessionDir, name)}: ${errorMessage(error)}`);
    }
  }

  const chat = parseGeminiChat(text);
  const summary = summarizeGeminiChat({ main: text, subagents });
  const recorded = summary.sessionId;
  if (recorded !== undefined && recorded !== location.sessionId) {
    warnings.push(`chat file ${path} belongs to session ${recorded}, not ${location.sessionId}; its figures may be another session's`);
  }
  return { summary, warnings, conversation: geminiConversation(chat), records: chat.records };
}
