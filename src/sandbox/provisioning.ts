import { randomUUID } from 'node:crypto';
import type { Storage } from './backends.js';
import { parseHost, type BackendConfig } from './layout.js';
import type { SandboxLog } from './log.js';
import { apiTimestamp, type StateStore, type VolumeRecord, type VolumeTypeRecord } from './state.js';

export interface NewVolumeSpec {
  projectId: string;
  userId: string;
  size: number;
  name: string | null;
  description?: string | null;
  typeId: string;
  metadata?: Record<string, string>;
  /** Pool to create it on; the scheduler picks one when absent. */
  host?: string;
  /** `available` at once (the demo seed), instead of `creating` for a moment. */
  immediate?: boolean;
}

/** Where a migration's data goes: the destination backend and the pool chosen in it. */
export interface Placement {
  backend: BackendConfig;
  pool: string;
  host: string;
}

/**
 * The scheduler and the volume manager's create path: which pool a new volume or a migration lands on (the
 * capacity weigher's choice: most free space that fits), and the volume records and files that creating makes.
 */
export class Provisioning {
  constructor(
    private readonly store: StateStore,
    private readonly storage: Storage,
    private readonly log: SandboxLog,
    private readonly phaseDelayMs: number,
  ) {}

  /** A `cinder-volume` service that is up and enabled: the only kind that takes volumes. */
  serviceUsable(backendHost: string): boolean {
    const svc = this.store.state.services.find((s) => s.binary === 'cinder-volume' && s.host === backendHost);
    return Boolean(svc && svc.state === 'up' && svc.status === 'enabled');
  }

  /** The pool with the most free space that fits, among the backends the type allows. */
  schedulePool(type: VolumeTypeRecord, sizeGb: number): string | null {
    const { layout } = this.storage;
    const pin = type.extra_specs.volume_backend_name;
    const volumes = Object.values(this.store.state.volumes);
    let best: { host: string; free: number } | null = null;
    for (const backend of layout.backends) {
      if (pin !== undefined && backend.name !== pin) continue;
      if (!this.serviceUsable(`${layout.hostName}@${backend.name}`)) continue;
      for (const pool of backend.pools) {
        const free = this.storage.freeGb(backend.name, pool.name, volumes);
        if (free < sizeGb) continue;
        if (!best || free > best.free) best = { host: `${layout.hostName}@${backend.name}#${pool.name}`, free };
      }
    }
    return best?.host ?? null;
  }

  /**
   * The pool a migration of `v` to `requestedHost` (`host@backend` or `host@backend#pool`) lands on, or the
   * scheduler's NoValidBackend reason.
   */
  placeMigration(v: VolumeRecord, requestedHost: string, typeId: string): Placement | string {
    const { storage } = this;
    const noValidBackend = `NoValidBackend: Cannot place volume ${v.id} on ${requestedHost}.`;
    const requested = parseHost(requestedHost);
    const backend = storage.backend(requested.backend);
    if (!backend || requested.host !== storage.layout.hostName) return noValidBackend;
    const pin = this.store.state.volumeTypes[typeId]?.extra_specs.volume_backend_name;
    if (pin !== undefined && pin !== backend.name) return noValidBackend;
    const volumes = Object.values(this.store.state.volumes);
    const candidates = backend.pools
      .map((p) => p.name)
      .filter((p) => requested.pool === undefined || p === requested.pool)
      .map((pool) => ({ pool, host: `${storage.layout.hostName}@${backend.name}#${pool}`, free: storage.freeGb(backend.name, pool, volumes) }))
      // host@backend without a pool may resolve to the volume's own pool, as in Cinder's scheduler (the driver then
      // reports a success without moving anything); a named pool equal to the current one never gets here (400).
      .filter((c) => (c.host !== v.host || requested.pool === undefined) && (c.host === v.host || c.free >= v.size))
      .sort((a, b) => b.free - a.free);
    const chosen = candidates[0];
    if (!chosen) return noValidBackend;
    return { backend, pool: chosen.pool, host: chosen.host };
  }

  /** Creates a volume record and its file; it reads `creating` for a moment, then `available` (or `error`). */
  newVolume(spec: NewVolumeSpec): VolumeRecord {
    const type = this.store.state.volumeTypes[spec.typeId]!;
    const host = spec.host ?? this.schedulePool(type, spec.size);
    const now = apiTimestamp();
    const volume: VolumeRecord = {
      id: randomUUID(),
      project_id: spec.projectId,
      user_id: spec.userId,
      name: spec.name,
      description: spec.description ?? null,
      size: spec.size,
      status: spec.immediate ? 'available' : 'creating',
      previous_status: null,
      host,
      volume_type_id: type.id,
      name_id: null,
      migration_status: null,
      attach_status: 'detached',
      attachments: [],
      metadata: spec.metadata ?? {},
      availability_zone: this.storage.layout.availabilityZone,
      snapshot_id: null,
      source_volid: null,
      replication_status: null,
      multiattach: false,
      bootable: false,
      created_at: now,
      updated_at: spec.immediate ? now : null,
      launched_at: spec.immediate ? now : null,
    };
    this.store.update((s) => void (s.volumes[volume.id] = volume));
    if (host) this.storage.createFile(host, volume.id, volume.size);
    else this.log.error(`Failed to schedule volume ${volume.id}: no valid backend for type ${type.name} and size ${spec.size}`);
    if (!spec.immediate) {
      setTimeout(() => {
        this.store.update((s) => {
          const v = s.volumes[volume.id];
          if (!v || v.status !== 'creating') return;
          v.status = host ? 'available' : 'error';
          v.updated_at = apiTimestamp();
          if (host) v.launched_at = v.updated_at;
        });
      }, this.phaseDelayMs / 2).unref();
    }
    return volume;
  }
}
