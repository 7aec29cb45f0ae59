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
  // Cinder compares the strings exactly; so does volmig, so that the answer is the API's.
  add('destination-differs', current !== host, `volume ${name} is already on ${host}; choose another destination (see volmig pools).`, `current host ${current ?? 'unknown'}`);

  const [pools, services] = await Promise.all([client.getPools(), client.listServices({ binary: 'cinder-volume' })]);
  const backend = backendOf(host);
  const service = services.find((s) => s.host === backend && (s.binary === 'cinder-volume' || s.binary === undefined));
  const serviceProblem = service ? serviceTrouble(service, backend) : null;
  const matching = host.includes('#') ? pools.filter((p) => p.name === host) : pools.filter((p) => p.name.startsWith(`${host}#`));
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

  const size = Number(volume.size) || 0;
  const roomy = matching.filter((p) => fits(p.capabilities ?? {}, size));
  const best = matching.map((p) => ({ p, free: effectiveFree(p.capabilities ?? {}) })).sort((a, b) => (b.free ?? Infinity) - (a.free ?? Infinity))[0]!;
  add('capacity', roomy.length > 0,
    `${best.p.name} has ${best.free === null ? 'unknown' : best.free.toFixed(1)} GiB free; volume ${name} needs ${size} GiB.`,
    `${size} GiB needed, ${best.free === null ? 'unknown' : best.free.toFixed(1)} GiB free`);

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

/** Free GiB as the capacity filter sees it; null when the backend reports `infinite`/`unknown`. */
export function effectiveFree(c: PoolCapabilities): number | null {
  const free = num(c.free_capacity_gb);
  const total = num(c.total_capacity_gb);
  if (free === null) return null;
  const reserved = total !== null ? (total * (num(c.reserved_percentage) ?? 0)) / 100 : 0;
  const ratio = num(c.max_over_subscription_ratio) ?? 1;
  if (c.thin_provisioning_support === true && ratio > 1 && total !== null) {
    const provisioned = num(c.provisioned_capacity_gb) ?? num(c.allocated_capacity_gb) ?? 0;
    return Math.max(0, (total - reserved) * ratio - provisioned);
  }
  return free - reserved;
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
