import type { ProgressSnapshot } from './tracker.js';

/** How one watched volume ended, as far as volmig saw it. */
export type WatchOutcome = 'success' | 'error' | 'timeout' | 'stalled' | 'interrupted' | 'idle' | 'gone';

export interface WatchResult {
  volumeId: string;
  name: string | null;
  /** What was watched: a migration, or a retype (which may include a migration). */
  kind: 'migration' | 'retype';
  outcome: WatchOutcome;
  exitCode: number;
  snapshot: ProgressSnapshot | null;
  /** One line a person reads first (no trailing newline). */
  summary: string;
  /** Explanation lines (error causes, where to look, how to resume). */
  details: string[];
  sourceHost: string | null;
  destinationHost: string | null;
  durationMs: number;
  averageBytesPerSecond: number | null;
  /** A `target:` volume the failed migration left behind, if one was found. */
  leftoverTarget?: string | null;
  /** Volume status after the end (e.g. back to `available`). */
  statusAfter?: string | null;
  volumeType?: string | null;
}

/**
 * Where progress goes. The watch loop (src/migration/wait.ts) only talks to this interface; renderers in src/ui/
 * implement it for a TTY (bars and spinners), plain lines and JSON lines.
 */
export interface ProgressSink {
  update(snapshot: ProgressSnapshot): void;
  /** A transient condition (API error, back-off), optionally about one volume. */
  notice(message: string, volumeId?: string): void;
  result(result: WatchResult): void;
  /** Restore the terminal (cursor, line); safe to call more than once. */
  stop(): void;
}

export type { ProgressSnapshot };
