// What a person sees on a terminal: colour (chalk) and a progress line for long work. Colour only
// when the stream is a terminal and NO_COLOR is not set (https://no-color.org); FORCE_COLOR forces it.
// Never imported by the hook hot path.
import { Chalk, type ChalkInstance } from 'chalk';

type Env = Readonly<Record<string, string | undefined>>;

export interface Stream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/** The colour level for a stream: 0 (none) unless it is a terminal and NO_COLOR is unset. */
export function colourLevel(stream: Pick<Stream, 'isTTY'>, env: Env = process.env): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const forced = env.FORCE_COLOR;
  if (forced !== undefined && forced !== '') {
    if (forced === 'false' || forced === '0') return 0;
    const level = Number(forced);
    return level >= 1 && level <= 3 ? (level as 1 | 2 | 3) : 1;
  }
  if (stream.isTTY !== true || env.TERM === 'dumb') return 0;
  return env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit' ? 3 : 2;
}

export interface Style {
  ai: (text: string) => string;
  human: (text: string) => string;
  ok: (text: string) => string;
  failed: (text: string) => string;
  warning: (text: string) => string;
  dim: (text: string) => string;
  bold: (text: string) => string;
  /** The chalk instance behind it, for the rare case the names above do not cover. */
  chalk: ChalkInstance;
}

/** The house colours, for text written to `stream`. */
export function style(stream: Pick<Stream, 'isTTY'> = process.stdout, env: Env = process.env): Style {
  const chalk = new Chalk({ level: colourLevel(stream, env) });
  return {
    ai: (text) => chalk.magenta(text),
    human: (text) => chalk.cyan(text),
    ok: (text) => chalk.green(text),
    failed: (text) => chalk.red.bold(text),
    warning: (text) => chalk.yellow(text),
    dim: (text) => chalk.dim(text),
    bold: (text) => chalk.bold(text),
    chalk,
  };
}

export interface Progress {
  /** Sets how far the work is; the line is redrawn at most every 100 ms. */
  update(done: number, detail?: string): void;
  /** Clears the line. */
  done(): void;
}

const SILENT: Progress = { update: () => undefined, done: () => undefined };

/**
 * A progress line on stderr (`label 120/1,000 detail`) for work that runs over about a second: it
 * appears only after `delayMs`, only on a terminal, and is cleared when the work is done, so a
 * quick command or a pipe never sees it.
 */
export function progress(label: string, total: number | undefined, options: { stream?: Stream; env?: Env; delayMs?: number; now?: () => number } = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const env = options.env ?? process.env;
  if (stream.isTTY !== true || env.CI === 'true' || env.TRACE_NO_PROGRESS) return SILENT;
  const now = options.now ?? (() => Date.now());
  const started = now();
  const delay = options.delayMs ?? 1000;
  let drawnAt = 0;
  let shown = false;
  const count = new Intl.NumberFormat('en-US');
  return {
    update(done, detail) {
      const at = now();
      if (at - started < delay || at - drawnAt < 100) return;
      drawnAt = at;
      shown = true;
      const amount = total === undefined ? count.format(done) : `${count.format(done)}/${count.format(total)}`;
      const line = `${label} ${amount}${detail ? ` ${detail}` : ''}`;
      const width = Math.max(20, (stream.columns ?? 80) - 1);
      stream.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
