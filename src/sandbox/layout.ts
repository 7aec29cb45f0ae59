/**
 * The sandbox's storage layout: backends, their pools, and the volume types that pin them. The default mirrors the
 * seed's test matrix (LVM to LVM, LVM to vendor, vendor to LVM, vendor pool to vendor pool) and adds a second vendor
 * backend that cannot report driver-assisted progress, so both sides of the `migration_progress_report`
 * capability exist.
 */

/** How a backend's volume manager copies data in a generic (host-assisted) migration. */
export type MoverKind = 'dd' | 'file-io';

export interface PoolConfig {
  name: string;
  totalCapacityGb: number;
}

export interface BackendConfig {
  /** Backend name as in `host@backend#pool`; also its `volume_backend_name`. */
  name: string;
  vendorName: string;
  storageProtocol: string;
  mover: MoverKind;
  /** Whether the backend can report progress of its own (driver-assisted) pool-to-pool copies. */
  migrationProgressReport: boolean;
  pools: PoolConfig[];
  /** Service state and status as os-services reports them; a down or disabled service is not a valid destination. */
  state?: 'up' | 'down';
  enabled?: boolean;
}

export interface VolumeTypeConfig {
  name: string;
  description?: string | null;
  /** `volume_backend_name` extra spec; absent means the type can live on any backend. */
  backendName?: string;
}

export interface SandboxLayout {
  /** The `host` part of `host@backend#pool` (Cinder's `[DEFAULT] host`). */
  hostName: string;
  availabilityZone: string;
  backends: BackendConfig[];
  volumeTypes: VolumeTypeConfig[];
}

export const DEFAULT_LAYOUT: SandboxLayout = {
  hostName: 'sandbox',
  availabilityZone: 'nova',
  backends: [
    {
      name: 'lvm-1',
      vendorName: 'Open Source',
      storageProtocol: 'iSCSI',
      mover: 'dd',
      migrationProgressReport: false,
      pools: [{ name: 'lvm-1', totalCapacityGb: 100 }],
    },
    {
      name: 'lvm-2',
      vendorName: 'Open Source',
      storageProtocol: 'iSCSI',
      mover: 'dd',
      migrationProgressReport: false,
      pools: [{ name: 'lvm-2', totalCapacityGb: 100 }],
    },
    {
      name: 'vendor',
      vendorName: 'Sandbox Storage',
      storageProtocol: 'FC',
      mover: 'file-io',
      migrationProgressReport: true,
      pools: [
        { name: 'pool-a', totalCapacityGb: 200 },
        { name: 'pool-b', totalCapacityGb: 200 },
      ],
    },
    {
      name: 'vendor-lite',
      vendorName: 'Sandbox Storage',
      storageProtocol: 'FC',
      mover: 'file-io',
      migrationProgressReport: false,
      pools: [
        { name: 'pool-c', totalCapacityGb: 200 },
        { name: 'pool-d', totalCapacityGb: 200 },
      ],
    },
  ],
  volumeTypes: [
    { name: '__DEFAULT__', description: 'Default Volume Type' },
    { name: 'lvm-1', backendName: 'lvm-1' },
    { name: 'lvm-2', backendName: 'lvm-2' },
    { name: 'vendor', backendName: 'vendor' },
    { name: 'vendor-lite', backendName: 'vendor-lite' },
  ],
};

/** `host@backend` */
export function backendHost(layout: SandboxLayout, backend: string): string {
  return `${layout.hostName}@${backend}`;
}

/** `host@backend#pool` */
export function poolHost(layout: SandboxLayout, backend: string, pool: string): string {
  return `${layout.hostName}@${backend}#${pool}`;
}

/** Splits `host@backend#pool` (pool optional) the way Cinder's extract_host does. */
export function parseHost(value: string): { host: string; backend?: string; pool?: string } {
  const [hostAndBackend, pool] = value.split('#', 2) as [string, string | undefined];
  const at = hostAndBackend.indexOf('@');
  if (at < 0) return { host: hostAndBackend, pool };
  return { host: hostAndBackend.slice(0, at), backend: hostAndBackend.slice(at + 1), pool };
}
