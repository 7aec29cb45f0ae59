/**
 * What `--dry-run` says about each move before anything is sent: whether Cinder will do it driver-assisted (the
 * source backend's driver moves the data itself) or generic (the volume service creates a temporary destination
 * volume and copies into it), and which progress source will give numbers while it runs.
 *
 * Cinder's volume manager asks the source driver first (`driver.migrate_volume`) unless force_host_copy is set, or
 * the move is a retype whose types differ in more than the backend (see forecastRetype); a driver that declines
 * falls back to the generic copy. Which drivers accept what, as far as volmig knows them:
 * - RBD (cinder/volume/drivers/rbd.py; /work/shared/cinder/api-facts.md "RBD (Ceph) migrations"): only to RBD in
 *   the same cluster (same fsid); the same rados pool changes only the host; another pool is copied by the driver,
 *   except for an in-use volume, which falls back to generic.
 * - LVM (cinder/volume/drivers/lvm.py): only an available volume, to LVM on the same host, into another volume
 *   group (copied with dd on that host).
 * - the sandbox (`location_info` `sandbox:<backend>:<pool>`): between pools of one backend.
 * Any other driver decides for itself: the forecast says so rather than guess.
 */
import type { BlockStorageClient } from '../api/block-storage.js';
import { compareMicroversions } from '../api/microversion.js';
import { PROGRESS_MICROVERSION, volumeHost, type Pool, type Volume, type VolumeType } from '../model/cinder.js';
import type { CephSettings } from '../config/settings.js';
import { cephAccess, procReadable } from './sources/access.js';
import { findPool, rbdLocationOf, type RbdLocation } from './sources/ceph.js';
import type { ProgressSourceName } from './sources/probe.js';

export type MoveKind = 'driver-assisted' | 'generic' | 'none' | 'unknown';

export interface MoveForecast {
  kind: MoveKind;
  /** Why, in words that follow "driver-assisted: ". */
  kindReason: string;
  /** The source expected to give progress numbers ('none': phase and elapsed time only). */
  progress: ProgressSourceName;
  progressReason: string;
  /** False when nothing will be copied (a retype in place, an RBD move within its pool). */
  copiesData: boolean;
}

export interface MigrationMove {
  volume: Volume;
  /** host@backend#pool or host@backend; null with a cluster. */
  destination: string | null;
  cluster?: string;
  forceHostCopy: boolean;
}

export interface RetypeMove {
  volume: Volume;
  type: VolumeType;
  /** The volume's type now (null when it could not be read); asked for only when the retype must move the volume. */
  currentType?: () => Promise<VolumeType | null>;
  migrationPolicy: 'never' | 'on-demand';
}

/** Whether the probes could work here; answered once per run (cephAccess, procReadable). */
export interface SourceAccess {
  ceph(loc: RbdLocation): Promise<{ ok: true } | { ok: false; why: string }>;
  process(): Promise<boolean>;
}

export function sourceAccess(settings: CephSettings | undefined, env: Record<string, string | undefined>): SourceAccess {
  const ceph = new Map<string, Promise<{ ok: true } | { ok: false; why: string }>>();
  let proc: Promise<boolean> | undefined;
  return {
    ceph: (loc) => {
      const key = `${loc.fsid}|${loc.clusterName}`;
      if (!ceph.has(key)) ceph.set(key, cephAccess(loc, settings, env).then((a) => (a.ok ? { ok: true as const } : a)));
      return ceph.get(key)!;
    },
    process: () => (proc ??= procReadable()),
  };
}

export interface ForecastContext {
  /** get_pools?detail=true; empty when it could not be read (a non-admin, a backend not reporting). */
  pools: readonly Pool[];
  /** The microversion volmig talks to the server with. */
  microversion: string;
  access: SourceAccess;
}

/** The progress reason of a move that copies nothing. */
export const NO_DATA_MOVES = 'no data moves';

type Kind = { kind: MoveKind; reason: string; copy?: 'dd' | 'file-io' | 'driver' | 'none' };

const LVM = 'LVMVolumeDriver';

function locationParts(pool: Pool | null): string[] | null {
  const info = pool?.capabilities?.location_info;
  return typeof info === 'string' ? info.split(':') : null;
}

function isRbd(pool: Pool | null): boolean {
  return rbdLocationOf(pool) !== null;
}

