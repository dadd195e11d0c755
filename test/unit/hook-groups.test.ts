import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { formatJson, type HookGroupsConfig, jsonIndent, mergeHookGroups, parseHookGroups, removeHookGroups, traceEventOf } from '../../src/agents/hook-groups.js';

const GUARDED = (event: string, agent = 'claude') => `if command -v trace >/dev/null 2>&1; then trace hook ${agent} ${event}; fi`;
const FORMAT = { hookName: 'claude', docs: 'https://example.com/hooks' };
const TEMPLATE = JSON.parse(readFileSync(new URL('../../hooks/claude/settings.json', import.meta.url), 'utf8')) as HookGroupsConfig;
const SPOOL = (event: string, agent = 'claude') =>
  (TEMPLATE.hooks!.PostToolUse as { hooks: { command: string }[] }[])[0]!.hooks[0]!.command.replace('.claude.post-tool-use.json', `.${agent}.${event}.json`);

describe('traceEventOf', () => {
  it.each([
    ['trace hook claude pre-tool-use', 'pre-tool-use'],
    [GUARDED('session-end'), 'session-end'],
    [GUARDED('pre-tool-use', 'codex'), null],
    ['if command -v trace >/dev/null 2>&1; then trace hook claude-code stop; fi', null],
    ['./check.sh', null],
    ['trace hook claude pre-tool-use && rm -rf /', null],
    [undefined, null],
    [SPOOL('post-tool-use'), 'spooled:post-tool-use'],
    [SPOOL('post-tool-use', 'codex'), null],
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

describe("Claude Code's spooling PostToolUse steps", () => {
  const legacy = {
    hooks: {
      PostToolUse: [{ matcher: 'Write|Edit|MultiEdit|NotebookEdit|Bash', hooks: [{ type: 'command', command: GUARDED('post-tool-use'), timeout: 30 }] }, { matcher: 'Write', hooks: [{ type: 'command', command: './fmt.sh' }] }],
    },
  };

  it('upgrade settings from before them: the Node hook keeps the other tools, Write and Edit spool, Bash goes through its lane', () => {
    const { config, upgraded } = mergeHookGroups(legacy, { hooks: { PostToolUse: TEMPLATE.hooks!.PostToolUse } }, 'claude');
    expect(upgraded).toEqual(['PostToolUse']);
    const groups = config.hooks!.PostToolUse as { matcher: string; hooks: { command: string }[] }[];
    expect(groups.map((group) => [group.matcher, group.hooks.map((handler) => traceEventOf(handler.command, 'claude') ?? handler.command)])).toEqual([
      ['MultiEdit|NotebookEdit', ['post-tool-use']],
      ['Write', ['./fmt.sh']],
      ['Write|Edit', ['spooled:post-tool-use']],
      ['Bash', ['laned:post-tool-use']],
    ]);
    // Current: nothing more to do; uninstall takes both of trace's out and keeps the person's.
    expect(mergeHookGroups(config, { hooks: { PostToolUse: TEMPLATE.hooks!.PostToolUse } }, 'claude').upgraded).toEqual([]);
    expect(removeHookGroups(config, 'claude')).toMatchObject({ handlers: 3, config: { hooks: { PostToolUse: [{ matcher: 'Write', hooks: [{ command: './fmt.sh' }] }] } } });
  });
});
