import type { BlockStorageClient } from '../api/block-storage.js';
import { backendOf, IN_FLIGHT_STATUSES, normalizedMigrationStatus, type Pool, type PoolCapabilities, type Service, type Volume, volumeHost, volumeLabel as label, type VolumeType } from '../model/cinder.js';

export interface CheckResult {
  /** Stable key for scripts (`--dry-run --json`). */
  check: string;
  ok: boolean;
  /** Why it failed, worded to follow "Your migration request failed to process: ". */
  reason?: string;
  /** What was checked, for --dry-run. */
  detail?: string;
}

export interface PreflightReport {
  checks: CheckResult[];
  failures: CheckResult[];
  warnings: string[];
}

export interface Destination {
  host?: string;
  cluster?: string;
}

const SETTLED = new Set(['available', 'in-use']);

/**
 * The checks Cinder makes in one generic 400 (and those the scheduler makes asynchronously), done one by one so
 * that each refusal can name its cause: status, migration in flight, snapshots, group, replication, same host;
 * then the destination: pool, service, capacity, volume type.
 */
/** The reads the pre-flight checks make (evacuation planning remembers them across the checks of one plan). */
export type PreflightReads = Pick<BlockStorageClient, 'listSnapshots' | 'getPools' | 'listServices' | 'findVolumeType'>;

export async function preflightMigration(client: PreflightReads, volume: Volume, dest: Destination): Promise<PreflightReport> {
  const checks: CheckResult[] = [];
  const warnings: string[] = [];
  const name = label(volume);
  const add = (check: string, ok: boolean, reason: string | undefined, detail?: string) => checks.push({ check, ok, reason: ok ? undefined : reason, detail });

  add('status', SETTLED.has(volume.status),
    `volume ${name} is ${volume.status}; only available or in-use volumes can migrate` +
      (volume.status === 'maintenance' ? ' (maintenance: a locked migration or other maintenance holds it)' : volume.status === 'retyping' ? ' (a retype is in progress)' : '') + '.',
    `status ${volume.status}`);

  const ms = normalizedMigrationStatus(volume);
  if (ms?.startsWith('target:')) {
    add('not-target', false, `volume ${name} is the temporary destination of the migration of volume ${ms.slice(7)}; migrate or watch the source volume instead.`);
  }
  const inFlight = ms !== null && IN_FLIGHT_STATUSES.has(ms);
  add('no-migration-in-flight', !inFlight,
    `a migration of volume ${name} is already in flight (migration_status ${ms}). Watch it with: volmig progress ${volume.id} --watch`,
    `migration_status ${ms ?? 'none'}`);

  const snapshots = await client.listSnapshots({ volumeId: volume.id, allProjects: true });
  const own = snapshots.filter((s) => s.volume_id === volume.id);
  add('no-snapshots', own.length === 0,
    own.length === 1
      ? `volume ${name} has snapshot ${snapLabel(own[0]!)}; a volume with snapshots cannot migrate (delete the snapshot first).`
      : `volume ${name} has ${own.length} snapshots: ${own.slice(0, 5).map(snapLabel).join(', ')}${own.length > 5 ? ', ...' : ''}; a volume with snapshots cannot migrate (delete them first).`,
    `${own.length} snapshot(s)`);

  const group = volume.group_id ?? volume.consistencygroup_id ?? null;
  add('not-in-group', !group,
    `volume ${name} is part of ${volume.group_id ? 'group' : 'consistency group'} ${group}; remove it from the group first.`,
    group ? `group ${group}` : 'no group');

  const repl = volume.replication_status;
  const replicated = repl !== null && repl !== undefined && !['disabled', 'not-capable', ''].includes(String(repl).toLowerCase());
  add('not-replicated', !replicated, `volume ${name} is replicated (replication_status ${repl}); a replicated volume cannot migrate.`, `replication_status ${repl ?? 'none'}`);

  if (volume.status === 'in-use') {
    warnings.push(
      `volume ${name} is attached (in-use): a generic (host-assisted) migration of an attached volume needs the compute service (Nova) to swap the instance over to the new volume; a driver-assisted migration does not.`,
    );
  }

  if (dest.cluster !== undefined) {
    await checkCluster(client, volume, dest.cluster, add);
  } else if (dest.host !== undefined) {
    await checkHost(client, volume, dest.host, add);
  }
  return { checks, failures: checks.filter((c) => !c.ok), warnings };
}

type Add = (check: string, ok: boolean, reason: string | undefined, detail?: string) => void;