/** How the driver of `source` would move `volume` to `dest` (force_host_copy false, no new type). */
function driverKind(volume: Volume, source: Pool, dest: Pool): Kind {
  const src = rbdLocationOf(source);
  if (src) {
    const to = rbdLocationOf(dest);
    if (!to) return { kind: 'generic', reason: `the RBD driver moves volumes only within its Ceph cluster, and ${dest.name} is not RBD`, copy: 'file-io' };
    if (to.fsid !== src.fsid) return { kind: 'generic', reason: `another Ceph cluster (${src.fsid} → ${to.fsid}): the RBD driver declines`, copy: 'file-io' };
    if (to.pool === src.pool) return { kind: 'driver-assisted', reason: `same Ceph cluster and RBD pool ${src.pool}: Cinder changes only the host, no data moves`, copy: 'none' };
    if (volume.status === 'in-use') return { kind: 'generic', reason: `the RBD driver copies between pools only a volume that is not in use (it is in-use)`, copy: 'file-io' };
    return { kind: 'driver-assisted', reason: `the RBD driver copies it itself: same Ceph cluster ${src.fsid}, pool ${src.pool} → ${to.pool}`, copy: 'driver' };
  }
  const from = locationParts(source);
  const to = locationParts(dest);
  if (from?.[0] === LVM) {
    if (to?.[0] !== LVM) return { kind: 'generic', reason: `the LVM driver moves volumes only to LVM on its own host, and ${dest.name} is not LVM`, copy: copyKind(source, dest) };
    if (to[1] !== from[1]) return { kind: 'generic', reason: `another host (${from[1]} → ${to[1]}): the LVM driver declines`, copy: 'dd' };
    if (volume.status !== 'available') return { kind: 'generic', reason: `the LVM driver moves only an available volume (it is ${volume.status})`, copy: 'dd' };
    if (to[2] === from[2]) return { kind: 'unknown', reason: `source and destination are the same volume group ${from[2]}: the LVM driver refuses the move` };
    return { kind: 'driver-assisted', reason: `the LVM driver copies it itself with dd: same host ${from[1]}, volume group ${from[2]} → ${to[2]}`, copy: 'dd' };
  }
  if (from?.[0] === 'sandbox') {
    if (to?.[0] === 'sandbox' && to[1] === from[1]) {
      return { kind: 'driver-assisted', reason: `the sandbox's ${from[1]} backend copies between its own pools`, copy: 'driver' };
    }
    return { kind: 'generic', reason: `another backend (${from[1]} → ${to?.[1] ?? dest.name}): the volume service copies it`, copy: copyKind(source, dest) };
  }
  const vendor = source.capabilities?.vendor_name;
  return {
    kind: 'unknown',
    reason: `the ${vendor ? `${vendor} ` : ''}driver of ${source.name} decides: driver-assisted if it can, else a generic copy (volmig knows the rules of the RBD, LVM and sandbox drivers)`,
  };
}

/** How the volume service copies in a generic migration: file I/O where either side is RBD, else dd. */
function copyKind(source: Pool | null, dest: Pool | null): 'dd' | 'file-io' {
  const sandboxMover = source?.capabilities?.sandbox_copy_mover;
  if (sandboxMover === 'dd' || sandboxMover === 'file-io') return sandboxMover;
  return isRbd(source) || isRbd(dest) ? 'file-io' : 'dd';
}

function migrationKind(move: MigrationMove, source: Pool | null, dests: Pool[]): Kind {
  if (move.forceHostCopy) return { kind: 'generic', reason: '--force-host-copy: the volume service copies the data', copy: copyKind(source, dests[0] ?? null) };
  if (move.cluster !== undefined) return { kind: 'unknown', reason: `to cluster ${move.cluster}: the scheduler picks the pool, then the source driver decides` };
  if (!source) return { kind: 'unknown', reason: `the volume's pool ${volumeHost(move.volume) ?? '(none)'} is not in the scheduler's pool list` };
  if (dests.length === 0) return { kind: 'unknown', reason: `the destination ${move.destination} is not in the scheduler's pool list` };
  const kinds = dests.map((d) => driverKind(move.volume, source, d));
  const first = kinds[0]!;
  if (kinds.every((k) => k.kind === first.kind)) return first;
  return { kind: 'unknown', reason: `it depends on the pool of ${move.destination} the scheduler picks (${dests.map((d) => d.name).join(', ')})` };
}

async function progressFor(kind: Kind, source: Pool | null, dest: Pool | null, ctx: ForecastContext): Promise<Pick<MoveForecast, 'progress' | 'progressReason' | 'copiesData'>> {
  const copying = await progressOfCopy(kind, source, dest, ctx);
  return { ...copying, copiesData: copying.progressReason !== NO_DATA_MOVES };
}

