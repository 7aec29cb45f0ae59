import type { Dispatcher } from 'undici';

/** A writable text stream as volmig uses it: process.stdout/stderr in production, a buffer in tests. */
export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Where SIGINT comes from: `process` in production, an EventEmitter in tests. */
export interface SignalSource {
  on(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

/**
 * Everything a command may touch outside its arguments. Tests build one with captured streams,
 * so commands run in-process and never reach the real process object.
 */
export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** stderr is an interactive terminal (drives colour, bars, spinners and prompts). */
  isTTY: boolean;
  /** undici dispatcher; undefined means undici's global dispatcher (which nock replaces in tests). */
  dispatcher?: Dispatcher;
  cwd: string;
  signals?: SignalSource;
  /** Injected clock for deterministic tests of waits; defaults to Date.now. */
  now?: () => number;
  /** Injected sleep; defaults to setTimeout. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected randomness (back-off jitter); defaults to Math.random. */
  random?: () => number;
  /**
   * Process-wide tuning the launcher applies once, just before volmig first talks to a server (V8 flags for
   * flat memory in long listings: bin/volmig.js). Not at startup, so `--help` does not pay for it; absent in tests.
   */
  beforeNetwork?: () => void | Promise<void>;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    isTTY: Boolean(process.stderr.isTTY),
    dispatcher: undefined,
    cwd: process.cwd(),
    signals: process,
  };
}

/** The longest delay a Node timer honours (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function sleepFor(io: Io): (ms: number, signal?: AbortSignal) => Promise<void> {
  return io.sleep ?? defaultSleep;
}

export function nowFor(io: Io): () => number {
  return io.now ?? Date.now;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    // Node fires a timer longer than 2^31-1 ms at once; no wait of volmig's is that long, but never spin.
    const timer = setTimeout(done, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
