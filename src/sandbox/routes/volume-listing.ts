/**
 * `GET /volumes` and `/volumes/detail` as Cinder lists them: its exact and inexact (`key~`) filters, its three
 * host-match levels, the non-admin filter allow-list, the default order (newest first) and limit/marker pagination
 * with `volumes_links`; and `GET /resource_filters`, which publishes that allow-list.
 */
import { badRequest, notFound, volumeNotFound } from '../faults.js';
import type { ApiResponse } from '../http.js';
import type { VolumeRecord, VolumeTypeRecord } from '../state.js';
import { volumeSummary } from '../views.js';
import { isTrue, type Caller, type RouteHandler, type RouteServices } from './route.js';
import { detailView } from './volumes.js';

/** Volume filters a non-admin may use (Cinder's default resource_filters.json; none with `~`). */
const MEMBER_VOLUME_FILTERS = ['name', 'status', 'metadata', 'bootable', 'migration_status', 'availability_zone', 'group_id', 'size', 'created_at', 'updated_at'];
/** Query parameters that page, order or scope the listing rather than filter it. */
const NOT_FILTERS = ['limit', 'marker', 'offset', 'sort', 'sort_key', 'sort_dir', 'all_tenants', 'with_count', 'project_id'];
/** Cinder's `osapi_max_limit`: no page is longer, whatever `limit` says. */
const MAX_LIMIT = 1000;
/** From 3.31 unknown filters are a 400 for non-admins; from 3.34 a key may end in `~` (inexact match). */
const RESOURCE_FILTER_MINOR = 31;
const LIKE_FILTER_MINOR = 34;

interface Filter {
  key: string;
  value: string;
  /** `key~=value`: Cinder's `LIKE '%value%'` instead of equality. */
  inexact: boolean;
}

/** Why a non-admin's filter keys are refused, in Cinder's words, or undefined when all are allowed. */
function invalidMemberFilters(keys: string[], minor: number): string | undefined {
  const like = minor >= LIKE_FILTER_MINOR;
  // With like filters on, `key` is also allowed when the list has `key~` (and `key~` when it has `key~~`).
  const invalid = keys.filter((k) => !(MEMBER_VOLUME_FILTERS.includes(k) || (like && MEMBER_VOLUME_FILTERS.includes(`${k}~`))));
  return invalid.length > 0 ? `Invalid filters ${invalid.join(',')} are found in query options.` : undefined;
}

function readFilters(c: Caller, params: URLSearchParams): Filter[] {
  const filters: Filter[] = [];
  for (const [key, value] of params) {
    if (NOT_FILTERS.includes(key)) continue;
    filters.push(key.endsWith('~') ? { key: key.slice(0, -1), value, inexact: true } : { key, value, inexact: false });
  }
  if (!c.isAdmin) {
    // Admins skip the allow-list entirely (any column, with or without `~`). Below 3.31 Cinder silently drops a
    // member's unknown filters instead; the sandbox refuses them at every microversion, which no client relies on.
    const refused = invalidMemberFilters(
      filters.map((f) => (f.inexact ? `${f.key}~` : f.key)),
      Math.max(c.minor, RESOURCE_FILTER_MINOR),
    );
    if (refused) throw badRequest(refused);
  }
  return filters;
}

function readLimit(params: URLSearchParams): number | undefined {
  const text = params.get('limit');
  if (text === null) return undefined;
  if (!/^\s*[-+]?\d+\s*$/.test(text)) throw badRequest('limit param must be an integer');
  const limit = Number(text);
  if (limit < 0) throw badRequest('limit param must be positive');
  return limit;
}

/** Cinder's default order: `created_at` descending, then `id` descending (a total order, so pages never overlap). */
function newestFirst(a: VolumeRecord, b: VolumeRecord): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
  return a.id === b.id ? 0 : a.id < b.id ? 1 : -1;
}

