import type { Pool } from '../../model/cinder.js';

/**
 * Where a migration's numbers come from, in the order volmig tries them:
 * - `server`: the volume's `migration_progress` (the 3.72 progress contract);
 * - `ceph`: the destination RBD image's allocated bytes, read with the operator's own Ceph client;
 * - `process`: the `dd` copying the volume on this host (`/proc/<pid>/fdinfo/1`, the seed's mechanism);
 * - `none`: phase and elapsed time only, never a percentage.
 */
export type ProgressSourceName = 'server' | 'ceph' | 'process' | 'none';

/** One moving volume, as a probe is asked about it at one poll. */
export interface ProbeSubject {
  /** The volume being migrated (the source volume's id, which it keeps after the swap). */
  volumeId: string;
  /** Its size in bytes (size GiB × 2^30). */
  sizeBytes: number;
  /** Cinder's migration_status of the source: starting, migrating or completing. */
  migrationStatus: string;
  /** host@backend#pool the volume is on (the source pool until the swap). */
  sourceHost: string | null;
  /** host@backend#pool it is going to, when known (volmig's request, or the temporary target's host). */
  destinationHost: string | null;
  /** The temporary destination volume of a generic migration (migration_status `target:<volumeId>`), if any. */
  targetVolumeId: string | null;
}

export interface ProbeReading {
  /** Bytes of this copy that have reached the destination. */
  bytesCopied: number;
  /** What bytesCopied counts up to (the volume size, or less where the copy moves only allocated data). */
  totalBytes: number;
}

export type ProbeAnswer =
  | { kind: 'reading'; reading: ProbeReading }
  /** This probe cannot see this migration (not its kind of backend, nothing to read yet): the next source is tried. */
  | { kind: 'unobservable'; why?: string }
  /** The probe applies but failed (tool missing, access denied, timed out): said once, naming what to configure. */
  | { kind: 'failed'; message: string };

export interface ProbeContext {
  /** Pools as GET /scheduler-stats/get_pools?detail=true gives them (capabilities, location_info). */
  pools: readonly Pool[];
  /** Aborted at the poll deadline or on Ctrl-C: a probe stops its external calls at once. */
  signal: AbortSignal;
}

/**
 * A progress source other than the server. Contract (docs/progress-reporting.md): readings of one migration never
 * go down; a probe never reports the whole total before Cinder says `success` unless it really is all there (the
 * tracker caps the display at 99% until then anyway); one poll costs at most one external call per moving volume, or
 * one per pool; `sample` never throws and answers every subject.
 */
export interface ProgressProbe {
  readonly source: Exclude<ProgressSourceName, 'server' | 'none'>;
  sample(subjects: readonly ProbeSubject[], ctx: ProbeContext): Promise<Map<string, ProbeAnswer>>;
  /**
   * Whether this probe would need the temporary destination volume's id (`targetVolumeId`) to read a migration between
   * these pools: the watch looks it up (one listing) only then. No I/O; absent means never.
   */
  needsTarget?(subject: Pick<ProbeSubject, 'sourceHost' | 'destinationHost'>, pools: readonly Pool[]): boolean;
}
