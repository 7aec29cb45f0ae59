import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseHost, type BackendConfig } from './layout.js';
import type { Storage } from './backends.js';
import type { SandboxLog } from './log.js';
import { sleepUnlessAborted, startDdCopy, startFileCopy, type CopyJob, type CopyRequest } from './movers.js';
import { apiTimestamp, type MigrationRecord, type StateStore, type VolumeRecord } from './state.js';
import { volumePayload } from './views.js';
import type { Notifier } from './notifications.js';


export interface EngineOptions {
  store: StateStore;
  storage: Storage;
  log: SandboxLog;
  notifier: Notifier;
  /** Cinder's project for temporary destination volumes (the seed's "internal tenant"). */
  internalProject: string;
  reportIntervalMs: number;
  copyRateBytesPerSecond?: number;
  maxConcurrentCopiesPerBackend: number;
  /** How long the short-lived states (`starting`, `creating` target, `completing`) stay visible. */
  phaseDelayMs: number;
}

/** The word `migration_progress` carries for a driver-assisted migration whose backend cannot measure it. */
export const INDETERMINATE_PROGRESS = 'in progress';

interface Running {
  aborted: boolean;
  abortController: AbortController;
  job?: CopyJob;
  copyDone: boolean;
  lastPercent: number;
  lastBytes: number;
  timer?: NodeJS.Timeout;
}

/**
 * The volume manager's migration code: Cinder's state machine (`starting` → `migrating` → `completing` →
 * `success`/`error`), generic copies through a temporary destination volume owned by the internal project, the
 * driver-assisted path between pools of one backend, progress measurement and reporting, aborts, and crash recovery.
 */
export class MigrationEngine {
  private readonly o: EngineOptions;
  private readonly running = new Map<string, Running>();
  private readonly slots: CopySlots;

  constructor(options: EngineOptions) {
    this.o = options;
    this.slots = new CopySlots(options.maxConcurrentCopiesPerBackend);
  }

  private get state() {
    return this.o.store.state;
  }

  get reportIntervalSeconds(): number {
    return this.o.reportIntervalMs / 1000;
  }

