import { CinderApiError, RequestOutcomeUnknownError } from '../../api/errors.js';
import { isInFlight, normalizedMigrationStatus, volumeHost, volumeLabel as label, type Volume } from '../../model/cinder.js';
import { ExitCode } from '../../errors.js';
import { nowFor } from '../../io.js';
import type { JournalEntry } from '../journal.js';
import { hostMatches } from '../list.js';
import { isTerminal } from '../phases.js';
import { classifyPollError, PollEngine, type PollEnd } from '../poll.js';
import { readBackBudget, reconcileLostRequest } from '../reconcile.js';
import { apiReason } from '../report.js';
import { MigrationTracker, type ProgressSnapshot } from '../tracker.js';
import { computeAggregate } from './aggregate.js';
import { evacuationExitCode, failureReason, notStartedReason } from './ends.js';
import { evacuationTag } from './plan.js';
import { SlotScheduler } from './scheduler.js';
import type { AggregateProgress, EvacuationEnd, EvacuationLimits, EvacuationOutcome, EvacuationPlan, MoveResult, MoveState, PlannedMove, RunDeps } from './types.js';
import { queuedMoveState } from './types.js';

/** Failed reads in a row after which a volume's state is given up as unknown (with the back-off, minutes). */
const VOLUME_READ_BUDGET = 8;
/** Failed reads over the whole run after which it stops starting migrations and ends, saying what it knows. */
const RUN_READ_BUDGET = 40;

/**
 * Runs a plan: starts moves under the caps, polls every running volume each interval, records every request and
 * result in the journal, and stops starting new ones after a failure (unless continueOnError), on Ctrl-C or at the
 * deadline. It never sends a migration for a volume that is already migrating or already on the destination: each
 * volume is read back right before its request, and a lost answer is reconciled by reading the volume, never resent.
 *
 * Each move is a small state machine (MoveState.stage queued → active → ended); the plan itself is never changed.
 * One poll engine drives it: a tick polls the active moves, then starts what the caps allow.
 */
export async function runEvacuation(plan: EvacuationPlan, limits: EvacuationLimits, deps: RunDeps): Promise<EvacuationOutcome> {
  return new EvacuationRun(plan, limits, deps).execute();
}

class EvacuationRun {
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly states: MoveState[];
  private readonly byMove: Map<PlannedMove, MoveState>;
  private readonly scheduler: SlotScheduler<PlannedMove>;
  private end: EvacuationEnd = 'completed';
  private stopStarting = false;
  private runFailedReads = 0;
  private readFailedThisTick = false;

  constructor(
    private readonly plan: EvacuationPlan,
    private readonly limits: EvacuationLimits,
    private readonly deps: RunDeps,
  ) {
    this.now = nowFor(deps.io);
    this.startedAt = this.now();
    this.states = plan.moves.map(queuedMoveState);
    this.byMove = new Map(this.states.map((s) => [s.move, s]));
    this.scheduler = new SlotScheduler(
      plan.moves.filter((m) => m.action === 'migrate'),
      { concurrency: limits.concurrency, maxPerDestination: limits.maxPerDestination },
    );
  }

  async execute(): Promise<EvacuationOutcome> {
    for (const state of this.states) {
      if (state.move.action !== 'follow') continue;
      this.scheduler.adopt(state.move);
      state.holdsSlot = true;
      this.beginTracking(state, state.move.volume);
    }
    const engine = new PollEngine({
      io: this.deps.io,
      signal: this.deps.signal,
      intervalMs: this.limits.intervalMs,
      deadlineAt: this.limits.timeoutMs !== undefined ? this.startedAt + this.limits.timeoutMs : undefined,
    });
    let stopped: PollEnd = 'done';
    try {
      stopped = await engine.run(async ({ signal, index }) => {
        this.readFailedThisTick = false;
        if (index > 0) await this.pollActive(signal);
        if (this.end === 'denied' || this.end === 'unavailable') return 'done';
        if (!this.stopStarting) await this.launchWhatMay(signal);
        if (this.active().length === 0 && (this.stopStarting || this.scheduler.pending === 0)) return 'done';
        return this.readFailedThisTick ? 'failed' : 'continue';
      });
    } catch (err) {
      // Whatever happened, the operator gets the summary of what was sent and where it stands.
      this.deps.renderer.notice(`The evacuation stopped on an unexpected error: ${err instanceof Error ? err.message : String(err)}`);
      this.end = 'unavailable';
    }
    if (stopped === 'interrupted') this.end = 'interrupted';
    else if (stopped === 'deadline') this.end = 'timeout';
    await this.closeRemaining();
    this.deps.renderer.stop();
    const aggregate = computeAggregate(this.states, this.now() - this.startedAt);
    return { end: this.end, states: this.states, aggregate, exitCode: this.exitCode() };
  }