async function checkHost(client: PreflightReads, volume: Volume, host: string, add: Add): Promise<void> {
  const name = label(volume);
  const current = volumeHost(volume);
  const [pools, services] = await Promise.all([client.getPools(), client.listServices({ binary: 'cinder-volume' })]);
  const matching = host.includes('#') ? pools.filter((p) => p.name === host) : pools.filter((p) => p.name.startsWith(`${host}#`));
  // Cinder compares the strings exactly; a host@backend without #pool passes that compare and the scheduler then
  // picks a pool of the backend, which may be the volume's own: the RBD driver reports such a "migration" a success
  // without moving anything (transcripts/poll-H9-nopool.log). Both are refused here.
  const landsHome = !host.includes('#') && current !== null && matching.some((p) => p.name === current) && (matching.length === 1 || schedulerChoice(matching)?.name === current);
  add('destination-differs', current !== host && !landsHome,
    current === host
      ? `volume ${name} is already on ${host}; choose another destination (see volmig pools).`
      : `volume ${name} is already on ${current}, ${matching.length === 1 ? `the only pool of ${host}` : `the pool of ${host} the scheduler would choose (the most free capacity)`}: ` +
          `Cinder would report the migration a success without moving it. Choose another backend, or name another pool as host@backend#pool (see volmig pools).`,
    `current host ${current ?? 'unknown'}`);

  const backend = backendOf(host);
  const service = services.find((s) => s.host === backend && (s.binary === 'cinder-volume' || s.binary === undefined));
  const serviceProblem = service ? serviceTrouble(service, backend) : null;
  if (matching.length === 0) {
    // A backend whose service is down or disabled stops reporting its pools: name the real cause.
    if (serviceProblem) {
      add('service-up', false, serviceProblem);
      return;
    }
    const suggestions = closestNames(host, pools.map((p) => p.name));
    add('destination-exists', false,
      `destination '${host}' is not a known pool` + (suggestions.length ? `. Closest: ${suggestions.join(', ')}` : pools.length ? '' : ' (the cloud reports no pools)') +
        '. Destinations are written host@backend#pool (see volmig pools).');
    return;
  }
  add('destination-exists', true, undefined, `pool ${matching.map((p) => p.name).join(', ')}`);
  if (!service) add('service-up', false, `no cinder-volume service named ${backend} is registered.`);
  else add('service-up', serviceProblem === null, serviceProblem ?? undefined, `service ${backend} ${service.state}, ${service.status}`);

  addCapacity(add, volume, matching);

  const typeRef = volume.volume_type_id ?? volume.volume_type;
  if (typeRef) {
    let type: VolumeType | undefined;
    try {
      type = await client.findVolumeType(String(typeRef));
    } catch {
      type = undefined;
    }
    const pinned = type?.extra_specs?.volume_backend_name;
    if (type && pinned) {
      const landing = matching.filter((p) => p.capabilities?.volume_backend_name === pinned);
      const there = [...new Set(matching.map((p) => p.capabilities?.volume_backend_name ?? '?'))].join(', ');
      add('type-allows-destination', landing.length > 0,
        `volume type ${type.name} pins volume_backend_name=${pinned}, but ${host} belongs to backend ${there}; the scheduler would refuse it. ` +
          `To change type and backend together: volmig retype ${volume.id} <type> --migration-policy on-demand`,
        `type ${type.name} pins ${pinned}`);
    } else {
      add('type-allows-destination', true, undefined, type ? `type ${type.name} has no backend pin` : 'type not readable');
    }
  }
}

/** The capacity check over the pools a destination may resolve to, in the words of what the number is. */
function addCapacity(add: Add, volume: Volume, candidates: Pool[]): void {
  const size = Number(volume.size) || 0;
  const roomy = candidates.filter((p) => fits(p.capabilities ?? {}, size));
  const best = schedulerChoice(candidates)!;
  const room = capacityOf(best.capabilities ?? {});
  add('capacity', roomy.length > 0, `${best.name} has ${capacityWords(room)}; volume ${label(volume)} needs ${size} GiB.`, `${size} GiB needed, ${capacityWords(room, true)}`);
}

/**
 * The checks a retype needs beyond Cinder's own retype conditions, when the new type cannot stay where the volume
 * is: a type pinned to another backend needs a migration, which --migration-policy never forbids (the scheduler
 * refuses it); with on-demand, the migration's own conditions (snapshots, replication, a pool of that backend whose
 * service is up, capacity). A type without pin, or pinned to the volume's backend, may be retyped in place: nothing
 * more is checked.
 */
