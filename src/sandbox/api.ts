import { randomUUID } from 'node:crypto';
import { ftruncateSync, openSync, closeSync } from 'node:fs';
import type { Storage } from './backends.js';
import type { MigrationEngine } from './engine.js';
import {
  ApiFault,
  badRequest,
  checkAdditional,
  checkEnum,
  checkObject,
  DELETE_REFUSED,
  invalidInput,
  invalidVolume,
  migrateRefused,
  notFound,
  parseBoolean,
  policyForbids,
  pyRepr,
  RETYPE_REFUSED,
  schemaError,
  volumeNotFound,
} from './faults.js';
import { MAX_MINOR, MIN_MINOR, type ApiRequest, type ApiResponse } from './http.js';
import { parseHost } from './layout.js';
import type { SandboxLog } from './log.js';
import { apiTimestamp, type SnapshotRecord, type StateStore, type VolumeRecord, type VolumeTypeRecord } from './state.js';
import { snapshotView, volumeDetail, volumeSummary, volumeTypeView, type ViewContext } from './views.js';

export interface ApiOptions {
  store: StateStore;
  storage: Storage;
  engine: MigrationEngine;
  log: SandboxLog;
  adminProjects: string[];
  internalProject: string;
  phaseDelayMs: number;
}

/** Top-level names that follow /v3/ directly when the project id is left out of the URL (3.67+). */
const COLLECTIONS = new Set([
  'volumes', 'types', 'snapshots', 'scheduler-stats', 'os-services', 'os-availability-zone', 'resource_filters',
  'limits', 'messages', 'extensions', 'attachments', 'backups', 'groups', 'qos-specs', 'os-hosts', 'os-quota-sets',
]);

/** Volume filters a non-admin may use (Cinder's default etc/cinder/resource_filters.json). */
const MEMBER_VOLUME_FILTERS = ['name', 'status', 'metadata', 'bootable', 'migration_status', 'availability_zone', 'group_id', 'size', 'created_at', 'updated_at'];
const PAGING_PARAMS = ['limit', 'marker', 'offset', 'sort', 'sort_key', 'sort_dir', 'all_tenants', 'with_count', 'project_id'];
const MAX_LIMIT = 1000;

const AVAILABLE_MIGRATION_STATUS = [null, 'deleting', 'error', 'success'];
const RESET_MIGRATION_STATUSES = ['migrating', 'error', 'success', 'completing', 'none', 'starting'];
const RESET_STATUSES = [
  'available', 'creating', 'deleting', 'error', 'error_deleting', 'error_managing', 'managing', 'attaching', 'in-use',
  'detaching', 'maintenance', 'reserved', 'backing-up', 'restoring-backup', 'error_restoring', 'error_extending',
  'downloading', 'uploading', 'retyping', 'extending',
];

interface Caller extends ViewContext {
  userId: string;
  request: ApiRequest;
}

const accepted: ApiResponse = { status: 202 };

/** The Block Storage v3 API subset the sandbox serves, with Cinder's paths, checks, codes and messages. */
export class SandboxApi {
  private readonly o: ApiOptions;

  constructor(options: ApiOptions) {
    this.o = options;
  }

  private get state() {
    return this.o.store.state;
  }

  handle = async (request: ApiRequest): Promise<ApiResponse> => {
    const segments = request.url.pathname.split('/').filter(Boolean);
    if (segments.length === 0) {
      if (request.method !== 'GET') throw new ApiFault(405, 'The method is not allowed for the requested URL.');
      return { status: 300, body: this.versions(request) };
    }
    if (segments[0] !== 'v3') throw notFound();
    if (segments.length === 1) {
      if (request.method !== 'GET') throw new ApiFault(405, 'The method is not allowed for the requested URL.');
      return { status: 200, body: this.versions(request) };
    }
    const first = segments[1]!;
    let urlProject: string | undefined;
    let rest: string[];
    if (COLLECTIONS.has(first)) {
      if (request.minor < 67) throw notFound();
      rest = segments.slice(1);
    } else {
      urlProject = first;
      rest = segments.slice(2);
    }
    const caller = this.authenticate(request, urlProject);
    return this.route(caller, request.method, rest);
  };

