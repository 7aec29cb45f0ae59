import { Chalk, type ChalkInstance } from 'chalk';
import type { Io } from '../io.js';

export interface OutputOptions {
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

/**
 * Colour decision for the whole run. chalk itself ignores NO_COLOR, so volmig decides:
 * never with --json, --no-color, NO_COLOR, TERM=dumb or FORCE_COLOR=0; forced by FORCE_COLOR>=1; else only on a TTY.
 */
function colorEnabled(io: Io, options: { json?: boolean; color?: boolean }, tty: boolean = io.isTTY): boolean {
  if (options.json) return false;
  if (options.color === false) return false;
  const env = io.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return tty;
}

/** Animation (bars, spinners, redraws) needs stderr on a real terminal and no machine-readable output. */
function interactiveEnabled(io: Io, options: { json?: boolean }): boolean {
  return !options.json && stderrIsTTY(io) && io.env.TERM !== 'dumb';
}

/** stderr's own TTY-ness (io.isTTY says the same for processIo; test ios may set the streams apart). */
function stderrIsTTY(io: Io): boolean {
  return io.stderr.isTTY === undefined ? io.isTTY : Boolean(io.stderr.isTTY);
}

/**
 * The one place commands print through. Results go to stdout; messages, warnings and progress to stderr.
 * With --json, stdout carries only JSON. Each stream has its own styling, decided by that stream's TTY-ness and the
 * colour rules: `volmig history | less` from a terminal stays plain on stdout while stderr keeps its colour.
 */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly debugEnabled: boolean;
  /** stderr is a terminal that may be animated (bars, spinners). */
  readonly interactive: boolean;
  /** Colour for what goes to stdout (results, tables). */
  readonly stdoutStyle: ChalkInstance;
  /** Colour for what goes to stderr (messages, progress). */
  readonly stderrStyle: ChalkInstance;
  readonly stderrColor: boolean;

  constructor(
    readonly io: Io,
    options: OutputOptions,
  ) {
    this.json = Boolean(options.json);
    this.quiet = Boolean(options.quiet);
    this.debugEnabled = Boolean(options.debug);
    this.interactive = interactiveEnabled(io, options);
    this.stderrColor = colorEnabled(io, options, stderrIsTTY(io));
    this.stderrStyle = new Chalk({ level: this.stderrColor ? 1 : 0 });
    this.stdoutStyle = new Chalk({ level: colorEnabled(io, options, Boolean(io.stdout.isTTY)) ? 1 : 0 });
  }

  /** A result line on stdout. */
  result(line: string): void {
    this.io.stdout.write(line.endsWith('\n') ? line : line + '\n');
  }

  /** Raw result text on stdout, for results written piece by piece (a streamed JSON array). */
  resultWrite(text: string): void {
    this.io.stdout.write(text);
  }

  /** A JSON result on stdout (pretty for a document, compact for JSON lines). */
  resultJson(value: unknown, options: { lines?: boolean } = {}): void {
    this.io.stdout.write((options.lines ? JSON.stringify(value) : JSON.stringify(value, null, 2)) + '\n');
  }

  /** An informational message on stderr (suppressed by --quiet). */
  info(line: string): void {
    if (this.quiet) return;
    this.io.stderr.write(line.endsWith('\n') ? line : line + '\n');
  }

  success(line: string): void {
    this.info(this.stderrStyle.green(line));
  }

  warn(line: string): void {
    this.io.stderr.write(this.stderrStyle.yellow(`Warning: ${line}`) + '\n');
  }

  /** An error line on stderr (never suppressed). */
  error(line: string): void {
    this.io.stderr.write(this.stderrStyle.red(line) + '\n');
  }

  /** A raw stderr write (progress renderers). */
  stderrWrite(text: string): void {
    this.io.stderr.write(text);
  }

  debug(line: string): void {
    if (this.debugEnabled) this.io.stderr.write(this.stderrStyle.dim(`[debug] ${line}`) + '\n');
  }
}
