import type { Pool, Volume } from '../../src/model/cinder.js';
import { FAKE_CINDER_ROOT } from '../helpers/fake-cinder.js';

export { NOAUTH_ENV } from '../helpers/fake-cinder.js';
export const ENDPOINT_ROOT = FAKE_CINDER_ROOT;
export const API = `${ENDPOINT_ROOT}/v3/admin`;

/** A volume shaped like GET /v3/admin/volumes/{id} from Cinder 21.3 as admin (transcript section B). */
export function volume(overrides: Partial<Volume> & { id: string }): Volume {
  const host = 'os-vol-host-attr:host' in overrides ? overrides['os-vol-host-attr:host'] : 'realcinder@ceph-a#ceph-a';
  const migstat = overrides.migration_status ?? null;
  return {
    status: 'available',
    size: 1,
    availability_zone: 'nova',
    created_at: '2026-11-27T09:12:42.802158',
    updated_at: '2026-11-27T09:12:43.480162',
    name: 'vol',
    description: null,
    volume_type: 'type-a',
    snapshot_id: null,
    source_volid: null,
    metadata: {},
    links: [{ rel: 'self', href: `${API}/volumes/${overrides.id}` }],
    user_id: 'admin',
    bootable: 'false',
    encrypted: false,
    replication_status: null,
    consistencygroup_id: null,
    multiattach: false,
    attachments: [],
    group_id: null,
    provider_id: null,
    shared_targets: false,
    service_uuid: 'd52dff3d-5d2e-47fd-9f55-c10c6a20ee25',
    'os-vol-tenant-attr:tenant_id': 'admin',
    'os-vol-mig-status-attr:name_id': null,
    ...overrides,
    migration_status: migstat,
    'os-vol-mig-status-attr:migstat': migstat,
    'os-vol-host-attr:host': host,
  };
}

export const SOURCE_ID = '70629f0c-4fed-442b-925c-50e1c3515330';
export const TARGET_ID = 'b9be2092-8b55-4e54-8e59-39c2016130dc';

/** The generic migration of transcript section F: the source (locked) and its temporary destination. */
export const migratingSource = volume({
  id: SOURCE_ID,
  name: 'mig-vol',
  status: 'maintenance',
  volume_type: 'type-any',
  migration_status: 'migrating',
  'os-vol-host-attr:host': 'realcinder@ceph-b#ceph-b',
});
export const migrationTarget = volume({
  id: TARGET_ID,
  name: 'mig-vol',
  volume_type: 'type-any',
  migration_status: `target:${SOURCE_ID}`,
  'os-vol-host-attr:host': 'realcinder@ceph-a#ceph-a',
});

/** get_pools?detail=true as Cinder 21.3 answered (section A), plus a pool reporting volmig's capability. */
export const POOLS: Pool[] = [
  {
    name: 'realcinder@ceph-b#ceph-b',
    capabilities: {
      vendor_name: 'Open Source',
      driver_version: '1.3.0',
      storage_protocol: 'ceph',
      total_capacity_gb: 18.7,
      free_capacity_gb: 18.7,
      reserved_percentage: 0,
      volume_backend_name: 'ceph-b',
      backend_state: 'up',
      allocated_capacity_gb: 0,
    },
  },
  {
    name: 'realcinder@ceph-a#ceph-a',
    capabilities: {
      total_capacity_gb: 18.7,
      free_capacity_gb: 12.25,
      volume_backend_name: 'ceph-a',
      migration_progress_report: true,
      migration_progress_report_interval: 5,
    },
  },
  {
    name: 'lvm1@lvm#fast',
    capabilities: { total_capacity_gb: 'infinite', free_capacity_gb: 'unknown', volume_backend_name: 'lvm', migration_progress_report: false },
  },
];
