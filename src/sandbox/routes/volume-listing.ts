/** `GET /volumes` and `/volumes/detail`: Cinder's list filters, sort order and pagination; `GET /resource_filters`. */
import { ApiFault, badRequest, notFound } from '../faults.js';
import type { VolumeRecord, VolumeTypeRecord } from '../state.js';
import { volumeSummary } from '../views.js';
import { isTrue, type Caller, type RouteHandler, type RouteServices } from './route.js';
import { detailView } from './volumes.js';

/** Volume filters a non-admin may use (Cinder's default etc/cinder/resource_filters.json). */
export const MEMBER_VOLUME_FILTERS = ['name', 'status', 'metadata', 'bootable', 'migration_status', 'availability_zone', 'group_id', 'size', 'created_at', 'updated_at'];
const PAGING_PARAMS = ['limit', 'marker', 'offset', 'sort', 'sort_key', 'sort_dir', 'all_tenants', 'with_count', 'project_id'];
const MAX_LIMIT = 1000;

function listVolumes(s: RouteServices, c: Caller, detail: boolean) {
  const params = c.request.url.searchParams;
  const allTenants = c.isAdmin && isTrue(params.get('all_tenants'));
  const filters: [string, string][] = [];
  for (const [key, value] of params) {
    if (PAGING_PARAMS.includes(key)) continue;
    filters.push([key, value]);
  }
  if (!c.isAdmin) {
    const invalid = filters.map(([k]) => k).filter((k) => !MEMBER_VOLUME_FILTERS.includes(k));
    if (invalid.length > 0) throw badRequest(`Invalid filters ${invalid.join(',')} are found in query options.`);
  }
  const types = s.store.state.volumeTypes;
  let volumes = Object.values(s.store.state.volumes).filter((v) => {
    if (!allTenants && v.project_id !== c.projectId) return false;
    if (allTenants && params.has('project_id') && v.project_id !== params.get('project_id')) return false;
    // Members never see temporary migration targets (Cinder filters them for non-admins).
    if (!c.isAdmin && (v.migration_status ?? '').startsWith('target:')) return false;
    return filters.every(([key, value]) => matchesFilter(v, key, value, types));
  });
  volumes.sort((a, b) => (a.created_at === b.created_at ? (a.id < b.id ? 1 : -1) : a.created_at < b.created_at ? 1 : -1));

  const count = volumes.length;
  const limitParam = params.get('limit');
  let limit: number | undefined;
  if (limitParam !== null) {
    if (!/^-?\d+$/.test(limitParam)) throw badRequest('limit param must be an integer');
    limit = Number(limitParam);
    if (limit < 0) throw badRequest('limit param must be positive');
  }
  const marker = params.get('marker');
  if (marker !== null) {
    const index = volumes.findIndex((v) => v.id === marker);
    if (index < 0) throw new ApiFault(404, `Marker ${marker} could not be found.`);
    volumes = volumes.slice(index + 1);
  }
  const pageSize = Math.min(limit ?? MAX_LIMIT, MAX_LIMIT);
  const page = volumes.slice(0, pageSize);
  const body: Record<string, unknown> = {
    volumes: page.map((v) => (detail ? detailView(s, c, v) : volumeSummary(v, c))),
  };
  if (c.minor >= 45 && isTrue(params.get('with_count'))) body.count = count;
  // Like Cinder (_get_collection_links), a full page always gets a next link, even when nothing follows.
  if (pageSize > 0 && page.length === pageSize) {
    const next = new URLSearchParams(params);
    next.set('marker', page[page.length - 1]!.id);
    if (limit !== undefined) next.set('limit', String(limit));
    body.volumes_links = [{ rel: 'next', href: `${c.origin}/v3/${c.projectId}/volumes${detail ? '/detail' : ''}?${next.toString()}` }];
  }
  return { status: 200, body };
}

export const listVolumeSummaries: RouteHandler = (s, c) => listVolumes(s, c, false);
export const listVolumeDetails: RouteHandler = (s, c) => listVolumes(s, c, true);

/** GET /resource_filters (3.33+): the allow-list non-admins are held to. */
export const listResourceFilters: RouteHandler = (_s, c) => {
  if (c.minor < 33) throw notFound();
  return { status: 200, body: { resource_filters: [{ resource: 'volume', filters: MEMBER_VOLUME_FILTERS }] } };
};

function matchesFilter(v: VolumeRecord, key: string, value: string, types: Record<string, VolumeTypeRecord>): boolean {
  switch (key) {
    case 'migration_status':
      return value === 'None' ? v.migration_status === null : v.migration_status === value;
    case 'host': {
      // A backend (`host@backend`) matches every pool of it, as Cinder's pool-aware host filter does.
      if (!v.host) return false;
      return v.host === value || (!value.includes('#') && v.host.startsWith(`${value}#`));
    }
    case 'name':
    case 'display_name':
      return v.name === value;
    case 'volume_type':
      return v.volume_type_id === value || types[v.volume_type_id]?.name === value;
    case 'size':
      return String(v.size) === value;
    case 'bootable':
      return String(v.bootable) === value.toLowerCase();
    case 'metadata':
      try {
        const wanted = JSON.parse(value.replace(/'/g, '"')) as Record<string, string>;
        return Object.entries(wanted).every(([k, val]) => v.metadata[k] === val);
      } catch {
        return false;
      }
    default: {
      const field = (v as unknown as Record<string, unknown>)[key];
      if (field === undefined) return false;
      return String(field) === value || (value === 'None' && field === null);
    }
  }
}
