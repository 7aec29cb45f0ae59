import type { BlockStorageClient } from '../../api/block-storage.js';
import { isInFlight, normalizedMigrationStatus, numericProgress, type Volume, volumeHost } from '../../model/cinder.js';
import { nowFor, type Io } from '../../io.js';
import { findMigrationLeftover, findMigrationTarget } from '../list.js';
import { classifyPollError, PollEngine } from '../poll.js';
import type { ProgressSources } from '../sources/sources.js';
import type { ExternalReading } from '../tracker.js';
import type { Motion, RecoveryFindings } from './plan.js';

export interface InspectOptions {
  /** How long to watch an in-flight migration for signs of life. */
  sampleMs: number;
  /** The run's interruption. */
  signal: AbortSignal;
  /** Storage probes: a migration they see moving is never touched. */
  sources?: ProgressSources;
}

interface Reading {
  at: number;
  volume: Volume;
  target: Volume | null;
  probe: ExternalReading | null;
}

/**
 * Reads the volume (and its leftover target). For a migration status that says "in flight" it watches it for
 * `sampleMs` through the poll engine, with the storage probes where they apply: a moving progress (the server's or a
 * probe's), phase, host, status or updated_at is evidence of a live copy.
 */
export async function inspectForRecovery(client: BlockStorageClient, io: Io, volumeRef: string, options: InspectOptions): Promise<RecoveryFindings> {
  const now = nowFor(io);
  const volume = await client.findVolume(volumeRef, { allProjects: true });
  // A migration that has ended may have left its old record behind instead (Cinder's delete of it failed): that is
  // found only when no temporary destination is.
  const target = (await findMigrationTarget(client, volume.id)) ?? (isInFlight(volume) ? null : await findMigrationLeftover(client, volume.id, null)) ?? null;
  const first: Reading = { at: now(), volume, target, probe: await probeOnce(options.sources, volume, target, options.signal) };
  let last = first;
  if (isInFlight(volume)) last = await sample(client, io, first, options);
  return findingsOf(first, last, now());
}

async function sample(client: BlockStorageClient, io: Io, first: Reading, options: InspectOptions): Promise<Reading> {
  const now = nowFor(io);
  let last = first;
  const engine = new PollEngine({ io, signal: options.signal, intervalMs: Math.max(500, Math.round(options.sampleMs / 4)), deadlineAt: first.at + options.sampleMs });
  await engine.run(async ({ signal, index }) => {
    if (index === 0) return 'continue';
    const scoped = client.withSignal(signal);
    try {
      const volume = await scoped.getVolume(first.volume.id);
      const target = first.target ? await scoped.getVolume(first.target.id).catch(() => null) : ((await findMigrationTarget(scoped, volume.id)) ?? null);
      last = { at: now(), volume, target, probe: await probeOnce(options.sources, volume, target, signal) };
    } catch (err) {
      // A failed read is no evidence either way: the sample goes on, and an interruption ends it.
      return classifyPollError(err).kind === 'end' ? 'done' : 'failed';
    }
    return motionBetween(first, last).length > 0 ? 'done' : 'continue';
  });
  if (options.signal.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new Error('interrupted');
  return last;
}

async function probeOnce(sources: ProgressSources | undefined, v: Volume, target: Volume | null, signal: AbortSignal): Promise<ExternalReading | null> {
  if (!sources || sources.empty || !isInFlight(v) || numericProgress(v) !== null) return null;
  const readings = await sources.read(
    [
      {
        volumeId: v.id,
        sizeBytes: Math.max(0, Number(v.size) || 0) * 1024 ** 3,
        migrationStatus: normalizedMigrationStatus(v) ?? '',
        sourceHost: volumeHost(v),
        destinationHost: target ? volumeHost(target) : null,
        targetVolumeId: target?.id ?? null,
      },
    ],
    signal,
  );
  return readings.get(v.id) ?? null;
}

/** What changed between two readings, in words. */
function motionBetween(a: Reading, b: Reading): string[] {
  const evidence: string[] = [];
  const p1 = numericProgress(a.volume);
  const p2 = numericProgress(b.volume);
  if (p1 !== null && p2 !== null && p2 > p1) evidence.push(`progress went from ${p1}% to ${p2}%`);
  if (a.probe && b.probe && b.probe.bytesCopied > a.probe.bytesCopied) {
    evidence.push(`${b.probe.source} shows the copy growing from ${mib(a.probe.bytesCopied)} to ${mib(b.probe.bytesCopied)} MiB`);
  }
  const ms1 = normalizedMigrationStatus(a.volume);
  const ms2 = normalizedMigrationStatus(b.volume);
  if (ms1 !== ms2) evidence.push(`migration status went from ${ms1 ?? 'none'} to ${ms2 ?? 'none'}`);
  if (volumeHost(a.volume) !== volumeHost(b.volume)) evidence.push(`host changed to ${volumeHost(b.volume)}`);
  if (a.volume.status !== b.volume.status) evidence.push(`status went from ${a.volume.status} to ${b.volume.status}`);
  if (a.volume.updated_at && b.volume.updated_at && a.volume.updated_at !== b.volume.updated_at) evidence.push(`updated_at moved to ${b.volume.updated_at}`);
  if (a.target?.updated_at && b.target?.updated_at && a.target.updated_at !== b.target.updated_at) {
    evidence.push(`the destination volume's updated_at moved to ${b.target.updated_at}`);
  }
  return evidence;
}

function mib(bytes: number): number {
  return Math.round(bytes / 1024 ** 2);
}

/** Server timestamps are UTC, often without a zone. */
function serverTime(t: string | null | undefined): number | null {
  if (!t) return null;
  const at = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t}Z`);
  return Number.isFinite(at) ? at : null;
}

function findingsOf(first: Reading, last: Reading, at: number): RecoveryFindings {
  const v = last.volume;
  const inFlight = isInFlight(first.volume) || isInFlight(v);
  let motion: Motion | null = null;
  if (inFlight) {
    const evidence = motionBetween(first, last);
    const observedBy = numericProgress(v) !== null ? 'server' : (last.probe?.source ?? null);
    const changes = [serverTime(v.updated_at), serverTime(last.target?.updated_at)].filter((t): t is number => t !== null);
    const lastChange = changes.length ? Math.max(...changes) : null;
    motion = {
      sampleMs: last.at - first.at,
      progressing: evidence.length > 0,
      evidence: evidence.join(', '),
      observedBy,
      quietForMs: lastChange === null ? null : Math.max(0, at - lastChange),
    };
  }
  const oldRecord = last.target !== null && normalizedMigrationStatus(last.target) !== `target:${v.id}`;
  const targetChanged = serverTime(last.target?.updated_at);
  return {
    volume: v,
    targetKind: last.target === null ? null : oldRecord ? 'old-record' : 'target',
    targetQuietMs: targetChanged === null ? null : Math.max(0, at - targetChanged),
    status: v.status,
    migrationStatus: normalizedMigrationStatus(v),
    host: volumeHost(v),
    attached: Array.isArray(v.attachments) && v.attachments.length > 0,
    target: last.target,
    motion,
  };
}
