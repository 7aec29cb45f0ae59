import type { BlockStorageClient } from '../../api/block-storage.js';
import { isInFlight, normalizedMigrationStatus, volumeHost, type Pool, type Service, type Snapshot, type Volume, type VolumeType } from '../../model/cinder.js';
import { GIB } from '../../model/duration.js';
import { NotFoundError, UsageError } from '../../errors.js';
import type { Journal, JournalEntry } from '../journal.js';
import { closingEntry, endShown, openEntries } from '../journal-close.js';
import { hostMatches, MigrationTargetResolver } from '../list.js';
import { capacityOf, closestNames, effectiveFree, preflightMigration, type PreflightReads } from '../preflight.js';
import type { AlreadyMoved, EvacuationPlan, EvacuationRequest, MovePreflight, PlannedMove, PlanRefusal } from './types.js';

export interface PlanDeps {
  client: BlockStorageClient;
  journal: Journal;
  cloud: string;
  preflight: MovePreflight;
}


/** The journal options that tie a migration to an evacuation, so a second run can recognise its own work. */
export function evacuationTag(request: EvacuationRequest): { from: string; to: string[] } {
  return { from: request.from, to: [...request.to].sort() };
}

function sameEvacuation(entry: JournalEntry, request: EvacuationRequest, cloud: string): boolean {
  const tag = entry.options?.evacuation as { from?: unknown; to?: unknown } | undefined;
  if (!tag || entry.cloud !== cloud || entry.action !== 'migrate') return false;
  const want = evacuationTag(request);
  return tag.from === want.from && JSON.stringify(tag.to) === JSON.stringify(want.to);
}

const PREFLIGHT_PARALLEL = 8;

/** Largest first (ties: oldest, then id) or oldest first (ties: largest, then id): the same input, the same order. */
export function orderVolumes<T extends { volume: Volume }>(items: T[], order: 'size' | 'created'): T[] {
  const created = (v: Volume) => Date.parse(v.created_at) || 0;
  return [...items].sort((a, b) => {
    const bySize = (b.volume.size ?? 0) - (a.volume.size ?? 0);
    const byCreated = created(a.volume) - created(b.volume);
    const primary = order === 'size' ? bySize || byCreated : byCreated || bySize;
    return primary || a.volume.id.localeCompare(b.volume.id);
  });
}

function projectOf(v: Volume): string | undefined {
  return (v['os-vol-tenant-attr:tenant_id'] as string | undefined) ?? undefined;
}

function isAttached(v: Volume): boolean {
  return v.status === 'in-use' || (Array.isArray(v.attachments) && v.attachments.length > 0);
}

function freeBytes(pool: Pool | undefined): number | null {
  if (!pool) return null;
  const free = effectiveFree(pool.capabilities ?? {});
  return free === null ? null : free * GIB; // 'infinite' / 'unknown' → no accounting
}

/**
 * The reads the pre-flight checks make, remembered for one plan: pools, services and types do not change between the
 * checks of one plan, so they are read once, not once per volume. A failed read is not remembered: the next check
 * asks again.
 */
class PlanReads implements PreflightReads {
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(private readonly client: BlockStorageClient) {}

  getPools(): Promise<Pool[]> {
    return this.once('pools', () => this.client.getPools());
  }

  listServices(query?: { binary?: string; host?: string }): Promise<Service[]> {
    return this.once(`services:${JSON.stringify(query ?? {})}`, () => this.client.listServices(query));
  }

  findVolumeType(ref: string): Promise<VolumeType> {
    return this.once(`type:${ref}`, () => this.client.findVolumeType(ref));
  }

  listSnapshots(query?: { volumeId?: string; allProjects?: boolean }): Promise<Snapshot[]> {
    return this.client.listSnapshots(query);
  }

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let hit = this.memo.get(key) as Promise<T> | undefined;
    if (!hit) {
      hit = read();
      hit.catch(() => this.memo.delete(key));
      this.memo.set(key, hit);
    }
    return hit;
  }
}

/** The migration commands' pre-flight, reduced to one reason per refused move. */
export function preflightFor(client: BlockStorageClient): MovePreflight {
  const reads = new PlanReads(client);
  return async (volume, destination) => {
    const report = await preflightMigration(reads, volume, { host: destination });
    if (report.failures.length === 0) return null;
    return report.failures.map((f) => f.reason ?? f.check).join(' ');
  };
}

/**
 * The journal's open entries whose end this run can see, closed (appended; returned for the rest of the plan): the
 * volumes on the source from the listing, and those an earlier run of this evacuation sent away (interrupted, timed
 * out, or never watched to the end) from one GET each. A volume still migrating stays open.
 */
