import { describe, expect, it } from 'vitest';
import { formatSettings, jsonIndent, mergeHooks, parseSettings, removeHooks, traceHookOf } from '../../src/agents/claude/install.js';

const GUARDED = (event: string) => `if command -v trace >/dev/null 2>&1; then trace hook claude ${event}; fi`;

describe('traceHookOf', () => {
  it.each([
    ['trace hook claude pre-tool-use', 'claude pre-tool-use'],
    [GUARDED('session-end'), 'claude session-end'],
    ['if command -v trace >/dev/null 2>&1; then trace hook claude-code stop; fi', 'claude-code stop'],
    ['./check.sh', null],
    ['trace hook claude pre-tool-use && rm -rf /', null],
    [undefined, null],
  ])('%s → %s', (command, expected) => {
    expect(traceHookOf(command)).toBe(expected);
  });
});

describe('mergeHooks', () => {
  const template = { hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: GUARDED('pre-tool-use') }] }] } };

  it('upgrades an old command in place, keeping its group and neighbours', () => {
    const settings = { hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './a.sh' }, { type: 'command', command: 'trace hook claude pre-tool-use', timeout: 30 }] }] } };
    const { settings: merged, added, upgraded } = mergeHooks(settings, template);
    expect(added).toEqual([]);
    expect(upgraded).toEqual(['PreToolUse']);
    expect(merged.hooks?.PreToolUse).toEqual([{ matcher: 'Bash', hooks: [{ type: 'command', command: './a.sh' }, { type: 'command', command: GUARDED('pre-tool-use'), timeout: 30 }] }]);
    expect(settings.hooks.PreToolUse[0]!.hooks[1]!.command).toBe('trace hook claude pre-tool-use');
  });

  it('moves a hook installed under an older matcher to the current one, in its group when the group is only trace\'s', () => {
    const settings = { hooks: { PreToolUse: [{ matcher: 'Write|Edit|Bash', hooks: [{ type: 'command', command: GUARDED('pre-tool-use'), timeout: 30 }] }] } };
    const { settings: merged, added, upgraded } = mergeHooks(settings, template);
    expect([added, upgraded]).toEqual([[], ['PreToolUse']]);
    expect(merged.hooks?.PreToolUse).toEqual([{ matcher: 'Bash', hooks: [{ type: 'command', command: GUARDED('pre-tool-use'), timeout: 30 }] }]);
    expect(settings.hooks.PreToolUse[0]!.matcher).toBe('Write|Edit|Bash');
    expect(mergeHooks(merged, template).settings).toBe(merged);
  });

  it("takes the hook out of an older matcher's group shared with other handlers, which keep their matcher", () => {
    const settings = { hooks: { PreToolUse: [{ matcher: 'Write|Edit|Bash', hooks: [{ type: 'command', command: './a.sh' }, { type: 'command', command: 'trace hook claude pre-tool-use' }] }] } };
    const { settings: merged, upgraded } = mergeHooks(settings, template);
    expect(upgraded).toEqual(['PreToolUse']);
    expect(merged.hooks?.PreToolUse).toEqual([
      { matcher: 'Write|Edit|Bash', hooks: [{ type: 'command', command: './a.sh' }] },
      { matcher: 'Bash', hooks: [{ type: 'command', command: GUARDED('pre-tool-use') }] },
    ]);
  });

  it('returns the same object when nothing changes', () => {
    const settings = structuredClone(template);
    expect(mergeHooks(settings, template).settings).toBe(settings);
  });

  it('removes both forms', () => {
    const settings = { hooks: { A: [{ hooks: [{ command: 'trace hook claude a' }] }], B: [{ hooks: [{ command: GUARDED('b') }, { command: 'x' }] }] } };
    expect(removeHooks(settings).settings).toEqual({ hooks: { B: [{ hooks: [{ command: 'x' }] }] } });
  });
});

describe('parseSettings', () => {
  it('reports every invalid hook value with its JSON path', () => {
    expect(() => parseSettings('{"hooks":{"A":"x","B":[1,{"matcher":"m"},{"hooks":[null]}]}}', 's.json')).toThrow(
      /hooks\.A: must be an array[\s\S]*hooks\.B\[0\]: must be an object[\s\S]*hooks\.B\[1\]\.hooks: must be an array[\s\S]*hooks\.B\[2\]\.hooks\[0\]: must be an object/,
    );
  });
});

describe('formatSettings', () => {
  it('keeps the indentation and the final newline, or their absence', () => {
    expect(jsonIndent('{\n\t"a": 1\n}')).toBe('\t');
    expect(jsonIndent('{"a":1}')).toBe('  ');
    expect(formatSettings({ a: [1] }, '{\n    "b": 2\n}')).toBe('{\n    "a": [\n        1\n    ]\n}');
    expect(formatSettings({ a: 1 }, '{\n "b": 2\n}\n')).toBe('{\n "a": 1\n}\n');
    expect(formatSettings({ a: 1 })).toBe('{\n  "a": 1\n}\n');
  });
});
