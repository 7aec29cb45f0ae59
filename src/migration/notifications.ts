import type { NotificationPublisher } from '../notify/publisher.js';
import { volumePayloadFromApi } from '../notify/volume-payload.js';
import type { EvacuationRenderer } from './evacuate/types.js';
import type { ProgressSink, WatchResult } from './progress.js';
import type { ProgressSnapshot } from './tracker.js';

/**
 * `--notify`: what volmig sees of a migration, published to the cloud's bus as the seed's notifications
 * (`volume.migrate.start`, `.progress` at every poll while it runs, `.end`, `.error`), in the oslo.messaging v2
 * envelope Ceilometer reads. Upstream Cinder emits none of these; volmig does it for real clouds. The payload is
 * Cinder's volume payload plus the progress fields and where the numbers come from (`progress_source`).
 */
export class MigrationNotifications {
  private readonly started = new Set<string>();

  constructor(
    private readonly publisher: NotificationPublisher,
    private readonly publisherId: string,
  ) {}

  observed(s: ProgressSnapshot): void {
    const inFlight = s.phase === 'starting' || s.phase === 'migrating' || s.phase === 'completing';
    if (!inFlight) return;
    if (!this.started.has(s.volumeId)) {
      this.started.add(s.volumeId);
      this.publisher.publish('volume.migrate.start', 'INFO', this.payload(s), this.publisherId);
    }
    this.publisher.publish('volume.migrate.progress', 'INFO', this.payload(s), this.publisherId);
  }

  /** The end of a migration as volmig saw it: `.end` for a success, `.error` for a failure (a lapse publishes nothing). */
  ended(s: ProgressSnapshot | null, outcome: 'success' | 'error' | 'other', reason?: string): void {
    if (!s) return;
    if (outcome === 'success') this.publisher.publish('volume.migrate.end', 'INFO', this.payload(s), this.publisherId);
    else if (outcome === 'error') this.publisher.publish('volume.migrate.error', 'ERROR', { ...this.payload(s), reason: reason ?? null }, this.publisherId);
  }

  close(): Promise<void> {
    return this.publisher.close();
  }

  private payload(s: ProgressSnapshot): Record<string, unknown> {
    return {
      ...volumePayloadFromApi(s.volume),
      migration_status: s.migrationStatus,
      source_host: s.sourceHost,
      destination_host: s.destination,
      migration_progress: s.percent,
      bytes_copied: s.bytesCopied === null ? null : Math.round(s.bytesCopied),
      bytes_total: s.totalBytes,
      rate_bytes_per_second: s.rateBytesPerSecond === null ? null : Math.round(s.rateBytesPerSecond),
      eta_seconds: s.etaMs === null ? null : Math.round(s.etaMs / 1000),
      progress_source: s.source,
    };
  }
}

/** The evacuation's display, which also publishes what it follows (every poll of every running move). */
export function notifyingEvacuationRenderer(renderer: EvacuationRenderer, notifications: MigrationNotifications): EvacuationRenderer {
  return {
    started: (s, a) => renderer.started(s, a),
    observed: (s) => {
      if (s.snapshot) notifications.observed(s.snapshot);
      renderer.observed?.(s);
    },
    progress: (s, a) => renderer.progress(s, a),
    finished: (s, a) => {
      const outcome = s.result === 'moved' ? 'success' : s.result === 'failed' ? 'error' : 'other';
      notifications.ended(s.snapshot, outcome, s.reason);
      renderer.finished(s, a);
    },
    notice: (line) => renderer.notice(line),
    stop: () => renderer.stop(),
  };
}

/** The watch's display, which also publishes what it shows. */
export function notifyingSink(sink: ProgressSink, notifications: MigrationNotifications): ProgressSink {
  return {
    update: (s) => {
      notifications.observed(s);
      sink.update(s);
    },
    notice: (m, id, kind) => sink.notice(m, id, kind),
    result: (r: WatchResult) => {
      notifications.ended(r.snapshot, r.outcome === 'success' ? 'success' : r.outcome === 'error' ? 'error' : 'other', r.summary);
      sink.result(r);
    },
    stop: () => sink.stop(),
    watchStopped: sink.watchStopped ? (resume, n) => sink.watchStopped!(resume, n) : undefined,
  };
}