async function closeSeenEntries(deps: PlanDeps, request: EvacuationRequest, journal: JournalEntry[], onSource: Volume[]): Promise<JournalEntry[]> {
  const open = openEntries(journal, deps.cloud);
  if (open.size === 0) return [];
  const listed = new Map(onSource.map((v) => [v.id, v]));
  const closed: JournalEntry[] = [];
  for (const [id, entry] of open) {
    let volume = listed.get(id);
    if (!volume && sameEvacuation(entry, request, deps.cloud)) volume = await deps.client.getVolume(id).catch(() => undefined);
    const end = volume ? endShown(entry, volume) : null;
    if (!end) continue;
    const closing = closingEntry(entry, end, 'evacuate');
    await deps.journal.append(closing);
    closed.push({ ...closing, time: new Date().toISOString() });
  }
  return closed;
}

/**
 * `--to host@backend` stands for its pools, as the scheduler would read it: one pool, that pool (as `migrate`
 * accepts it); several, each of them, so that each volume goes where the most room is left, as with several `--to`
 * pools (the plan counts capacity per pool). A pool that is part of `--from` is never a destination. A name that
 * matches no pool is kept: each move's pre-flight then refuses it with the closest names.
 */
function resolveDestinations(to: string[], from: string, pools: Pool[]): string[] {
  const onSource = (pool: string) => hostMatches({ 'os-vol-host-attr:host': pool } as unknown as Volume, from);
  const resolved = to.flatMap((t) => {
    if (t.includes('#')) return [t];
    const own = pools.filter((p) => p.name.startsWith(`${t}#`)).map((p) => p.name);
    if (own.length === 0) return [t];
    const away = own.filter((p) => !onSource(p));
    if (away.length === 0) {
      throw new UsageError(`--to ${t} is ${own.join(', ')}, part of --from ${from}: a volume cannot be evacuated onto its own backend`);
    }
    return away;
  });
  return [...new Set(resolved)];
}

/**
 * Reads the source (every project), the pools and the journal, and decides for each volume: follow a migration
 * already in flight, migrate it (to which pool), or refuse with the pre-flight's reason. Sends nothing.
 */