  private exitCode(): number {
    return evacuationExitCode(this.end, this.states, this.plan.refusals.length, this.deps.interruptedExitCode);
  }

  private active(): MoveState[] {
    return this.states.filter((s) => s.stage === 'active');
  }

  private aggregate(): AggregateProgress {
    return computeAggregate(this.states, this.now() - this.startedAt);
  }

  private record(state: MoveState, outcome: JournalEntry['outcome'], extra: { reason?: string; request_id?: string } = {}): Promise<void> {
    return this.deps.journal.append({
      cloud: this.deps.cloud,
      action: 'migrate',
      volume_id: state.move.volume.id,
      volume_name: state.move.volume.name ?? null,
      source_host: volumeHost(state.move.volume),
      destination: state.destination,
      options: { force: this.plan.request.force, force_host_copy: this.plan.request.forceHostCopy, evacuation: evacuationTag(this.plan.request) },
      outcome,
      ...extra,
    });
  }

  private finish(state: MoveState, result: MoveResult, reason?: string): void {
    state.stage = 'ended';
    state.result = result;
    state.startedAt ??= this.now();
    state.endedAt = this.now();
    if (reason !== undefined) state.reason = reason;
    if (state.holdsSlot) {
      state.holdsSlot = false;
      this.scheduler.release(state.move);
    }
    this.deps.renderer.finished(state, this.aggregate());
    const bad = result === 'failed' || result === 'rejected' || result === 'unknown';
    if (bad && !this.limits.continueOnError && !this.stopStarting) {
      this.stopStarting = true;
      this.end = 'stopped-after-failure';
      this.scheduler.stop();
      this.deps.renderer.notice(`Not starting new migrations after the failure of ${label(state.move.volume)} (use --continue-on-error to go on).`);
    }
  }

  private beginTracking(state: MoveState, baseline: Volume | null): void {
    state.stage = 'active';
    state.result = 'active';
    state.startedAt = this.now();
    state.tracker = new MigrationTracker({
      volumeId: state.move.volume.id,
      // A followed migration's start is known only when an earlier volmig run sent it (the journal); otherwise its
      // durations are the watch's own and say so.
      startedAt: state.action === 'migrate' ? state.startedAt : (state.move.requestedAt ?? null),
      watchStartedAt: state.startedAt,
      destination: state.destination,
      baseline: baseline
        ? { host: volumeHost(baseline), migrationStatus: normalizedMigrationStatus(baseline), updatedAt: baseline.updated_at ?? null }
        : undefined,
    });
    this.deps.renderer.started(state, this.aggregate());
  }

  /** Starts as many queued moves as the caps allow, in plan order. */
  private async launchWhatMay(signal: AbortSignal): Promise<void> {
    let item: PlannedMove | undefined;
    while (!signal.aborted && !this.stopStarting && (item = this.scheduler.take()) !== undefined) {
      const state = this.byMove.get(item)!;
      state.holdsSlot = true;
      const requeue = await this.launch(state, signal);
      if (requeue) break;
    }
  }

