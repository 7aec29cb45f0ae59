import type { BlockStorageClient } from '../../api/block-storage.js';
import type { Io } from '../../io.js';
import type { RunInterruption } from '../../interruption.js';
import type { Journal } from '../journal.js';
import type { SmokePair } from './pairs.js';

export interface SmokeOptions {
  /** Pools to test; undefined means every pool get_pools reports. */
  pools?: string[];
  sizeGiB: number;
  lock: boolean;
  volumeType?: string;
  /** Per migration (and per volume creation or deletion). */
  timeoutMs: number;
  intervalMs: number;
  keep: boolean;
  /** Pairs run at once (default 1); each has its own volume, so they share nothing but the pools. */
  concurrency?: number;
}

/** What a run will do, before anything is created: --dry-run prints it, the confirmation asks about it. */
export interface SmokePlan {
  pools: string[];
  volumeType: string;
  sizeGiB: number;
  /** Names the test volumes' names carry (the run's start time, UTC). */
  runId: string;
  pairs: PlannedPair[];
}

export interface PlannedPair {
  pair: SmokePair;
  name: string;
  /** The name of the volume created for this pair. */
  volumeName: string;
}

export type SmokeFailureKind = 'setup' | 'rejected' | 'error' | 'timeout' | 'check' | 'interrupted';

export interface SmokeCaseResult {
  pair: SmokePair;
  name: string;
  passed: boolean;
  skipped: boolean;
  durationMs: number;
  volumeId: string | null;
  failure?: { kind: SmokeFailureKind; message: string; details: string[] };
  /** Where the volume was left when --keep or a failed cleanup left it. */
  leftBehind?: string;
}

/** What smoke tells the operator as it goes; src/ui/smoke-presenter.ts renders it. */
export interface SmokeEvents {
  /** A pair begins (before the volume is created). */
  begin?(pair: SmokePair, index: number, total: number): void;
  step?(pair: SmokePair, text: string, index: number, total: number): void;
  result(result: SmokeCaseResult, index: number, total: number): void;
  warn(line: string): void;
}

export interface SmokeRun {
  cases: SmokeCaseResult[];
  pools: string[];
  volumeType: string;
  interrupted: boolean;
  /** Volumes volmig created and could not delete (their ids), so the user can clean up. */
  leftovers: string[];
  startedAt: number;
  endedAt: number;
}

export interface SmokeDeps {
  io: Io;
  client: BlockStorageClient;
  journal: Journal;
  cloud: string;
  events: SmokeEvents;
  /** The run's interruption: the first stops new pairs, a second stops the clean-up too. */
  interruption: RunInterruption;
}

export class StepFailure extends Error {
  constructor(
    readonly kind: SmokeFailureKind,
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}
