// The agent's static configuration as evidence: at the guard's first call in a session, the
// instruction files, MCP server configs and agent settings of the repository, each as its path,
// size and git blob id (so a verifier can match it against the committed file), and the MCP servers
// they declare (name, command or URL). Hot-path safe: fs, path and trace's own SHA-1, read once per session.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blobOid } from '../core/sha1.js';

/** Repository-relative files and directories (every file directly inside) that configure an agent. */
export const CONFIG_CANDIDATES: readonly { path: string; kind: 'instructions' | 'mcp' | 'settings' | 'skills' }[] = [
  { path: 'CLAUDE.md', kind: 'instructions' },
  { path: 'CLAUDE.local.md', kind: 'instructions' },
  { path: 'AGENTS.md', kind: 'instructions' },
  { path: 'GEMINI.md', kind: 'instructions' },
  { path: '.cursorrules', kind: 'instructions' },
  { path: '.cursor/rules', kind: 'instructions' },
  { path: '.github/copilot-instructions.md', kind: 'instructions' },
  { path: '.github/instructions', kind: 'instructions' },
  { path: '.mcp.json', kind: 'mcp' },
  { path: '.cursor/mcp.json', kind: 'mcp' },
  { path: '.vscode/mcp.json', kind: 'mcp' },
  { path: '.claude/settings.json', kind: 'settings' },
  { path: '.claude/settings.local.json', kind: 'settings' },
  { path: '.gemini/settings.json', kind: 'settings' },
  { path: '.codex/config.toml', kind: 'settings' },
  { path: '.claude/agents', kind: 'skills' },
  { path: '.claude/commands', kind: 'skills' },
  { path: '.claude/skills', kind: 'skills' },
];

const MAX_FILES = 64;
const MAX_BYTES = 1024 * 1024;

export interface ConfigEvidence {
  files: { path: string; kind: string; size: number; digest: string }[];
  mcp_servers: { name: string; source: string; command?: string; url?: string }[];
}

function mcpServersOf(text: string, source: string): ConfigEvidence['mcp_servers'] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  const root = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const servers = (root.mcpServers ?? root.servers) as Record<string, unknown> | undefined;
  if (typeof servers !== 'object' || servers === null) return [];
  return Object.entries(servers).map(([name, spec]) => {
    const s = typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>) : {};
    const command = typeof s.command === 'string' ? [s.command, ...(Array.isArray(s.args) ? s.args.filter((a): a is string => typeof a === 'string') : [])].join(' ') : undefined;
    const url = typeof s.url === 'string' ? s.url : typeof s.httpUrl === 'string' ? s.httpUrl : undefined;
    return { name, source, ...(command === undefined ? {} : { command }), ...(url === undefined ? {} : { url }) };
  });
}

/** What configures the agents in `root` now. */
export function collectConfigEvidence(root: string): ConfigEvidence {
  const files: ConfigEvidence['files'] = [];
  const mcp: ConfigEvidence['mcp_servers'] = [];
  const add = (path: string, kind: string): void => {
    if (files.length >= MAX_FILES) return;
    const stat = statSync(join(root, path), { throwIfNoEntry: false });
    if (!stat?.isFile() || stat.size > MAX_BYTES) return;
    const content = readFileSync(join(root, path));
    files.push({ path, kind, size: content.length, digest: `gitoid:blob:sha1:${blobOid(content)}` });
    if (kind === 'mcp' || kind === 'settings') mcp.push(...mcpServersOf(content.toString('utf8'), path));
  };
  for (const { path, kind } of CONFIG_CANDIDATES) {
    const stat = statSync(join(root, path), { throwIfNoEntry: false });
    if (stat?.isDirectory()) {
      for (const entry of readdirSync(join(root, path)).sort()) add(`${path}/${entry}`, kind);
    } else if (stat?.isFile()) add(path, kind);
  }
  return { files, mcp_servers: mcp };
}

/** Records the evidence once per session, next to its guard marks. */
export function recordConfigEvidence(root: string, file: string): void {
  if (existsSync(file)) return;
  try {
    writeFileSync(file, JSON.stringify(collectConfigEvidence(root)));
  } catch {
    // Evidence is best effort; the decision is what matters here.
  }
}
