import { normalizedMigrationStatus, numericProgress, type Volume, volumeHost } from '../model/cinder.js';
import { GIB } from '../model/duration.js';
import { isTerminal, readPhase, type MigrationBaseline, type MigrationPhase } from './phases.js';
import type { ProgressSourceName } from './sources/probe.js';

/** A reading from a progress source other than the server (src/migration/sources/). */
export interface ExternalReading {
  source: 'ceph' | 'process';
  bytesCopied: number;
  totalBytes: number;
}

export interface TrackerOptions {
  volumeId: string;
  /**
   * When the migration started, when volmig knows it (its own request, the journal, the server's timestamps):
   * elapsed time counts from here. Null: only the watch's own time is known, and the output says "watched".
   */
  startedAt: number | null;
  /** When this watch began (default: startedAt, else the first observation). */
  watchStartedAt?: number;
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
  /** Percent to display: monotonic, at most 99 until success, 100 on success; null when no source ever gave one. */
  percent: number | null;
  /** No source gives numeric progress for this migration (driver-assisted, or upstream Cinder without a probe). */
  indeterminate: boolean;
  /** Where the numbers come from: the server's migration_progress, a storage probe, or none. */
  source: ProgressSourceName;
  /** The server's own progress string, verbatim (e.g. "42" or a driver's word). */
  serverProgress: string | null;
  bytesCopied: number | null;
  /** What bytesCopied counts up to: the volume size, or a probe's denominator (the data of a sparse copy). */
  totalBytes: number;
  /** The volume's size in bytes. */
  sizeBytes: number;
  /** Smoothed copy rate in bytes per second from observed progress, null until two numeric samples exist. */
  rateBytesPerSecond: number | null;
  etaMs: number | null;
  /** Since the migration started when that is known (startKnown), else since this watch began. */
  elapsedMs: number;
  /** elapsedMs counts from the migration's start (false: only from when this watch began). */
  startKnown: boolean;
  sourceHost: string | null;
  host: string | null;
  destination: string | null;
  completionGap: boolean;
  resetObserved: boolean;
  lastResult: 'success' | 'error' | null;
  /** Time of the last observable change (phase, progress, host): the stall clock. */
  lastChangeAt: number;
  /** Something a person would notice changed since the previous observation. */
  changed: boolean;
  volume: Volume;
}

interface Sample {
  at: number;
  bytes: number;
}

/**
 * Turns a sequence of GET /volumes/{id} answers (and, where the server gives no number, a storage probe's readings)
 * into progress: phase, monotonic capped percent, smoothed rate, ETA and the stall clock. Pure: time comes in with
 * each observation, so tests script whole migrations instantly.
 */
export class MigrationTracker {
  private readonly rateTimeConstantMs: number;
  private readonly completionGapGraceMs: number;
  private startedAt: number | null;
  private watchStartedAt: number | null;
  private sourceHost: string | null;
  private destination: string | null;
  private seenInFlight = false;
  /** The source the numbers come from, once one gave a number; it is kept so that the figures never mix. */
  private numbersFrom: Exclude<ProgressSourceName, 'none'> | null = null;
  private maxBytes = 0;
  private total = 0;
  private firstSample: Sample | null = null;
  private lastSample: Sample | null = null;
  private rate: number | null = null;
  private gapSince: number | null = null;
  private lastChangeAt: number;
  private last: ProgressSnapshot | null = null;

  constructor(private readonly options: TrackerOptions) {
    this.rateTimeConstantMs = options.rateTimeConstantMs ?? 15_000;
    this.completionGapGraceMs = options.completionGapGraceMs ?? 30_000;
    this.startedAt = options.startedAt;
    this.watchStartedAt = options.watchStartedAt ?? options.startedAt;
    this.sourceHost = options.baseline?.host ?? null;
    this.destination = options.destination ?? null;
    this.lastChangeAt = options.startedAt ?? options.watchStartedAt ?? 0;
  }

  get snapshot(): ProgressSnapshot | null {
    return this.last;
  }

  setDestination(destination: string | null): void {
    if (destination) this.destination = destination;
  }

  /** The migration's start, learnt after the watch began (the server's timestamps); ignored once known. */
  learnStart(at: number): void {
    if (this.startedAt === null && Number.isFinite(at)) this.startedAt = at;
  }