function listVolumes(s: RouteServices, c: Caller, detail: boolean): ApiResponse {
  const params = c.request.url.searchParams;
  const filters = readFilters(c, params);
  const limit = readLimit(params);
  const allTenants = c.isAdmin && isTrue(params.get('all_tenants'));
  const types = s.store.state.volumeTypes;
  const inScope = (v: VolumeRecord) =>
    allTenants ? !params.has('project_id') || v.project_id === params.get('project_id') : v.project_id === c.projectId;
  const matching = Object.values(s.store.state.volumes)
    .filter((v) => {
      if (!inScope(v)) return false;
      // Members never see temporary migration targets (Cinder's no_migration_targets for non-admins).
      if (!c.isAdmin && (v.migration_status ?? '').startsWith('target:')) return false;
      return filters.every((f) => (f.inexact ? matchesLike(v, f) : matchesExact(v, f, types)));
    })
    .sort(newestFirst);

  // The marker is a position in the order, not a member of this listing: a volume that stopped matching the filters
  // since the previous page still marks where the next one starts. It must be a volume the caller may see.
  let after = matching;
  const markerId = params.get('marker');
  if (markerId !== null) {
    const marker = s.store.state.volumes[markerId];
    if (!marker || (!c.isAdmin && marker.project_id !== c.projectId)) throw volumeNotFound(markerId);
    after = matching.filter((v) => newestFirst(v, marker) > 0);
  }
  const pageSize = Math.min(limit ?? MAX_LIMIT, MAX_LIMIT);
  const page = after.slice(0, pageSize);
  const count = c.minor >= 45 && isTrue(params.get('with_count')) ? matching.length : undefined;
  const body: Record<string, unknown> = { volumes: page.map((v) => (detail ? detailView(s, c, v) : volumeSummary(v, c))) };
  // Cinder's _get_collection_links: a next link whenever the page is as long as the limit allows (even when nothing
  // follows); with with_count it compares the limit with the whole count instead, so every page has one.
  if (page.length > 0 && pageSize <= (count ?? page.length)) {
    const next = new URLSearchParams(params);
    next.set('marker', page[page.length - 1]!.id);
    body.volumes_links = [{ rel: 'next', href: `${c.origin}/v3/${c.projectId}/volumes${detail ? '/detail' : ''}?${next.toString()}` }];
  }
  if (count !== undefined) body.count = count;
  return { status: 200, body };
}

export const listVolumeSummaries: RouteHandler = (s, c) => listVolumes(s, c, false);
export const listVolumeDetails: RouteHandler = (s, c) => listVolumes(s, c, true);

/** GET /resource_filters (3.33+): the allow-list non-admins are held to. */
export const listResourceFilters: RouteHandler = (_s, c) => {
  if (c.minor < 33) throw notFound();
  return { status: 200, body: { resource_filters: [{ resource: 'volume', filters: MEMBER_VOLUME_FILTERS }] } };
};

/**
 * Cinder's host filter levels: `host@backend#pool` matches only itself; `host@backend` also matches its pools
 * (`host@backend#*`); a bare `host` also matches its backends (`host@*`) and its pools (`host#*`).
 */
export function hostMatches(volumeHost: string | null, wanted: string): boolean {
  if (!volumeHost) return false;
  if (volumeHost === wanted) return true;
  if (wanted.includes('#')) return false;
  if (volumeHost.startsWith(`${wanted}#`)) return true;
  return !wanted.includes('@') && volumeHost.startsWith(`${wanted}@`);
}

/** The record field a filter key names (the API's `name`/`description` are the columns display_name/_description). */
function column(v: VolumeRecord, key: string): unknown {
  switch (key) {
    case 'name':
    case 'display_name':
      return v.name;
    case 'description':
    case 'display_description':
      return v.description;
    default:
      return Object.hasOwn(v, key) ? (v as unknown as Record<string, unknown>)[key] : undefined;
  }
}

/**
 * `key~=value`: SQL's `column LIKE '%value%'` as Cinder's database runs it, so `%` and `_` in the value are
 * wildcards and ASCII letters match either case; a NULL column never matches. A value that Python reads as None
 * (`None`) filters nothing, as in Cinder. A key that names no column matches nothing.
 */
function matchesLike(v: VolumeRecord, { key, value }: Filter): boolean {
  if (value === 'None') return true;
  const field = column(v, key);
  if (field === undefined || field === null || typeof field === 'object') return false;
  return likePattern(value).test(String(field));
}

const likeCache = new Map<string, RegExp>();

function likePattern(value: string): RegExp {
  let re = likeCache.get(value);
  if (!re) {
    const body = [...value].map((ch) => (ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))).join('');
    re = new RegExp(body, 'is');
    if (likeCache.size > 256) likeCache.clear();
    likeCache.set(value, re);
  }
  return re;
}

function matchesExact(v: VolumeRecord, { key, value }: Filter, types: Record<string, VolumeTypeRecord>): boolean {
  switch (key) {
    case 'migration_status':
      return value === 'None' ? v.migration_status === null : v.migration_status === value;
    case 'host':
      return hostMatches(v.host, value);
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
      const field = column(v, key);
      if (field === undefined) return false;
      return String(field) === value || (value === 'None' && field === null);
    }
  }
}