export async function planEvacuation(deps: PlanDeps, asked: EvacuationRequest): Promise<EvacuationPlan> {
  const { client } = deps;
  const pools = await client.getPools().catch(() => [] as Pool[]);
  const request: EvacuationRequest = { ...asked, to: resolveDestinations(asked.to, asked.from, pools) };
  const onSource: Volume[] = [];
  // Only the source's pages (Cinder matches host@backend against its pools); destinations of migrations already
  // in flight come from one destination listing, asked for only when the source has such a migration.
  const targets = new MigrationTargetResolver(client, { allProjects: true });
  const inFlightTargetHost = new Map<string, string | null>();
  for await (const volume of client.listVolumes({ allProjects: true, filters: { host: request.from } })) {
    if (targets.note(volume)) continue;
    if (!hostMatches(volume, request.from)) continue;
    if (request.project !== undefined && projectOf(volume) !== request.project) continue;
    if (request.volumeType !== undefined && volume.volume_type !== request.volumeType && volume.volume_type_id !== request.volumeType) {
      continue;
    }
    onSource.push(volume);
  }
  for (const volume of onSource) {
    if (!isInFlight(volume)) continue;
    const target = await targets.targetOf(volume);
    inFlightTargetHost.set(volume.id, target ? volumeHost(target) : null);
  }

  const journal = await deps.journal.read();
  journal.push(...(await closeSeenEntries(deps, request, journal, onSource)));
  const ours = journal.filter((e) => sameEvacuation(e, request, deps.cloud));
  const lastByVolume = new Map<string, JournalEntry>();
  for (const e of journal) if (e.action === 'migrate') lastByVolume.set(e.volume_id, e);

  const remaining = new Map<string, number | null>();
  for (const dest of request.to) remaining.set(dest, freeBytes(pools.find((p) => p.name === dest)));
  // Thin pools count over-subscribed virtual capacity (as Cinder's capacity filter does): a refusal says so.
  const virtualRoom = new Set(request.to.filter((dest) => capacityOf(pools.find((p) => p.name === dest)?.capabilities ?? {}).kind === 'virtual'));

  const follows: PlannedMove[] = [];
  const candidates: { volume: Volume }[] = [];
  const refusals: PlanRefusal[] = [];

  for (const volume of onSource) {
    if (isInFlight(volume)) {
      const targetHost = inFlightTargetHost.get(volume.id) ?? null;
      // When an earlier run of volmig sent it, the journal says when: its durations are then the migration's own.
      const last = lastByVolume.get(volume.id);
      const requestedAt = last?.outcome === 'requested' && last.cloud === deps.cloud ? Date.parse(last.time) : NaN;
      follows.push({ volume, destination: targetHost, action: 'follow', ...(Number.isFinite(requestedAt) ? { requestedAt } : {}) });
      continue;
    }
    const last = lastByVolume.get(volume.id);
    if (last?.outcome === 'unknown' && normalizedMigrationStatus(volume) === null) {
      refusals.push({
        volume,
        reason:
          `a migration request sent at ${last.time} got no answer and the volume shows no migration; volmig does not ` +
          `send it again: check it with 'volmig show ${volume.id}' and migrate it by hand`,
      });
      continue;
    }
    if (isAttached(volume) && !request.includeInUse) {
      refusals.push({ volume, reason: 'attached to a server (add --include-in-use to migrate attached volumes too)' });
      continue;
    }
    candidates.push({ volume });
  }

  // The checks run a few at a time (each is several GETs); the assignment below stays sequential, in plan order,
  // because each choice uses up capacity for the next.
  const verdicts = new Map<string, string | null>();
  const checks = candidates.flatMap(({ volume }) => request.to.map((dest) => ({ volume, dest })));
  let next = 0;
  const worker = async () => {
    while (next < checks.length) {
      const { volume, dest } = checks[next++]!;
      verdicts.set(`${volume.id}\n${dest}`, await deps.preflight(volume, dest));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PREFLIGHT_PARALLEL, checks.length) }, worker));

  const moves: PlannedMove[] = [];
  for (const { volume } of orderVolumes(candidates, request.order)) {
    const size = (volume.size ?? 0) * GIB;
    // With several destinations, try the roomiest first so the load spreads.
    const destinations = [...request.to].sort((a, b) => (remaining.get(b) ?? Infinity) - (remaining.get(a) ?? Infinity));
    let firstReason: string | null = null;
    let chosen: string | null = null;
    for (const dest of destinations) {
      const left = remaining.get(dest) ?? null;
      const reason = verdicts.get(`${volume.id}\n${dest}`) ?? null;
      if (reason === null && left !== null && size > left) {
        const what = virtualRoom.has(dest) ? 'GiB of over-subscribed virtual capacity' : 'GiB';
        firstReason ??= `${dest} would be full: ${(left / GIB).toFixed(1)} ${what} left after the volumes planned before this one, ${volume.size} GiB needed`;
        continue;
      }
      if (reason !== null) {
        firstReason ??= reason;
        continue;
      }
      chosen = dest;
      break;
    }
    if (chosen === null) {
      refusals.push({ volume, reason: firstReason ?? 'no destination can take it' });
      continue;
    }
    const left = remaining.get(chosen);
    if (left !== null && left !== undefined) remaining.set(chosen, left - size);
    moves.push({ volume, destination: chosen, action: 'migrate' });
  }

  const stillOnSource = new Set(onSource.map((v) => v.id));
  const alreadyMoved = new Map<string, AlreadyMoved>();
  for (const e of ours) {
    if (e.outcome === 'success' && !stillOnSource.has(e.volume_id)) {
      alreadyMoved.set(e.volume_id, { volume_id: e.volume_id, volume_name: e.volume_name ?? null, destination: e.destination, time: e.time });
    }
  }

  const warnings: string[] = [];
  const sourcePools = pools.filter((p) => hostMatches({ 'os-vol-host-attr:host': p.name } as unknown as Volume, request.from));
  if (pools.length > 0 && sourcePools.length === 0) {
    const near = closestNames(request.from, pools.map((p) => p.name));
    const closest = near.length ? ` (closest: ${near.join(', ')})` : '';
    // A --from that names nothing is a mistake, not an empty backend: a maintenance script must not go on to take
    // "it" down. Volumes on a backend that reports no pool (its service is down) are still evacuated, with a warning.
    if (onSource.length === 0) {
      throw new NotFoundError(`--from ${request.from} matches no pool the scheduler reports and no volume${closest}; nothing was planned.`, { hint: 'See the pools with: volmig pools' });
    }
    warnings.push(`no pool the scheduler reports matches --from ${request.from}${closest}`);
  }

  const all = [...follows, ...moves];
  return {
    request,
    moves: all,
    refusals,
    alreadyMoved: [...alreadyMoved.values()],
    selectedCount: onSource.length,
    warnings,
    totalBytes: all.reduce((t, m) => t + (m.volume.size ?? 0) * GIB, 0),
  };
}

