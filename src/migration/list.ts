import type { BlockStorageClient } from '../api/block-storage.js';
import { isInFlight, migrationSourceId, MIGRATION_STATUSES, normalizedMigrationStatus, volumeHost, volumeMigrationStatus, type Volume } from '../model/cinder.js';
import { compareMicroversions } from '../api/microversion.js';
import { CinderApiError } from '../api/errors.js';
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
 * Filters Cinder applies itself on /volumes/detail. `none` is sent as `None`, which Cinder reads as NULL. The host
 * goes to the server at every level: Cinder matches `host@backend#pool` exactly, `host@backend` also against its
 * pools, a bare `host` also against its backends (`_filter_host`), so a filtered listing costs only its own pages.
 */
export function serverFilters(options: ListVolumesOptions): Record<string, string> {
  const filters: Record<string, string> = {};
  if (options.migrationStatus !== undefined) {
    filters.migration_status = options.migrationStatus === 'none' ? 'None' : options.migrationStatus;
  }
  if (options.status !== undefined) filters.status = options.status;
  if (options.name !== undefined) filters.name = options.name;
  if (options.host !== undefined) filters.host = options.host;
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

/** Inexact (`key~=value`, SQL LIKE '%value%') listing filters exist from this microversion on (admins only). */
const LIKE_FILTER_MICROVERSION = '3.34';

export interface FindMigrationTargetsOptions {
  /** The listing's scope: Cinder creates a temporary destination in its source's project. */
  allProjects?: boolean;
  /**
   * Only the destinations of these sources (volumes the operator named). One source is asked for by its exact
   * `target:<id>` status: one request at any microversion. The result keeps only these ids.
   */
  of?: readonly string[];
  /** What to keep of each destination (default: the whole volume). */
  keep?: (target: Volume) => Volume;
}

/**
 * The attributes a listing row shows of a destination (its host) and its identity. A listing holds every
 * destination not yet matched with its source, so at 100,000 volumes it keeps these, not whole volume objects.
 */
function rowFields(v: Volume): Volume {
  return {
    id: v.id,
    name: v.name,
    status: v.status,
    size: v.size,
    created_at: v.created_at,
    updated_at: v.updated_at,
    volume_type: v.volume_type,
    metadata: v.metadata,
    replication_status: v.replication_status,
    attachments: v.attachments,
    'os-vol-mig-status-attr:migstat': volumeMigrationStatus(v),
    'os-vol-host-attr:host': volumeHost(v),
  };
}

/**
 * The temporary destination volumes of generic (host-copy) migrations, by source id, from ONE paged listing with
 * the inexact filter `migration_status~=target:` (an admin at microversion 3.34 or later; admins skip Cinder's
 * filter allow-list). A listing or a watch calls this once per command or poll, never once per row, so its cost
 * is the pages of that listing (usually one), not the number of migrations.
 *
 * Undefined when this connection cannot ask: below 3.34, or the server refused the filter (403, or 400 for a
 * non-admin). The caller then pairs rows of its own listing, or shows no destination; a listing is never failed
 * because a destination could not be looked up. With `of` and no inexact filter, each named source costs one
 * exact request instead (as many as the operator named, never one per row of a listing).
 * A driver-assisted migration has no destination volume at all.
 */
export async function findMigrationTargets(
  client: BlockStorageClient,
  options: FindMigrationTargetsOptions = {},
): Promise<Map<string, Volume> | undefined> {
  const wanted = options.of === undefined ? undefined : new Set(options.of);
  if (wanted !== undefined && wanted.size <= 1) {
    const [only] = wanted;
    return only === undefined ? new Map() : listTargets(client, { migration_status: `target:${only}` }, options, wanted, 1);
  }
  if (compareMicroversions(client.microversion, LIKE_FILTER_MICROVERSION) >= 0) {
    const listed = await listTargets(client, { 'migration_status~': 'target:' }, options, wanted);
    if (listed !== undefined) return listed;
  }
  if (wanted === undefined) return undefined;
  const found = new Map<string, Volume>();
  for (const id of wanted) {
    const one = await listTargets(client, { migration_status: `target:${id}` }, options, wanted, 1);
    if (one === undefined) return undefined;
    for (const [source, target] of one) found.set(source, target);
  }
  return found;
}

/** One destination listing; undefined when the server refused it (403, or 400 for a filter it does not allow). */
async function listTargets(
  client: BlockStorageClient,
  filters: Record<string, string>,
  { allProjects, keep }: FindMigrationTargetsOptions,
  wanted: Set<string> | undefined,
  max?: number,
): Promise<Map<string, Volume> | undefined> {
  const targets = new Map<string, Volume>();
  try {
    for await (const volume of client.listVolumes({ filters, allProjects, ...(max !== undefined ? { pageSize: max, max } : {}) })) {
      // Checked here too: a server that ignored the filter must not turn ordinary volumes into destinations.
      const sourceId = migrationSourceId(volume);
      if (sourceId === undefined || (wanted !== undefined && !wanted.has(sourceId))) continue;
      targets.set(sourceId, keep ? keep(volume) : volume);
    }
  } catch (err) {
    if (err instanceof VolmigError && (err.exitCode === ExitCode.AUTH || err.exitCode === ExitCode.REJECTED)) return undefined;
    throw err;
  }
  return targets;
}

/**
 * The temporary destination of one source (`show`, `recover`, a failed migration's leftover): one request by its
 * exact `target:<source id>` status. Undefined when there is none or the caller may not see it.
 */
export async function findMigrationTarget(client: BlockStorageClient, sourceId: string): Promise<Volume | undefined> {
  return (await findMigrationTargets(client, { allProjects: true, of: [sourceId] }))?.get(sourceId);
}

/**
 * The old record a generic migration leaves when Cinder swaps the records and then fails to delete it (real Cinder
 * 21.3: an attach during an unlocked migration makes the delete fail with VolumeAttached): the former temporary
 * destination's id, now holding the source's old data, with migration_status `deleting` (status `deleting`, or
 * `error_deleting` after a failed retry), description `migration src for <source id>` and name_id the source's id.
 * `knownId`: the temporary destination's id when the watch learnt it (one GET instead of a listing).
 */
export async function findMigrationLeftover(client: BlockStorageClient, sourceId: string, knownId: string | null): Promise<Volume | null> {
  const isLeftover = (v: Volume) =>
    v.id !== sourceId &&
    (normalizedMigrationStatus(v) === 'deleting' || ['deleting', 'error_deleting'].includes(v.status)) &&
    (v['os-vol-mig-status-attr:name_id'] === sourceId || v.description === `migration src for ${sourceId}`);
  if (knownId) {
    try {
      const v = await client.getVolume(knownId);
      return isLeftover(v) ? v : null;
    } catch (err) {
      if (err instanceof CinderApiError && err.status === 404) return null;
      throw err;
    }
  }
  for (const status of ['deleting', 'error_deleting']) {
    for await (const v of client.listVolumes({ allProjects: true, filters: { status } })) if (isLeftover(v)) return v;
  }
  return null;
}

/**
 * Destinations for the rows of one listing: a destination listed before its source is paired from the listing
 * itself; the first in-flight row without one asks findMigrationTargets once, and its answer serves every later
 * row. So a listing costs its pages plus at most one destination listing, however many migrations are in flight.
 * Memory: only destinations not yet matched with their source.
 */
export class MigrationTargetResolver {
  private readonly seen = new Map<string, Volume>();
  private listed: Promise<Map<string, Volume> | undefined> | undefined;

  constructor(
    private readonly client: BlockStorageClient,
    private readonly options: { allProjects?: boolean },
  ) {}

  /** A volume of the listing; returns true when it is a temporary destination (remembered for its source). */
  note(volume: Volume): boolean {
    const sourceId = migrationSourceId(volume);
    if (sourceId === undefined) return false;
    this.seen.set(sourceId, volume);
    return true;
  }

  /** The destination of an in-flight source, if it has one this connection can see. */
  async targetOf(source: Volume): Promise<Volume | undefined> {
    const paired = this.seen.get(source.id);
    this.seen.delete(source.id);
    if (paired !== undefined) return paired;
    this.listed ??= findMigrationTargets(this.client, { allProjects: this.options.allProjects, keep: rowFields });
    const targets = await this.listed;
    const found = targets?.get(source.id);
    targets?.delete(source.id);
    return found;
  }
}

export interface VolumeRow {
  volume: Volume;
  /** For a source whose generic migration is in flight: its temporary destination volume. */
  target?: Volume;
}

/**
 * Streams the matching volumes page by page (the client follows `volumes_links`); every filter is applied by the
 * server. Only destinations not yet matched with their source are remembered, never the whole listing.
 */
export async function* listVolumeRows(client: BlockStorageClient, options: ListVolumesOptions): AsyncGenerator<VolumeRow> {
  const targets = new MigrationTargetResolver(client, { allProjects: options.allProjects });
  let listed = 0;

  const pages = client.listVolumes({
    filters: serverFilters(options),
    allProjects: options.allProjects,
    pageSize: options.limit !== undefined ? Math.min(options.limit, 1000) : undefined,
    prefetch: options.limit === undefined,
  });
  for await (const volume of pages) {
    if (targets.note(volume) && !options.showTargets) continue;
    // The server filtered the host already; checked again so that a server matching more loosely shows nothing extra.
    if (options.host !== undefined && !hostMatches(volume, options.host)) continue;

    const row: VolumeRow = { volume };
    if (isInFlight(volume)) {
      const target = await targets.targetOf(volume);
      if (target !== undefined) row.target = target;
    }
    yield row;
    listed += 1;
    if (options.limit !== undefined && listed >= options.limit) return;
  }
}
