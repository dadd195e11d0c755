import { describe, expect, it } from 'vitest';
import { applyRetention, OUTSIDE_REPO, relativisePath, relativiseText, summariseContent, withoutContents } from '../../src/core/retention.js';

const context = { roots: ['/home/ana/src/acme'], home: '/home/ana' };

describe('retention', () => {
  it.each([
    ['/home/ana/src/acme/src/a.ts', 'src/a.ts'],
    ['/home/ana/src/acme', '.'],
    ['/home/ana/.ssh/id_rsa', '~/.ssh/id_rsa'],
    ['/etc/passwd', OUTSIDE_REPO],
    ['/home/ana/src/acme2/x', '~/src/acme2/x'],
    ['src/a.ts', 'src/a.ts'],
  ])('path %s → %s', (path, expected) => expect(relativisePath(path, context)).toBe(expected));

  it('rewrites the repository and home inside free text, and nothing that merely starts like them', () => {
    expect(relativiseText('cd /home/ana/src/acme && cat /home/ana/src/acme/a.ts ~/x /home/ana/.npmrc /home/anabel /etc/hosts', context)).toBe('cd . && cat a.ts ~/x ~/.npmrc /home/anabel /etc/hosts');
  });

  it('summarises file contents as bytes, lines and git blob id', () => {
    expect(summariseContent('hello\n')).toEqual({ bytes: 6, lines: 1, blob: 'ce013625030ba8dba906f756967f9e9ca394464a' });
    expect(summariseContent('')).toMatchObject({ bytes: 0, lines: 0 });
    expect(summariseContent('a\nb')).toMatchObject({ lines: 2 });
    expect(withoutContents({ file_path: '/x', edits: [{ old_string: 'a', new_string: 'b', replace_all: true }] })).toEqual({
      file_path: '/x',
      edits: [{ old_string: expect.objectContaining({ bytes: 1 }) as unknown, new_string: expect.objectContaining({ bytes: 1 }) as unknown, replace_all: true }],
    });
    expect(withoutContents({ command: 'echo content' })).toEqual({ command: 'echo content' });
  });

  it('full keeps everything as recorded', () => {
    const value = { cwd: '/home/ana/src/acme' };
    expect(applyRetention(value, 'full', context)).toBe(value);
    expect(applyRetention(value, 'prompts', context)).toEqual({ cwd: '.' });
  });
});
