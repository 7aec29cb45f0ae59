import type { BlockStorageClient } from '../../api/block-storage.js';
import { CinderApiError } from '../../api/errors.js';
import { volumeHost, normalizedMigrationStatus, type Volume } from '../../model/cinder.js';
import { UsageError } from '../../errors.js';
import { nowFor } from '../../io.js';
import { caseName, orderedPairs, pickUnpinnedType, type SmokePair } from './pairs.js';
import { cleanUpVolume, migrateStep, waitForVolume, type StepContext } from './steps.js';
import { StepFailure, type SmokeCaseResult, type SmokeDeps, type SmokeOptions, type SmokePlan, type SmokeRun } from './types.js';
import { apiReason } from '../report.js';

/**
 * For each ordered pair of pools: create a small volume, move it onto the source pool, migrate it to the
 * destination, check host, migration status and restored status, and delete it. Every volume it creates is
 * deleted again (also after a failure or Ctrl-C) unless --keep; no other volume is ever touched.
 *
 * Interruption: the first Ctrl-C (the run's signal) lets the current step finish, starts no new pair, and cleans up;
 * a second stops the clean-up too and lists what is left.
 */
/**
 * Reads the pools and picks the volume type: what the run would do, with nothing created. Unknown pools, fewer than
 * two pools or no usable type are usage errors.
 */
export async function planSmoke(client: Pick<BlockStorageClient, 'getPools' | 'findVolumeType' | 'listVolumeTypes'>, options: SmokeOptions, startedAt: number): Promise<SmokePlan> {
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
  const pairs = orderedPairs(pools, options.lock).map((pair, index) => ({ pair, name: caseName(pair), volumeName: `volmig-smoke-${runId}-${index + 1}` }));
  return { pools, volumeType, sizeGiB: options.sizeGiB, runId, pairs };
}

/**
 * For each ordered pair of pools: create a small volume, move it onto the source pool, migrate it to the
 * destination, check host, migration status and restored status, and delete it. Every volume it creates is
 * deleted again (also after a failure or Ctrl-C) unless --keep; no other volume is ever touched. With
 * `concurrency` N, N pairs run at once, each with its own volume.
 *
 * Interruption: the first Ctrl-C (the run's signal) lets the current steps finish, starts no new pair, and cleans
 * up; a second stops the clean-up too and lists what is left.
 */
export async function runSmoke(options: SmokeOptions, deps: SmokeDeps, given?: SmokePlan): Promise<SmokeRun> {
  const { io, events, interruption } = deps;
  const now = nowFor(io);
  const startedAt = now();
  const hardStop = new AbortController();
  const stopListening = interruption.onSecond(() => {
    hardStop.abort();
    events.warn('Stopping now; volumes that are still migrating will be listed for manual cleanup.');
  });
  const onFirst = () =>
    events.warn('Interrupted: no new pair will start; finishing the current step, then deleting what smoke created (Ctrl-C again to stop at once).');
  interruption.signal.addEventListener('abort', onFirst, { once: true });
  // Smoke's requests go on after the first Ctrl-C (the current step, the clean-up); only the second stops them.
  const client = deps.client.outlivingInterruption(hardStop.signal);
  const stop = interruption.signal;
  const interrupted = () => stop.aborted;

  try {
    const plan = given ?? (await planSmoke(client, options, startedAt));
    const { pools, volumeType } = plan;
    const ctx: StepContext = { io, client, journal: deps.journal, cloud: deps.cloud, runId: plan.runId, timeoutMs: options.timeoutMs, intervalMs: options.intervalMs };
    const total = plan.pairs.length;
    const cases: (SmokeCaseResult | undefined)[] = new Array(total);
    const created = new Set<string>();
    const leftovers: string[] = [];
    const warn = (line: string) => events.warn(line);

    const runOne = async (index: number): Promise<void> => {
      const { pair, name, volumeName } = plan.pairs[index]!;
      if (interrupted()) {
        const r: SmokeCaseResult = { pair, name, passed: false, skipped: true, durationMs: 0, volumeId: null };
        cases[index] = r;
        events.result(r, index, total);
        return;
      }
      events.begin?.(pair, index, total);
      const caseStart = now();
      let volumeId: string | null = null;
      let failure: SmokeCaseResult['failure'];
      try {
        volumeId = await runPair(ctx, pair, volumeName, name, volumeType, options, created, (text) => events.step?.(pair, text, index, total), stop, hardStop.signal);
      } catch (err) {
        if (err instanceof PairFailure) {
          volumeId = err.volumeId;
          failure = err.failure;
        } else throw err;
      }
      const r: SmokeCaseResult = { pair, name, passed: failure === undefined, skipped: false, durationMs: now() - caseStart, volumeId, failure };
      if (volumeId !== null) {
        if (options.keep) {
          r.leftBehind = volumeId;
        } else {
          events.step?.(pair, 'deleting the volume', index, total);
          if (!(await cleanUpVolume(ctx, volumeId, hardStop.signal, warn))) leftovers.push(volumeId);
          created.delete(volumeId);
        }
      }
      cases[index] = r;
      events.result(r, index, total);
    };

    try {
      // N workers take the pairs in order; an unexpected exception in one stops the others from taking more.
      let next = 0;
      let broken: unknown;
      const worker = async () => {
        while (broken === undefined && next < total) {
          const index = next++;
          try {
            await runOne(index);
          } catch (err) {
            broken ??= err;
          }
        }
      };
      const width = Math.max(1, Math.min(options.concurrency ?? 1, total));
      await Promise.all(Array.from({ length: width }, worker));
      if (broken !== undefined) throw broken;
    } finally {
      // Anything created but not yet handled (an unexpected exception): one last attempt.
      for (const id of created) {
        if (options.keep) continue;
        if (!(await cleanUpVolume(ctx, id, hardStop.signal, warn))) leftovers.push(id);
      }
    }
    return { cases: cases.filter((c): c is SmokeCaseResult => c !== undefined), pools, volumeType, interrupted: interrupted(), leftovers, startedAt, endedAt: now() };
  } finally {
    stopListening();
    interruption.signal.removeEventListener('abort', onFirst);
  }
}

