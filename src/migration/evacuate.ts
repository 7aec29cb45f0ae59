import type { BlockStorageClient } from '../api/block-storage.js';
import { CinderApiError, RequestOutcomeUnknownError } from '../api/errors.js';
import { nowFor, sleepFor, type Io, type SignalSource } from '../io.js';
import { UsageError } from '../errors.js';
import { GIB, parseDuration } from '../model/duration.js';
import { closestNames, effectiveFree, preflightMigration } from './preflight.js';
import { apiReason } from './report.js';
import type { Journal, JournalEntry } from './journal.js';
import { hostMatches, MigrationTargetResolver } from './list.js';
import { isTerminal } from './phases.js';
import { isInFlight, normalizedMigrationStatus, volumeHost, volumeLabel as label, type Pool, type Volume } from '../model/cinder.js';
import { MigrationTracker, type ProgressSnapshot } from './tracker.js';

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

export interface PlanDeps {
  client: BlockStorageClient;
  journal: Journal;
  cloud: string;
  preflight: MovePreflight;
}

/** The journal options that tie a migration to an evacuation, so a second run can recognise its own work. */
export function evacuationTag(request: EvacuationRequest): { from: string; to: string[] } {
  return { from: request.from, to: [...request.to].sort() };
}

function sameEvacuation(entry: JournalEntry, request: EvacuationRequest, cloud: string): boolean {
  const tag = entry.options?.evacuation as { from?: unknown; to?: unknown } | undefined;
  if (!tag || entry.cloud !== cloud || entry.action !== 'migrate') return false;
  const want = evacuationTag(request);
  return tag.from === want.from && JSON.stringify(tag.to) === JSON.stringify(want.to);
}

const PREFLIGHT_PARALLEL = 8;

/** Largest first (ties: oldest, then id) or oldest first (ties: largest, then id): the same input, the same order. */
export function orderVolumes<T extends { volume: Volume }>(items: T[], order: 'size' | 'created'): T[] {
  const created = (v: Volume) => Date.parse(v.created_at) || 0;
  return [...items].sort((a, b) => {
    const bySize = (b.volume.size ?? 0) - (a.volume.size ?? 0);
    const byCreated = created(a.volume) - created(b.volume);
    const primary = order === 'size' ? bySize || byCreated : byCreated || bySize;
    return primary || a.volume.id.localeCompare(b.volume.id);
  });
}

function projectOf(v: Volume): string | undefined {
  return (v['os-vol-tenant-attr:tenant_id'] as string | undefined) ?? undefined;
}

function isAttached(v: Volume): boolean {
  return v.status === 'in-use' || (Array.isArray(v.attachments) && v.attachments.length > 0);
}

function freeBytes(pool: Pool | undefined): number | null {
  if (!pool) return null;
  const free = effectiveFree(pool.capabilities ?? {});
  return free === null ? null : free * GIB; // 'infinite' / 'unknown' → no accounting
}

