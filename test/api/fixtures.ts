import type { Volume } from '../../src/model/cinder.js';
import { resolveCloudConfig, type CloudConfig } from '../../src/config/cloud.js';
import type { GlobalOptions } from '../../src/config/global-options.js';
import type { Io } from '../../src/io.js';
import { FAKE_CINDER_ROOT } from '../helpers/fake-cinder.js';

export { NOAUTH_ENV } from '../helpers/fake-cinder.js';
export const CINDER = FAKE_CINDER_ROOT;
export const KEYSTONE = 'http://keystone.test:5000';
export const PROJECT = '0c5f5a3b8f7d4c8e9a1b2c3d4e5f6a7b';

export function cloudFromEnv(io: Io, globals: GlobalOptions = {}): Promise<CloudConfig> {
  return resolveCloudConfig(globals, io, {});
}

/** A volume as GET /volumes/{id} returns it for an admin (fields from transcripts/transcript.txt). */
export function volume(id: string, overrides: Partial<Volume> = {}): Volume {
  return {
    id,
    status: 'available',
    size: 1,
    availability_zone: 'nova',
    created_at: '2026-11-27T09:12:42.802158',
    updated_at: '2026-11-27T09:12:43.480162',
    name: 'mig-vol',
    description: null,
    volume_type: 'type-a',
    snapshot_id: null,
    source_volid: null,
    metadata: {},
    user_id: 'admin',
    bootable: 'false',
    encrypted: false,
    replication_status: null,
    consistencygroup_id: null,
    multiattach: false,
    attachments: [],
    migration_status: null,
    group_id: null,
    'os-vol-tenant-attr:tenant_id': 'admin',
    'os-vol-mig-status-attr:migstat': null,
    'os-vol-mig-status-attr:name_id': null,
    'os-vol-host-attr:host': 'realcinder@ceph-a#ceph-a',
    ...overrides,
  };
}

export type CatalogRow = [type: string, iface: string, region: string, url: string];

export function catalog(rows: CatalogRow[]) {
  const byType = new Map<string, { type: string; name: string; id: string; endpoints: unknown[] }>();
  for (const [type, iface, region, url] of rows) {
    let service = byType.get(type);
    if (!service) {
      service = { type, name: type === 'identity' ? 'keystone' : 'cinder', id: `svc-${type}`, endpoints: [] };
      byType.set(type, service);
    }
    service.endpoints.push({ id: `ep-${type}-${iface}-${region}`, interface: iface, region_id: region, region, url });
  }
  return [...byType.values()];
}

export const DEFAULT_CATALOG: CatalogRow[] = [
  ['identity', 'public', 'RegionOne', `${KEYSTONE}/v3/`],
  ['block-storage', 'public', 'RegionOne', `${CINDER}/v3/${PROJECT}`],
  ['block-storage', 'internal', 'RegionOne', `http://cinder-internal.test:8776/v3/${PROJECT}`],
  ['block-storage', 'admin', 'RegionOne', `http://cinder-admin.test:8776/v3/${PROJECT}`],
  ['volumev3', 'public', 'RegionOne', `${CINDER}/v3/${PROJECT}`],
];

/** Keystone's answer to POST /v3/auth/tokens (shape from realcinder/keystone 30-auth-proof.sh). */
export function tokenBody(rows: CatalogRow[] = DEFAULT_CATALOG, projectId = PROJECT) {
  return {
    token: {
      methods: ['password'],
      user: { id: 'u-admin', name: 'admin', domain: { id: 'default', name: 'Default' } },
      project: { id: projectId, name: 'admin', domain: { id: 'default', name: 'Default' } },
      roles: [{ id: 'r1', name: 'admin' }],
      expires_at: '2026-11-27T10:12:36.000000Z',
      issued_at: '2026-11-27T09:12:36.000000Z',
      catalog: catalog(rows),
    },
  };
}

export const KEYSTONE_401 = {
  error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' },
};
