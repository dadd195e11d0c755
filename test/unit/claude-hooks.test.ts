// Claude Code's post payloads as the hooks read them: the content before the call, and how long it ran.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hooks } from '../../src/agents/claude/hooks.js';
import type { ToolCall } from '../../src/agents/types.js';

const REAL = fileURLToPath(new URL('../../../shared/fixtures/agents/claude/hooks/cc2.1.197_real-cli_scripted-model_write-edit.jsonl', import.meta.url));

const EVENT_NAMES: Record<string, string> = { PreToolUse: 'pre-tool-use', PostToolUse: 'post-tool-use' };

function tools(): { event: string; tool: ToolCall }[] {
  return readFileSync(REAL, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { hook_event_name: string })
    .filter((payload) => payload.hook_event_name in EVENT_NAMES)
    .map((payload) => {
      const parsed = hooks.parse(EVENT_NAMES[payload.hook_event_name]!, payload);
      if (!parsed.ok) throw new Error(parsed.problems.join('; '));
      return { event: payload.hook_event_name, tool: parsed.events[0]!.tool! };
    });
}

const edit = (response: unknown): ToolCall => ({ name: 'Edit', useId: 't', kind: 'file', input: { file_path: '/r/a.txt', old_string: 'two', new_string: 'TWO' }, response, filePaths: ['/r/a.txt'] });

describe("Claude Code 2.1.197's real Write and Edit post payloads", () => {
  it('carry the content before the call and the call duration; the pre payloads do not', () => {
    const posts = tools().filter(({ event }) => event === 'PostToolUse');
    expect(posts.map(({ tool }) => [tool.name, hooks.reportsContentBefore!(tool), tool.durationMs])).toEqual([
      ['Write', true, 4],
      ['Edit', true, 10],
    ]);
    const [write, change] = posts.map(({ tool }) => tool);
    expect(hooks.contentBeforeCall(write!, 'a.txt', 'one\ntwo\n')).toBeNull();
    expect(hooks.contentBeforeCall(change!, 'a.txt', 'one\nTWO\n')).toBe('one\ntwo\n');
    expect(tools().filter(({ event }) => event === 'PreToolUse').every(({ tool }) => tool.durationMs === undefined && !hooks.reportsContentBefore!(tool))).toBe(true);
  });
});

describe('the content before the call, from originalFile', () => {
  it('is the reported text when the file is not written back with CRLF', () => {
    expect(hooks.contentBeforeCall(edit({ originalFile: 'one\ntwo\n' }), 'a.txt', 'one\nTWO\n')).toBe('one\ntwo\n');
    expect(hooks.contentBeforeCall(edit({ originalFile: 'one\ntwo\n' }), 'a.txt', null)).toBe('one\ntwo\n');
  });

  it('gets its CRLF line endings back when the file was written back with CRLF', () => {
    expect(hooks.contentBeforeCall(edit({ originalFile: 'one\ntwo\n' }), 'a.txt', 'one\r\nTWO\r\n')).toBe('one\r\ntwo\r\n');
    // Already with CR: taken as it is.
    expect(hooks.contentBeforeCall(edit({ originalFile: 'one\r\ntwo\r\n' }), 'a.txt', 'one\r\nTWO\r\n')).toBe('one\r\ntwo\r\n');
  });

  it('is unknown when the file is not UTF-8, or has mixed line endings it cannot have been written with', () => {
    expect(hooks.contentBeforeCall(edit({ originalFile: 'one\ntwo\n' }), 'a.txt', undefined)).toBeUndefined();
    expect(hooks.contentBeforeCall(edit({ originalFile: 'one\ntwo\n' }), 'a.txt', 'one\r\nTWO\n')).toBeUndefined();
  });

  it('is reported only when the response has originalFile (null only for a created file)', () => {
    expect(hooks.reportsContentBefore!(edit({ originalFile: '' }))).toBe(true);
    expect(hooks.reportsContentBefore!(edit({ type: 'create', originalFile: null }))).toBe(true);
    expect(hooks.reportsContentBefore!(edit({ originalFile: null }))).toBe(false);
    expect(hooks.reportsContentBefore!(edit({ filePath: '/r/a.txt' }))).toBe(false);
    expect(hooks.reportsContentBefore!(edit('done'))).toBe(false);
  });
});

describe('duration_ms', () => {
  const payload = (duration: unknown) => ({ session_id: 's1', hook_event_name: 'PostToolUse', tool_name: 'Edit', tool_use_id: 't', tool_input: { file_path: '/r/a.txt', old_string: 'a', new_string: 'b' }, duration_ms: duration });

  it('is read when it is a number of milliseconds, and reported as a problem otherwise', () => {
    const ok = hooks.parse('post-tool-use', payload(12));
    expect(ok.ok && ok.events[0]!.tool!.durationMs).toBe(12);
    const absent = hooks.parse('post-tool-use', payload(undefined));
    expect(absent.ok && absent.events[0]!.tool!.durationMs).toBeUndefined();
    expect(hooks.parse('post-tool-use', payload('12'))).toEqual({ ok: false, ignored: false, problems: ['duration_ms: expected a number of milliseconds'] });
    expect(hooks.parse('post-tool-use', payload(-1))).toMatchObject({ ok: false, problems: ['duration_ms: expected a number of milliseconds'] });
  });
});