  /** Reads the volume back, then sends its one request. True when the read failed and the move waits for the next tick. */
  private async launch(state: MoveState, signal: AbortSignal): Promise<boolean> {
    const { move } = state;
    const client = this.deps.client.withSignal(signal);
    let fresh: Volume;
    try {
      fresh = await client.getVolume(move.volume.id);
      state.failedReads = 0;
    } catch (err) {
      const failure = classifyPollError(err);
      if (failure.kind === 'stopped') {
        this.putBack(state);
        return true;
      }
      if (failure.kind === 'end' && failure.exitCode === ExitCode.AUTH) return this.deny(state, failure.description);
      if (failure.kind === 'retry' && this.noteFailedRead(state, failure.description) === 'retry') {
        this.putBack(state);
        return true;
      }
      this.finish(state, 'failed', `could not read the volume before migrating it: ${failure.description}`);
      return false;
    }
    if (move.destination !== null && hostMatches(fresh, move.destination) && !isInFlight(fresh)) {
      this.finish(state, 'already-there');
      return false;
    }
    if (isInFlight(fresh)) {
      // Someone (or an earlier run) started it since the plan was made: follow, never send a second request.
      state.action = 'follow';
      this.beginTracking(state, fresh);
      return false;
    }
    if (!hostMatches(fresh, this.plan.request.from)) {
      this.finish(state, 'failed', `it left ${this.plan.request.from} for ${volumeHost(fresh) ?? 'no host'} since the plan was made`);
      return false;
    }
    try {
      const answer = await client.migrateVolume(move.volume.id, {
        host: move.destination ?? undefined,
        forceHostCopy: this.plan.request.forceHostCopy,
        lockVolume: this.plan.request.force,
      });
      state.requestId = answer.requestId;
      await this.record(state, 'requested', answer.requestId ? { request_id: answer.requestId } : {});
      if (answer.unreadableBody) this.deps.renderer.notice(`The migration request for ${label(move.volume)} was accepted but its answer could not be read; following it.`);
      this.beginTracking(state, fresh);
    } catch (err) {
      if (err instanceof CinderApiError) {
        await this.record(state, 'rejected', { reason: err.message, ...(err.requestId ? { request_id: err.requestId } : {}) });
        this.finish(state, 'rejected', `Your migration request failed to process: ${apiReason(err)}`);
        return false;
      }
      if (!(err instanceof RequestOutcomeUnknownError)) throw err;
      await this.record(state, 'unknown', { reason: err.message });
      await this.reconcile(state, fresh, err);
    }
    return false;
  }

  /** A lost answer: the volume is read back (with retries) and the move goes on from what it shows. */
  private async reconcile(state: MoveState, fresh: Volume, err: RequestOutcomeUnknownError): Promise<void> {
    const baseline = { host: volumeHost(fresh), migrationStatus: normalizedMigrationStatus(fresh), updatedAt: fresh.updated_at ?? null };
    const deadlineAt = this.limits.timeoutMs !== undefined ? this.startedAt + this.limits.timeoutMs : undefined;
    const r = await reconcileLostRequest(
      this.deps.client,
      state.move.volume.id,
      { action: 'migration', baseline, destination: state.destination },
      { io: this.deps.io, signal: this.deps.signal, budgetMs: readBackBudget(deadlineAt, this.now()) },
    );
    if (r.verdict === 'moved') {
      await this.record(state, 'success');
      this.finish(state, 'moved');
    } else if (r.verdict === 'started') {
      this.beginTracking(state, fresh);
    } else if (r.verdict === 'not-started') {
      this.finish(state, 'failed', `the migration request got no answer and the volume shows no migration; not sent again (${err.message})`);
    } else {
      this.finish(state, 'unknown', `the migration request got no answer and the volume could not be read back (${r.error}); whether it started is unknown: check with volmig show ${state.move.volume.id}`);
    }
  }

  private putBack(state: MoveState): void {
    state.holdsSlot = false;
    this.scheduler.putBack(state.move);
  }

  /** Counts a failed read against the volume's and the run's budgets: 'retry' while both last. */
  private noteFailedRead(state: MoveState, description: string): 'retry' | 'exhausted' {
    this.readFailedThisTick = true;
    this.runFailedReads += 1;
    state.failedReads += 1;
    if (state.failedReads === 1) this.deps.renderer.notice(`Could not read volume ${label(state.move.volume)}: ${description}; retrying.`);
    if (this.runFailedReads >= RUN_READ_BUDGET && this.end !== 'unavailable') {
      this.end = 'unavailable';
      this.stopStarting = true;
      this.scheduler.stop();
      this.deps.renderer.notice(`The Block Storage API failed ${this.runFailedReads} reads during this evacuation; not starting new migrations.`);
    }
    return state.failedReads >= VOLUME_READ_BUDGET || this.end === 'unavailable' ? 'exhausted' : 'retry';
  }

  /** 401/403: reading volumes is not allowed any more; the run stops, the migrations go on on the server. */
  private deny(state: MoveState, description: string): boolean {
    if (this.end !== 'denied') this.deps.renderer.notice(`Reading volumes is not allowed (${description}); stopping. Migrations already sent go on on the server.`);
    this.end = 'denied';
    this.stopStarting = true;
    this.scheduler.stop();
    if (state.stage === 'queued') this.putBack(state);
    return true;
  }

  private async pollActive(signal: AbortSignal): Promise<void> {
    const client = this.deps.client.withSignal(signal);
    const running = this.active();
    const answers = await Promise.all(
      running.map((state) =>
        client.getVolume(state.move.volume.id).then(
          (v) => ({ state, v, err: undefined as unknown }),
          (err: unknown) => ({ state, v: undefined, err }),
        ),
      ),
    );
    for (const { state, v, err } of answers) {
      if (state.stage !== 'active') continue;
      if (v === undefined) await this.onPollError(state, err);
      else await this.observe(state, v);
    }
  }

