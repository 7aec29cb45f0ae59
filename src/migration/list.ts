import type { BlockStorageClient } from '../api/block-storage.js';
import { isInFlight, migrationSourceId, MIGRATION_STATUSES, volumeHost, type Volume } from '../model/cinder.js';
import { UsageError, VolmigError, ExitCode } from '../errors.js';

/** Volume statuses Cinder can report (cinder/objects/fields.py VolumeStatus); anything else is a typo. */
export const VOLUME_STATUSES = [
  'creating',
  'available',
  'deleting',
  'error',
  'error_deleting',
  'error_managing',
  'managing',
  'attaching',
  'in-use',
  'detaching',
  'maintenance',
  'restoring-backup',
  'error_restoring',
  'reserved',
  'awaiting-transfer',
  'backing-up',
  'error_backing-up',
  'error_extending',
  'downloading',
  'uploading',
  'retyping',
  'extending',
] as const;

export interface ListVolumesOptions {
  /** One of MIGRATION_STATUSES or `target:<source id>`, as the user typed it. */
  migrationStatus?: string;
  status?: string;
  /** `host`, `host@backend` or `host@backend#pool`. */
  host?: string;
  name?: string;
  allProjects?: boolean;
  showTargets?: boolean;
  /** Stop after this many listed volumes. */
  limit?: number;
}

/** The same options as commander hands them over: unchecked, `--limit` still text. */
export type RawListOptions = Omit<ListVolumesOptions, 'limit'> & { limit?: string };

/** Checks every option value; a bad one is a one-line usage error (exit 2) before any request is sent. */
export function parseListOptions(raw: RawListOptions): ListVolumesOptions {
  const options: ListVolumesOptions = { allProjects: Boolean(raw.allProjects), showTargets: Boolean(raw.showTargets) };
  if (raw.migrationStatus !== undefined) {
    const value = raw.migrationStatus.trim();
    const valid =
      (MIGRATION_STATUSES as readonly string[]).includes(value) || /^target:[0-9A-Za-z-]+$/.test(value);
    if (!valid) {
      throw new UsageError(
        `invalid value for --migration-status: '${raw.migrationStatus}' (expected one of ${MIGRATION_STATUSES.join(', ')}, target:<volume id>)`,
      );
    }
    options.migrationStatus = value;
  }
  if (raw.status !== undefined) {
    if (!(VOLUME_STATUSES as readonly string[]).includes(raw.status)) {
      throw new UsageError(`invalid value for --status: '${raw.status}' (expected one of ${VOLUME_STATUSES.join(', ')})`);
    }
    options.status = raw.status;
  }
  if (raw.host !== undefined) {
    // host[@backend[#pool]]: one '@' at most, a '#' only after it, no blanks, no empty parts.
    if (!/^[^\s@#]+(@[^\s@#]+(#[^\s@#]+)?)?$/.test(raw.host)) {
      throw new UsageError(`invalid value for --host: '${raw.host}' (expected host, host@backend or host@backend#pool)`);
    }
    options.host = raw.host;
  }
  if (raw.name !== undefined) {
    if (raw.name === '') throw new UsageError(`invalid value for --name: '' (expected a volume name)`);
    options.name = raw.name;
  }
  if (raw.limit !== undefined) {
    if (!/^\d+$/.test(raw.limit) || Number(raw.limit) < 1) {
      throw new UsageError(`invalid value for --limit: '${raw.limit}' (expected a positive whole number)`);
    }
    options.limit = Number(raw.limit);
  }
  if (options.migrationStatus?.startsWith('target:')) options.showTargets = true;
  return options;
}

/**
 * Filters Cinder applies itself on /volumes/detail (exact matches). `none` is sent as `None`, which Cinder reads
 * as NULL. A host without `#pool` is not sent: Cinder compares host strings exactly, so it is matched here.
 */
export function serverFilters(options: ListVolumesOptions): Record<string, string> {
  const filters: Record<string, string> = {};
  if (options.migrationStatus !== undefined) {
    filters.migration_status = options.migrationStatus === 'none' ? 'None' : options.migrationStatus;
  }
  if (options.status !== undefined) filters.status = options.status;
  if (options.name !== undefined) filters.name = options.name;
  if (options.host !== undefined && options.host.includes('#')) filters.host = options.host;
  return filters;
}

/** `host@backend` matches `host@backend#pool` and `host@backend`; a bare `host` matches every backend on it. */
export function hostMatches(volume: Volume, wanted: string): boolean {
  const host = volumeHost(volume);
  if (host === null) return false;
  if (wanted.includes('#')) return host === wanted;
  if (host === wanted) return true;
  if (wanted.includes('@')) return host.startsWith(wanted + '#');
  return host.startsWith(wanted + '@') || host.startsWith(wanted + '#');
}


/**
 * The temporary destination volume of a generic (host-copy) migration, found by its `target:<source id>` status.
 * Undefined when there is none (a driver-assisted migration has none) or the caller may not see it: a listing
 * is not failed because the destination could not be looked up.
 */
export async function findMigrationTarget(client: BlockStorageClient, sourceId: string): Promise<Volume | undefined> {
  try {
    for await (const volume of client.listVolumes({
      filters: { migration_status: `target:${sourceId}` },
      allProjects: true,
      pageSize: 1,
      max: 1,
    })) {
      return volume;
    }
    return undefined;
  } catch (err) {
    // Permission (403) or a rejected filter (400, e.g. a non-admin): the row simply shows no destination.
    if (err instanceof VolmigError && (err.exitCode === ExitCode.AUTH || err.exitCode === ExitCode.REJECTED)) return undefined;
    throw err;
  }
}

export interface VolumeRow {
  volume: Volume;
  /** For a source whose generic migration is in flight: its temporary destination volume. */
  target?: Volume;
}

/**
 * Streams the matching volumes page by page (the client follows `volumes_links`). Only in-flight migrations are
 * remembered (to pair a source with a destination listed before it), never the whole listing.
 */
export async function* listVolumeRows(client: BlockStorageClient, options: ListVolumesOptions): AsyncGenerator<VolumeRow> {
  const filters = serverFilters(options);
  const clientHostFilter = options.host !== undefined && !options.host.includes('#') ? options.host : undefined;
  const targetsBySource = new Map<string, Volume>();
  let listed = 0;

  const pages = client.listVolumes({
    filters,
    allProjects: options.allProjects,
    pageSize: options.limit !== undefined ? Math.min(options.limit, 1000) : undefined,
  });
  for await (const volume of pages) {
    const sourceId = migrationSourceId(volume);
    if (sourceId !== undefined) {
      targetsBySource.set(sourceId, volume);
      if (!options.showTargets) continue;
    }
    if (clientHostFilter !== undefined && !hostMatches(volume, clientHostFilter)) continue;

    const row: VolumeRow = { volume };
    if (isInFlight(volume)) {
      row.target = targetsBySource.get(volume.id) ?? (await findMigrationTarget(client, volume.id));
      targetsBySource.delete(volume.id);
    }
    yield row;
    listed += 1;
    if (options.limit !== undefined && listed >= options.limit) return;
  }
}

