import { CinderApiError, RequestAbortedError, RequestOutcomeUnknownError } from '../api/errors.js';
import { ExitCode, VolmigError } from '../errors.js';
import { MAX_TIMER_MS, nowFor, sleepFor, type Io } from '../io.js';

/**
 * The one poll engine of volmig: every wait (migrate/retype --wait, progress --watch and --all, evacuate, smoke,
 * recover's sampling) runs its reads through it. It owns the interval, the back-off after failed polls (exponential,
 * jittered, capped), the deadlines and the run's interruption; the caller's tick decides what a poll means.
 */

/** The reason a deadline's AbortSignal carries (read by describeAbortReason in src/api/errors.ts). */
export class DeadlineReason {
  constructor(
    readonly kind: 'timeout' | 'stall',
    readonly describe: string,
  ) {}
}

export interface PollOptions {
  io: Io;
  /** The run's interruption (main's RunInterruption.signal). */
  signal: AbortSignal;
  intervalMs: number;
  /** Upper bound of the back-off after failed polls; never below the interval. Default 60 s. */
  maxBackoffMs?: number;
  /** Absolute time (the io clock) at which the whole wait ends: --timeout. */
  deadlineAt?: number;
}

export interface PollTick {
  /** Aborts on the run's interruption and at the earliest deadline this tick was given (timeout, a stall). */
  signal: AbortSignal;
  /** Failed ticks in a row before this one. */
  failures: number;
  /** 0 for the first tick. */
  index: number;
}

/** What a tick reports: keep polling, keep polling after a failure (backs off), or the wait is over. */
export type TickOutcome = 'continue' | 'failed' | 'done';

export type PollEnd = 'done' | 'interrupted' | 'deadline';

/** How long the one look after a deadline that passed before the first tick may take. */
export const FIRST_LOOK_MS = 1000;

export class PollEngine {
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: PollOptions) {
    this.now = nowFor(options.io);
    this.sleep = sleepFor(options.io);
    this.random = options.io.random ?? Math.random;
  }

  get deadlineAt(): number | undefined {
    return this.options.deadlineAt;
  }

  /**
   * Ticks until the tick says done, the deadline passes or the run is interrupted. `nextDeadline` gives the
   * earliest moment something else must end (a volume's stall deadline): requests in flight are aborted then,
   * and the next tick starts at that moment instead of after the full interval.
   */
  async run(tick: (t: PollTick) => Promise<TickOutcome>, nextDeadline?: () => number | undefined): Promise<PollEnd> {
    const { signal, deadlineAt } = this.options;
    let failures = 0;
    for (let index = 0; ; index++) {
      if (signal.aborted) return 'interrupted';
      const now = this.now();
      // A deadline that passed before the first look (the request itself took all of --timeout) still gets one
      // look, bounded by FIRST_LOOK_MS: a migration that has finished meanwhile is then reported as finished, not as
      // "timed out, continues on the server".
      const late = index === 0 && deadlineAt !== undefined && now >= deadlineAt;
      if (deadlineAt !== undefined && now >= deadlineAt && !late) return 'deadline';
      const own = nextDeadline?.();
      const until = late ? now + FIRST_LOOK_MS : earliest(deadlineAt, own);
      const scope = this.scope(until, late || until === deadlineAt ? new DeadlineReason('timeout', 'the --timeout passed') : new DeadlineReason('stall', 'the --stall-timeout passed'));
      let outcome: TickOutcome;
      try {
        outcome = await tick({ signal: scope.signal, failures, index });
      } finally {
        scope.dispose();
      }
      if (outcome === 'done') return 'done';
      if (signal.aborted) return 'interrupted';
      failures = outcome === 'failed' ? failures + 1 : 0;
      let delay = this.delayAfter(failures);
      const next = earliest(deadlineAt, nextDeadline?.());
      if (next !== undefined) delay = Math.max(0, Math.min(delay, next - this.now()));
      await this.sleep(delay, signal);
    }
  }

  /** The pause before the next tick: the interval, or after failures an exponential back-off with equal jitter. */
  delayAfter(failures: number): number {
    const interval = this.options.intervalMs;
    if (failures === 0) return interval;
    const cap = Math.max(this.options.maxBackoffMs ?? 60_000, interval);
    const ceiling = Math.min(cap, interval * 2 ** failures);
    // At least half the ceiling: many volmig runs against one struggling API do not come back in step.
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** A signal that aborts with the run and, when `until` is set, at that moment. */
  private scope(until: number | undefined, reason: DeadlineReason): { signal: AbortSignal; dispose(): void } {
    if (until === undefined) return { signal: this.options.signal, dispose() {} };
    const controller = new AbortController();
    const left = until - this.now();
    let timer: NodeJS.Timeout | undefined;
    if (left <= 0) controller.abort(reason);
    else if (left <= MAX_TIMER_MS) {
      timer = setTimeout(() => controller.abort(reason), left);
      timer.unref?.();
    }
    return {
      signal: AbortSignal.any([this.options.signal, controller.signal]),
      dispose: () => clearTimeout(timer),
    };
  }
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/**
 * How a failed poll is treated, the same for every wait (the README's table "When a poll fails"):
 * - retry: the API or the network hiccuped (no answer, connection reset, HTTP 5xx, 409, 429, a body that cannot be
 *   read); polled again after a back-off, the wait's deadline still applies;
 * - missing: HTTP 404; read again before concluding that the volume is gone;
 * - end: the answer will not change by asking again (401 after re-authentication, 403: exit 4; another 4xx: exit 5);
 * - stopped: volmig itself stopped the request (Ctrl-C, SIGTERM, a deadline).
 */
export type PollFailure =
  | { kind: 'retry'; description: string }
  | { kind: 'missing'; description: string }
  | { kind: 'end'; exitCode: number; description: string; error: unknown }
  | { kind: 'stopped'; reason: unknown };

export function classifyPollError(err: unknown): PollFailure {
  if (err instanceof RequestAbortedError) return { kind: 'stopped', reason: err.reason };
  if (err instanceof RequestOutcomeUnknownError && err.aborted) return { kind: 'stopped', reason: undefined };
  if (err instanceof CinderApiError) {
    const description = describePollError(err);
    if (err.status === 404) return { kind: 'missing', description };
    if (err.status === 401 || err.status === 403) return { kind: 'end', exitCode: ExitCode.AUTH, description, error: err };
    if (err.status >= 500 || err.status === 409 || err.status === 429 || err.status === 408) return { kind: 'retry', description };
    return { kind: 'end', exitCode: err.exitCode, description, error: err };
  }
  if (err instanceof VolmigError) {
    if (err.exitCode === ExitCode.AUTH) return { kind: 'end', exitCode: ExitCode.AUTH, description: err.message, error: err };
    if (err.exitCode === ExitCode.UNAVAILABLE) return { kind: 'retry', description: err.message };
    return { kind: 'end', exitCode: err.exitCode, description: err.message, error: err };
  }
  // Anything else thrown while reading (a malformed answer the client could not turn into a typed error) is the
  // server's fault until proven otherwise: it is retried, never taken for a bug or for "gone".
  return { kind: 'retry', description: err instanceof Error ? err.message : String(err) };
}

export function describePollError(err: unknown): string {
  if (err instanceof CinderApiError) return `${err.message} (HTTP ${err.status}${err.requestId ? `, request id ${err.requestId}` : ''})`;
  return err instanceof Error ? err.message : String(err);
}
