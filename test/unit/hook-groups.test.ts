import { describe, expect, it } from 'vitest';
import { formatJson, jsonIndent, mergeHookGroups, parseHookGroups, removeHookGroups, traceEventOf } from '../../src/agents/hook-groups.js';

const GUARDED = (event: string, agent = 'claude') => `if command -v trace >/dev/null 2>&1; then trace hook ${agent} ${event}; fi`;
const FORMAT = { hookName: 'claude', docs: 'https://example.com/hooks' };

describe('traceEventOf', () => {
  it.each([
    ['trace hook claude pre-tool-use', 'pre-tool-use'],
    [GUARDED('session-end'), 'session-end'],
    [GUARDED('pre-tool-use', 'codex'), null],
    ['if command -v trace >/dev/null 2>&1; then trace hook claude-code stop; fi', null],
    ['./check.sh', null],
    ['trace hook claude pre-tool-use && rm -rf /', null],
    [undefined, null],
  ])('%s → %s', (command, expected) => {
    expect(traceEventOf(command, 'claude')).toBe(expected);
  });
});

describe('mergeHookGroups', () => {
  const template = { hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: GUARDED('pre-tool-use'), timeout: 30 }] }] } };

  it('upgrades an old command in place, keeping its group and neighbours', () => {
    const config = { hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './a.sh' }, { type: 'command', command: 'trace hook claude pre-tool-use', timeout: 30 }] }] } };
    const { config: merged, added, upgraded } = mergeHookGroups(config, template, 'claude');
    expect(added).toEqual([]);
    expect(upgraded).toEqual(['PreToolUse']);
    expect(merged.hooks?.PreToolUse).toEqual([{ matcher: 'Bash', hooks: [{ type: 'command', command: './a.sh' }, { type: 'command', command: GUARDED('pre-tool-use'), timeout: 30 }] }]);
    expect(config.hooks.PreToolUse[0]!.hooks[1]!.command).toBe('trace hook claude pre-tool-use');
  });

  it('moves its hook to the template matcher: in place when alone in its group, to a group of its own when not', () => {
    const alone = { hooks: { PreToolUse: [{ matcher: 'Write|Edit|Bash', hooks: [{ type: 'command', command: GUARDED('pre-tool-use'), timeout: 30 }] }] } };
    expect(mergeHookGroups(alone, template, 'claude').config.hooks?.PreToolUse).toEqual(template.hooks.PreToolUse);
    const shared = { hooks: { PreToolUse: [{ matcher: 'Write|Edit|Bash', hooks: [{ type: 'command', command: './mine.sh' }, { type: 'command', command: GUARDED('pre-tool-use'), timeout: 30 }] }] } };
    expect(mergeHookGroups(shared, template, 'claude').config.hooks?.PreToolUse).toEqual([{ matcher: 'Write|Edit|Bash', hooks: [{ type: 'command', command: './mine.sh' }] }, ...template.hooks.PreToolUse]);
  });

  it("leaves another agent's trace hooks alone, and returns the same object when nothing changes", () => {
    const config = { hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: GUARDED('pre-tool-use', 'codex') }] }] } };
    expect(mergeHookGroups(config, template, 'claude').config.hooks?.PreToolUse).toHaveLength(2);
    const current = structuredClone(template);
    expect(mergeHookGroups(current, template, 'claude').config).toBe(current);
  });
});

describe('removeHookGroups', () => {
  it('removes both forms and the groups and events they leave empty, nothing else', () => {
    const config = { hooks: { A: [{ hooks: [{ command: 'trace hook claude a' }] }], B: [{ hooks: [{ command: GUARDED('b') }, { command: 'x' }] }], enabled: true, C: [] } };
    expect(removeHookGroups(config, 'claude')).toEqual({ config: { hooks: { B: [{ hooks: [{ command: 'x' }] }], enabled: true, C: [] } }, removed: ['A', 'B'], handlers: 2 });
  });
});

describe('parseHookGroups', () => {
  it('reports every invalid hook value with its JSON path, switches aside', () => {
    expect(() => parseHookGroups('{"hooks":{"A":"x","B":[1,{"matcher":"m"},{"hooks":[null]}]}}', 's.json', FORMAT)).toThrow(
      /hooks\.A: must be an array[\s\S]*hooks\.B\[0\]: must be an object[\s\S]*hooks\.B\[1\]\.hooks: must be an array[\s\S]*hooks\.B\[2\]\.hooks\[0\]: must be an object/,
    );
    expect(parseHookGroups('{"hooks":{"enabled":false}}', 's.json', { ...FORMAT, switches: ['enabled'] })).toEqual({ hooks: { enabled: false } });
    expect(() => parseHookGroups('{"a": 1, // mine\n}', 's.json', FORMAT)).toThrow(/not valid JSON/);
  });
});

describe('formatJson', () => {
  it('keeps the indentation and the final newline, or their absence', () => {
    expect(jsonIndent('{\n\t"a": 1\n}')).toBe('\t');
    expect(jsonIndent('{"a":1}')).toBe('  ');
    expect(formatJson({ a: [1] }, '{\n    "b": 2\n}')).toBe('{\n    "a": [\n        1\n    ]\n}');
    expect(formatJson({ a: 1 }, '{\n "b": 2\n}\n')).toBe('{\n "a": 1\n}\n');
    expect(formatJson({ a: 1 })).toBe('{\n  "a": 1\n}\n');
  });
});