export async function preflightRetypeMove(
  client: PreflightReads,
  volume: Volume,
  type: VolumeType,
  policy: 'never' | 'on-demand',
): Promise<CheckResult[]> {
  const pin = type.extra_specs?.volume_backend_name;
  if (!pin) return [];
  const checks: CheckResult[] = [];
  const add: Add = (check, ok, reason, detail) => checks.push({ check, ok, reason: ok ? undefined : reason, detail });
  const name = label(volume);
  const current = volumeHost(volume);
  const pools = await client.getPools();
  const here = pools.find((p) => p.name === current)?.capabilities?.volume_backend_name ?? null;
  if (here === pin) return [];
  const where = `${current ?? 'an unknown host'}${here ? ` (backend ${here})` : ''}`;
  if (policy === 'never') {
    add('migration-allowed', false,
      `volume type ${type.name} pins volume_backend_name=${pin}, but volume ${name} is on ${where}: the retype needs a migration, and --migration-policy never forbids it (the scheduler would refuse it). ` +
        `Allow the move with --migration-policy on-demand.`,
      `type ${type.name} pins ${pin}; volume on ${where}`);
    return checks;
  }
  add('migration-allowed', true, undefined, `type ${type.name} pins ${pin}: the volume moves off ${where} (on-demand)`);
  const snapshots = (await client.listSnapshots({ volumeId: volume.id, allProjects: true })).filter((s) => s.volume_id === volume.id);
  add('no-snapshots', snapshots.length === 0,
    `volume ${name} has ${snapshots.length === 1 ? `snapshot ${snapLabel(snapshots[0]!)}` : `${snapshots.length} snapshots`}; the retype needs a migration, and a volume with snapshots cannot migrate ("Volume must not have snapshots."). Delete ${snapshots.length === 1 ? 'it' : 'them'} first.`,
    `${snapshots.length} snapshot(s)`);
  const repl = volume.replication_status;
  const replicated = repl !== null && repl !== undefined && !['disabled', 'not-capable', ''].includes(String(repl).toLowerCase());
  add('not-replicated', !replicated, `volume ${name} is replicated (replication_status ${repl}); the retype needs a migration, and a replicated volume cannot migrate.`, `replication_status ${repl ?? 'none'}`);
  const landing = pools.filter((p) => p.capabilities?.volume_backend_name === pin);
  if (landing.length === 0) {
    add('destination-exists', false, `no pool reports volume_backend_name=${pin} (the backend of type ${type.name}); the scheduler would find no backend for it (see volmig pools).`);
    return checks;
  }
  add('destination-exists', true, undefined, `pool ${landing.map((p) => p.name).join(', ')}`);
  const services = await client.listServices({ binary: 'cinder-volume' });
  const backends = [...new Set(landing.map((p) => backendOf(p.name)))];
  const troubles = backends.map((b) => {
    const s = services.find((x) => x.host === b && (x.binary === 'cinder-volume' || x.binary === undefined));
    return s ? serviceTrouble(s, b) : `no cinder-volume service named ${b} is registered.`;
  });
  const usable = landing.filter((p) => troubles[backends.indexOf(backendOf(p.name))] === null);
  add('service-up', usable.length > 0, troubles.find((t) => t !== null) ?? undefined, `service ${backends.join(', ')}`);
  if (usable.length > 0) addCapacity(add, volume, usable);
  return checks;
}
async function checkCluster(client: PreflightReads, volume: Volume, cluster: string, add: Add): Promise<void> {
  const name = label(volume);
  add('destination-differs', volume.cluster_name !== cluster, `volume ${name} is already in cluster ${cluster}.`, `current cluster ${volume.cluster_name ?? 'none'}`);
  const services = (await client.listServices({ binary: 'cinder-volume' })).filter((s) => s.cluster === cluster);
  if (services.length === 0) {
    const all = await client.listServices({ binary: 'cinder-volume' });
    const names = [...new Set(all.map((s) => s.cluster).filter((c): c is string => typeof c === 'string' && c !== ''))];
    const suggestions = closestNames(cluster, names);
    add('destination-exists', false, `no cinder-volume service belongs to cluster '${cluster}'${suggestions.length ? `. Closest: ${suggestions.join(', ')}` : ''}.`);
    return;
  }
  add('destination-exists', true, undefined, `cluster ${cluster}: ${services.length} service(s)`);
  const usable = services.filter((s: Service) => s.state === 'up' && s.status === 'enabled');
  add('service-up', usable.length > 0, `no cinder-volume service of cluster ${cluster} is up and enabled.`);
}

