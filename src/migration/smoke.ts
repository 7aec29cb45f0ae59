import { EventEmitter } from 'node:events';
import type { BlockStorageClient } from '../api/block-storage.js';
import { CinderApiError, RequestOutcomeUnknownError } from '../api/errors.js';
import { isInFlight, normalizedMigrationStatus, type Volume, volumeHost, type VolumeType } from '../model/cinder.js';
import { UsageError } from '../errors.js';
import { nowFor, sleepFor, type Io } from '../io.js';
import { formatDuration } from '../model/duration.js';
import type { Journal } from './journal.js';
import type { JUnitCase, JUnitSuite } from './junit.js';
import type { ProgressSink, WatchResult } from './progress.js';
import { apiReason } from './report.js';
import { watchVolumes } from './wait.js';

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
}

export interface SmokePair {
  source: string;
  destination: string;
  locked: boolean;
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

export interface SmokeEvents {
  /** A pair begins (before the volume is created). */
  begin?(pair: SmokePair, index: number, total: number): void;
  step?(pair: SmokePair, text: string): void;
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

export function caseName(pair: SmokePair): string {
  return `${pair.source} -> ${pair.destination}${pair.locked ? ' (locked)' : ''}`;
}

/** Every ordered pair of distinct pools, in the given order (A→B, A→C, B→A, ...); with lock, each twice. */
export function orderedPairs(pools: string[], lock: boolean): SmokePair[] {
  const pairs: SmokePair[] = [];
  for (const source of pools) {
    for (const destination of pools) {
      if (source === destination) continue;
      pairs.push({ source, destination, locked: false });
      if (lock) pairs.push({ source, destination, locked: true });
    }
  }
  return pairs;
}

/** A type whose extra specs pin no backend, so the scheduler may put the volume anywhere and it may move anywhere. */
export function pickUnpinnedType(types: VolumeType[]): VolumeType | undefined {
  const unpinned = types.filter((t) => !t.extra_specs?.volume_backend_name);
  return unpinned.find((t) => t.name === '__DEFAULT__') ?? unpinned[0];
}

export interface SmokeDeps {
  io: Io;
  client: BlockStorageClient;
  journal: Journal;
  cloud: string;
  events: SmokeEvents;
}

class StepFailure extends Error {
  constructor(
    readonly kind: SmokeFailureKind,
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

/** The silent sink the smoke test watches through: results are what matter, and they come back from watchVolumes. */
const quietSink: ProgressSink = { update() {}, notice() {}, result() {}, stop() {} };

/**
 * For each ordered pair of pools: create a small volume, move it onto the source pool, migrate it to the
 * destination, check host, migration status and restored status, and delete it. Every volume it creates is
 * deleted again (also after a failure or Ctrl-C) unless --keep; no other volume is ever touched.
 */
export async function runSmoke(options: SmokeOptions, deps: SmokeDeps): Promise<SmokeRun> {
  const { io, client, events } = deps;
  const now = nowFor(io);
  const sleep = sleepFor(io);
  const startedAt = now();

  const allPools = (await client.getPools()).map((p) => p.name);
  let pools: string[];
  if (options.pools) {
    const unknown = options.pools.filter((p) => !allPools.includes(p));
    if (unknown.length) {
      throw new UsageError(`unknown pool${unknown.length > 1 ? 's' : ''} for --pools: ${unknown.join(', ')} (known: ${allPools.join(', ') || 'none'})`);
    }
    pools = options.pools;
  } else {
    pools = allPools;
  }
  if (pools.length < 2) throw new UsageError(`smoke needs at least two pools to migrate between (found ${pools.length}: ${pools.join(', ') || 'none'})`);

  let volumeType: string;
  if (options.volumeType) {
    volumeType = (await client.findVolumeType(options.volumeType)).name;
  } else {
    const picked = pickUnpinnedType(await client.listVolumeTypes());
    if (!picked) throw new UsageError('no volume type without a volume_backend_name pin was found; name one with --volume-type');
    volumeType = picked.name;
  }

  const runId = new Date(startedAt).toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const pairs = orderedPairs(pools, options.lock);
  const cases: SmokeCaseResult[] = [];
  const created = new Set<string>();
  const leftovers: string[] = [];

  // First Ctrl-C: stop after the current step and clean up; second: stop cleaning up too.
  const stop = new AbortController();
  const hardStop = new AbortController();
  // The watch loop hears only the second Ctrl-C: after the first, the migration in flight is still followed to
  // its end, because a volume cannot be deleted while it migrates.
  const watchSignals = new EventEmitter();
  const onSigint = () => {
    if (stop.signal.aborted) {
      hardStop.abort();
      watchSignals.emit('SIGINT');
      events.warn('Stopping now; volumes that are still migrating will be listed for manual cleanup.');
    } else {
      stop.abort();
      events.warn('Interrupted: no new pair will start; finishing the current step, then deleting what smoke created (Ctrl-C again to stop at once).');
    }
  };
  io.signals?.on('SIGINT', onSigint);

  const interrupted = () => stop.signal.aborted;

  const waitFor = async (
    id: string,
    done: (v: Volume) => boolean,
    what: string,
    signal: AbortSignal,
  ): Promise<Volume> => {
    const deadline = now() + options.timeoutMs;
    for (;;) {
      const v = await client.getVolume(id);
      if (done(v)) return v;
      if (now() >= deadline) throw new StepFailure('timeout', `timed out after ${formatDuration(options.timeoutMs)} waiting for ${what} (status ${v.status})`);
      if (signal.aborted) throw new StepFailure('interrupted', `interrupted while waiting for ${what}`);
      await sleep(Math.min(options.intervalMs, Math.max(0, deadline - now())), signal);
    }
  };

  const journalOptions = (pair: SmokePair) => ({ force: pair.locked, force_host_copy: false, smoke: runId });

  /** Sends one migration and follows it to its end with the migration commands' watch loop. */
  const migrate = async (volume: Volume, destination: string, locked: boolean, pair: SmokePair): Promise<Volume> => {
    const baseline = { host: volumeHost(volume), migrationStatus: normalizedMigrationStatus(volume), updatedAt: volume.updated_at ?? null };
    const entry = {
      cloud: deps.cloud,
      action: 'migrate' as const,
      volume_id: volume.id,
      volume_name: volume.name ?? null,
      source_host: baseline.host,
      destination,
      options: journalOptions(pair),
    };
    const sentAt = now();
    let requestId: string | undefined;
    try {
      const answer = await client.migrateVolume(volume.id, { host: destination, forceHostCopy: false, lockVolume: locked });
      requestId = answer.requestId;
      await deps.journal.append({ ...entry, outcome: 'requested', ...(requestId ? { request_id: requestId } : {}) });
    } catch (err) {
      if (err instanceof CinderApiError) {
        await deps.journal.append({ ...entry, outcome: 'rejected', reason: err.message, ...(err.requestId ? { request_id: err.requestId } : {}) });
        throw new StepFailure('rejected', err.message, [`Your migration request failed to process: ${apiReason(err)}`]);
      }
      if (err instanceof RequestOutcomeUnknownError) {
        await deps.journal.append({ ...entry, outcome: 'unknown', reason: err.message });
        // Not resent: follow it if it arrived, fail the case if it did not.
        const after = await client.getVolume(volume.id);
        if (!isInFlight(after)) throw new StepFailure('error', err.message);
      } else {
        throw err;
      }
    }
    const summary = await watchVolumes(
      [{ volumeId: volume.id, name: volume.name, kind: 'migration', baseline, startedAt: sentAt, destination }],
      {
        client,
        io: { ...io, signals: watchSignals },
        sink: quietSink,
        intervalMs: options.intervalMs,
        timeoutMs: options.timeoutMs,
        resumeCommand: `volmig progress ${volume.id} --watch`,
      },
    ).catch((err: unknown) => {
      throw new StepFailure('error', err instanceof Error ? err.message : String(err));
    });
    const result: WatchResult | undefined = summary.results[0];
    const outcome = result?.outcome ?? 'error';
    const journalOutcome = outcome === 'success' ? 'success' : outcome === 'timeout' || outcome === 'stalled' ? 'timeout' : 'error';
    await deps.journal.append({ ...entry, outcome: journalOutcome, ...(outcome === 'success' ? {} : { reason: result?.summary ?? 'no result' }) });
    if (outcome === 'timeout' || outcome === 'stalled') throw new StepFailure('timeout', result?.summary ?? 'timed out', result?.details ?? []);
    if (outcome !== 'success') throw new StepFailure('error', result?.summary ?? 'the migration did not end in success', result?.details ?? []);
    return client.getVolume(volume.id);
  };

  /** Deletes a volume this run created, waiting out a migration still in flight; false when it had to be left. */
  const cleanUp = async (id: string): Promise<boolean> => {
    try {
      let v: Volume;
      try {
        v = await client.getVolume(id);
      } catch (err) {
        if (err instanceof CinderApiError && err.status === 404) return true;
        throw err;
      }
      if (isInFlight(v) || v.status === 'creating' || v.status === 'maintenance' || v.status === 'retyping') {
        events.warn(`waiting for volume ${id} to settle (${v.status}, migration ${normalizedMigrationStatus(v) ?? 'none'}) before deleting it`);
        v = await waitFor(id, (x) => !isInFlight(x) && !['creating', 'maintenance', 'retyping'].includes(x.status), `volume ${id} to settle`, hardStop.signal);
      }
      await client.deleteVolume(id);
      // The delete was accepted; waiting for it to finish only catches a backend that fails to delete.
      const gone = await waitFor(id, (x) => x.status === 'error_deleting', `volume ${id} to be deleted`, hardStop.signal).then(
        (x) => x,
        (err: unknown) => {
          if (err instanceof CinderApiError && err.status === 404) return null;
          if (err instanceof StepFailure && err.kind === 'interrupted') return null;
          throw err;
        },
      );
      if (gone && gone.status === 'error_deleting') throw new Error(`the backend failed to delete it (status error_deleting)`);
      return true;
    } catch (err) {
      events.warn(`could not delete volume ${id} that smoke created: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  };

  try {
    for (const [index, pair] of pairs.entries()) {
      const name = caseName(pair);
      if (interrupted()) {
        const r: SmokeCaseResult = { pair, name, passed: false, skipped: true, durationMs: 0, volumeId: null };
        cases.push(r);
        events.result(r, index, pairs.length);
        continue;
      }
      events.begin?.(pair, index, pairs.length);
      const caseStart = now();
      let volumeId: string | null = null;
      let failure: SmokeCaseResult['failure'];
      try {
        events.step?.(pair, 'creating a volume');
        const v0 = await client.createVolume({
          size: options.sizeGiB,
          name: `volmig-smoke-${runId}-${index + 1}`,
          description: `volmig smoke ${name}; deleted at the end of the run`,
          volume_type: volumeType,
          metadata: { 'volmig-smoke': runId },
        });
        volumeId = v0.id;
        created.add(v0.id);
        let v = await waitFor(v0.id, (x) => x.status !== 'creating', `volume ${v0.id} to be created`, stop.signal);
        if (v.status !== 'available') throw new StepFailure('setup', `the new volume ${v.id} is ${v.status}, not available`);
        if (volumeHost(v) !== pair.source) {
          events.step?.(pair, `placing it on ${pair.source}`);
          try {
            v = await migrate(v, pair.source, false, pair);
          } catch (err) {
            if (err instanceof StepFailure && err.kind !== 'interrupted') {
              throw new StepFailure('setup', `could not place the volume on the source pool ${pair.source}: ${err.message}`, err.details);
            }
            throw err;
          }
          if (volumeHost(v) !== pair.source) {
            throw new StepFailure('setup', `could not place the volume on the source pool ${pair.source}: it is on ${volumeHost(v) ?? 'no host'}`);
          }
        }
        if (interrupted()) throw new StepFailure('interrupted', 'interrupted before the migration');
        events.step?.(pair, `migrating to ${pair.destination}${pair.locked ? ' (locked)' : ''}`);
        const before = v.status;
        const after = await migrate(v, pair.destination, pair.locked, pair);
        const problems: string[] = [];
        if (volumeHost(after) !== pair.destination) problems.push(`host is ${volumeHost(after) ?? 'empty'}, expected ${pair.destination}`);
        if (normalizedMigrationStatus(after) !== 'success') problems.push(`migration status is ${normalizedMigrationStatus(after) ?? 'none'}, expected success`);
        if (after.status !== before) problems.push(`status is ${after.status}, expected ${before} restored`);
        if (problems.length) throw new StepFailure('check', problems.join('; '));
      } catch (err) {
        if (err instanceof StepFailure) failure = { kind: err.kind, message: err.message, details: err.details };
        else if (err instanceof CinderApiError) failure = { kind: 'setup', message: err.message, details: [apiReason(err)] };
        else failure = { kind: 'setup', message: err instanceof Error ? err.message : String(err), details: [] };
      }
      const r: SmokeCaseResult = { pair, name, passed: failure === undefined, skipped: false, durationMs: now() - caseStart, volumeId, failure };
      if (volumeId !== null) {
        if (options.keep) {
          r.leftBehind = volumeId;
        } else {
          events.step?.(pair, 'deleting the volume');
          if (await cleanUp(volumeId)) created.delete(volumeId);
          else {
            leftovers.push(volumeId);
            created.delete(volumeId);
          }
        }
      }
      cases.push(r);
      events.result(r, index, pairs.length);
    }
  } finally {
    io.signals?.off('SIGINT', onSigint);
    // Anything created but not yet handled (an unexpected exception): one last attempt.
    for (const id of created) {
      if (options.keep) continue;
      if (!(await cleanUp(id))) leftovers.push(id);
    }
  }

  return { cases, pools, volumeType, interrupted: interrupted(), leftovers, startedAt, endedAt: now() };
}

/** The JUnit view of a run: one test case per pair (and per locked variant). */
export function smokeSuite(run: SmokeRun, cloud: string): JUnitSuite {
  const cases: JUnitCase[] = run.cases.map((c) => {
    const jc: JUnitCase = { name: c.name, classname: 'volmig.smoke', time: c.durationMs / 1000 };
    if (c.skipped) jc.skipped = 'not run: interrupted (Ctrl-C)';
    else if (c.failure?.kind === 'interrupted') jc.error = { message: c.failure.message, type: 'Interrupted' };
    else if (c.failure) {
      const details = [...c.failure.details];
      if (c.volumeId) details.push(`volume ${c.volumeId}`);
      jc.failure = { message: c.failure.message, type: FAILURE_TYPES[c.failure.kind], details: details.join('\n') || undefined };
    }
    if (c.volumeId) jc.properties = { volume_id: c.volumeId };
    return jc;
  });
  return {
    name: 'volmig smoke',
    timestamp: new Date(run.startedAt).toISOString().replace(/\.\d+Z$/, ''),
    properties: { cloud, volume_type: run.volumeType, pools: run.pools.join(',') },
    cases,
  };
}

const FAILURE_TYPES: Record<SmokeFailureKind, string> = {
  setup: 'SetupFailed',
  rejected: 'MigrationRejected',
  error: 'MigrationFailed',
  timeout: 'MigrationTimedOut',
  check: 'CheckFailed',
  interrupted: 'Interrupted',
};
