import { normalizedMigrationStatus, numericProgress, type Volume, volumeHost } from '../model/cinder.js';
import { GIB } from '../model/duration.js';
import { isTerminal, readPhase, type MigrationBaseline, type MigrationPhase } from './phases.js';

export interface TrackerOptions {
  volumeId: string;
  /** When the migration was requested (or watching began): elapsed time counts from here. */
  startedAt: number;
  baseline?: MigrationBaseline;
  /** Where the migration is going, when volmig knows (the request it sent, or the target volume's host). */
  destination?: string | null;
  /** Time constant of the exponential rate smoothing. */
  rateTimeConstantMs?: number;
  /**
   * How long an empty migration status with the host already switched may last before it counts as success
   * (real Cinder shows it for ~0.1 s; a longer one means somebody reset the status after the swap).
   */
  completionGapGraceMs?: number;
}

/** Everything a renderer or a script needs about one volume's migration at one moment. */
export interface ProgressSnapshot {
  volumeId: string;
  name: string | null;
  at: number;
  phase: MigrationPhase;
  status: string;
  migrationStatus: string | null;
  /** Percent to display: monotonic, at most 99 until success, 100 on success; null when the server never gave one. */
  percent: number | null;
  /** The server gives no numeric progress for this migration (driver-assisted, or upstream Cinder). */
  indeterminate: boolean;
  /** The server's own progress string, verbatim (e.g. "42" or a driver's word). */
  serverProgress: string | null;
  bytesCopied: number | null;
  totalBytes: number;
  /** Smoothed copy rate in bytes per second, null until two numeric samples exist. */
  rateBytesPerSecond: number | null;
  etaMs: number | null;
  elapsedMs: number;
  sourceHost: string | null;
  host: string | null;
  destination: string | null;
  completionGap: boolean;
  resetObserved: boolean;
  lastResult: 'success' | 'error' | null;
  /** Time of the last observable change (phase, percent, host): the stall clock. */
  lastChangeAt: number;
  /** Something a person would notice changed since the previous observation. */
  changed: boolean;
  volume: Volume;
}

/**
 * Turns a sequence of GET /volumes/{id} answers into progress: phase, monotonic capped percent, smoothed rate, ETA
 * and the stall clock. Pure: time comes in with each observation, so tests script whole migrations instantly.
 */
export class MigrationTracker {
  private readonly opts: Required<Omit<TrackerOptions, 'baseline' | 'destination'>> & Pick<TrackerOptions, 'baseline'>;
  private sourceHost: string | null;
  private destination: string | null;
  private seenInFlight = false;
  private maxPercent: number | null = null;
  private lastPercentSample: { at: number; bytes: number } | null = null;
  private rate: number | null = null;
  private gapSince: number | null = null;
  private lastChangeAt: number;
  private last: ProgressSnapshot | null = null;

  constructor(options: TrackerOptions) {
    this.opts = {
      volumeId: options.volumeId,
      startedAt: options.startedAt,
      baseline: options.baseline,
      rateTimeConstantMs: options.rateTimeConstantMs ?? 15_000,
      completionGapGraceMs: options.completionGapGraceMs ?? 30_000,
    };
    this.sourceHost = options.baseline?.host ?? null;
    this.destination = options.destination ?? null;
    this.lastChangeAt = options.startedAt;
  }

  get snapshot(): ProgressSnapshot | null {
    return this.last;
  }

  setDestination(destination: string | null): void {
    if (destination) this.destination = destination;
  }