  observe(volume: Volume, at: number, external?: ExternalReading): ProgressSnapshot {
    if (this.watchStartedAt === null) {
      this.watchStartedAt = at;
      this.lastChangeAt = at;
    }
    const host = volumeHost(volume);
    if (this.sourceHost === null && this.last === null) this.sourceHost = host;
    const reading = readPhase(volume, {
      baseline: this.options.baseline,
      sourceHost: this.sourceHost,
      seenInFlight: this.seenInFlight,
    });
    let phase = reading.phase;
    if (phase === 'starting' || phase === 'migrating' || phase === 'completing') this.seenInFlight = true;

    if (reading.completionGap) {
      this.gapSince ??= at;
      if (at - this.gapSince >= this.completionGapGraceMs) phase = 'success';
    } else {
      this.gapSince = null;
    }

    const sizeBytes = Math.max(0, Number(volume.size) || 0) * GIB;
    const previousBytes = this.maxBytes;
    const inFlight = phase === 'migrating' || phase === 'starting' || phase === 'completing';
    if (inFlight) this.take(volume, sizeBytes, at, external);
    // Without a number from any source, the end gets none either: "success" says it all, and a 100% would be
    // volmig's invention.
    const numeric = this.numbersFrom !== null;
    if (phase === 'success' && numeric) {
      this.maxBytes = this.total;
      this.lastSample = { at, bytes: this.total };
    }

    const total = numeric ? this.total : sizeBytes;
    const fraction = numeric && total > 0 ? this.maxBytes / total : null;
    let percent: number | null = null;
    if (phase === 'success') percent = numeric ? 100 : null;
    else if (fraction !== null) percent = Math.min(99, Math.floor(fraction * 100));
    const bytesCopied = numeric ? (phase === 'success' ? total : this.maxBytes) : null;

    let etaMs: number | null = null;
    if (phase === 'success') etaMs = 0;
    else if (this.rate !== null && this.rate > 0 && bytesCopied !== null && !isTerminal(phase)) {
      etaMs = (Math.max(0, total - bytesCopied) / this.rate) * 1000;
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
    const progressed = prev === null || prev.phase !== phase || prev.host !== host || this.maxBytes > previousBytes;
    if (progressed) this.lastChangeAt = at;

    const snap: ProgressSnapshot = {
      volumeId: this.options.volumeId,
      name: volume.name ?? null,
      at,
      phase,
      status: volume.status,
      migrationStatus: normalizedMigrationStatus(volume),
      percent,
      indeterminate: !numeric,
      source: this.numbersFrom ?? 'none',
      serverProgress: typeof volume.migration_progress === 'string' ? volume.migration_progress : null,
      bytesCopied,
      totalBytes: total,
      sizeBytes,
      rateBytesPerSecond: this.rate,
      etaMs,
      elapsedMs: Math.max(0, at - (this.startedAt ?? this.watchStartedAt ?? at)),
      startKnown: this.startedAt !== null,
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
    return this.stallDeadline(stallMs) !== undefined && at >= this.stallDeadline(stallMs)!;
  }

  /** When the stall timeout would fire if nothing changes (undefined once the migration is over). */
  stallDeadline(stallMs: number): number | undefined {
    if (this.last && (isTerminal(this.last.phase) || this.last.phase === 'idle')) return undefined;
    return this.lastChangeAt + stallMs;
  }

  /** Bytes volmig saw move: from the first numeric reading to the last (0 without numbers). */
  observedBytes(): number {
    if (!this.firstSample || !this.lastSample) return 0;
    return Math.max(0, this.lastSample.bytes - this.firstSample.bytes);
  }

  /**
   * The average copy rate over what volmig saw move: bytes from the first numeric reading to the last, over the time
   * between them. Null when no source gave numbers, or when fewer than two readings exist.
   */
  averageRate(): number | null {
    const first = this.firstSample;
    const last = this.lastSample;
    if (!first || !last || last.at <= first.at || last.bytes <= first.bytes) return null;
    return ((last.bytes - first.bytes) / (last.at - first.at)) * 1000;
  }

  /** The number of this observation, from the server (preferred) or the probe; bytes never go down. */
  private take(volume: Volume, sizeBytes: number, at: number, external?: ExternalReading): void {
    const serverPercent = numericProgress(volume);
    let bytes: number | null = null;
    let total = sizeBytes;
    let from: Exclude<ProgressSourceName, 'none'> | null = null;
    if (serverPercent !== null && this.numbersFrom !== 'ceph' && this.numbersFrom !== 'process') {
      bytes = (sizeBytes * serverPercent) / 100;
      from = 'server';
    } else if (external && (this.numbersFrom === null || this.numbersFrom === external.source) && external.totalBytes > 0) {
      bytes = Math.min(external.bytesCopied, external.totalBytes);
      total = external.totalBytes;
      from = external.source;
    }
    if (bytes === null || from === null) return;
    this.numbersFrom = from;
    this.total = Math.max(this.total, total);
    if (bytes < this.maxBytes) return;
    this.maxBytes = bytes;
    this.sampleRate(at, bytes);
  }

  private sampleRate(at: number, bytes: number): void {
    this.firstSample ??= { at, bytes };
    const prev = this.lastSample;
    this.lastSample = { at, bytes };
    if (prev === null) return;
    const dt = at - prev.at;
    if (dt <= 0) return;
    const instant = ((bytes - prev.bytes) / dt) * 1000;
    if (this.rate === null) {
      this.rate = instant;
    } else {
      // Time-based weight: polls at uneven intervals (error back-off) weigh by how long they cover.
      const alpha = 1 - Math.exp(-dt / this.rateTimeConstantMs);
      this.rate += alpha * (instant - this.rate);
    }
  }
}