/** The migration commands' pre-flight, reduced to one reason per refused move. */
export function preflightFor(client: BlockStorageClient): MovePreflight {
  // Pools, services and types do not change between the checks of one plan: read them once, not once per volume.
  const memo = new Map<string, Promise<unknown>>();
  const cached = new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop === 'getPools' || prop === 'listServices' || prop === 'findVolumeType') {
        return (...args: unknown[]) => {
          const key = `${String(prop)}:${JSON.stringify(args)}`;
          let hit = memo.get(key);
          if (!hit) {
            hit = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            // A failed read is not remembered: the next check asks again.
            hit.catch(() => memo.delete(key));
            memo.set(key, hit);
          }
          return hit;
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return async (volume, destination) => {
    const report = await preflightMigration(cached, volume, { host: destination });
    if (report.failures.length === 0) return null;
    return report.failures.map((f) => f.reason ?? f.check).join(' ');
  };
}

export interface EvacuateCliOptions {
  request: EvacuationRequest;
  limits: Omit<EvacuationLimits, 'intervalMs'> & { intervalMs?: number };
  dryRun: boolean;
  yes: boolean;
}

const POOL_RE = /^[^\s@#]+@[^\s@#]+#[^\s@#]+$/;
const SOURCE_RE = /^[^\s@#]+(@[^\s@#]+(#[^\s@#]+)?)?$/;

function positiveInt(flag: string, value: unknown): number {
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`invalid value for ${flag}: '${text}' (expected a positive whole number)`);
  return Number(text);
}

/** Checks every flag before anything is read from the cloud; a bad value is a one-line usage error (exit 2). */
export function parseEvacuateOptions(opts: Record<string, unknown>): EvacuateCliOptions {
  const from = String(opts.from ?? '');
  if (!SOURCE_RE.test(from) || !from.includes('@')) {
    throw new UsageError(`invalid value for --from: '${from}' (expected host@backend or host@backend#pool)`);
  }
  const rawTo = (Array.isArray(opts.to) ? opts.to : [opts.to]).flatMap((t) => String(t ?? '').split(',')).map((t) => t.trim()).filter(Boolean);
  if (rawTo.length === 0) throw new UsageError(`invalid value for --to: '' (expected host@backend#pool)`);
  for (const t of rawTo) {
    if (!POOL_RE.test(t)) throw new UsageError(`invalid value for --to: '${t}' (expected host@backend#pool)`);
  }
  const to = [...new Set(rawTo)];
  for (const t of to) {
    const pseudo = { 'os-vol-host-attr:host': t } as unknown as Volume;
    if (hostMatches(pseudo, from)) throw new UsageError(`--to ${t} is part of --from ${from}: a volume cannot be evacuated onto its own backend`);
  }
  const order = String(opts.order ?? 'size');
  if (order !== 'size' && order !== 'created') throw new UsageError(`invalid value for --order: '${order}' (expected size or created)`);
  const concurrency = positiveInt('--concurrency', opts.concurrency ?? '2');
  const maxPerDestination = opts.maxPerDestination === undefined ? concurrency : positiveInt('--max-per-destination', opts.maxPerDestination);
  const timeoutMs = opts.timeout === undefined ? undefined : parseDuration(String(opts.timeout), '--timeout');
  let intervalMs: number | undefined;
  if (opts.interval !== undefined) {
    const n = Number(opts.interval);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`invalid value for --interval: '${String(opts.interval)}' (expected seconds, e.g. 5 or 0.5)`);
    intervalMs = Math.round(n * 1000);
  }
  if (opts.volumeType !== undefined && String(opts.volumeType) === '') throw new UsageError(`invalid value for --volume-type: '' (expected a type name or id)`);
  return {
    request: {
      from,
      to,
      volumeType: opts.volumeType as string | undefined,
      project: opts.project as string | undefined,
      includeInUse: Boolean(opts.includeInUse),
      order,
      force: Boolean(opts.force),
      forceHostCopy: Boolean(opts.forceHostCopy),
    },
    limits: { concurrency, maxPerDestination, continueOnError: Boolean(opts.continueOnError), timeoutMs, intervalMs },
    dryRun: Boolean(opts.dryRun),
    yes: Boolean(opts.yes),
  };
}

/**
 * Reads the source (every project), the pools and the journal, and decides for each volume: follow a migration
 * already in flight, migrate it (to which pool), or refuse with the pre-flight's reason. Sends nothing.
 */
export async function planEvacuation(deps: PlanDeps, request: EvacuationRequest): Promise<EvacuationPlan> {
  const { client } = deps;
  const onSource: Volume[] = [];
  // Only the source's pages (Cinder matches host@backend against its pools); destinations of migrations already
  // in flight come from one destination listing, asked for only when the source has such a migration.
  const targets = new MigrationTargetResolver(client, { allProjects: true });
  const inFlightTargetHost = new Map<string, string | null>();
  for await (const volume of client.listVolumes({ allProjects: true, filters: { host: request.from } })) {
    if (targets.note(volume)) continue;
    if (!hostMatches(volume, request.from)) continue;
    if (request.project !== undefined && projectOf(volume) !== request.project) continue;
    if (request.volumeType !== undefined && volume.volume_type !== request.volumeType && volume.volume_type_id !== request.volumeType) {
      continue;
    }
    onSource.push(volume);
  }
  for (const volume of onSource) {
    if (!isInFlight(volume)) continue;
    const target = await targets.targetOf(volume);
    inFlightTargetHost.set(volume.id, target ? volumeHost(target) : null);
  }

  const journal = await deps.journal.read();
  const ours = journal.filter((e) => sameEvacuation(e, request, deps.cloud));
  const lastByVolume = new Map<string, JournalEntry>();
  for (const e of journal) if (e.action === 'migrate') lastByVolume.set(e.volume_id, e);

  const pools = await client.getPools().catch(() => [] as Pool[]);
  const remaining = new Map<string, number | null>();
  for (const dest of request.to) remaining.set(dest, freeBytes(pools.find((p) => p.name === dest)));

  const follows: PlannedMove[] = [];
  const candidates: { volume: Volume }[] = [];
  const refusals: PlanRefusal[] = [];

  for (const volume of onSource) {
    if (isInFlight(volume)) {
      const targetHost = inFlightTargetHost.get(volume.id) ?? null;
      follows.push({ volume, destination: targetHost, action: 'follow' });
      continue;
    }
    const last = lastByVolume.get(volume.id);
    if (last?.outcome === 'unknown' && normalizedMigrationStatus(volume) === null) {
      refusals.push({
        volume,
        reason:
          `a migration request sent at ${last.time} got no answer and the volume shows no migration; volmig does not ` +
          `send it again: check it with 'volmig show ${volume.id}' and migrate it by hand`,
      });
      continue;
    }
    if (isAttached(volume) && !request.includeInUse) {
      refusals.push({ volume, reason: 'attached to a server (add --include-in-use to migrate attached volumes too)' });
      continue;
    }
    candidates.push({ volume });
  }

  // The checks run a few at a time (each is several GETs); the assignment below stays sequential, in plan order,
  // because each choice uses up capacity for the next.
  const verdicts = new Map<string, string | null>();
  const checks = candidates.flatMap(({ volume }) => request.to.map((dest) => ({ volume, dest })));
  let next = 0;
  const worker = async () => {
    while (next < checks.length) {
      const { volume, dest } = checks[next++]!;
      verdicts.set(`${volume.id}\n${dest}`, await deps.preflight(volume, dest));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PREFLIGHT_PARALLEL, checks.length) }, worker));

  const moves: PlannedMove[] = [];
  for (const { volume } of orderVolumes(candidates, request.order)) {
    const size = (volume.size ?? 0) * GIB;
    // With several destinations, try the roomiest first so the load spreads.
    const destinations = [...request.to].sort((a, b) => (remaining.get(b) ?? Infinity) - (remaining.get(a) ?? Infinity));
    let firstReason: string | null = null;
    let chosen: string | null = null;
    for (const dest of destinations) {
      const left = remaining.get(dest) ?? null;
      const reason = verdicts.get(`${volume.id}\n${dest}`) ?? null;
      if (reason === null && left !== null && size > left) {
        firstReason ??= `${dest} would be full: ${(left / GIB).toFixed(1)} GiB left after the volumes planned before this one, ${volume.size} GiB needed`;
        continue;
      }
      if (reason !== null) {
        firstReason ??= reason;
        continue;
      }
      chosen = dest;
      break;
    }
    if (chosen === null) {
      refusals.push({ volume, reason: firstReason ?? 'no destination can take it' });
      continue;
    }
    const left = remaining.get(chosen);
    if (left !== null && left !== undefined) remaining.set(chosen, left - size);
    moves.push({ volume, destination: chosen, action: 'migrate' });
  }

  const stillOnSource = new Set(onSource.map((v) => v.id));
  const alreadyMoved = new Map<string, AlreadyMoved>();
  for (const e of ours) {
    if (e.outcome === 'success' && !stillOnSource.has(e.volume_id)) {
      alreadyMoved.set(e.volume_id, { volume_id: e.volume_id, volume_name: e.volume_name ?? null, destination: e.destination, time: e.time });
    }
  }

  const warnings: string[] = [];
  const sourcePools = pools.filter((p) => hostMatches({ 'os-vol-host-attr:host': p.name } as unknown as Volume, request.from));
  if (pools.length > 0 && sourcePools.length === 0) {
    const near = closestNames(request.from, pools.map((p) => p.name));
    warnings.push(`no pool the scheduler reports matches --from ${request.from}${near.length ? ` (closest: ${near.join(', ')})` : ''}`);
  }

  const all = [...follows, ...moves];
  return {
    request,
    moves: all,
    refusals,
    alreadyMoved: [...alreadyMoved.values()],
    selectedCount: onSource.length,
    warnings,
    totalBytes: all.reduce((t, m) => t + (m.volume.size ?? 0) * GIB, 0),
  };
}

