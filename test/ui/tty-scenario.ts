import { vi } from 'vitest';
import type { Volume } from '../../src/model/cinder.js';
import type { ProgressSnapshot, WatchResult } from '../../src/migration/progress.js';
import { MigrationTracker } from '../../src/migration/tracker.js';
import { formatClock } from '../../src/model/duration.js';
import type { Screen } from '../helpers/screen.js';

/** ora's `dots` frames: a screen shows one of them where a spinner is; tests read it as `*`. */
export const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/g;

/** The screen with the spinner frame read as `*`, so an expected screen can be written out. */
export function readable(screen: Screen): string {
  return screen.text.replace(SPINNER, '*');
}

/**
 * Time for the live region (its frame-rate timer, ora's frame clock) and for the snapshots, moved by the test:
 * setInterval and Date are faked, setTimeout stays real (xterm.js parses with it).
 */
export function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now: new Date('2026-05-04T10:00:00Z') });
  return { now: () => Date.now(), advance: (ms) => vi.advanceTimersByTime(ms) };
}

/**
 * One volume's migration as the API shows it poll after poll, run through the real (pure) tracker: the snapshots
 * the watch loop would hand to a sink.
 */
export class ScriptedMigration {
  readonly tracker: MigrationTracker;
  readonly startedAt: number;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly sizeGiB: number,
    private readonly now: () => number,
    readonly source = 'sandbox@lvm-1#lvm-1',
    readonly destination = 'sandbox@vendor#pool-b',
  ) {
    this.startedAt = now();
    this.tracker = new MigrationTracker({
      volumeId: id,
      startedAt: this.startedAt,
      baseline: { host: source, migrationStatus: null, updatedAt: null, status: 'available' },
      destination,
    });
  }

  /** One poll: `migration_status` and `migration_progress` as the server shows them now. */
  poll(migrationStatus: string | null, progress: string | null = null, status = 'available'): ProgressSnapshot {
    const done = migrationStatus === 'success';
    const volume = {
      id: this.id,
      name: this.name,
      status,
      size: this.sizeGiB,
      migration_status: migrationStatus,
      migration_progress: progress,
      'os-vol-host-attr:host': done ? this.destination : this.source,
      updated_at: null,
    } as unknown as Volume;
    return this.tracker.observe(volume, this.now());
  }

  /** The watch's result for the last snapshot, with the summary line the watch would write. */
  result(outcome: WatchResult['outcome'] = 'success'): WatchResult {
    const snapshot = this.tracker.snapshot;
    const durationMs = this.now() - this.startedAt;
    const summary =
      outcome === 'success'
        ? `${this.name}: migrated ${this.source} → ${this.destination} (${this.sizeGiB.toFixed(1)} GiB in ${formatClock(durationMs)})`
        : outcome === 'error'
          ? `${this.name}: migration to ${this.destination} failed (migration_status error).`
          : `Stopped watching ${this.name}.`;
    return {
      volumeId: this.id,
      name: this.name,
      kind: 'migration',
      outcome,
      exitCode: outcome === 'success' ? 0 : outcome === 'error' ? 1 : 130,
      snapshot,
      summary,
      details: outcome === 'error' ? [`The volume is still on ${this.source} (host unchanged).`] : [],
      sourceHost: this.source,
      destinationHost: outcome === 'success' ? this.destination : null,
      durationMs,
      durationFrom: 'start',
      averageBytesPerSecond: null,
      source: snapshot?.source ?? 'none',
    };
  }
}