  private versions(request: ApiRequest) {
    return {
      versions: [
        {
          id: 'v3.0',
          status: 'CURRENT',
          version: `3.${MAX_MINOR}`,
          min_version: `3.${MIN_MINOR}`,
          updated: '2026-01-01T00:00:00Z',
          links: [
            { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
            { rel: 'self', href: `${request.origin}/v3/` },
          ],
          'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
        },
      ],
    };
  }

  /** noauth: `X-Auth-Token: user:project` (or cinderclient's x-user-id/x-project-id headers at 3.67+). */
  private authenticate(request: ApiRequest, urlProject: string | undefined): Caller {
    const header = (name: string) => {
      const v = request.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    let userId: string | undefined;
    let projectId: string | undefined;
    const token = header('x-auth-token');
    if (token) {
      const colon = token.indexOf(':');
      userId = colon >= 0 ? token.slice(0, colon) : token;
      projectId = colon >= 0 ? token.slice(colon + 1) || userId : userId;
    } else {
      projectId = header('x-project-id') ?? urlProject;
      userId = header('x-user-id') ?? projectId;
    }
    if (!projectId || !userId) throw new ApiFault(401, 'The request you have made requires authentication.');
    if (urlProject !== undefined && urlProject !== projectId) throw badRequest('Malformed request url');
    return {
      projectId,
      userId,
      isAdmin: this.o.adminProjects.includes(projectId),
      minor: request.minor,
      origin: request.origin,
      request,
    };
  }

  private route(c: Caller, method: string, rest: string[]): ApiResponse {
    const [collection, id, sub, ...more] = rest;
    const m = method.toUpperCase();
    if (more.length > 0) throw notFound();
    switch (collection) {
      case 'volumes':
        if (id === undefined) {
          if (m === 'GET') return this.listVolumes(c, false);
          if (m === 'POST') return this.createVolume(c);
        } else if (id === 'detail' && sub === undefined) {
          if (m === 'GET') return this.listVolumes(c, true);
        } else if (sub === undefined) {
          if (m === 'GET') return this.showVolume(c, id);
          if (m === 'PUT') return this.updateVolume(c, id);
          if (m === 'DELETE') return this.deleteVolume(c, id);
        } else if (sub === 'action') {
          if (m === 'POST') return this.action(c, id);
        } else throw notFound();
        break;
      case 'types':
        if (sub !== undefined) throw notFound();
        if (id === undefined) {
          if (m === 'GET') return this.listTypes(c);
          if (m === 'POST') return this.createType(c);
        } else if (m === 'GET') return this.showType(c, id);
        break;
      case 'snapshots':
        if (sub !== undefined) throw notFound();
        if (id === undefined) {
          if (m === 'GET') return this.listSnapshots(c);
          if (m === 'POST') return this.createSnapshot(c);
        } else if (id === 'detail') {
          if (m === 'GET') return this.listSnapshots(c);
        } else {
          if (m === 'GET') return this.showSnapshot(c, id);
          if (m === 'DELETE') return this.deleteSnapshot(c, id);
        }
        break;
      case 'scheduler-stats':
        if (id === 'get_pools' && sub === undefined && m === 'GET') return this.getPools(c);
        throw notFound();
      case 'os-services':
        if (id === undefined && m === 'GET') return this.listServices(c);
        if (id !== undefined && sub === undefined && m === 'PUT') return this.updateService(c, id);
        break;
      case 'os-availability-zone':
        if (m === 'GET' && id === undefined) {
          return { status: 200, body: { availabilityZoneInfo: [{ zoneName: this.o.storage.layout.availabilityZone, zoneState: { available: true } }] } };
        }
        break;
      case 'resource_filters':
        if (m === 'GET' && id === undefined && c.minor >= 33) {
          return { status: 200, body: { resource_filters: [{ resource: 'volume', filters: MEMBER_VOLUME_FILTERS }] } };
        }
        throw notFound();
      default:
        throw notFound();
    }
    throw new ApiFault(405, 'The method is not allowed for the requested URL.');
  }

  private body(c: Caller, key: string): Record<string, unknown> {
    const body = c.request.body;
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw badRequest(`Missing required element '${key}' in request body.`);
    }
    const value = (body as Record<string, unknown>)[key];
    if (value === undefined) throw schemaError(undefined, body, `${pyRepr(key)} is a required property`);
    return checkObject(key, value);
  }

  // ---- volumes -------------------------------------------------------------------------------------------------

  private visibleVolume(c: Caller, id: string): VolumeRecord {
    const v = this.state.volumes[id];
    if (!v || (!c.isAdmin && v.project_id !== c.projectId)) throw volumeNotFound(id);
    return v;
  }

  private detail(c: Caller, v: VolumeRecord): Record<string, unknown> {
    return volumeDetail(v, c, this.state.volumeTypes, c.isAdmin && c.minor >= 72 ? this.o.engine.progressFor(v.id) : undefined);
  }

  private showVolume(c: Caller, id: string): ApiResponse {
    return { status: 200, body: { volume: this.detail(c, this.visibleVolume(c, id)) } };
  }

  private listVolumes(c: Caller, detail: boolean): ApiResponse {
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
    let volumes = Object.values(this.state.volumes).filter((v) => {
      if (!allTenants && v.project_id !== c.projectId) return false;
      if (allTenants && params.has('project_id') && v.project_id !== params.get('project_id')) return false;
      // Members never see temporary migration targets (Cinder filters them for non-admins).
      if (!c.isAdmin && (v.migration_status ?? '').startsWith('target:')) return false;
      return filters.every(([key, value]) => matchesFilter(v, key, value, this.state.volumeTypes));
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
      volumes: page.map((v) => (detail ? this.detail(c, v) : volumeSummary(v, c))),
    };
    if (c.minor >= 45 && isTrue(params.get('with_count'))) body.count = count;
    // Like Cinder (_get_collection_links), a full page always gets a next link, even when nothing follows.
    if (pageSize > 0 && page.length === pageSize) {
      const next = new URLSearchParams(params);
      next.set('marker', page[page.length - 1]!.id);
      if (limit !== undefined) next.set('limit', String(limit));
      body.volumes_links = [
        { rel: 'next', href: `${c.origin}/v3/${c.projectId}/volumes${detail ? '/detail' : ''}?${next.toString()}` },
      ];
    }
    return { status: 200, body };
  }

  private findType(ref: string): VolumeTypeRecord {
    const types = Object.values(this.state.volumeTypes);
    if (isUuidLike(ref)) {
      const t = this.state.volumeTypes[ref];
      if (!t) throw new ApiFault(404, `Volume type ${ref} could not be found.`);
      return t;
    }
    const t = types.find((x) => x.name === ref);
    if (!t) throw new ApiFault(404, `Volume type with name ${ref} could not be found.`);
    return t;
  }

  private defaultType(): VolumeTypeRecord {
    return Object.values(this.state.volumeTypes).find((t) => t.name === '__DEFAULT__') ?? Object.values(this.state.volumeTypes)[0]!;
  }

  /** Placement as the scheduler's capacity weigher does it: the pool with the most free space that fits. */
  schedulePool(type: VolumeTypeRecord, sizeGb: number): string | null {
    const pin = type.extra_specs.volume_backend_name;
    const volumes = Object.values(this.state.volumes);
    let best: { host: string; free: number } | null = null;
    for (const backend of this.o.storage.layout.backends) {
      if (pin !== undefined && backend.name !== pin) continue;
      if (!this.serviceUsable(`${this.o.storage.layout.hostName}@${backend.name}`)) continue;
      for (const pool of backend.pools) {
        const free = this.o.storage.freeGb(backend.name, pool.name, volumes);
        if (free < sizeGb) continue;
        if (!best || free > best.free) best = { host: `${this.o.storage.layout.hostName}@${backend.name}#${pool.name}`, free };
      }
    }
    return best?.host ?? null;
  }

  private serviceUsable(backendHost: string): boolean {
    const svc = this.state.services.find((s) => s.binary === 'cinder-volume' && s.host === backendHost);
    return Boolean(svc && svc.state === 'up' && svc.status === 'enabled');
  }

  private createVolume(c: Caller): ApiResponse {
    const spec = this.body(c, 'volume');
    const size = spec.size;
    const sizeNumber = typeof size === 'string' && /^\d+$/.test(size) ? Number(size) : size;
    if (typeof sizeNumber !== 'number' || !Number.isInteger(sizeNumber)) {
      throw schemaError('size', size, `${pyRepr(size)} is not of type 'integer', 'string', 'null'`);
    }
    if (sizeNumber < 1) throw schemaError('size', size, `${pyRepr(size)} is less than the minimum of 1`);
    for (const key of ['name', 'description', 'volume_type', 'availability_zone'] as const) {
      const value = spec[key];
      if (value !== undefined && value !== null && typeof value !== 'string') {
        throw schemaError(key, value, `${pyRepr(value)} is not of type 'string', 'null'`);
      }
    }
    const metadata = spec.metadata === undefined || spec.metadata === null ? {} : checkObject('metadata', spec.metadata);
    const type = typeof spec.volume_type === 'string' ? this.findType(spec.volume_type) : this.defaultType();
    const volume = this.newVolume({
      projectId: c.projectId,
      userId: c.userId,
      size: sizeNumber,
      name: (spec.name as string | null | undefined) ?? null,
      description: (spec.description as string | null | undefined) ?? null,
      typeId: type.id,
      metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)])),
    });
    return { status: 202, body: { volume: this.detail(c, volume) } };
  }

  /** Creates a volume record and its file; it reads `creating` for a moment, then `available` (or `error`). */
  newVolume(spec: {
    projectId: string;
    userId: string;
    size: number;
    name: string | null;
    description?: string | null;
    typeId: string;
    metadata?: Record<string, string>;
    host?: string;
    immediate?: boolean;
  }): VolumeRecord {
    const type = this.state.volumeTypes[spec.typeId]!;
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
      availability_zone: this.o.storage.layout.availabilityZone,
      snapshot_id: null,
      source_volid: null,
      replication_status: null,
      multiattach: false,
      bootable: false,
      created_at: now,
      updated_at: spec.immediate ? now : null,
      launched_at: spec.immediate ? now : null,
    };
    this.o.store.update((s) => void (s.volumes[volume.id] = volume));
    if (host) this.o.storage.createFile(host, volume.id, volume.size);
    else this.o.log.error(`Failed to schedule volume ${volume.id}: no valid backend for type ${type.name} and size ${spec.size}`);
    if (!spec.immediate) {
      setTimeout(() => {
        this.o.store.update((s) => {
          const v = s.volumes[volume.id];
          if (!v || v.status !== 'creating') return;
          v.status = host ? 'available' : 'error';
          v.updated_at = apiTimestamp();
          if (host) v.launched_at = v.updated_at;
        });
      }, this.o.phaseDelayMs / 2).unref();
    }
    return volume;
  }

  private updateVolume(c: Caller, id: string): ApiResponse {
    const spec = this.body(c, 'volume');
    const v = this.visibleVolume(c, id);
    if (v.status === 'maintenance') throw invalidVolume('The volume cannot be updated during maintenance.');
    this.o.store.update(() => {
      if (typeof spec.name === 'string' || spec.name === null) v.name = spec.name as string | null;
      if (typeof spec.display_name === 'string') v.name = spec.display_name;
      if (typeof spec.description === 'string' || spec.description === null) v.description = spec.description as string | null;
      if (spec.metadata && typeof spec.metadata === 'object') {
        v.metadata = Object.fromEntries(Object.entries(spec.metadata).map(([k, val]) => [k, String(val)]));
      }
      v.updated_at = apiTimestamp();
    });
    return { status: 200, body: { volume: this.detail(c, v) } };
  }

  private deleteVolume(c: Caller, id: string): ApiResponse {
    const v = this.visibleVolume(c, id);
    const deletable = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing'].includes(v.status);
    const hasSnapshots = Object.values(this.state.snapshots).some((s) => s.volume_id === id);
    if (!deletable || !AVAILABLE_MIGRATION_STATUS.includes(v.migration_status) || v.attach_status === 'attached' || hasSnapshots) {
      throw invalidVolume(DELETE_REFUSED);
    }
    this.o.store.update(() => {
      v.status = 'deleting';
      v.updated_at = apiTimestamp();
    });
    setTimeout(() => {
      const file = v.host ? this.o.storage.fileFor(v.host, v.name_id ?? v.id) : null;
      this.o.store.update((s) => void delete s.volumes[id]);
      this.o.storage.removeFile(file);
    }, this.o.phaseDelayMs / 2).unref();
    return accepted;
  }

  // ---- actions ------------------------------------------------------------------------------------------------

  private action(c: Caller, id: string): ApiResponse {
    const body = c.request.body;
    if (!body || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length === 0) {
      throw badRequest('Malformed request body');
    }
    const name = Object.keys(body)[0]!;
    switch (name) {
      case 'os-migrate_volume':
        return this.migrate(c, id);
      case 'os-retype':
        return this.retype(c, id);
      case 'os-reset_status':
        return this.resetStatus(c, id);
      case 'os-attach':
        return this.attach(c, id);
      case 'os-detach':
        return this.detach(c, id);
      case 'os-extend':
        return this.extend(c, id);
      default:
        throw badRequest(`There is no such action: ${name}`);
    }
  }

  private migrate(c: Caller, id: string): ApiResponse {
    const params = this.body(c, 'os-migrate_volume');
    const allowed = c.minor >= 16 ? ['host', 'force_host_copy', 'lock_volume', 'cluster'] : ['host', 'force_host_copy', 'lock_volume'];
    checkAdditional('os-migrate_volume', params, allowed);
    if (c.minor < 16 && !('host' in params)) throw schemaError('os-migrate_volume', params, "'host' is a required property");
    for (const key of ['host', 'cluster']) {
      const value = params[key];
      if (value === undefined) continue;
      if (typeof value === 'string' && value.length > 0 && value.length <= 255) continue;
      if (value === null && c.minor >= 16) continue;
      const types = c.minor >= 16 ? "'string', 'null'" : "'string'";
      if (typeof value === 'string') throw schemaError(key, value, `${pyRepr(value)} is too ${value.length === 0 ? 'short' : 'long'}`);
      throw schemaError(key, value, `${pyRepr(value)} is not of type ${types}`);
    }
    const forceHostCopy = params.force_host_copy === undefined ? false : parseBoolean('force_host_copy', params.force_host_copy);
    const lockVolume = params.lock_volume === undefined ? false : parseBoolean('lock_volume', params.lock_volume);
    const v = this.visibleVolume(c, id);
    if (!c.isAdmin) throw policyForbids('volume_extension:volume_admin_actions:migrate_volume');
    const host = (params.host as string | null | undefined) ?? null;
    const cluster = (params.cluster as string | null | undefined) ?? null;
    if (c.minor >= 16 && (host === null) === (cluster === null)) throw invalidInput('One and only one of cluster and host must be set.');
    if (cluster !== null) throw new ApiFault(400, `Invalid host: No available service named '${cluster}'`);
    const requested = parseHost(host!);
    if (requested.backend === undefined || !this.serviceUsable(`${requested.host}@${requested.backend}`)) {
      throw new ApiFault(400, `Invalid host: No available service named '${host}'`);
    }
    const hasSnapshots = Object.values(this.state.snapshots).some((s) => s.volume_id === id);
    const refused =
      !['available', 'in-use'].includes(v.status) ||
      !AVAILABLE_MIGRATION_STATUS.includes(v.migration_status) ||
      !['disabled', 'not-capable', null].includes(v.replication_status) ||
      v.host === host ||
      hasSnapshots;
    if (refused) throw migrateRefused(id);
    this.o.store.update((s) => {
      const held = lockVolume && v.status === 'available' ? 'maintenance' : null;
      v.previous_status = v.status;
      if (held) v.status = held;
      v.migration_status = 'starting';
      v.updated_at = apiTimestamp();
      s.migrations[id] = {
        volumeId: id,
        sourceHost: v.host!,
        destinationHost: host!,
        forceHostCopy,
        lockVolume,
        heldStatus: held,
        retypeToTypeId: null,
        kind: null,
        phase: 'starting',
        targetId: null,
        targetFile: null,
        pids: [],
        bytesTotal: this.o.storage.volumeBytes(v.size),
        startedAt: apiTimestamp(),
        requestId: c.request.requestId,
      };
    });
    this.o.log.info(
      `Migration of volume ${id} requested (${c.request.requestId}): ${v.host} -> ${host}, force_host_copy=${forceHostCopy}, lock_volume=${lockVolume}`,
    );
    this.o.engine.start(id);
    return accepted;
  }

  private retype(c: Caller, id: string): ApiResponse {
    const params = this.body(c, 'os-retype');
    checkAdditional('os-retype', params, ['new_type', 'migration_policy']);
    if (!('new_type' in params)) throw schemaError('os-retype', params, "'new_type' is a required property");
    if (typeof params.new_type !== 'string') throw schemaError('new_type', params.new_type, `${pyRepr(params.new_type)} is not of type 'string'`);
    const policy = params.migration_policy ?? 'never';
    checkEnum('migration_policy', policy, ['on-demand', 'never']);
    const v = this.visibleVolume(c, id);
    const type = this.findType(params.new_type);
    if (
      !['available', 'in-use'].includes(v.status) ||
      !AVAILABLE_MIGRATION_STATUS.includes(v.migration_status) ||
      v.volume_type_id === type.id
    ) {
      throw invalidVolume(RETYPE_REFUSED);
    }
    this.o.store.update(() => {
      v.previous_status = v.status;
      v.status = 'retyping';
      v.updated_at = apiTimestamp();
    });
    const pin = type.extra_specs.volume_backend_name;
    const currentBackend = this.o.storage.locate(v.host)?.backend.name;
    const fits = pin === undefined || pin === currentBackend;
    const finish = (change: () => void, after?: () => void) =>
      setTimeout(() => {
        const current = this.state.volumes[id];
        if (!current || current.status !== 'retyping') return;
        this.o.store.update(() => {
          change();
          current.status = current.previous_status ?? 'available';
          current.previous_status = null;
          current.updated_at = apiTimestamp();
        });
        after?.();
      }, this.o.phaseDelayMs).unref();

    if (fits) {
      finish(
        () => (v.volume_type_id = type.id),
        () => {
          this.o.log.info(`Volume ${id} retyped to ${type.name} on ${v.host} (no migration needed)`);
          this.o.engine.notifyRetype(v, v.host ?? '');
        },
      );
      return accepted;
    }
    const destination = pin !== undefined ? this.schedulePool(type, v.size) : null;
    if (policy === 'never' || destination === null) {
      finish(() =>
        this.o.log.error(
          `Retype of volume ${id} to ${type.name} failed: NoValidBackend: ${
            policy === 'never' ? 'the volume would have to move and migration_policy is never' : 'no backend can take the volume'
          }`,
        ),
      );
      return accepted;
    }
    this.o.store.update((s) => {
      s.migrations[id] = {
        volumeId: id,
        sourceHost: v.host!,
        destinationHost: destination,
        forceHostCopy: false,
        lockVolume: false,
        heldStatus: 'retyping',
        retypeToTypeId: type.id,
        kind: null,
        phase: 'starting',
        targetId: null,
        targetFile: null,
        pids: [],
        bytesTotal: this.o.storage.volumeBytes(v.size),
        startedAt: apiTimestamp(),
        requestId: c.request.requestId,
      };
    });
    this.o.log.info(`Retype of volume ${id} to ${type.name} needs a migration: ${v.host} -> ${destination} (${c.request.requestId})`);
    this.o.engine.start(id);
    return accepted;
  }

  private resetStatus(c: Caller, id: string): ApiResponse {
    const params = this.body(c, 'os-reset_status');
    checkAdditional('os-reset_status', params, ['status', 'attach_status', 'migration_status']);
    if (params.status !== undefined) checkEnum('status', params.status, RESET_STATUSES);
    if (params.attach_status !== undefined) checkEnum('attach_status', params.attach_status, ['detached', 'attached']);
    if (params.migration_status !== undefined) checkEnum('migration_status', params.migration_status, RESET_MIGRATION_STATUSES);
    if (params.status === undefined && params.attach_status === undefined && params.migration_status === undefined) {
      throw invalidInput("Must specify 'status', 'attach_status' or 'migration_status' for update.");
    }
    const v = this.visibleVolume(c, id);
    if (!c.isAdmin) throw policyForbids('volume_extension:volume_admin_actions:reset_status');
    // Cinder has no cancel API; an operator resetting an in-flight migration means to end it, so the copy stops.
    if (params.migration_status !== undefined && this.state.migrations[id]) {
      this.o.engine.fail(id, `migration_status reset to ${params.migration_status as string} by an administrator`);
    }
    this.o.store.update(() => {
      if (params.status !== undefined) v.status = params.status as string;
      if (params.attach_status !== undefined) v.attach_status = params.attach_status as 'attached' | 'detached';
      if (params.migration_status !== undefined) v.migration_status = params.migration_status === 'none' ? null : (params.migration_status as string);
      v.updated_at = apiTimestamp();
    });
    this.o.log.info(`Volume ${id} reset by ${c.userId}: ${JSON.stringify(params)}`);
    return accepted;
  }

  private attach(c: Caller, id: string): ApiResponse {
    const params = this.body(c, 'os-attach');
    checkAdditional('os-attach', params, ['instance_uuid', 'mountpoint', 'host_name', 'mode']);
    if (typeof params.mountpoint !== 'string') throw schemaError('os-attach', params, "'mountpoint' is a required property");
    if (params.instance_uuid === undefined && params.host_name === undefined) {
      throw invalidInput('Invalid request to attach volume to an invalid target');
    }
    const v = this.visibleVolume(c, id);
    if (v.status === 'maintenance') throw invalidVolume('The volume cannot be attached in maintenance mode.');
    const allowed = v.multiattach ? ['available', 'in-use'] : ['available'];
    if (!allowed.includes(v.status)) {
      throw invalidVolume(`Volume status must be ${allowed.join(' or ')} to reserve, but the status is ${v.status}.`);
    }
    const attachmentId = randomUUID();
    if (this.state.migrations[id] && !this.state.migrations[id]!.lockVolume) {
      this.o.engine.abort(id, `aborted: volume attached during migration (attachment ${attachmentId})`);
    }
    this.o.store.update(() => {
      v.attachments.push({
        attachment_id: attachmentId,
        server_id: typeof params.instance_uuid === 'string' ? params.instance_uuid : null,
        host_name: typeof params.host_name === 'string' ? params.host_name : null,
        device: params.mountpoint as string,
        attached_at: apiTimestamp(),
      });
      v.status = 'in-use';
      v.attach_status = 'attached';
      v.updated_at = apiTimestamp();
    });
    return accepted;
  }

  private detach(c: Caller, id: string): ApiResponse {
    const params = this.body(c, 'os-detach');
    checkAdditional('os-detach', params, ['attachment_id']);
    const v = this.visibleVolume(c, id);
    if (v.status === 'maintenance') throw invalidVolume('The volume cannot be detached in maintenance mode.');
    if (v.status !== 'in-use' || v.attach_status !== 'attached' || v.attachments.length === 0) {
      throw invalidVolume("Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.");
    }
    const attachmentId = typeof params.attachment_id === 'string' ? params.attachment_id : undefined;
    if (attachmentId !== undefined && !v.attachments.some((a) => a.attachment_id === attachmentId)) {
      throw new ApiFault(404, `Volume attachment could not be found with filter: attachment_id = ${attachmentId}.`);
    }
    if (this.state.migrations[id] && !this.state.migrations[id]!.lockVolume) {
      this.o.engine.abort(id, 'aborted: volume detached during migration');
    }
    this.o.store.update(() => {
      v.attachments = attachmentId === undefined ? [] : v.attachments.filter((a) => a.attachment_id !== attachmentId);
      if (v.attachments.length === 0) {
        v.status = 'available';
        v.attach_status = 'detached';
      }
      v.updated_at = apiTimestamp();
    });
    return accepted;
  }

  private extend(c: Caller, id: string): ApiResponse {
    const params = this.body(c, 'os-extend');
    checkAdditional('os-extend', params, ['new_size']);
    const newSize = typeof params.new_size === 'string' && /^\d+$/.test(params.new_size) ? Number(params.new_size) : params.new_size;
    if (typeof newSize !== 'number' || !Number.isInteger(newSize) || newSize < 1) {
      throw schemaError('new_size', params.new_size, `${pyRepr(params.new_size)} is not of type 'integer', 'string'`);
    }
    const v = this.visibleVolume(c, id);
    if (v.status !== 'available' || this.state.migrations[id]) {
      throw invalidVolume(`Volume ${id} status must be '{'status': 'available'}' to extend, currently ${v.status}.`);
    }
    if (newSize <= v.size) {
      throw invalidInput(`New size for extend must be greater than current size. (current: ${v.size}, extended: ${newSize}).`);
    }
    if (v.host) {
      const fd = openSync(this.o.storage.fileFor(v.host, v.name_id ?? v.id), 'r+');
      try {
        ftruncateSync(fd, this.o.storage.volumeBytes(newSize));
      } finally {
        closeSync(fd);
      }
    }
    this.o.store.update(() => {
      v.size = newSize;
      v.updated_at = apiTimestamp();
    });
    return accepted;
  }

  // ---- snapshots ----------------------------------------------------------------------------------------------

  private listSnapshots(c: Caller): ApiResponse {
    const params = c.request.url.searchParams;
    const allTenants = c.isAdmin && isTrue(params.get('all_tenants'));
    const snapshots = Object.values(this.state.snapshots)
      .filter((s) => allTenants || s.project_id === c.projectId)
      .filter((s) => !params.has('volume_id') || s.volume_id === params.get('volume_id'))
      .filter((s) => !params.has('status') || s.status === params.get('status'))
      .sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    return { status: 200, body: { snapshots: snapshots.map((s) => snapshotView(s, c)) } };
  }

  private visibleSnapshot(c: Caller, id: string): SnapshotRecord {
    const s = this.state.snapshots[id];
    if (!s || (!c.isAdmin && s.project_id !== c.projectId)) throw new ApiFault(404, `Snapshot ${id} could not be found.`);
    return s;
  }

  private showSnapshot(c: Caller, id: string): ApiResponse {
    return { status: 200, body: { snapshot: snapshotView(this.visibleSnapshot(c, id), c) } };
  }

  private createSnapshot(c: Caller): ApiResponse {
    const spec = this.body(c, 'snapshot');
    if (typeof spec.volume_id !== 'string') throw schemaError('snapshot', spec, "'volume_id' is a required property");
    const force = spec.force === undefined ? false : parseBoolean('force', spec.force);
    const v = this.visibleVolume(c, spec.volume_id);
    if (v.status === 'maintenance') throw invalidVolume('The snapshot cannot be created when the volume is in maintenance mode.');
    if (!AVAILABLE_MIGRATION_STATUS.includes(v.migration_status)) throw invalidVolume('Snapshot cannot be created while volume is migrating.');
    if (v.status === 'error') throw invalidVolume('The snapshot cannot be created when the volume is in error status.');
    const valid = force ? ['available', 'in-use'] : ['available'];
    if (!valid.includes(v.status)) {
      throw invalidVolume(`Volume ${v.id} status must be ${valid.join(', ')}, but current status is: ${v.status}.`);
    }
    const snapshot: SnapshotRecord = {
      id: randomUUID(),
      volume_id: v.id,
      project_id: c.projectId,
      user_id: c.userId,
      name: typeof spec.name === 'string' ? spec.name : null,
      description: typeof spec.description === 'string' ? spec.description : null,
      size: v.size,
      status: 'creating',
      metadata: {},
      created_at: apiTimestamp(),
      updated_at: null,
    };
    this.o.store.update((s) => void (s.snapshots[snapshot.id] = snapshot));
    setTimeout(() => {
      this.o.store.update((s) => {
        const snap = s.snapshots[snapshot.id];
        if (snap?.status === 'creating') {
          snap.status = 'available';
          snap.updated_at = apiTimestamp();
        }
      });
    }, this.o.phaseDelayMs / 2).unref();
    return { status: 202, body: { snapshot: snapshotView(snapshot, c) } };
  }

  private deleteSnapshot(c: Caller, id: string): ApiResponse {
    const snap = this.visibleSnapshot(c, id);
    if (!['available', 'error', 'error_deleting'].includes(snap.status)) {
      throw new ApiFault(400, 'Invalid snapshot: Snapshot status must be available or error and must not be part of a group.');
    }
    this.o.store.update(() => {
      snap.status = 'deleting';
      snap.updated_at = apiTimestamp();
    });
    setTimeout(() => this.o.store.update((s) => void delete s.snapshots[id]), this.o.phaseDelayMs / 2).unref();
    return accepted;
  }

  // ---- types, pools, services ---------------------------------------------------------------------------------

  private listTypes(c: Caller): ApiResponse {
    const types = Object.values(this.state.volumeTypes).filter((t) => c.isAdmin || t.is_public);
    return { status: 200, body: { volume_types: types.map((t) => volumeTypeView(t, c)) } };
  }

  private showType(c: Caller, id: string): ApiResponse {
    const t = this.state.volumeTypes[id] ?? Object.values(this.state.volumeTypes).find((x) => x.name === id);
    if (!t) throw new ApiFault(404, `Volume type ${id} could not be found.`);
    return { status: 200, body: { volume_type: volumeTypeView(t, c) } };
  }

  private createType(c: Caller): ApiResponse {
    const spec = this.body(c, 'volume_type');
    if (!c.isAdmin) throw policyForbids('volume_extension:types_manage');
    if (typeof spec.name !== 'string' || spec.name.trim() === '') throw schemaError('volume_type', spec, "'name' is a required property");
    const name = spec.name;
    if (Object.values(this.state.volumeTypes).some((t) => t.name === name)) {
      throw new ApiFault(409, `Volume Type ${name} already exists.`);
    }
    const extra = spec.extra_specs === undefined ? {} : checkObject('extra_specs', spec.extra_specs);
    const type: VolumeTypeRecord = {
      id: randomUUID(),
      name,
      description: typeof spec.description === 'string' ? spec.description : null,
      is_public: spec['os-volume-type-access:is_public'] === undefined ? true : parseBoolean('os-volume-type-access:is_public', spec['os-volume-type-access:is_public']),
      extra_specs: Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)])),
    };
    this.o.store.update((s) => void (s.volumeTypes[type.id] = type));
    return { status: 200, body: { volume_type: volumeTypeView(type, c) } };
  }

  private getPools(c: Caller): ApiResponse {
    if (!c.isAdmin) throw policyForbids('scheduler_extension:scheduler_stats:get_pools');
    const detail = isTrue(c.request.url.searchParams.get('detail'));
    const volumes = Object.values(this.state.volumes);
    const interval = this.o.engine.reportIntervalSeconds;
    const pools = [];
    for (const backend of this.o.storage.layout.backends) {
      const svc = this.state.services.find((s) => s.binary === 'cinder-volume' && s.host === `${this.o.storage.layout.hostName}@${backend.name}`);
      if (svc?.state !== 'up') continue;
      for (const pool of backend.pools) {
        const name = `${this.o.storage.layout.hostName}@${backend.name}#${pool.name}`;
        pools.push(detail ? { name, capabilities: this.o.storage.capabilities(backend, pool.name, volumes, interval) } : { name });
      }
    }
    return { status: 200, body: { pools } };
  }

  private listServices(c: Caller): ApiResponse {
    if (!c.isAdmin) throw policyForbids('volume_extension:services:index');
    const params = c.request.url.searchParams;
    const services = this.state.services
      .filter((s) => !params.has('host') || s.host === params.get('host'))
      .filter((s) => !params.has('binary') || s.binary === params.get('binary'))
      .map((s) => {
        const view: Record<string, unknown> = {
          binary: s.binary,
          host: s.host,
          zone: this.o.storage.layout.availabilityZone,
          status: s.status,
          state: s.state,
          updated_at: apiTimestamp(),
        };
        if (c.minor >= 7) view.cluster = null;
        view.disabled_reason = s.disabled_reason;
        if (s.binary === 'cinder-volume') {
          view.replication_status = 'disabled';
          view.active_backend_id = null;
          view.frozen = false;
          if (c.minor >= 49) view.backend_state = s.state === 'up' ? 'up' : 'down';
        }
        return view;
      });
    return { status: 200, body: { services } };
  }

  private updateService(c: Caller, action: string): ApiResponse {
    if (!c.isAdmin) throw policyForbids('volume_extension:services:update');
    if (!['enable', 'disable', 'disable-log-reason'].includes(action)) throw notFound('Unknown action');
    const params = checkObject(undefined, c.request.body ?? {});
    const host = params.host;
    const binary = (params.binary as string | undefined) ?? 'cinder-volume';
    if (typeof host !== 'string') throw badRequest('Missing required element host');
    const svc = this.state.services.find((s) => s.host === host && s.binary === binary);
    if (!svc) throw new ApiFault(404, `Service ${host} could not be found.`);
    this.o.store.update(() => {
      svc.status = action === 'enable' ? 'enabled' : 'disabled';
      svc.disabled_reason = action === 'disable-log-reason' ? String(params.disabled_reason ?? '') : null;
    });
    return {
      status: 200,
      body: { host, binary, status: svc.status, disabled: svc.status === 'disabled', disabled_reason: svc.disabled_reason },
    };
  }
}

function isTrue(value: string | null): boolean {
  return value !== null && ['1', 't', 'true', 'on', 'y', 'yes'].includes(value.toLowerCase());
}

function isUuidLike(value: string): boolean {
  return /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(value);
}

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
