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

describe('the content before and after a spooled call, from the payload alone', () => {
  const contents = (tool: ToolCall, onDisk: string | null | undefined) => {
    const result = hooks.contentsFromPayload!(tool, typeof onDisk === 'string' ? Buffer.from(onDisk, 'utf8') : onDisk);
    return result && { before: result.before?.toString('utf8') ?? null, after: result.after.toString('utf8') };
  };

  it("rebuilds the real payloads' Write and Edit, the file on disk still as they left it", () => {
    const posts = tools().filter(({ event }) => event === 'PostToolUse');
    expect(posts.map(({ tool }) => contents(tool, tool.name === 'Write' ? 'one\ntwo\n' : 'one\nTWO\n'))).toEqual([
      { before: null, after: 'one\ntwo\n' },
      { before: 'one\ntwo\n', after: 'one\nTWO\n' },
    ]);
  });

  it('keeps the payload over a file changed since, in the line endings the file has', () => {
    const tool = edit({ originalFile: 'one\ntwo\n', structuredPatch: [] });
    expect(contents(tool, 'one\nTWO\nmine\n')).toEqual({ before: 'one\ntwo\n', after: 'one\nTWO\n' });
    expect(contents(tool, 'one\r\nTWO\r\n')).toEqual({ before: 'one\r\ntwo\r\n', after: 'one\r\nTWO\r\n' });
    expect(contents(tool, 'one\r\nTWO\r\nmine\r\n')).toEqual({ before: 'one\r\ntwo\r\n', after: 'one\r\nTWO\r\n' });
    expect(contents(tool, null)).toEqual({ before: 'one\ntwo\n', after: 'one\nTWO\n' });
  });

  it('applies replace_all, the reported strings, then the structuredPatch', () => {
    const all = { ...edit({ originalFile: 'two two\n' }), input: { file_path: '/r/a.txt', old_string: 'two', new_string: 'TWO', replace_all: true } };
    expect(contents(all, 'TWO TWO\n')?.after).toBe('TWO TWO\n');
    // Claude Code found the text with other quotes: its response says what it replaced.
    const quoted = { ...edit({ originalFile: 'say “two”\n', oldString: '“two”', newString: '“TWO”' }), input: { file_path: '/r/a.txt', old_string: '"two"', new_string: '"TWO"' } };
    expect(contents(quoted, 'say “TWO”\n')?.after).toBe('say “TWO”\n');
    const patched = edit({ originalFile: 'one\nthree\n', structuredPatch: [{ oldStart: 1, oldLines: 2, newStart: 1, newLines: 3, lines: [' one', '+two', ' three'] }] });
    expect(contents(patched, 'x')?.after).toBe('one\ntwo\nthree\n');
  });

  it('cannot rebuild a call whose edit does not apply, a file that is not UTF-8, or a payload without originalFile', () => {
    expect(contents(edit({ originalFile: 'nothing here\n', structuredPatch: [] }), 'x')).toBeUndefined();
    expect(hooks.contentsFromPayload!(edit({ originalFile: 'one\ntwo\n' }), Buffer.from([0x6f, 0xe9, 0x0a]))).toBeUndefined();
    expect(contents(edit({ filePath: '/r/a.txt' }), 'one\nTWO\n')).toBeUndefined();
    expect(contents(edit({ originalFile: 'one\ntwo\n' }), undefined)).toBeUndefined();
  });
});
