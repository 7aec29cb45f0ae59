import type { BlockStorageClient } from '../api/block-storage.js';
import { isInFlight, migrationSourceId, type Volume, volumeHost } from '../model/cinder.js';
import { nowFor, type Io } from '../io.js';
import type { ProgressSink } from './progress.js';
import type { ProgressSources } from './sources/sources.js';
import { MigrationTracker, type ProgressSnapshot } from './tracker.js';
import { watchAllMigrations, watchVolumes, type WatchSummary } from './watch.js';

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
  if (all) {
    const volumes: Volume[] = [];
    const targets = new Map<string, string>();
    for await (const v of client.listVolumes({ allProjects: true })) {
      const source = migrationSourceId(v);
      if (source !== undefined) {
        const h = volumeHost(v);
        if (h) targets.set(source, h);
      } else if (isInFlight(v)) volumes.push(v);
    }
    return volumes.map((v) => snapshotOf(v, now(), targets.get(v.id) ?? null));
  }
  const volumes = await Promise.all(refs.map((ref) => client.findVolume(ref, { allProjects: true })));
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
  const tracker = new MigrationTracker({ volumeId: v.id, startedAt: null, watchStartedAt: at, destination });
  return tracker.observe(v, at);
}

export interface WatchProgressDeps {
  client: BlockStorageClient;
  io: Io;
  signal: AbortSignal;
  interruptedExitCode: () => number;
  createSink: (volumes: number) => Promise<ProgressSink>;
  sources?: ProgressSources;
  /** Called once per volume when its end is known (the journal's open entries). */
  onResult?: (result: import('./progress.js').WatchResult) => void | Promise<void>;
  /** When volmig itself started these migrations (the journal), by volume id. */
  knownStarts?: (volumeIds: string[]) => Promise<Map<string, number>>;
}

/** `progress --watch` for named volumes, or `--all`. */
export async function watchProgress(options: ProgressRunOptions, deps: WatchProgressDeps): Promise<WatchSummary> {
  const { intervalMs, timeoutMs, stallTimeoutMs } = options;
  const common = { client: deps.client, io: deps.io, signal: deps.signal, interruptedExitCode: deps.interruptedExitCode, intervalMs, timeoutMs, stallTimeoutMs, sources: deps.sources, onResult: deps.onResult };
  if (options.all) return watchAllMigrations({ ...common, sink: await deps.createSink(2) });
  const volumes = await Promise.all(options.refs.map((ref) => deps.client.findVolume(ref, { allProjects: true })));
  const starts = (await deps.knownStarts?.(volumes.map((v) => v.id))) ?? new Map<string, number>();
  const sink = await deps.createSink(volumes.length);
  return watchVolumes(
    volumes.map((v) => ({ volumeId: v.id, name: v.name, kind: 'migration' as const, startedAt: starts.get(v.id) ?? null })),
    { ...common, sink, resumeCommand: `volmig progress ${volumes.map((v) => v.id).join(' ')} --watch` },
  );
}
