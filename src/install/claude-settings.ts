// Merging trace's hooks into `.claude/settings.json` and taking them out again, keeping everything else.
import { TraceError } from '../errors.js';

export const TRACE_COMMAND_PREFIX = 'trace hook claude ';

interface HookHandler {
  type?: string;
  command?: string;
  [key: string]: unknown;
}
interface HookGroup {
  matcher?: string;
  hooks?: HookHandler[];
  [key: string]: unknown;
}
export interface ClaudeSettings {
  hooks?: Record<string, HookGroup[]>;
  [key: string]: unknown;
}

export function parseSettings(text: string, file: string): ClaudeSettings {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new TraceError('BAD_CONFIG', `${file} is not valid JSON (${(cause as Error).message}); it was left untouched`, {
      cause,
      hint: `fix ${file} by hand, then run \`trace init\` again`,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TraceError('BAD_CONFIG', `${file} must hold a JSON object; it was left untouched`);
  }
  const hooks = (value as ClaudeSettings).hooks;
  if (hooks !== undefined && (typeof hooks !== 'object' || hooks === null || Array.isArray(hooks))) {
    throw new TraceError('BAD_CONFIG', `${file}: "hooks" must be an object; it was left untouched`);
  }
  return value as ClaudeSettings;
}

const isOurs = (handler: HookHandler) => typeof handler.command === 'string' && handler.command.startsWith(TRACE_COMMAND_PREFIX);

/** Adds every template group whose command is not installed yet; returns the events it added to. */
export function mergeHooks(settings: ClaudeSettings, template: ClaudeSettings): { settings: ClaudeSettings; added: string[] } {
  const hooks: Record<string, HookGroup[]> = { ...(settings.hooks ?? {}) };
  const added: string[] = [];
  for (const [event, groups] of Object.entries(template.hooks ?? {})) {
    const existing = Array.isArray(hooks[event]) ? [...hooks[event]] : [];
    for (const group of groups) {
      const commands = (group.hooks ?? []).map((handler) => handler.command);
      const present = existing.some(
        (other) => other.matcher === group.matcher && (other.hooks ?? []).some((handler) => commands.includes(handler.command)),
      );
      if (present) continue;
      existing.push(structuredClone(group));
      added.push(event);
    }
    hooks[event] = existing;
  }
  return { settings: { ...settings, hooks }, added };
}

/** Removes trace's handlers (and the groups and events they leave empty); returns the events it touched. */
export function removeHooks(settings: ClaudeSettings): { settings: ClaudeSettings; removed: string[] } {
  const removed: string[] = [];
  const hooks: Record<string, HookGroup[]> = {};
  for (const [event, groups] of Object.entries(settings.hooks ?? {})) {
    if (!Array.isArray(groups)) {
      hooks[event] = groups;
      continue;
    }
    const kept: HookGroup[] = [];
    for (const group of groups) {
      const handlers = Array.isArray(group.hooks) ? group.hooks : [];
      const remaining = handlers.filter((handler) => !isOurs(handler));
      if (remaining.length !== handlers.length) removed.push(event);
      if (remaining.length > 0 || handlers.length === 0) kept.push(remaining.length === handlers.length ? group : { ...group, hooks: remaining });
    }
    if (kept.length > 0) hooks[event] = kept;
  }
  const result: ClaudeSettings = { ...settings, hooks };
  if (Object.keys(hooks).length === 0) delete result.hooks;
  return { settings: result, removed: [...new Set(removed)] };
}

export function hasTraceHooks(settings: ClaudeSettings): boolean {
  return Object.values(settings.hooks ?? {}).some((groups) => Array.isArray(groups) && groups.some((group) => (group.hooks ?? []).some(isOurs)));
}
