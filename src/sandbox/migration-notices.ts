/** The `volume.migrate.*` and `volume.retype` notifications of a migration, with Cinder-shaped volume payloads. */
import type { ProgressReading } from './migration-progress.js';
import type { Notifier } from './notifications.js';
import type { MigrationRecord, VolumeRecord } from './state.js';
import { volumePayload } from './views.js';

export class MigrationNotices {
  constructor(
    private readonly notifier: Notifier,
    private readonly hostName: string,
  ) {}

  /** `volume.<host@backend>`, the volume service that does the work (Cinder's publisher id without the pool). */
  private publisher(host: string | null): string {
    return host ? host.split('#')[0]! : this.hostName;
  }

  private payload(v: VolumeRecord, rec: MigrationRecord, extra: Record<string, unknown>): Record<string, unknown> {
    return { ...volumePayload(v), source_host: rec.sourceHost, destination_host: rec.destinationHost, migration_type: rec.kind, ...extra };
  }

  retype(v: VolumeRecord, publisherHost: string): void {
    this.notifier.emit('volume.retype', 'INFO', volumePayload(v), this.publisher(publisherHost));
  }

  start(v: VolumeRecord, rec: MigrationRecord): void {
    this.notifier.emit('volume.migrate.start', 'INFO', this.payload(v, rec, { bytes_total: rec.bytesTotal }), this.publisher(rec.sourceHost));
  }

  progress(v: VolumeRecord, rec: MigrationRecord, { percent, bytes }: ProgressReading): void {
    const extra = { migration_progress: percent, bytes_copied: bytes, bytes_total: rec.bytesTotal };
    this.notifier.emit('volume.migrate.progress', 'INFO', this.payload(v, rec, extra), this.publisher(rec.sourceHost));
  }

  end(v: VolumeRecord, rec: MigrationRecord): void {
    const extra = { migration_progress: 100, bytes_copied: rec.bytesTotal, bytes_total: rec.bytesTotal };
    this.notifier.emit('volume.migrate.end', 'INFO', this.payload(v, rec, extra), this.publisher(rec.sourceHost));
  }

  error(v: VolumeRecord, rec: MigrationRecord, reason: string, { percent, bytes }: ProgressReading): void {
    const extra = { reason, migration_progress: percent, bytes_copied: bytes, bytes_total: rec.bytesTotal };
    this.notifier.emit('volume.migrate.error', 'ERROR', this.payload(v, rec, extra), this.publisher(rec.sourceHost));
  }
}