/**
 * Who may start next under the two caps (total in flight, in flight per destination), in plan order. A move
 * whose destination is full waits without holding back moves to other destinations. Followed migrations are
 * adopted whatever the caps: they already run, and they count against the caps for what comes next.
 */
export class SlotScheduler<T extends { destination: string | null }> {
  private readonly queue: T[];
  private readonly perDestination = new Map<string, number>();
  private inFlight = 0;
  private stopped = false;

  constructor(
    items: T[],
    private readonly caps: { concurrency: number; maxPerDestination: number },
  ) {
    this.queue = [...items];
  }

  get running(): number {
    return this.inFlight;
  }

  get pending(): number {
    return this.stopped ? 0 : this.queue.length;
  }

  /** Items never started (after stop(), the ones that will not be). */
  get remaining(): T[] {
    return [...this.queue];
  }

  runningOn(destination: string): number {
    return this.perDestination.get(destination) ?? 0;
  }

  adopt(item: T): void {
    this.inFlight += 1;
    if (item.destination !== null) this.perDestination.set(item.destination, this.runningOn(item.destination) + 1);
  }

  take(): T | undefined {
    if (this.stopped || this.inFlight >= this.caps.concurrency) return undefined;
    const index = this.queue.findIndex((item) => item.destination === null || this.runningOn(item.destination) < this.caps.maxPerDestination);
    if (index < 0) return undefined;
    const [item] = this.queue.splice(index, 1);
    this.adopt(item!);
    return item;
  }