async function progressOfCopy(kind: Kind, source: Pool | null, dest: Pool | null, ctx: ForecastContext): Promise<Pick<MoveForecast, 'progress' | 'progressReason'>> {
  if (kind.kind === 'none' || kind.copy === 'none') return { progress: 'none', progressReason: NO_DATA_MOVES };
  const serverSpeaks = compareMicroversions(ctx.microversion, PROGRESS_MICROVERSION) >= 0;
  const reports = source?.capabilities?.migration_progress_report;
  const backendReports = reports === true || String(reports ?? '').toLowerCase() === 'true';
  const notes: string[] = [];
  if (serverSpeaks) {
    if (kind.kind === 'generic') return { progress: 'server', progressReason: `its migration_progress (microversion ${ctx.microversion}): the volume service reports the copy` };
    if (backendReports) {
      const every = source?.capabilities?.migration_progress_report_interval;
      return { progress: 'server', progressReason: `its migration_progress: ${source!.name} reports its own copies (migration_progress_report${every ? `, every ${every}s` : ''})` };
    }
    if (kind.kind === 'unknown') {
      return {
        progress: 'server',
        progressReason: `its migration_progress (microversion ${ctx.microversion}) if the copy is generic; ${source?.name ?? 'the source'} reports no copies of its own, so a driver-assisted move shows its phase and elapsed time only`,
      };
    }
    notes.push(`${source?.name ?? 'the source'} does not report its own copies (no migration_progress_report)`);
  } else {
    notes.push(`the server gives no migration_progress (microversion ${ctx.microversion}; it needs ${PROGRESS_MICROVERSION})`);
  }
  const destRbd = rbdLocationOf(dest);
  const cephCopy = destRbd !== null && (kind.kind === 'generic' || (kind.copy === 'driver' && isRbd(source)));
  if (cephCopy) {
    const access = await ctx.access.ceph(destRbd);
    if (access.ok) return { progress: 'ceph', progressReason: `the destination image's allocated bytes in pool ${destRbd.pool} (rbd du); ${notes.join('; ')}` };
    notes.push(`Ceph would give it, but ${access.why}`);
  }
  if (kind.copy === 'dd') {
    if (await ctx.access.process()) {
      return {
        progress: 'process',
        progressReason: `the dd of the copy (/proc/<pid>/fdinfo/1), only if volmig runs where it runs: the volume service of ${source ? source.name.split('#')[0] : 'the source'}; ${notes.join('; ')}`,
      };
    }
    notes.push('the dd of the copy would give it, but /proc is not readable here');
  }
  return { progress: 'none', progressReason: notes.join('; ') };
}

/** The forecast of one `migrate` (or evacuation) move. */
export async function forecastMigration(move: MigrationMove, ctx: ForecastContext): Promise<MoveForecast> {
  const source = findPool(ctx.pools, volumeHost(move.volume));
  const dests = move.destination === null ? [] : move.destination.includes('#') ? ctx.pools.filter((p) => p.name === move.destination) : ctx.pools.filter((p) => p.name.startsWith(`${move.destination}#`));
  const kind = migrationKind(move, source, dests);
  return { kind: kind.kind, kindReason: kind.reason, ...(await progressFor(kind, source, dests[0] ?? null, ctx)) };
}

/** Extra specs a retype may change and still let the driver move the volume (Cinder's _can_use_driver_migration). */
const DRIVER_TOLERATED_SPECS = new Set(['volume_backend_name', 'RESKEY:availability_zones']);

/** What differs between two types beyond what a driver-assisted retype tolerates: extra spec keys, and QoS. */
function typeDifference(current: VolumeType, next: VolumeType): string[] {
  const a = current.extra_specs ?? {};
  const b = next.extra_specs ?? {};
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !DRIVER_TOLERATED_SPECS.has(k) && a[k] !== b[k]);
  const differs = keys.map((k) => `extra spec ${k}`);
  if ((current.qos_specs_id ?? null) !== (next.qos_specs_id ?? null)) differs.push('QoS specs');
  return differs;
}

/**
 * The forecast of one `retype`. Cinder's scheduler keeps the volume where it is when its backend suits the new type.
 * A retype that must move asks the source driver first, as a migration does, when the two types differ only in
 * volume_backend_name (and RESKEY:availability_zones) with the same QoS and encryption (Cinder 21.3
 * manager._can_use_driver_migration, seen on the rig: "Attempting RBD assisted volume migration" for
 * type-any → type-b); any other difference makes it a generic copy. Encryption is not visible in the type list:
 * a retype that changes it is generic whatever this says.
 */
