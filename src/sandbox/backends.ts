import { mkdirSync, openSync, closeSync, ftruncateSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { PoolCapabilities } from '../model/cinder.js';
import { parseHost, poolHost, type BackendConfig, type SandboxLayout } from './layout.js';
import { startFileCopy, type CopyJob, type CopyRequest } from './movers.js';
import type { VolumeRecord } from './state.js';

/**
 * The storage side: where a volume's bytes live (a sparse file per volume under
 * `<data-dir>/backends/<backend>/<pool>/volume-<id>`), how much each pool holds, and each backend's own
 * pool-to-pool copy jobs (the driver-assisted path, whose progress is part of the backend's stats).
 */
export class Storage {
  readonly layout: SandboxLayout;
  readonly root: string;
  /** Bytes per GiB of volume size: 1 GiB normally, smaller in tests so copies take milliseconds. */
  readonly gibBytes: number;
  private readonly backendJobs = new Map<string, Map<string, CopyJob>>();

  constructor(layout: SandboxLayout, dataDir: string, gibBytes: number) {
    this.layout = layout;
    this.root = join(dataDir, 'backends');
    this.gibBytes = gibBytes;
    for (const backend of layout.backends) {
      for (const pool of backend.pools) mkdirSync(join(this.root, backend.name, pool.name), { recursive: true });
    }
  }

  backend(name: string | undefined): BackendConfig | undefined {
    return this.layout.backends.find((b) => b.name === name);
  }

  /** The backend and pool of a `host@backend#pool` string, if it names one of ours. */
  locate(host: string | null): { backend: BackendConfig; pool: string } | undefined {
    if (!host) return undefined;
    const parsed = parseHost(host);
    if (parsed.host !== this.layout.hostName) return undefined;
    const backend = this.backend(parsed.backend);
    if (!backend || !parsed.pool || !backend.pools.some((p) => p.name === parsed.pool)) return undefined;
    return { backend, pool: parsed.pool };
  }

  volumeBytes(sizeGb: number): number {
    return sizeGb * this.gibBytes;
  }

  fileFor(host: string, fileId: string): string {
    const where = this.locate(host);
    if (!where) throw new Error(`no pool for host ${host}`);
    return join(this.root, where.backend.name, where.pool, `volume-${fileId}`);
  }

  /** A new, empty (sparse) volume file of the volume's full logical size. */
  createFile(host: string, fileId: string, sizeGb: number): string {
    const path = this.fileFor(host, fileId);
    const fd = openSync(path, 'w', 0o600);
    try {
      ftruncateSync(fd, this.volumeBytes(sizeGb));
    } finally {
      closeSync(fd);
    }
    return path;
  }

  writeAt(path: string, offset: number, data: Buffer): void {
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, data, 0, data.length, offset);
    } finally {
      closeSync(fd);
    }
  }

  removeFile(path: string | null): void {
    if (path) rmSync(path, { force: true });
  }

  allocatedGb(backend: string, pool: string, volumes: Iterable<VolumeRecord>): number {
    const host = poolHost(this.layout, backend, pool);
    let total = 0;
    for (const v of volumes) if (v.host === host) total += v.size;
    return total;
  }

  freeGb(backend: string, pool: string, volumes: Iterable<VolumeRecord>): number {
    const config = this.backend(backend)?.pools.find((p) => p.name === pool);
    if (!config) return 0;
    return config.totalCapacityGb - this.allocatedGb(backend, pool, volumes);
  }

  capabilities(backend: BackendConfig, pool: string, volumes: VolumeRecord[], reportIntervalSeconds: number): PoolCapabilities {
    const config = backend.pools.find((p) => p.name === pool)!;
    const allocated = this.allocatedGb(backend.name, pool, volumes);
    return {
      vendor_name: backend.vendorName,
      driver_version: '1.0.0',
      storage_protocol: backend.storageProtocol,
      total_capacity_gb: config.totalCapacityGb,
      free_capacity_gb: config.totalCapacityGb - allocated,
      reserved_percentage: 0,
      multiattach: false,
      thin_provisioning_support: true,
      location_info: `sandbox:${backend.name}:${pool}`,
      backend_state: backend.state === 'down' ? 'down' : 'up',
      qos_support: false,
      volume_backend_name: backend.name,
      replication_enabled: false,
      allocated_capacity_gb: allocated,
      filter_function: null,
      goodness_function: null,
      migration_progress_report: backend.migrationProgressReport,
      migration_progress_report_interval: reportIntervalSeconds,
      sandbox_copy_mover: backend.mover,
      timestamp: new Date().toISOString().slice(0, 23) + '000',
    };
  }

  /** Driver-assisted copy between two pools of one backend: the backend's own job, tracked in its stats. */
  startBackendCopy(backend: BackendConfig, volumeId: string, request: CopyRequest): CopyJob {
    const job = startFileCopy(request, 'driver-assisted');
    let jobs = this.backendJobs.get(backend.name);
    if (!jobs) this.backendJobs.set(backend.name, (jobs = new Map()));
    jobs.set(volumeId, job);
    const forget = () => jobs.delete(volumeId);
    job.done.then(forget, forget);
    return job;
  }

  /**
   * What the backend reports about its copy of a volume: bytes copied, or undefined when the backend does not
   * report migration progress (its `migration_progress_report` capability is false) or has no such job.
   */
  backendCopyProgress(backendName: string, volumeId: string): { copied: number; total: number } | undefined {
    const backend = this.backend(backendName);
    if (!backend?.migrationProgressReport) return undefined;
    const job = this.backendJobs.get(backendName)?.get(volumeId);
    return job ? { copied: job.position(), total: job.bytesTotal } : undefined;
  }
}