  release(item: T): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (item.destination !== null) this.perDestination.set(item.destination, Math.max(0, this.runningOn(item.destination) - 1));
  }

  stop(): void {
    this.stopped = true;
  }
}

export type MoveResult = 'moved' | 'already-there' | 'failed' | 'rejected' | 'running' | 'not-started' | 'refused';

export interface MoveState {
  move: PlannedMove;
  result: MoveResult | 'queued' | 'active';
  startedAt: number | null;
  endedAt: number | null;
  reason?: string;
  requestId?: string;
  snapshot: ProgressSnapshot | null;
  tracker: MigrationTracker | null;
  /** Counted against the caps until finished. */
  holdsSlot: boolean;
  /** Polls in a row that showed no migration at all (see pollOnce). */
  quietPolls?: number;
  /** The last poll of this volume failed (the notice is printed once per streak). */
  pollFailing?: boolean;
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

/** Receives what happens, in order; the command picks a TTY, plain-line or JSON-lines implementation. */
export interface EvacuationRenderer {
  started(state: MoveState, aggregate: AggregateProgress): void;
  progress(state: MoveState, aggregate: AggregateProgress): void;
  finished(state: MoveState, aggregate: AggregateProgress): void;
  /** A notice that must stay readable above the bars (stop after a failure, Ctrl-C, timeout). */
  notice(line: string): void;
  stop(): void;
}

export type EvacuationEnd = 'completed' | 'stopped-after-failure' | 'interrupted' | 'timeout';

export interface EvacuationOutcome {
  end: EvacuationEnd;
  states: MoveState[];
  aggregate: AggregateProgress;
  /** 0 all moved, 1 something failed or was refused, 7 timeout, 130 interrupted. */
  exitCode: number;
}

export interface RunDeps {
  io: Io;
  client: BlockStorageClient;
  journal: Journal;
  cloud: string;
  renderer: EvacuationRenderer;
}

/**
 * Runs a plan: starts moves under the caps, polls every running volume each interval, records every request and
 * result in the journal, and stops starting new ones after a failure (unless continueOnError), on Ctrl-C or at
 * the deadline. It never sends a migration for a volume that is already migrating or already on the destination:
 * each volume is read back right before its request.
 */
export async function runEvacuation(plan: EvacuationPlan, limits: EvacuationLimits, deps: RunDeps): Promise<EvacuationOutcome> {
  const { io, client, journal, renderer } = deps;
  const now = nowFor(io);
  const sleep = sleepFor(io);
  const startedAt = now();
  const deadline = limits.timeoutMs !== undefined ? startedAt + limits.timeoutMs : Infinity;

  const states: MoveState[] = plan.moves.map((move) => ({
    move,
    result: 'queued',
    startedAt: null,
    endedAt: null,
    snapshot: null,
    tracker: null,
    holdsSlot: false,
  }));
  const byMove = new Map(states.map((s) => [s.move, s]));
  const scheduler = new SlotScheduler(
    plan.moves.filter((m) => m.action === 'migrate'),
    { concurrency: limits.concurrency, maxPerDestination: limits.maxPerDestination },
  );
  const active = new Set<MoveState>();

  let end: EvacuationEnd = 'completed';
  let stopStarting = false;
  const wake = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) return;
    interrupted = true;
    wake.abort();
  };
  const signals: SignalSource | undefined = io.signals;
  signals?.on('SIGINT', onSigint);

  const journalOptions = {
    force: plan.request.force,
    force_host_copy: plan.request.forceHostCopy,
    evacuation: evacuationTag(plan.request),
  };
  const record = (state: MoveState, outcome: JournalEntry['outcome'], extra: { reason?: string; request_id?: string } = {}) =>
    journal.append({
      cloud: deps.cloud,
      action: 'migrate',
      volume_id: state.move.volume.id,
      volume_name: state.move.volume.name ?? null,
      source_host: volumeHost(state.move.volume),
      destination: state.move.destination,
      options: journalOptions,
      outcome,
      ...extra,
    });

  const aggregate = (): AggregateProgress => computeAggregate(states, now() - startedAt);

  const finish = (state: MoveState, result: MoveResult, reason?: string) => {
    state.result = result;
    state.endedAt = now();
    if (reason !== undefined) state.reason = reason;
    active.delete(state);
    if (state.holdsSlot) {
      state.holdsSlot = false;
      scheduler.release(state.move);
    }
    renderer.finished(state, aggregate());
    if ((result === 'failed' || result === 'rejected') && !limits.continueOnError && !stopStarting) {
      stopStarting = true;
      end = 'stopped-after-failure';
      scheduler.stop();
      renderer.notice(
        `Not starting new migrations after the failure of ${label(state.move.volume)} (use --continue-on-error to go on).`,
      );
    }
  };

  const beginTracking = (state: MoveState, baseline: Volume | null) => {
    state.result = 'active';
    state.startedAt = now();
    state.tracker = new MigrationTracker({
      volumeId: state.move.volume.id,
      startedAt: state.startedAt,
      destination: state.move.destination,
      baseline: baseline
        ? { host: volumeHost(baseline), migrationStatus: normalizedMigrationStatus(baseline), updatedAt: baseline.updated_at ?? null }
        : undefined,
    });
    active.add(state);
    renderer.started(state, aggregate());
  };

  const launch = async (state: MoveState) => {
    const { move } = state;
    if (move.action === 'follow') {
      beginTracking(state, move.volume);
      return;
    }
    let fresh: Volume;
    try {
      fresh = await client.getVolume(move.volume.id);
    } catch (err) {
      state.startedAt = now();
      finish(state, 'failed', `could not read the volume before migrating it: ${messageOf(err)}`);
      return;
    }
    if (move.destination !== null && hostMatches(fresh, move.destination) && !isInFlight(fresh)) {
      state.startedAt = now();
      finish(state, 'already-there');
      return;
    }
    if (isInFlight(fresh)) {
      // Someone (or an earlier run) started it since the plan was made: follow, never send a second request.
      move.action = 'follow';
      beginTracking(state, fresh);
      return;
    }
    if (!hostMatches(fresh, plan.request.from)) {
      state.startedAt = now();
      finish(state, 'failed', `it left ${plan.request.from} for ${volumeHost(fresh) ?? 'no host'} since the plan was made`);
      return;
    }
    try {
      const answer = await client.migrateVolume(move.volume.id, {
        host: move.destination ?? undefined,
        forceHostCopy: plan.request.forceHostCopy,
        lockVolume: plan.request.force,
      });
      state.requestId = answer.requestId;
      await record(state, 'requested', answer.requestId ? { request_id: answer.requestId } : {});
      beginTracking(state, fresh);
    } catch (err) {
      if (err instanceof CinderApiError) {
        const why = apiReason(err);
        await record(state, 'rejected', { reason: err.message, ...(err.requestId ? { request_id: err.requestId } : {}) });
        state.startedAt = now();
        finish(state, 'rejected', `Your migration request failed to process: ${why}`);
        return;
      }
      if (err instanceof RequestOutcomeUnknownError) {
        await record(state, 'unknown', { reason: err.message });
        // The request may have arrived: read the volume back and follow it if it shows the migration.
        const after = await client.getVolume(move.volume.id).catch(() => null);
        if (after && (isInFlight(after) || normalizedMigrationStatus(after) !== normalizedMigrationStatus(fresh))) {
          beginTracking(state, fresh);
          return;
        }
        state.startedAt = now();
        finish(state, 'failed', `the migration request got no answer and the volume shows no migration; not sent again (${err.message})`);
        return;
      }
      throw err;
    }
  };

  const pollOnce = async () => {
    const running = [...active];
    const answers = await Promise.all(
      running.map((state) =>
        client.getVolume(state.move.volume.id).then(
          (v) => ({ state, v, err: null as unknown }),
          (err: unknown) => ({ state, v: null, err }),
        ),
      ),
    );
    for (const { state, v, err } of answers) {
      if (err !== null) {
        if (err instanceof CinderApiError && err.status === 404) {
          const reason = 'the volume no longer exists (HTTP 404)';
          await record(state, 'unknown', { reason });
          finish(state, 'failed', reason);
        } else if (!state.pollFailing) {
          // Said once per streak of failures; the poll is simply tried again next interval.
          state.pollFailing = true;
          renderer.notice(`Could not read volume ${label(state.move.volume)}: ${messageOf(err)}; retrying.`);
        }
        continue;
      }
      state.pollFailing = false;
      if (!v || !state.tracker) continue;
      const snap = state.tracker.observe(v, now());
      state.snapshot = snap;
      if (state.move.destination === null && snap.destination) state.move.destination = snap.destination;
      if (isTerminal(snap.phase)) {
        const ok = snap.phase === 'success';
        const reason = ok ? undefined : failureReason(v, snap);
        await record(state, ok ? 'success' : 'error', reason ? { reason } : {});
        finish(state, ok ? 'moved' : 'failed', reason);
      } else if ((snap.phase === 'pending' || snap.phase === 'idle') && !isInFlight(v)) {
        // Cinder records `starting` before it answers 202, so a volume that shows no migration at all either
        // finished before volmig looked (a followed one) or was reset by someone: decide from what it shows.
        state.quietPolls = (state.quietPolls ?? 0) + 1;
        if (state.move.action === 'follow' || state.quietPolls >= 3) {
          const ms = normalizedMigrationStatus(v);
          const onDestination = state.move.destination !== null ? hostMatches(v, state.move.destination) : !hostMatches(v, plan.request.from);
          if (ms === 'success' && onDestination) {
            await record(state, 'success');
            finish(state, 'moved');
          } else {
            const reason =
              ms === 'error'
                ? failureReason(v, snap)
                : `the volume shows no migration any more (migration status ${ms ?? 'none'}, host ${volumeHost(v) ?? 'none'}); it may have been reset`;
            await record(state, ms === 'error' ? 'error' : 'unknown', { reason });
            finish(state, 'failed', reason);
          }
        }
      } else {
        state.quietPolls = 0;
        if (snap.changed) renderer.progress(state, aggregate());
      }
    }
  };

  try {
    for (const state of states) {
      if (state.move.action === 'follow') {
        scheduler.adopt(state.move);
        state.holdsSlot = true;
        beginTracking(state, state.move.volume);
      }
    }
    for (;;) {
      if (interrupted) break;
      if (now() >= deadline) {
        end = 'timeout';
        break;
      }
      if (!stopStarting) {
        let item: PlannedMove | undefined;
        while (!interrupted && !stopStarting && (item = scheduler.take()) !== undefined) {
          const state = byMove.get(item)!;
          state.holdsSlot = true;
          await launch(state);
        }
      }
      if (active.size === 0 && (stopStarting || scheduler.pending === 0)) break;
      const wait = Math.max(0, Math.min(limits.intervalMs, deadline - now()));
      await sleep(wait, wake.signal);
      if (interrupted) break;
      await pollOnce();
    }
  } finally {
    signals?.off('SIGINT', onSigint);
  }

  if (interrupted) end = 'interrupted';
  for (const state of states) {
    if (state.result === 'active') {
      state.result = 'running';
      state.reason = end === 'timeout' ? 'still migrating on the server at the deadline' : 'still migrating on the server';
      await record(state, end === 'timeout' ? 'timeout' : 'interrupted', { reason: state.reason });
    } else if (state.result === 'queued') {
      state.result = 'not-started';
      state.reason =
        end === 'interrupted' ? 'not started: interrupted' : end === 'timeout' ? 'not started: timed out' : 'not started after an earlier failure';
    }
  }
  renderer.stop();
  const agg = computeAggregate(states, now() - startedAt);
  let exitCode = 0;
  if (end === 'interrupted') exitCode = 130;
  else if (end === 'timeout') exitCode = 7;
  else if (states.some((s) => s.result === 'failed' || s.result === 'rejected' || s.result === 'not-started') || plan.refusals.length > 0) {
    exitCode = 1;
  }
  return { end, states, aggregate: agg, exitCode };
}

