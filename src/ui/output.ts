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
export function colorEnabled(io: Io, options: { json?: boolean; color?: boolean }, tty: boolean = io.isTTY): boolean {
  if (options.json) return false;
  if (options.color === false) return false;
  const env = io.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return tty;
}

/** Animation (bars, spinners, redraws) needs a real terminal and no machine-readable output. */
export function interactiveEnabled(io: Io, options: { json?: boolean }): boolean {
  return !options.json && io.isTTY && io.env.TERM !== 'dumb';
}

/**
 * The one place commands print through. Results go to stdout; messages, warnings and progress to stderr.
 * With --json, stdout carries only JSON.
 */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly debugEnabled: boolean;
  readonly colorOn: boolean;
  readonly interactive: boolean;
  readonly c: ChalkInstance;
  /** Colour for results on stdout: decided by stdout itself, so `volmig list | less` from a terminal stays plain. */
  readonly cResult: ChalkInstance;

  constructor(
    readonly io: Io,
    options: OutputOptions,
  ) {
    this.json = Boolean(options.json);
    this.quiet = Boolean(options.quiet);
    this.debugEnabled = Boolean(options.debug);
    this.colorOn = colorEnabled(io, options);
    this.interactive = interactiveEnabled(io, options);
    this.c = new Chalk({ level: this.colorOn ? 1 : 0 });
    this.cResult = new Chalk({ level: colorEnabled(io, options, Boolean(io.stdout.isTTY)) ? 1 : 0 });
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
    this.info(this.c.green(line));
  }

  warn(line: string): void {
    this.io.stderr.write(this.c.yellow(`Warning: ${line}`) + '\n');
  }

  /** An error line on stderr (never suppressed). */
  error(line: string): void {
    this.io.stderr.write(this.c.red(line) + '\n');
  }

  /** A raw stderr write (progress renderers). */
  stderrWrite(text: string): void {
    this.io.stderr.write(text);
  }

  debug(line: string): void {
    if (this.debugEnabled) this.io.stderr.write(this.c.dim(`[debug] ${line}`) + '\n');
  }
}
