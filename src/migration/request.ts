import type { ActionResult, BlockStorageClient } from '../api/block-storage.js';
import { CinderApiError, isPolicyRefusal, RequestOutcomeUnknownError } from '../api/errors.js';
import { ExitCode, ReportedError, VolmigError } from '../errors.js';
import { MAX_TIMER_MS, nowFor, type Io } from '../io.js';
import { DeadlineReason } from './poll.js';
import type { ApiRefusal, RejectedEvent, RequestEvents } from './events.js';
import { readBackBudget, reconcileLostRequest, type ReconcileExpectation, type Reconciliation } from './reconcile.js';
import { apiReason } from './report.js';

/** What migrate and retype share: the events, the run's interruption and the command's deadline. */
export interface RequestContext {
  client: BlockStorageClient;
  io: Io;
  events: RequestEvents;
  /** The run's interruption. */
  signal: AbortSignal;
}

/**
 * The deadline of a whole command (`--wait --timeout`): the lookups, the checks and the request count against it
 * as the watch does, so that a hung API cannot hold the command past it.
 */
export class CommandDeadline {
  readonly at: number | undefined;
  readonly signal: AbortSignal;
  private readonly now: () => number;

  constructor(io: Io, runSignal: AbortSignal, timeoutMs: number | undefined) {
    this.now = nowFor(io);
    this.at = timeoutMs === undefined ? undefined : this.now() + timeoutMs;
    // Node fires a timer longer than 2^31-1 ms (about 24.8 days) at once: a deadline that far away never comes in a run.
    if (timeoutMs === undefined || timeoutMs > MAX_TIMER_MS) {
      this.signal = runSignal;
    } else {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new DeadlineReason('timeout', 'the --timeout passed')), timeoutMs);
      timer.unref?.();
      this.signal = AbortSignal.any([runSignal, controller.signal]);
    }
  }

  get passed(): boolean {
    return this.at !== undefined && this.now() >= this.at;
  }
}

export function apiRefusal(err: CinderApiError): ApiRefusal {
  return { httpStatus: err.status, fault: err.faultName ?? null, message: err.message, requestId: err.requestId ?? null, needsAdmin: isPolicyRefusal(err.status, err.message) };
}

/** Emits the refusal and ends the command with its exit code (the presenter has said everything). */
export function reject(events: RequestEvents, event: Omit<RejectedEvent, 'type'>): never {
  events({ type: 'rejected', ...event });
  throw new ReportedError(event.reasons.join('; '), event.exitCode as ExitCode);
}

/** A lookup before anything is sent (volume, type, pools): its failure is a refusal in the request's words. */
export async function lookUp<T>(p: Promise<T>, refuse: (reason: string, code: number, api: ApiRefusal | null) => never): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof CinderApiError) refuse(apiReason(err), err.exitCode, apiRefusal(err));
    if (err instanceof VolmigError) refuse(err.message, err.exitCode, null);
    throw err;
  }
}

export type SendOutcome =
  | { kind: 'accepted'; result: ActionResult }
  | { kind: 'refused'; error: CinderApiError }
  | { kind: 'lost'; error: RequestOutcomeUnknownError; reconciliation: Reconciliation };

/**
 * Sends the one request of a migrate or a retype. It is never resent: a lost answer is reconciled by reading the
 * volume back (bounded by the command's deadline: about a second past it at most).
 */
export async function sendOnce(
  ctx: RequestContext,
  deadline: CommandDeadline,
  volumeId: string,
  send: (client: BlockStorageClient) => Promise<ActionResult>,
  expectation: ReconcileExpectation,
): Promise<SendOutcome> {
  try {
    return { kind: 'accepted', result: await send(ctx.client.withSignal(deadline.signal)) };
  } catch (err) {
    if (err instanceof CinderApiError) return { kind: 'refused', error: err };
    if (!(err instanceof RequestOutcomeUnknownError)) throw err;
    ctx.events({ type: 'answer-lost', action: expectation.action, volumeId, reason: lostReason(err) });
    const reconciliation = await reconcileLostRequest(ctx.client, volumeId, expectation, {
      io: ctx.io,
      signal: ctx.signal,
      budgetMs: readBackBudget(deadline.at, nowFor(ctx.io)()),
    });
    const v = reconciliation.volume;
    ctx.events({
      type: 'reconciled',
      action: expectation.action,
      volumeId,
      verdict: reconciliation.verdict,
      status: v?.status ?? null,
      migrationStatus: v ? ((v['os-vol-mig-status-attr:migstat'] ?? v.migration_status ?? null) as string | null) : null,
      host: v ? ((v['os-vol-host-attr:host'] as string | null | undefined) ?? null) : null,
      volumeType: v?.volume_type ?? null,
      error: reconciliation.error,
    });
    return { kind: 'lost', error: err, reconciliation };
  }
}

/** "POST …: no answer within 60 s" without the "may or may not have carried it out" that follows. */
function lostReason(err: RequestOutcomeUnknownError): string {
  return err.message.replace(/; the server may.*$/, '');
}