  private async onPollError(state: MoveState, err: unknown): Promise<void> {
    const failure = classifyPollError(err);
    if (failure.kind === 'stopped') return;
    if (failure.kind === 'missing') {
      state.missingReads += 1;
      this.readFailedThisTick = true;
      if (state.missingReads >= 2) {
        const reason = 'the volume no longer exists (HTTP 404 twice in a row)';
        await this.record(state, 'unknown', { reason });
        this.finish(state, 'failed', reason);
      }
      return;
    }
    if (failure.kind === 'end') {
      if (failure.exitCode === ExitCode.AUTH) this.deny(state, failure.description);
      else this.finish(state, 'unknown', `could not read the volume: ${failure.description}`);
      return;
    }
    if (this.noteFailedRead(state, failure.description) === 'exhausted') {
      this.finish(state, 'unknown', `could not be read ${state.failedReads} times in a row (${failure.description}); it may still be migrating: check with volmig show ${state.move.volume.id}`);
    }
  }

  private async observe(state: MoveState, v: Volume): Promise<void> {
    state.failedReads = 0;
    state.missingReads = 0;
    if (!state.tracker) return;
    const snap = state.tracker.observe(v, this.now());
    state.snapshot = snap;
    this.deps.renderer.observed?.(state);
    if (state.destination === null && snap.destination) state.destination = snap.destination;
    if (isTerminal(snap.phase)) {
      const attachments = Array.isArray(v.attachments) ? v.attachments : [];
      if (snap.phase === 'success' && v.status === 'available' && attachments.length > 0) {
        // Real Cinder's end of an attach during an unlocked generic copy: moved, but not cleanly (see successResult).
        const reason =
          `moved, but it was attached during the migration, which was not locked: it reads available with attachment ${attachments.map((a) => a.attachment_id ?? a.id).join(', ')}, ` +
          `and Cinder may have left its old record in deleting; clean up with: volmig recover ${v.id}`;
        await this.record(state, 'unclean', { reason });
        this.finish(state, 'failed', reason);
        return;
      }
      const ok = snap.phase === 'success';
      const reason = ok ? undefined : await this.failureReason(v, snap);
      await this.record(state, ok ? 'success' : 'error', reason ? { reason } : {});
      this.finish(state, ok ? 'moved' : 'failed', reason);
    } else if ((snap.phase === 'pending' || snap.phase === 'idle') && !isInFlight(v)) {
      // Cinder records `starting` before it answers 202, so a volume that shows no migration at all either finished
      // before volmig looked (a followed one) or was reset by someone: decide from what it shows.
      state.quietPolls += 1;
      if (state.action === 'follow' || state.quietPolls >= 3) {
        const ms = normalizedMigrationStatus(v);
        const onDestination = state.destination !== null ? hostMatches(v, state.destination) : !hostMatches(v, this.plan.request.from);
        if (ms === 'success' && onDestination) {
          await this.record(state, 'success');
          this.finish(state, 'moved');
        } else {
          const reason =
            ms === 'error'
              ? await this.failureReason(v, snap)
              : `the volume shows no migration any more (migration status ${ms ?? 'none'}, host ${volumeHost(v) ?? 'none'}); it may have been reset`;
          await this.record(state, ms === 'error' ? 'error' : 'unknown', { reason });
          this.finish(state, 'failed', reason);
        }
      }
    } else {
      state.quietPolls = 0;
      if (snap.changed) this.deps.renderer.progress(state, this.aggregate());
    }
  }

  private failureReason(v: Volume, snap: ProgressSnapshot): Promise<string> {
    return failureReason(v, snap, (id) => this.deps.client.listMessages({ resourceUuid: id }), this.startedAt);
  }

  /** At the end of the run: what is still migrating on the server, and what was never started. */
  private async closeRemaining(): Promise<void> {
    for (const state of this.states) {
      if (state.stage === 'active') {
        state.stage = 'ended';
        state.result = 'running';
        state.reason = this.end === 'timeout' ? 'still migrating on the server at the deadline' : 'still migrating on the server';
        await this.record(state, this.end === 'timeout' ? 'timeout' : this.end === 'interrupted' ? 'interrupted' : 'unknown', { reason: state.reason });
      } else if (state.stage === 'queued') {
        state.stage = 'ended';
        state.result = 'not-started';
        state.reason = notStartedReason(this.end);
      }
    }
  }
}
