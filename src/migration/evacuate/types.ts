import type { BlockStorageClient } from '../../api/block-storage.js';
import type { Volume } from '../../model/cinder.js';
import type { Io } from '../../io.js';
import type { Journal } from '../journal.js';
import type { MigrationTracker, ProgressSnapshot } from '../tracker.js';

/** What the operator asked for (already validated by the command). */
export interface EvacuationRequest {
  /** `host@backend` (every pool) or `host@backend#pool`. */
  from: string;
  /** One or more destination pools; with several, each volume goes where most free capacity is left. */
  to: string[];
  volumeType?: string;
  project?: string;
  includeInUse: boolean;
  order: 'size' | 'created';
  /** lock_volume: an available volume goes to `maintenance` for its migration. */
  force: boolean;
  forceHostCopy: boolean;
}

export interface EvacuationLimits {
  concurrency: number;
  maxPerDestination: number;
  continueOnError: boolean;
  timeoutMs?: number;
  intervalMs: number;
}

/**
 * The pre-flight check of one move, from the migration commands (src/migration/preflight.ts): null when the
 * migration may be requested, else the reason in the words `volmig migrate` would use.
 */
export type MovePreflight = (volume: Volume, destination: string) => Promise<string | null>;

export type PlannedAction = 'migrate' | 'follow';

export interface PlannedMove {
  volume: Volume;
  /** Destination pool; null only for a followed migration whose destination the API does not show. */
  destination: string | null;
  action: PlannedAction;
  /** For a followed migration that an earlier volmig run sent: when (from the journal). */
  requestedAt?: number;
}

export interface PlanRefusal {
  volume: Volume;
  reason: string;
}

export interface AlreadyMoved {
  volume_id: string;
  volume_name: string | null;
  destination: string | null;
  time: string;
}

export interface EvacuationPlan {
  request: EvacuationRequest;
  /** Followed migrations first (they already run), then new ones in the requested order. */
  moves: PlannedMove[];
  refusals: PlanRefusal[];
  /** Moved by an earlier run of this evacuation (from the journal), no longer on the source. */
  alreadyMoved: AlreadyMoved[];
  /** Volumes on the source after filtering (moves + refusals). */
  selectedCount: number;
  /** Things the operator should know that refuse nothing (e.g. a --from that names no known pool). */
  warnings: string[];
  totalBytes: number;
}

/**
 * Where a move stands. queued → (launching) → active → one of the ends; an end is final.
 * - moved: the volume reached the destination; already-there: it was there before volmig sent anything;
 * - failed: the migration ended in error, or the volume could not be read within the retry budget;
 * - rejected: Cinder refused the request; unknown: an answer was lost and the read-back could not tell;
 * - running: still migrating on the server when the run ended (timeout, Ctrl-C);
 * - not-started: never sent (the run stopped first); refused: the plan refused it (never a state's result).
 */
export type MoveResult = 'moved' | 'already-there' | 'failed' | 'rejected' | 'unknown' | 'running' | 'not-started' | 'refused';

export type MoveStage = 'queued' | 'active' | 'ended';

export interface MoveState {
  /** The planned move, as planned: never changed while the run goes on. */
  readonly move: PlannedMove;
  stage: MoveStage;
  /** What the move is now: the plan's action, or `follow` when the volume turned out to be migrating already. */
  action: PlannedAction;
  /** Where it is going: the plan's destination, or what the server showed for a followed migration. */
  destination: string | null;
  result: MoveResult | 'queued' | 'active';
  startedAt: number | null;
  endedAt: number | null;
  reason?: string;
  requestId?: string;
  snapshot: ProgressSnapshot | null;
  tracker: MigrationTracker | null;
  /** Counted against the caps until finished. */
  holdsSlot: boolean;
  /** Polls in a row that showed no migration at all. */
  quietPolls: number;
  /** Failed reads in a row (said once per streak, bounded by the retry budget). */
  failedReads: number;
  /** 404s in a row: one is read again, two mean the volume is gone. */
  missingReads: number;
}

/** A move as the run starts it: queued, going where the plan said, nothing read yet. */
export function queuedMoveState(move: PlannedMove): MoveState {
  return {
    move,
    stage: 'queued',
    action: move.action,
    destination: move.destination,
    result: 'queued',
    startedAt: null,
    endedAt: null,
    snapshot: null,
    tracker: null,
    holdsSlot: false,
    quietPolls: 0,
    failedReads: 0,
    missingReads: 0,
  };
}

export interface AggregateProgress {
  total: number;
  done: number;
  failed: number;
  running: number;
  totalBytes: number;
  bytesDone: number;
  rateBytesPerSecond: number | null;
  etaMs: number | null;
  elapsedMs: number;
}

/** Receives what happens, in order; the command picks a TTY, plain-line or JSON-lines implementation (src/ui/). */
export interface EvacuationRenderer {
  started(state: MoveState, aggregate: AggregateProgress): void;
  /** Every successful poll of a running move (progress() follows only when something changed). */
  observed?(state: MoveState): void;
  progress(state: MoveState, aggregate: AggregateProgress): void;
  finished(state: MoveState, aggregate: AggregateProgress): void;
  /** A notice that must stay readable above the bars (stop after a failure, Ctrl-C, timeout). */
  notice(line: string): void;
  stop(): void;
}

export type EvacuationEnd = 'completed' | 'stopped-after-failure' | 'interrupted' | 'timeout' | 'denied' | 'unavailable';

export interface EvacuationOutcome {
  end: EvacuationEnd;
  states: MoveState[];
  aggregate: AggregateProgress;
  /** 0 all moved, 1 something failed or was refused, 4 not allowed, 6 the API kept failing, 7 timeout, 130/143 interrupted. */
  exitCode: number;
}

export interface RunDeps {
  io: Io;
  client: BlockStorageClient;
  journal: Journal;
  cloud: string;
  renderer: EvacuationRenderer;
  /** The run's interruption. */
  signal: AbortSignal;
  /** 130 after Ctrl-C, 143 after SIGTERM. */
  interruptedExitCode?: () => number;
}
