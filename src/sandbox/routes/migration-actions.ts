/** The two volume actions that can start a migration: `os-migrate_volume` and `os-retype`. */
import {
  ApiFault,
  checkAdditional,
  checkEnum,
  invalidInput,
  invalidVolume,
  migrateRefused,
  parseBoolean,
  policyForbids,
  pyRepr,
  RETYPE_REFUSED,
  schemaError,
} from '../faults.js';
import type { ApiResponse } from '../http.js';
import { parseHost } from '../layout.js';
import { apiTimestamp, type MigrationRecord, type VolumeRecord } from '../state.js';
import { ACCEPTED, AVAILABLE_MIGRATION_STATUS, findType, requestBody, visibleVolume, type Caller, type RouteServices } from './route.js';

/** The in-flight record the engine takes over; the API persists it (with `starting`) before answering 202. */
function migrationRecord(
  s: RouteServices,
  c: Caller,
  v: VolumeRecord,
  fields: Pick<MigrationRecord, 'destinationHost' | 'forceHostCopy' | 'lockVolume' | 'heldStatus' | 'retypeToTypeId'>,
): MigrationRecord {
  return {
    volumeId: v.id,
    sourceHost: v.host!,
    ...fields,
    kind: null,
    phase: 'starting',
    targetId: null,
    targetFile: null,
    pids: [],
    bytesTotal: s.storage.volumeBytes(v.size),
    startedAt: apiTimestamp(),
    requestId: c.request.requestId,
    requestProjectId: c.projectId,
  };
}

export function migrate(s: RouteServices, c: Caller, id: string): ApiResponse {
  const params = requestBody(c, 'os-migrate_volume');
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
  const v = visibleVolume(s, c, id);
  if (!c.isAdmin) throw policyForbids('volume_extension:volume_admin_actions:migrate_volume');
  const host = (params.host as string | null | undefined) ?? null;
  const cluster = (params.cluster as string | null | undefined) ?? null;
  if (c.minor >= 16 && (host === null) === (cluster === null)) throw invalidInput('One and only one of cluster and host must be set.');
  if (cluster !== null) throw new ApiFault(400, `Invalid host: No available service named '${cluster}'`);
  const requested = parseHost(host!);
  if (requested.backend === undefined || !s.provisioning.serviceUsable(`${requested.host}@${requested.backend}`)) {
    throw new ApiFault(400, `Invalid host: No available service named '${host}'`);
  }
  const hasSnapshots = Object.values(s.store.state.snapshots).some((snap) => snap.volume_id === id);
  const refused =
    !['available', 'in-use'].includes(v.status) ||
    !AVAILABLE_MIGRATION_STATUS.includes(v.migration_status) ||
    !['disabled', 'not-capable', null].includes(v.replication_status) ||
    v.host === host ||
    hasSnapshots;
  if (refused) throw migrateRefused(id);
  s.store.update((state) => {
    const held = lockVolume && v.status === 'available' ? 'maintenance' : null;
    v.previous_status = v.status;
    if (held) v.status = held;
    v.migration_status = 'starting';
    v.updated_at = apiTimestamp();
    state.migrations[id] = migrationRecord(s, c, v, { destinationHost: host!, forceHostCopy, lockVolume, heldStatus: held, retypeToTypeId: null });
  });
  s.log.info(
    `Migration of volume ${id} requested (${c.request.requestId}): ${v.host} -> ${host}, force_host_copy=${forceHostCopy}, lock_volume=${lockVolume}`,
  );
  s.engine.start(id);
  return ACCEPTED;
}

export function retype(s: RouteServices, c: Caller, id: string): ApiResponse {
  const params = requestBody(c, 'os-retype');
  checkAdditional('os-retype', params, ['new_type', 'migration_policy']);
  if (!('new_type' in params)) throw schemaError('os-retype', params, "'new_type' is a required property");
  if (typeof params.new_type !== 'string') throw schemaError('new_type', params.new_type, `${pyRepr(params.new_type)} is not of type 'string'`);
  const policy = params.migration_policy ?? 'never';
  checkEnum('migration_policy', policy, ['on-demand', 'never']);
  const v = visibleVolume(s, c, id);
  const type = findType(s, params.new_type);
  if (!['available', 'in-use'].includes(v.status) || !AVAILABLE_MIGRATION_STATUS.includes(v.migration_status) || v.volume_type_id === type.id) {
    throw invalidVolume(RETYPE_REFUSED);
  }
  s.store.update(() => {
    v.previous_status = v.status;
    v.status = 'retyping';
    v.updated_at = apiTimestamp();
  });
  const pin = type.extra_specs.volume_backend_name;
  const currentBackend = s.storage.locate(v.host)?.backend.name;
  const fits = pin === undefined || pin === currentBackend;
  const finish = (change: () => void, after?: () => void) =>
    setTimeout(() => {
      const current = s.store.state.volumes[id];
      if (!current || current.status !== 'retyping') return;
      s.store.update(() => {
        change();
        current.status = current.previous_status ?? 'available';
        current.previous_status = null;
        current.updated_at = apiTimestamp();
      });
      after?.();
    }, s.phaseDelayMs).unref();

  if (fits) {
    finish(
      () => (v.volume_type_id = type.id),
      () => {
        s.log.info(`Volume ${id} retyped to ${type.name} on ${v.host} (no migration needed)`);
        s.engine.notifyRetype(v, v.host ?? '');
      },
    );
    return ACCEPTED;
  }
  const destination = pin !== undefined ? s.provisioning.schedulePool(type, v.size) : null;
  const hasSnapshots = Object.values(s.store.state.snapshots).some((snap) => snap.volume_id === id);
  if (policy === 'on-demand' && destination !== null && hasSnapshots) {
    // Cinder's volume manager refuses the migration the retype needs, restores the status, writes no user message.
    finish(() => s.log.error(`Retype of volume ${id} to ${type.name} failed: InvalidVolume: Volume must not have snapshots.`));
    return ACCEPTED;
  }
  if (policy === 'never' || destination === null) {
    finish(() =>
      s.log.error(
        `Retype of volume ${id} to ${type.name} failed: NoValidBackend: ${
          policy === 'never' ? 'the volume would have to move and migration_policy is never' : 'no backend can take the volume'
        }`,
      ),
    );
    return ACCEPTED;
  }
  s.store.update((state) => {
    state.migrations[id] = migrationRecord(s, c, v, {
      destinationHost: destination,
      forceHostCopy: false,
      lockVolume: false,
      heldStatus: 'retyping',
      retypeToTypeId: type.id,
    });
  });
  s.log.info(`Retype of volume ${id} to ${type.name} needs a migration: ${v.host} -> ${destination} (${c.request.requestId})`);
  s.engine.start(id);
  return ACCEPTED;
}
