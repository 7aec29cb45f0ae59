/** `/volumes` and `/volumes/{id}`: create, show, update, delete (listing is ./volume-listing.ts). */
import { checkObject, DELETE_REFUSED, invalidVolume, pyRepr, schemaError } from '../faults.js';
import type { ApiResponse } from '../http.js';
import { apiTimestamp, type VolumeRecord, type VolumeTypeRecord } from '../state.js';
import { volumeDetail } from '../views.js';
import { ACCEPTED, AVAILABLE_MIGRATION_STATUS, findType, requestBody, visibleVolume, type Caller, type RouteHandler, type RouteServices } from './route.js';

/** A volume's detail view for this caller; admins get `migration_progress` from 3.72. */
export function detailView(s: RouteServices, c: Caller, v: VolumeRecord): Record<string, unknown> {
  return volumeDetail(v, c, s.store.state.volumeTypes, c.isAdmin && c.minor >= 72 ? s.engine.progressFor(v.id) : undefined);
}

function defaultType(s: RouteServices): VolumeTypeRecord {
  const types = Object.values(s.store.state.volumeTypes);
  return types.find((t) => t.name === '__DEFAULT__') ?? types[0]!;
}

export const showVolume: RouteHandler = (s, c, { id }) => ({ status: 200, body: { volume: detailView(s, c, visibleVolume(s, c, id!)) } });

export const createVolume: RouteHandler = (s, c): ApiResponse => {
  const spec = requestBody(c, 'volume');
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
  const type = typeof spec.volume_type === 'string' ? findType(s, spec.volume_type) : defaultType(s);
  const volume = s.provisioning.newVolume({
    projectId: c.projectId,
    userId: c.userId,
    size: sizeNumber,
    name: (spec.name as string | null | undefined) ?? null,
    description: (spec.description as string | null | undefined) ?? null,
    typeId: type.id,
    metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)])),
  });
  return { status: 202, body: { volume: detailView(s, c, volume) } };
};

export const updateVolume: RouteHandler = (s, c, { id }) => {
  const spec = requestBody(c, 'volume');
  const v = visibleVolume(s, c, id!);
  if (v.status === 'maintenance') throw invalidVolume('The volume cannot be updated during maintenance.');
  s.store.update(() => {
    if (typeof spec.name === 'string' || spec.name === null) v.name = spec.name as string | null;
    if (typeof spec.display_name === 'string') v.name = spec.display_name;
    if (typeof spec.description === 'string' || spec.description === null) v.description = spec.description as string | null;
    if (spec.metadata && typeof spec.metadata === 'object') {
      v.metadata = Object.fromEntries(Object.entries(spec.metadata).map(([k, val]) => [k, String(val)]));
    }
    v.updated_at = apiTimestamp();
  });
  return { status: 200, body: { volume: detailView(s, c, v) } };
};

export const deleteVolume: RouteHandler = (s, c, { id }) => {
  const v = visibleVolume(s, c, id!);
  const deletable = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing'].includes(v.status);
  const hasSnapshots = Object.values(s.store.state.snapshots).some((snap) => snap.volume_id === id);
  if (!deletable || !AVAILABLE_MIGRATION_STATUS.includes(v.migration_status) || v.attach_status === 'attached' || hasSnapshots) {
    throw invalidVolume(DELETE_REFUSED);
  }
  s.store.update(() => {
    v.status = 'deleting';
    v.updated_at = apiTimestamp();
  });
  setTimeout(() => {
    const file = v.host ? s.storage.fileFor(v.host, v.name_id ?? v.id) : null;
    s.store.update((state) => void delete state.volumes[id!]);
    s.storage.removeFile(file);
  }, s.phaseDelayMs / 2).unref();
  return ACCEPTED;
};