export async function forecastRetype(move: RetypeMove, ctx: ForecastContext): Promise<MoveForecast> {
  const source = findPool(ctx.pools, volumeHost(move.volume));
  const pin = move.type.extra_specs?.volume_backend_name;
  const current = source?.capabilities?.volume_backend_name ?? null;
  const none = (reason: string): MoveForecast => ({ kind: 'none', kindReason: reason, progress: 'none', progressReason: NO_DATA_MOVES, copiesData: false });
  if (pin === undefined || pin === null || pin === '') {
    return none(`type ${move.type.name} pins no backend: the scheduler keeps the volume on its pool when that suits the type, and the retype moves no data`);
  }
  if (current !== null && String(pin) === current) return none(`type ${move.type.name} pins backend ${pin}, the volume's own: retyped in place`);
  if (move.migrationPolicy === 'never') {
    return none(`type ${move.type.name} pins backend ${pin} and the volume is on ${current ?? volumeHost(move.volume) ?? 'another'}: with --migration-policy never Cinder will not move it, and the retype fails`);
  }
  const dests = ctx.pools.filter((p) => p.capabilities?.volume_backend_name === pin);
  let kind: Kind;
  const currentType = move.currentType ? await move.currentType().catch(() => null) : null;
  const differs = currentType ? typeDifference(currentType, move.type) : null;
  if (differs && differs.length > 0) {
    kind = {
      kind: 'generic',
      reason: `the types differ in more than the backend (${differs.join(', ')}): Cinder copies through the volume service`,
      copy: copyKind(source, dests[0] ?? null),
    };
  } else if (!source || dests.length === 0) {
    kind = { kind: 'unknown', reason: `the pools of ${source ? `backend ${pin}` : `the volume's host ${volumeHost(move.volume) ?? '(none)'}`} are not in the scheduler's pool list` };
  } else {
    const kinds = dests.map((d) => driverKind(move.volume, source, d));
    const first = kinds[0]!;
    const because = differs ? 'the types differ only in the backend, so Cinder asks the driver' : `Cinder asks the driver when the types differ only in the backend (type ${move.volume.volume_type ?? '?'} could not be read)`;
    kind = kinds.every((k) => k.kind === first.kind)
      ? { ...first, reason: `${because}: ${first.reason}` }
      : { kind: 'unknown', reason: `${because}, and it depends on the pool of backend ${pin} the scheduler picks` };
  }
  return { kind: kind.kind, kindReason: kind.reason, ...(await progressFor(kind, source, dests[0] ?? null, ctx)) };
}

/** The reads the pre-flight checks make: the forecaster shares its pools with them, so a dry run asks once. */
type SharedReads = Pick<BlockStorageClient, 'listSnapshots' | 'getPools' | 'listServices' | 'findVolumeType'>;

/** Forecasts for one run: the pools are read once (and shared with the pre-flight checks), access checked once. */
export interface Forecaster {
  migration(move: MigrationMove): Promise<MoveForecast>;
  retype(move: RetypeMove): Promise<MoveForecast>;
  /** `reads` with getPools answered from the forecaster's one reading. */
  sharing(reads: SharedReads): SharedReads;
}

export function createForecaster(client: Pick<BlockStorageClient, 'getPools' | 'findVolumeType' | 'microversion'>, access: SourceAccess): Forecaster {
  let pools: Promise<Pool[]> | undefined;
  const readPools = () => (pools ??= client.getPools());
  const context = async (): Promise<ForecastContext> => ({
    // Not an admin, or no scheduler stats: the forecast says what it cannot know rather than fail the dry run.
    pools: await readPools().catch(() => []),
    microversion: client.microversion,
    access,
  });
  return {
    migration: async (move) => forecastMigration(move, await context()),
    retype: async (move) => {
      // The volume's own type, to compare with the new one (their extra specs and QoS decide driver or generic).
      const ref = move.volume.volume_type_id ?? move.volume.volume_type;
      const currentType = move.currentType ?? (async () => (ref ? client.findVolumeType(String(ref)) : null));
      return forecastRetype({ ...move, currentType }, await context());
    },
    sharing: (reads) => ({
      listSnapshots: (q) => reads.listSnapshots(q),
      getPools: () => readPools(),
      listServices: (q) => reads.listServices(q),
      findVolumeType: (ref) => reads.findVolumeType(ref),
    }),
  };
}
