import { randomUUID } from 'node:crypto';
import type { Storage } from './backends.js';
import { CopySlots } from './copy-slots.js';
import type { BackendConfig } from './layout.js';
import type { SandboxLog } from './log.js';
import { MigrationNotices } from './migration-notices.js';
import { INDETERMINATE_PROGRESS, ProgressMeter, type ProgressReading } from './migration-progress.js';
import { killOrphanedCopy, sleepUnlessAborted, startDdCopy, startFileCopy, type CopyJob, type CopyRequest } from './movers.js';
import { MIGRATION_FAILURE, type MessageField, type UserMessages } from './messages.js';
import type { Notifier } from './notifications.js';
import type { Provisioning } from './provisioning.js';
import { apiTimestamp, type MigrationRecord, type StateStore, type VolumeRecord } from './state.js';

export interface EngineOptions {
  store: StateStore;
  storage: Storage;
  log: SandboxLog;
  notifier: Notifier;
  provisioning: Provisioning;
  messages: UserMessages;
  /** Cinder's project for temporary destination volumes (the seed's "internal tenant"). */
  internalProject: string;
  reportIntervalMs: number;
  copyRateBytesPerSecond?: number;
  maxConcurrentCopiesPerBackend: number;
  /** How long the short-lived states (`starting`, `creating` target, `completing`) stay visible. */
  phaseDelayMs: number;
}

interface Running {
  aborted: boolean;
  abortController: AbortController;
  job?: CopyJob;
  meter: ProgressMeter;
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
  private readonly notices: MigrationNotices;

  constructor(options: EngineOptions) {
    this.o = options;
    this.slots = new CopySlots(options.maxConcurrentCopiesPerBackend);
    this.notices = new MigrationNotices(options.notifier, options.storage.layout.hostName);
  }

  private get state() {
    return this.o.store.state;
  }

  get reportIntervalSeconds(): number {
    return this.o.reportIntervalMs / 1000;
  }

  /** Starts the asynchronous part of an accepted migration (the API already persisted `starting`). */
  start(volumeId: string): void {
    const rt: Running = { aborted: false, abortController: new AbortController(), meter: new ProgressMeter() };
    this.running.set(volumeId, rt);
    this.run(volumeId, rt).catch((err: unknown) => {
      if (rt.aborted) return;
      this.fail(volumeId, `internal error: ${err instanceof Error ? err.message : String(err)}`, MIGRATION_FAILURE.unknown);
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

  /** The copy's position as its mover (or, driver-assisted, its backend) reports it, through the meter. */
  private measure(volumeId: string, rec: MigrationRecord): ProgressReading {
    const rt = this.running.get(volumeId);
    if (!rt) return { percent: 0, bytes: 0 };
    const position =
      rec.kind === 'driver-assisted'
        ? this.o.storage.backendCopyProgress(this.backendOf(rec.sourceHost)!.name, volumeId)?.copied
        : rt.job?.position();
    return rt.meter.observe(position, rec.bytesTotal);
  }

  private backendOf(host: string | null): BackendConfig | undefined {
    return this.o.storage.locate(host)?.backend;
  }

  notifyRetype(v: VolumeRecord, publisherHost: string): void {
    this.notices.retype(v, publisherHost);
  }

  private async run(volumeId: string, rt: Running): Promise<void> {
    const { store, storage, log } = this.o;
    await sleepUnlessAborted(this.o.phaseDelayMs, rt.abortController.signal);
    if (rt.aborted) return;
    const rec = this.state.migrations[volumeId]!;
    const volume = this.state.volumes[volumeId]!;

    const placement = this.o.provisioning.placeMigration(volume, rec.destinationHost, rec.retypeToTypeId ?? volume.volume_type_id);
    if (typeof placement === 'string') {
      this.fail(volumeId, placement, MIGRATION_FAILURE.noValidBackend);
      return;
    }
    const source = storage.locate(volume.host)!;
    if (placement.host === volume.host && !rec.forceHostCopy) {
      // Real Cinder (RBD, transcripts/poll-H9-nopool.log): the driver finds nothing to do and reports success.
      store.update(() => {
        rec.kind = 'driver-assisted';
        rec.phase = 'migrating';
        volume.migration_status = 'migrating';
        volume.updated_at = apiTimestamp();
      });
      log.info(`Migration of volume ${volumeId} resolved to its own pool ${placement.host}: nothing to copy`);
      await sleepUnlessAborted(this.o.phaseDelayMs, rt.abortController.signal);
      if (rt.aborted) return;
      store.update(() => {
        rec.phase = 'swapped';
        this.releaseHeldStatus(volume, rec);
        if (rec.retypeToTypeId) volume.volume_type_id = rec.retypeToTypeId;
      });
      this.succeed(volumeId);
      return;
    }
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
    this.notices.start(volume, rec);

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
        this.fail(volumeId, `copy failed: ${err instanceof Error ? err.message : String(err)}`, MIGRATION_FAILURE.copyFailed);
        return;
      }
      if (rt.aborted) return;
      rt.meter.complete(bytesTotal);
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
    const reading = this.measure(volumeId, rec);
    this.o.log.info(`Migration of volume ${volumeId} progress: ${reading.percent}% (${reading.bytes} of ${rec.bytesTotal} bytes copied)`);
    this.notices.progress(volume, rec, reading);
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
    this.notices.end(volume, rec);
    if (rec.retypeToTypeId) this.notifyRetype(volume, rec.sourceHost);
  }

  /**
   * Ends an in-flight migration in `error`: the copy stops, the temporary volume and its data go, the status the
   * migration held is restored, the reason is logged, notified and kept in the state's outcomes, and a user message
   * (`detail`, Cinder's fixed wording) is served at GET /messages. The source data is never touched. Returns false
   * when there is nothing left to abort (already completing or finished).
   */
  fail(volumeId: string, reason: string, detail: MessageField): boolean {
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
    const reading = rt ? rt.meter.reading : { percent: 0, bytes: 0 };
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
    this.o.messages.migrationFailed({
      projectId: rec.requestProjectId ?? volume?.project_id ?? this.o.internalProject,
      requestId: rec.requestId,
      volumeId,
      detail,
    });
    this.o.log.error(`Migration of volume ${volumeId} failed: ${reason}`);
    if (volume) this.notices.error(volume, rec, reason, reading);
    return true;
  }

  /** Aborts the migration of a volume if one is in flight and still abortable (not yet completing). */
  abort(volumeId: string, reason: string, detail: MessageField): boolean {
    const rec = this.state.migrations[volumeId];
    if (!rec || rec.phase === 'completing' || rec.phase === 'swapped') return false;
    return this.fail(volumeId, reason, detail);
  }

  /**
   * After a crash (or at a clean stop): copy processes recorded in the state are ended (after checking that the
   * pid still runs our dd), committed swaps are finished, everything else in flight ends in `error`.
   */
  recover(reason: string): void {
    for (const rec of Object.values(this.state.migrations)) {
      for (const pid of rec.pids) killOrphanedCopy(pid, rec.targetFile, (line) => this.o.log.warn(`Recovery: ${line}`));
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
      this.fail(rec.volumeId, reason, MIGRATION_FAILURE.serviceStopped);
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