  /** Starts the asynchronous part of an accepted migration (the API already persisted `starting`). */
  start(volumeId: string): void {
    const rt: Running = { aborted: false, abortController: new AbortController(), copyDone: false, lastPercent: 0, lastBytes: 0 };
    this.running.set(volumeId, rt);
    this.run(volumeId, rt).catch((err: unknown) => {
      if (rt.aborted) return;
      this.fail(volumeId, `internal error: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  /**
   * `migration_progress` for the API: a percent while `migrating` ("0" while waiting for a copy slot), the
   * indeterminate word for a driver-assisted copy on a backend without `migration_progress_report`, never lower
   * than a value already shown, "100" only once the copy is complete.
   */
  progressFor(volumeId: string): string | undefined {
    const rec = this.state.migrations[volumeId];
    if (!rec || rec.phase !== 'migrating') return undefined;
    if (rec.kind === 'driver-assisted' && !this.backendOf(rec.sourceHost)?.migrationProgressReport) return INDETERMINATE_PROGRESS;
    return String(this.measure(volumeId, rec).percent);
  }

  private measure(volumeId: string, rec: MigrationRecord): { percent: number; bytes: number } {
    const rt = this.running.get(volumeId);
    if (!rt) return { percent: 0, bytes: 0 };
    if (rt.copyDone) return { percent: 100, bytes: rec.bytesTotal };
    let position: number | undefined;
    if (rec.kind === 'driver-assisted') {
      position = this.o.storage.backendCopyProgress(this.backendOf(rec.sourceHost)!.name, volumeId)?.copied;
    } else {
      position = rt.job?.position();
    }
    if (position !== undefined && rec.bytesTotal > 0) {
      rt.lastBytes = Math.max(rt.lastBytes, Math.min(position, rec.bytesTotal));
      rt.lastPercent = Math.max(rt.lastPercent, Math.min(99, Math.floor((rt.lastBytes * 100) / rec.bytesTotal)));
    }
    return { percent: rt.lastPercent, bytes: rt.lastBytes };
  }

  private backendOf(host: string | null): BackendConfig | undefined {
    return this.o.storage.locate(host)?.backend;
  }

  private publisher(host: string | null): string {
    return host ? host.split('#')[0]! : this.o.storage.layout.hostName;
  }

  private payload(v: VolumeRecord, rec: MigrationRecord, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      ...volumePayload(v),
      source_host: rec.sourceHost,
      destination_host: rec.destinationHost,
      migration_type: rec.kind,
      ...extra,
    };
  }

  notifyRetype(v: VolumeRecord, publisherHost: string): void {
    this.o.notifier.emit('volume.retype', 'INFO', volumePayload(v), this.publisher(publisherHost));
  }

  private async run(volumeId: string, rt: Running): Promise<void> {
    const { store, storage, log } = this.o;
    await sleepUnlessAborted(this.o.phaseDelayMs, rt.abortController.signal);
    if (rt.aborted) return;
    const rec = this.state.migrations[volumeId]!;
    const volume = this.state.volumes[volumeId]!;

    const placement = this.schedule(volume, rec);
    if (typeof placement === 'string') {
      this.fail(volumeId, placement);
      return;
    }
    const source = storage.locate(volume.host)!;
    const kind = source.backend.name === placement.backend.name && !rec.forceHostCopy ? 'driver-assisted' : 'generic';
    const fileId = volume.name_id ?? volume.id;
    const sourceFile = storage.fileFor(volume.host!, fileId);
    const bytesTotal = storage.volumeBytes(volume.size);
    const targetId = kind === 'generic' ? randomUUID() : null;
    const targetFile = storage.fileFor(placement.host, targetId ?? fileId);

    store.update((s) => {
      rec.kind = kind;
      rec.phase = 'migrating';
      rec.destinationHost = placement.host;
      rec.targetId = targetId;
      rec.targetFile = targetFile;
      rec.bytesTotal = bytesTotal;
      volume.migration_status = 'migrating';
      volume.updated_at = apiTimestamp();
      if (targetId) {
        const now = apiTimestamp();
        s.volumes[targetId] = {
          ...structuredClone(volume),
          id: targetId,
          project_id: this.o.internalProject,
          user_id: this.o.internalProject,
          status: 'creating',
          previous_status: null,
          host: placement.host,
          volume_type_id: rec.retypeToTypeId ?? volume.volume_type_id,
          name_id: null,
          migration_status: `target:${volumeId}`,
          attach_status: 'detached',
          attachments: [],
          created_at: now,
          updated_at: null,
          launched_at: null,
        };
      }
    });
    storage.createFile(placement.host, targetId ?? fileId, volume.size);
    log.info(
      `Migration of volume ${volumeId} started: ${rec.sourceHost} -> ${placement.host} (${kind}` +
        `${kind === 'generic' ? `, mover ${this.moverFor(source.backend, placement.backend)}, temporary volume ${targetId}` : ''}` +
        `, ${bytesTotal} bytes${rec.lockVolume ? ', volume locked' : ''})`,
    );
    this.o.notifier.emit('volume.migrate.start', 'INFO', this.payload(volume, rec, { bytes_total: bytesTotal }), this.publisher(rec.sourceHost));

    if (targetId) {
      await sleepUnlessAborted(this.o.phaseDelayMs / 2, rt.abortController.signal);
      if (rt.aborted) return;
      store.update((s) => {
        const target = s.volumes[targetId];
        if (target) {
          target.status = 'available';
          target.updated_at = target.launched_at = apiTimestamp();
        }
      });
    }

    const measurable = kind === 'generic' || source.backend.migrationProgressReport;
    if (measurable) rt.timer = setInterval(() => this.report(volumeId), this.o.reportIntervalMs);

    const backends = [...new Set([source.backend.name, placement.backend.name])];
    if (!this.slots.available(backends)) {
      log.info(`Migration of volume ${volumeId} waits for a copy slot on backend(s) ${backends.join(', ')} (limit ${this.o.maxConcurrentCopiesPerBackend} per backend)`);
    }
    let release: () => void;
    try {
      release = await this.slots.acquire(backends, rt.abortController.signal);
    } catch {
      return;
    }
    try {
      if (rt.aborted) return;
      const request: CopyRequest = {
        source: sourceFile,
        destination: targetFile,
        bytes: bytesTotal,
        rateBytesPerSecond: this.o.copyRateBytesPerSecond,
        onProcessStart: (pid) => store.update((s) => void s.migrations[volumeId]?.pids.push(pid)),
        onProcessEnd: (pid) =>
          store.update((s) => {
            const r = s.migrations[volumeId];
            if (r) r.pids = r.pids.filter((p) => p !== pid);
          }),
      };
      const job =
        kind === 'driver-assisted'
          ? storage.startBackendCopy(source.backend, volumeId, request)
          : this.moverFor(source.backend, placement.backend) === 'dd'
            ? startDdCopy(request)
            : startFileCopy(request);
      rt.job = job;
      try {
        await job.done;
      } catch (err) {
        if (rt.aborted) return;
        this.fail(volumeId, `copy failed: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      if (rt.aborted) return;
      rt.copyDone = true;
      rt.lastPercent = 100;
      rt.lastBytes = bytesTotal;
    } finally {
      release();
    }
    clearInterval(rt.timer);
    if (measurable) this.report(volumeId);

    if (kind === 'generic') {
      store.update(() => {
        rec.phase = 'completing';
        volume.migration_status = 'completing';
        volume.updated_at = apiTimestamp();
      });
      await sleepUnlessAborted(this.o.phaseDelayMs, rt.abortController.signal);
      if (rt.aborted) return;
      // The database swap: the source record takes the destination's host and data (name_id); the temporary record
      // goes. Real Cinder shows migration_status empty for a moment here, with the host already switched.
      store.update((s) => {
        rec.phase = 'swapped';
        volume.host = placement.host;
        volume.name_id = targetId;
        volume.migration_status = null;
        this.releaseHeldStatus(volume, rec);
        if (rec.retypeToTypeId) volume.volume_type_id = rec.retypeToTypeId;
        volume.updated_at = apiTimestamp();
        delete s.volumes[targetId!];
      });
      storage.removeFile(sourceFile);
      await sleepUnlessAborted(this.o.phaseDelayMs, rt.abortController.signal);
      if (rt.aborted) return;
    } else {
      store.update(() => {
        rec.phase = 'swapped';
        volume.host = placement.host;
        this.releaseHeldStatus(volume, rec);
        if (rec.retypeToTypeId) volume.volume_type_id = rec.retypeToTypeId;
        volume.updated_at = apiTimestamp();
      });
      storage.removeFile(sourceFile);
    }
    this.succeed(volumeId);
  }

  private moverFor(source: BackendConfig, destination: BackendConfig): 'dd' | 'file-io' {
    // dd needs both ends as block devices; an RBD-like end is only reachable through file I/O.
    return source.mover === 'dd' && destination.mover === 'dd' ? 'dd' : 'file-io';
  }

  private report(volumeId: string): void {
    const rec = this.state.migrations[volumeId];
    const volume = this.state.volumes[volumeId];
    if (!rec || !volume || rec.phase !== 'migrating') return;
    const { percent, bytes } = this.measure(volumeId, rec);
    this.o.log.info(`Migration of volume ${volumeId} progress: ${percent}% (${bytes} of ${rec.bytesTotal} bytes copied)`);
    this.o.notifier.emit(
      'volume.migrate.progress',
      'INFO',
      this.payload(volume, rec, { migration_progress: percent, bytes_copied: bytes, bytes_total: rec.bytesTotal }),
      this.publisher(rec.sourceHost),
    );
  }

  private schedule(v: VolumeRecord, rec: MigrationRecord): { backend: BackendConfig; pool: string; host: string } | string {
    const { storage } = this.o;
    const noValidBackend = `NoValidBackend: Cannot place volume ${v.id} on ${rec.destinationHost}.`;
    const requested = parseHost(rec.destinationHost);
    const backend = storage.backend(requested.backend);
    if (!backend || requested.host !== storage.layout.hostName) return noValidBackend;
    const typeId = rec.retypeToTypeId ?? v.volume_type_id;
    const pin = this.state.volumeTypes[typeId]?.extra_specs.volume_backend_name;
    if (pin !== undefined && pin !== backend.name) return noValidBackend;
    const volumes = Object.values(this.state.volumes);
    const candidates = backend.pools
      .map((p) => p.name)
      .filter((p) => requested.pool === undefined || p === requested.pool)
      .map((pool) => ({ pool, host: `${storage.layout.hostName}@${backend.name}#${pool}`, free: storage.freeGb(backend.name, pool, volumes) }))
      .filter((c) => c.host !== v.host && c.free >= v.size)
      .sort((a, b) => b.free - a.free);
    const chosen = candidates[0];
    if (!chosen) return noValidBackend;
    return { backend, pool: chosen.pool, host: chosen.host };
  }

  private releaseHeldStatus(volume: VolumeRecord, rec: MigrationRecord): void {
    if (rec.heldStatus && volume.status === rec.heldStatus) {
      volume.status = volume.previous_status ?? 'available';
      volume.previous_status = null;
    }
  }

  private recordOutcome(volumeId: string, rec: MigrationRecord, result: 'success' | 'error', reason: string | null): void {
    this.o.store.recordOutcome({
      volumeId,
      sourceHost: rec.sourceHost,
      destinationHost: rec.destinationHost,
      result,
      reason,
      startedAt: rec.startedAt,
      finishedAt: apiTimestamp(),
    });
  }

  private succeed(volumeId: string): void {
    const rec = this.state.migrations[volumeId]!;
    const rt = this.running.get(volumeId);
    if (rt) clearInterval(rt.timer);
    this.running.delete(volumeId);
    const volume = this.o.store.update((s) => {
      const v = s.volumes[volumeId]!;
      v.migration_status = 'success';
      v.updated_at = apiTimestamp();
      delete s.migrations[volumeId];
      this.recordOutcome(volumeId, rec, 'success', null);
      return v;
    });
    this.o.log.info(`Migration of volume ${volumeId} completed: now on ${volume.host} (${rec.kind}, ${rec.bytesTotal} bytes)`);
    this.o.notifier.emit(
      'volume.migrate.end',
      'INFO',
      this.payload(volume, rec, { migration_progress: 100, bytes_copied: rec.bytesTotal, bytes_total: rec.bytesTotal }),
      this.publisher(rec.sourceHost),
    );
    if (rec.retypeToTypeId) this.notifyRetype(volume, rec.sourceHost);
  }

  /**
   * Ends an in-flight migration in `error`: the copy stops, the temporary volume and its data go, the status the
   * migration held is restored, the reason is logged, notified and kept in the state's outcomes. The source data
   * is never touched. Returns false when there is nothing left to abort (already completing or finished).
   */
  fail(volumeId: string, reason: string): boolean {
    const rec = this.state.migrations[volumeId];
    if (!rec) return false;
    if (rec.phase === 'swapped') return false;
    const rt = this.running.get(volumeId);
    if (rt) {
      rt.aborted = true;
      rt.abortController.abort();
      rt.job?.abort();
      clearInterval(rt.timer);
      this.running.delete(volumeId);
    }
    const { percent, bytes } = rt ? { percent: rt.lastPercent, bytes: rt.lastBytes } : { percent: 0, bytes: 0 };
    const volume = this.o.store.update((s) => {
      const v = s.volumes[volumeId];
      if (rec.targetId) delete s.volumes[rec.targetId];
      delete s.migrations[volumeId];
      this.recordOutcome(volumeId, rec, 'error', reason);
      if (!v) return undefined;
      v.migration_status = 'error';
      this.releaseHeldStatus(v, rec);
      v.updated_at = apiTimestamp();
      return v;
    });
    if (rec.targetFile) {
      const sourceFile = volume?.host ? this.o.storage.fileFor(volume.host, volume.name_id ?? volume.id) : undefined;
      if (rec.targetFile !== sourceFile) this.o.storage.removeFile(rec.targetFile);
    }
    this.o.log.error(`Migration of volume ${volumeId} failed: ${reason}`);
    if (volume) {
      this.o.notifier.emit(
        'volume.migrate.error',
        'ERROR',
        this.payload(volume, rec, { reason, migration_progress: percent, bytes_copied: bytes, bytes_total: rec.bytesTotal }),
        this.publisher(rec.sourceHost),
      );
    }
    return true;
  }

  /** Aborts the migration of a volume if one is in flight and still abortable (not yet completing). */
  abort(volumeId: string, reason: string): boolean {
    const rec = this.state.migrations[volumeId];
    if (!rec || rec.phase === 'completing' || rec.phase === 'swapped') return false;
    return this.fail(volumeId, reason);
  }

  /**
   * After a crash (or at a clean stop): copy processes recorded in the state are ended (after checking that the
   * pid still runs our dd), committed swaps are finished, everything else in flight ends in `error`.
   */
  recover(reason: string): void {
    for (const rec of Object.values(this.state.migrations)) {
      for (const pid of rec.pids) killOurCopy(pid, rec.targetFile, this.o.log);
      if (rec.phase === 'swapped') {
        const v = this.state.volumes[rec.volumeId];
        if (v) {
          this.o.store.update(() => {
            this.releaseHeldStatus(v, rec);
            if (rec.retypeToTypeId) v.volume_type_id = rec.retypeToTypeId;
          });
          this.o.log.info(`Recovery: migration of volume ${rec.volumeId} had already switched to ${v.host}; recording success`);
          this.succeed(rec.volumeId);
          continue;
        }
      }
      this.fail(rec.volumeId, reason);
    }
  }

  /** Stops every copy (killing dd), waits for them, and ends their migrations in `error`. */
  async stop(reason: string): Promise<void> {
    const jobs: Promise<unknown>[] = [];
    for (const rt of this.running.values()) {
      rt.aborted = true;
      rt.abortController.abort();
      clearInterval(rt.timer);
      if (rt.job) {
        rt.job.abort();
        jobs.push(rt.job.done.catch(() => undefined));
      }
    }
    await Promise.all(jobs);
    this.running.clear();
    this.recover(reason);
  }
}

function killOurCopy(pid: number, targetFile: string | null, log: SandboxLog): void {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return;
  }
  // A recorded pid may have been reused by an unrelated process since: only end a dd writing our target.
  const isOurs = /(^|\/)dd$/.test(argv[0] ?? '') && targetFile !== null && argv.includes(`of=${targetFile}`);
  if (!isOurs) return;
  try {
    process.kill(pid, 'SIGKILL');
    log.warn(`Recovery: killed orphaned copy process ${pid} (${argv.filter(Boolean).join(' ')})`);
  } catch {
    /* already gone */
  }
}

/** Per-backend limit on concurrent copies; a copy between two backends holds a slot on each. */
class CopySlots {
  private readonly limit: number;
  private readonly active = new Map<string, number>();
  private readonly waiters: { backends: string[]; grant: () => void }[] = [];

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  available(backends: string[]): boolean {
    return backends.every((b) => (this.active.get(b) ?? 0) < this.limit);
  }

  acquire(backends: string[], signal: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        for (const b of backends) this.active.set(b, (this.active.get(b) ?? 0) + 1);
        signal.removeEventListener('abort', onAbort);
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          for (const b of backends) this.active.set(b, (this.active.get(b) ?? 1) - 1);
          this.wake();
        });
      };
      const waiter = { backends, grant };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error('aborted'));
      };
      if (signal.aborted) return reject(new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      if (this.waiters.length === 0 && this.available(backends)) grant();
      else this.waiters.push(waiter);
    });
  }

  private wake(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i]!;
      if (this.available(w.backends)) {
        this.waiters.splice(i, 1);
        w.grant();
      } else i++;
    }
  }
}