class PairFailure extends Error {
  constructor(
    readonly volumeId: string | null,
    readonly failure: NonNullable<SmokeCaseResult['failure']>,
  ) {
    super(failure.message);
  }
}

/** One pair: create, place on the source, migrate, check. Returns the volume it created (to delete). */
async function runPair(
  ctx: StepContext,
  pair: SmokePair,
  volumeName: string,
  name: string,
  volumeType: string,
  options: SmokeOptions,
  created: Set<string>,
  step: (text: string) => void,
  stop: AbortSignal,
  hardStop: AbortSignal,
): Promise<string> {
  let volumeId: string | null = null;
  try {
    step('creating a volume');
    const v0 = await ctx.client.createVolume({
      size: options.sizeGiB,
      name: volumeName,
      description: `volmig smoke ${name}; deleted at the end of the run`,
      volume_type: volumeType,
      metadata: { 'volmig-smoke': ctx.runId },
    });
    volumeId = v0.id;
    created.add(v0.id);
    let v: Volume = await waitForVolume(ctx, v0.id, (x) => x.status !== 'creating', `volume ${v0.id} to be created`, stop);
    if (v.status !== 'available') throw new StepFailure('setup', `the new volume ${v.id} is ${v.status}, not available`);
    if (volumeHost(v) !== pair.source) {
      step(`placing it on ${pair.source}`);
      try {
        v = await migrateStep(ctx, v, pair.source, { ...pair, locked: false }, false, hardStop);
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
    if (stop.aborted) throw new StepFailure('interrupted', 'interrupted before the migration');
    step(`migrating to ${pair.destination}${pair.locked ? ' (locked)' : ''}`);
    const before = v.status;
    const after = await migrateStep(ctx, v, pair.destination, pair, pair.locked, hardStop);
    const problems: string[] = [];
    if (volumeHost(after) !== pair.destination) problems.push(`host is ${volumeHost(after) ?? 'empty'}, expected ${pair.destination}`);
    if (normalizedMigrationStatus(after) !== 'success') problems.push(`migration status is ${normalizedMigrationStatus(after) ?? 'none'}, expected success`);
    if (after.status !== before) problems.push(`status is ${after.status}, expected ${before} restored`);
    if (problems.length) throw new StepFailure('check', problems.join('; '));
    return v0.id;
  } catch (err) {
    let failure: NonNullable<SmokeCaseResult['failure']>;
    if (err instanceof StepFailure) failure = { kind: err.kind, message: err.message, details: err.details };
    else if (err instanceof CinderApiError) failure = { kind: 'setup', message: err.message, details: [apiReason(err)] };
    else failure = { kind: 'setup', message: err instanceof Error ? err.message : String(err), details: [] };
    throw new PairFailure(volumeId, failure);
  }
}