function serviceTrouble(service: Service, backend: string): string | null {
  if (service.state !== 'up') {
    return `the cinder-volume service ${backend} is down${service.updated_at ? ` (last heartbeat ${service.updated_at})` : ''}; the destination cannot receive the volume.`;
  }
  if (service.status !== 'enabled') {
    return `the cinder-volume service ${backend} is disabled${service.disabled_reason ? ` (${service.disabled_reason})` : ''}; the destination does not accept volumes.`;
  }
  return null;
}

function snapLabel(s: { id: string; name: string | null }): string {
  return s.name ? `${s.name} (${s.id})` : s.id;
}

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** What a pool has room for, as Cinder's capacity filter counts it, and how that number is made. */
export interface PoolRoom {
  /** GiB the filter compares the volume's size with; null when the backend reports `infinite`/`unknown`. */
  gib: number | null;
  /** real: free space less the reserved part; virtual: thin provisioning's over-subscribed capacity left. */
  kind: 'real' | 'virtual';
  /** The free space the backend reports (after the reserved part), for a virtual number's context. */
  realFree: number | null;
  ratio: number;
  provisioned: number;
  total: number | null;
}

/**
 * Room as Cinder 21.3's CapacityFilter sees it (utils.calculate_capacity_factors): for a thin-provisioning pool
 * with max_over_subscription_ratio > 1, (total − reserved) × ratio − provisioned, which can be far above what is
 * really free; else the reported free space less the reserved part (reserved = floor(total × reserved %)).
 */
export function capacityOf(c: PoolCapabilities): PoolRoom {
  const free = num(c.free_capacity_gb);
  const total = num(c.total_capacity_gb);
  const reserved = total !== null ? Math.floor((total * (num(c.reserved_percentage) ?? 0)) / 100) : 0;
  const ratio = num(c.max_over_subscription_ratio) ?? 1;
  const provisioned = num(c.provisioned_capacity_gb) ?? num(c.allocated_capacity_gb) ?? 0;
  const realFree = free === null ? null : Math.max(0, free - reserved);
  if (free === null) return { gib: null, kind: 'real', realFree: null, ratio, provisioned, total };
  if (c.thin_provisioning_support === true && ratio > 1 && total !== null) {
    return { gib: Math.max(0, (total - reserved) * ratio - provisioned), kind: 'virtual', realFree, ratio, provisioned, total };
  }
  return { gib: free - reserved, kind: 'real', realFree, ratio, provisioned, total };
}

/** "18.7 GiB free", or the virtual number with what it is made of; `short` for --dry-run's detail column. */
export function capacityWords(room: PoolRoom, short = false): string {
  if (room.gib === null) return 'unknown free space (the backend reports none)';
  const gib = room.gib.toFixed(1);
  if (room.kind === 'real') return `${gib} GiB free`;
  const real = room.realFree === null ? 'unknown' : room.realFree.toFixed(1);
  if (short) return `${gib} GiB over-subscribed virtual capacity left (${real} GiB really free)`;
  return (
    `${gib} GiB of over-subscribed virtual capacity left (thin provisioning: ${room.total} GiB × max_over_subscription_ratio ${room.ratio} − ${room.provisioned} GiB provisioned), ` +
    `${real} GiB really free`
  );
}

/** Free GiB as the capacity filter sees it; null when the backend reports `infinite`/`unknown`. */
export function effectiveFree(c: PoolCapabilities): number | null {
  return capacityOf(c).gib;
}

/** The pool of several the scheduler's capacity weigher would pick: the most room (unknown counts as most). */
function schedulerChoice(pools: Pool[]): Pool | undefined {
  return pools
    .map((p) => ({ p, free: effectiveFree(p.capabilities ?? {}) }))
    .sort((a, b) => (b.free ?? Infinity) - (a.free ?? Infinity))[0]?.p;
}

function fits(c: PoolCapabilities, size: number): boolean {
  const free = effectiveFree(c);
  return free === null || free >= size;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** Up to three known names nearest the one given (edit distance), the nearest first. */
export function closestNames(wanted: string, names: string[], max = 3): string[] {
  return [...new Set(names)]
    .map((n) => ({ n, d: editDistance(wanted.toLowerCase(), n.toLowerCase()) }))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n))
    .slice(0, max)
    .map((x) => x.n);
}

export type { Pool };
