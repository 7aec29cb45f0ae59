import type { BlockStorageClient } from '../api/block-storage.js';
import { isInFlight, normalizedMigrationStatus, type Volume, volumeHost } from '../model/cinder.js';
import { nowFor, type Io } from '../io.js';
import type { ProgressSink } from './progress.js';
import { MigrationTracker, type ProgressSnapshot } from './tracker.js';
import { watchAllMigrations, watchVolumes, type WatchSummary } from './wait.js';

export interface ProgressRunOptions {
  refs: string[];
  all: boolean;
  intervalMs: number;
  timeoutMs?: number;
  stallTimeoutMs?: number;
}

/** One reading of each volume, for `progress` without --watch. */
export async function readProgressOnce(client: BlockStorageClient, io: Io, refs: string[], all: boolean): Promise<ProgressSnapshot[]> {
  const now = nowFor(io);
  let volumes: Volume[];
  if (all) {
    volumes = [];
    const targets = new Map<string, string>();
    for await (const v of client.listVolumes({ allProjects: true })) {
      const ms = normalizedMigrationStatus(v);
      if (ms?.startsWith('target:')) {
        const h = volumeHost(v);
        if (h) targets.set(ms.slice(7), h);
      } else if (isInFlight(v)) volumes.push(v);
    }
    return volumes.map((v) => snapshotOf(v, now(), targets.get(v.id) ?? null));
  }
  volumes = await Promise.all(refs.map((ref) => client.findVolume(ref, { allProjects: true })));
  // The destinations of every named volume in flight: one listing (one request by exact status for a single volume).
  const inFlight = volumes.filter((v) => isInFlight(v)).map((v) => v.id);
  const { findMigrationTargets } = await import('./list.js');
  const targets = await findMigrationTargets(client, { allProjects: true, of: inFlight }).catch(() => undefined);
  return volumes.map((v) => {
    const target = isInFlight(v) ? targets?.get(v.id) : undefined;
    return snapshotOf(v, now(), target ? volumeHost(target) : null);
  });
}

function snapshotOf(v: Volume, at: number, destination: string | null): ProgressSnapshot {
  const tracker = new MigrationTracker({ volumeId: v.id, startedAt: at, destination });
  return tracker.observe(v, at);
}

/** `progress --watch` for named volumes, or `--all`. */
export async function watchProgress(
  client: BlockStorageClient,
  io: Io,
  options: ProgressRunOptions,
  createSink: (volumes: number) => Promise<ProgressSink>,
): Promise<WatchSummary> {
  const { intervalMs, timeoutMs, stallTimeoutMs } = options;
  if (options.all) {
    return watchAllMigrations({ client, io, sink: await createSink(2), intervalMs, timeoutMs, stallTimeoutMs });
  }
  const volumes = await Promise.all(options.refs.map((ref) => client.findVolume(ref, { allProjects: true })));
  const sink = await createSink(volumes.length);
  return watchVolumes(
    volumes.map((v) => ({ volumeId: v.id, name: v.name, kind: 'migration' as const })),
    { client, io, sink, intervalMs, timeoutMs, stallTimeoutMs, resumeCommand: `volmig progress ${volumes.map((v) => v.id).join(' ')} --watch` },
  );
}
