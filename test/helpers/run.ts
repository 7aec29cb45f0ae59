import { EventEmitter } from 'node:events';
import type { Dispatcher } from 'undici';
import { main } from '../../src/cli.js';
import type { Io } from '../../src/io.js';

export interface CapturedStream {
  text: string;
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export function capture(isTTY = false): CapturedStream {
  return {
    text: '',
    isTTY,
    columns: 100,
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Both streams are terminals (or neither); stdoutTTY/stderrTTY set them apart. */
  isTTY?: boolean;
  stdoutTTY?: boolean;
  stderrTTY?: boolean;
  dispatcher?: Dispatcher;
  cwd?: string;
  signals?: EventEmitter;
  sleep?: Io['sleep'];
  now?: Io['now'];
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs volmig in-process through main(argv, io) with captured streams; argv excludes "node volmig". */
export async function runVolmig(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const stdout = capture(options.stdoutTTY ?? options.isTTY);
  const stderr = capture(options.stderrTTY ?? options.isTTY);
  const io: Io = {
    stdout,
    stderr,
    env: { HOME: '/nonexistent-volmig-home', ...(options.env ?? {}) },
    // As processIo() has it: io.isTTY is stderr's.
    isTTY: Boolean(options.stderrTTY ?? options.isTTY),
    dispatcher: options.dispatcher,
    cwd: options.cwd ?? '/nonexistent-volmig-cwd',
    signals: options.signals ?? new EventEmitter(),
    sleep: options.sleep,
    now: options.now,
  };
  const code = await main(['node', 'volmig', ...args], io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}
