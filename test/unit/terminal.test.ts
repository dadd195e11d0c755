import { describe, expect, it } from 'vitest';
import { colourLevel, progress, style } from '../../src/terminal.js';

describe('colour', () => {
  it('is off for a pipe, with NO_COLOR, and on a dumb terminal', () => {
    expect(colourLevel({ isTTY: false }, {})).toBe(0);
    expect(colourLevel({ isTTY: true }, { NO_COLOR: '1' })).toBe(0);
    expect(colourLevel({ isTTY: true }, { TERM: 'dumb' })).toBe(0);
    expect(colourLevel({ isTTY: true }, {})).toBeGreaterThan(0);
    expect(colourLevel({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(1);
    expect(colourLevel({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(0);
  });

  it('writes escape codes only where colour is on', () => {
    expect(style({ isTTY: false }, {}).ai('ai')).toBe('ai');
    expect(style({ isTTY: true }, {}).ai('ai')).toContain('\x1b[');
    expect(style({ isTTY: true }, { NO_COLOR: '' }).failed('x')).not.toBe('x');
  });
});

describe('progress', () => {
  const sink = (isTTY: boolean) => {
    const written: string[] = [];
    return { written, stream: { isTTY, columns: 40, write: (text: string) => written.push(text) } };
  };

  it('stays silent for quick work and on a pipe', () => {
    let clock = 0;
    const tty = sink(true);
    const quick = progress('verifying', 10, { stream: tty.stream, env: {}, now: () => clock });
    clock = 500;
    quick.update(5);
    quick.done();
    expect(tty.written).toEqual([]);
    const pipe = sink(false);
    const piped = progress('verifying', 10, { stream: pipe.stream, env: {}, now: () => clock });
    clock = 5000;
    piped.update(5);
    expect(pipe.written).toEqual([]);
  });

  it('shows a line after the delay, redraws it at most every 100 ms and clears it', () => {
    let clock = 0;
    const tty = sink(true);
    const line = progress('verifying', 1200, { stream: tty.stream, env: {}, now: () => clock });
    clock = 1100;
    line.update(10, 'commit abc');
    clock = 1150;
    line.update(11);
    clock = 1300;
    line.update(1200);
    line.done();
    expect(tty.written).toEqual(['\r\x1b[2Kverifying 10/1,200 commit abc', '\r\x1b[2Kverifying 1,200/1,200', '\r\x1b[2K']);
  });
});
