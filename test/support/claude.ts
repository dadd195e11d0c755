// The simulated Claude Code of src/agents/claude, under the name the tests use.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
export { SimulatedClaude as FakeClaude } from '../../src/agents/claude/simulator.js';

/** The file tools Claude Code's pre hook matched before Write and Edit's post payloads were trusted for the content before them. */
export const LEGACY_TOOL_MATCHER = 'Write|Edit|MultiEdit|NotebookEdit|Bash';

/**
 * Rewrites the installed `.claude/settings.json` as `trace init` wrote it before the spool and the
 * lanes: PreToolUse for every file tool too, PostToolUse a Node hook for every file tool, and the
 * guard one Node entry: installs made then keep working; pending records.
 */
export function useLegacyClaudeSettings(dir: string): void {
  const path = join(dir, '.claude', 'settings.json');
  const settings = JSON.parse(readFileSync(path, 'utf8')) as { hooks: Record<string, { matcher?: string; hooks?: { command?: string }[] }[]> };
  const shellStep = (group: { hooks?: { command?: string }[] }) => (group.hooks ?? []).some((handler) => /\/spool\/|\/lanes\//.test(handler.command ?? ''));
  for (const event of ['PreToolUse', 'PostToolUse', 'PostToolUseFailure']) {
    const groups = (settings.hooks[event] ?? []).filter((group) => !shellStep(group));
    for (const group of groups) group.matcher = (group.hooks ?? []).some((handler) => handler.command?.includes(' guard;')) ? `${LEGACY_TOOL_MATCHER}|mcp__.*` : LEGACY_TOOL_MATCHER;
    settings.hooks[event] = groups;
  }
  writeFileSync(path, JSON.stringify(settings, null, 2) + '\n');
}

/**
 * Takes trace's guard entries out of `.claude/settings.json`, for tests that count the capture hook
 * processes a call runs (the guard is a hook process of its own, before every guarded call).
 */
export function withoutGuardHooks(dir: string): void {
  const path = join(dir, '.claude', 'settings.json');
  const settings = JSON.parse(readFileSync(path, 'utf8')) as { hooks: Record<string, { hooks?: { command?: string }[] }[]> };
  for (const [event, groups] of Object.entries(settings.hooks)) {
    settings.hooks[event] = groups.filter((group) => !(group.hooks ?? []).some((handler) => /trace hook claude guard(; fi)?$/.test(handler.command ?? '')));
  }
  writeFileSync(path, JSON.stringify(settings, null, 2) + '\n');
}