  observe(volume: Volume, at: number): ProgressSnapshot {
    const host = volumeHost(volume);
    if (this.sourceHost === null && this.last === null) this.sourceHost = host;
    const reading = readPhase(volume, {
      baseline: this.opts.baseline,
      sourceHost: this.sourceHost,
      seenInFlight: this.seenInFlight,
    });
    let phase = reading.phase;
    if (phase === 'starting' || phase === 'migrating' || phase === 'completing') this.seenInFlight = true;

    if (reading.completionGap) {
      this.gapSince ??= at;
      if (at - this.gapSince >= this.opts.completionGapGraceMs) phase = 'success';
    } else {
      this.gapSince = null;
    }

    const totalBytes = Math.max(0, Number(volume.size) || 0) * GIB;
    const serverPercent = numericProgress(volume);
    const previousMax = this.maxPercent;
    if (serverPercent !== null && (phase === 'migrating' || phase === 'starting' || phase === 'completing')) {
      this.maxPercent = Math.max(this.maxPercent ?? 0, serverPercent);
    }
    // A server that never gave a number (upstream Cinder, driver-assisted copies) gets no percentage at the
    // end either: "success" says it all, and a 100% would be volmig's invention.
    const sawNumeric = this.maxPercent !== null;
    if (phase === 'success' && sawNumeric) this.maxPercent = 100;

    if (this.maxPercent !== null && phase !== 'success') this.sampleRate(at, (totalBytes * this.maxPercent) / 100);

    const indeterminate = this.maxPercent === null;
    let percent: number | null = null;
    if (phase === 'success') percent = sawNumeric ? 100 : null;
    else if (this.maxPercent !== null) percent = Math.min(99, Math.floor(this.maxPercent));
    const bytesCopied = this.maxPercent === null ? null : (totalBytes * this.maxPercent) / 100;

    let etaMs: number | null = null;
    if (phase === 'success') etaMs = 0;
    else if (this.rate !== null && this.rate > 0 && bytesCopied !== null && !isTerminal(phase)) {
      etaMs = ((totalBytes - bytesCopied) / this.rate) * 1000;
    }

    if (host !== null && host !== this.sourceHost && this.destination === null && phase !== 'pending') {
      this.destination = host;
    }

    const prev = this.last;
    const changed =
      prev === null ||
      prev.phase !== phase ||
      prev.percent !== percent ||
      prev.status !== volume.status ||
      prev.host !== host ||
      prev.migrationStatus !== normalizedMigrationStatus(volume);
    const progressed =
      prev === null || prev.phase !== phase || prev.host !== host || (this.maxPercent ?? -1) > (previousMax ?? -1);
    if (progressed) this.lastChangeAt = at;

    const snap: ProgressSnapshot = {
      volumeId: this.opts.volumeId,
      name: volume.name ?? null,
      at,
      phase,
      status: volume.status,
      migrationStatus: normalizedMigrationStatus(volume),
      percent,
      indeterminate,
      serverProgress: typeof volume.migration_progress === 'string' ? volume.migration_progress : null,
      bytesCopied: phase === 'success' ? totalBytes : bytesCopied,
      totalBytes,
      rateBytesPerSecond: this.rate,
      etaMs,
      elapsedMs: Math.max(0, at - this.opts.startedAt),
      sourceHost: this.sourceHost,
      host,
      destination: this.destination,
      completionGap: reading.completionGap && phase !== 'success',
      resetObserved: reading.resetObserved,
      lastResult: reading.lastResult,
      lastChangeAt: this.lastChangeAt,
      changed,
      volume,
    };
    this.last = snap;
    return snap;
  }

  /** No observable change for at least `stallMs` (only meaningful while the migration is not over). */
  isStalled(at: number, stallMs: number): boolean {
    if (this.last && (isTerminal(this.last.phase) || this.last.phase === 'idle')) return false;
    return at - this.lastChangeAt >= stallMs;
  }

  /** Average rate over the whole migration, for the closing summary. */
  averageRate(at: number): number | null {
    const seconds = (at - this.opts.startedAt) / 1000;
    if (!this.last || seconds <= 0) return null;
    return this.last.totalBytes / seconds;
  }

  private sampleRate(at: number, bytes: number): void {
    const prev = this.lastPercentSample;
    if (prev === null) {
      this.lastPercentSample = { at, bytes };
      return;
    }
    const dt = at - prev.at;
    if (dt <= 0) return;
    const instant = ((bytes - prev.bytes) / dt) * 1000;
    if (this.rate === null) {
      this.rate = instant;
    } else {
      // Time-based weight: polls at uneven intervals (error back-off) weigh by how long they cover.
      const alpha = 1 - Math.exp(-dt / this.opts.rateTimeConstantMs);
      this.rate += alpha * (instant - this.rate);
    }
    this.lastPercentSample = { at, bytes };
  }
}