export function computeAggregate(states: MoveState[], elapsedMs: number): AggregateProgress {
  let done = 0;
  let failed = 0;
  let running = 0;
  let totalBytes = 0;
  let bytesDone = 0;
  let rate = 0;
  let anyRate = false;
  let copiedSoFar = 0;
  for (const s of states) {
    const size = (s.move.volume.size ?? 0) * GIB;
    totalBytes += size;
    if (s.result === 'moved' || s.result === 'already-there') {
      done += 1;
      bytesDone += size;
      if (s.result === 'moved') copiedSoFar += size;
    } else if (s.result === 'failed' || s.result === 'rejected') {
      failed += 1;
    } else if (s.result === 'active') {
      running += 1;
      const copied = s.snapshot?.bytesCopied ?? 0;
      bytesDone += copied;
      copiedSoFar += copied;
      if (s.snapshot?.rateBytesPerSecond) {
        rate += s.snapshot.rateBytesPerSecond;
        anyRate = true;
      }
    }
  }
  // Overall throughput (bytes done over wall time) is what an ETA for the whole window should use; the sum of
  // instantaneous per-volume rates over-promises when fewer moves than the cap remain.
  const overall = elapsedMs > 0 && copiedSoFar > 0 ? (copiedSoFar / elapsedMs) * 1000 : null;
  const rateBytesPerSecond = overall ?? (anyRate ? rate : null);
  const left = totalBytes - bytesDone;
  const etaMs = rateBytesPerSecond && rateBytesPerSecond > 0 && left > 0 ? (left / rateBytesPerSecond) * 1000 : left <= 0 ? 0 : null;
  return { total: states.length, done, failed, running, totalBytes, bytesDone, rateBytesPerSecond, etaMs, elapsedMs };
}

function failureReason(v: Volume, snap: ProgressSnapshot): string {
  const own = typeof v.migration_error === 'string' && v.migration_error ? `: ${v.migration_error}` : '';
  if (snap.resetObserved) return 'the migration status was reset while the migration ran';
  return `migration ended in error on the server${own}; the volume stayed on ${volumeHost(v) ?? 'its host'} (status ${v.status})`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
