import type { ProgressSnapshot } from './tracker.js';

import type { ProgressSourceName } from './sources/probe.js';

export type NoticeKind = 'source' | 'problem';

/**
 * How one watched volume ended, as far as volmig saw it. `denied`: the API refused to show the volume (401 after
 * re-authentication, or 403), so the watch ended without knowing the migration's end.
 */
export type WatchOutcome = 'success' | 'error' | 'timeout' | 'stalled' | 'interrupted' | 'idle' | 'gone' | 'denied';

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
  /** From the migration's start (`durationFrom` start), or only from when this watch began (watch). */
  durationMs: number;
  durationFrom: 'start' | 'watch';
  /** From progress volmig saw move, and only when the whole duration is known; else null. */
  averageBytesPerSecond: number | null;
  /** Where the progress numbers came from (none: the server gave none and no probe could read the storage). */
  source: ProgressSourceName;
  /**
   * An end the server calls a success that was not one (the journal records it as such): `no-op`, the volume did
   * not move; `unclean`, it moved but was attached meanwhile and the old record was left behind.
   */
  end?: 'no-op' | 'unclean';
  /** A `target:` volume the failed migration left behind (or, for an unclean end, the old record), if one was found. */
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
  /**
   * A transient condition (API error, back-off), optionally about one volume. `kind` source: the line naming where a
   * migration's numbers come from (JSON output carries that in every progress event's `source` instead).
   */
  notice(message: string, volumeId?: string, kind?: NoticeKind): void;
  result(result: WatchResult): void;
  /** Restore the terminal (cursor, line); safe to call more than once. */
  stop(): void;
  /** After stop(): the watch was interrupted while migrations go on on the server; how to pick it up again. */
  watchStopped?(resumeCommand: string, migrations: number): void;
}

export type { ProgressSnapshot };
