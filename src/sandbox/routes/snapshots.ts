/** `/snapshots`: list, show, create, delete (a snapshot blocks migrating its volume, as in Cinder). */
import { randomUUID } from 'node:crypto';
import { ApiFault, invalidVolume, parseBoolean, schemaError } from '../faults.js';
import { apiTimestamp, type SnapshotRecord } from '../state.js';
import { snapshotView } from '../views.js';
import { ACCEPTED, AVAILABLE_MIGRATION_STATUS, isTrue, requestBody, visibleVolume, type Caller, type RouteHandler, type RouteServices } from './route.js';

function visibleSnapshot(s: RouteServices, c: Caller, id: string): SnapshotRecord {
  const snap = s.store.state.snapshots[id];
  if (!snap || (!c.isAdmin && snap.project_id !== c.projectId)) throw new ApiFault(404, `Snapshot ${id} could not be found.`);
  return snap;
}

export const listSnapshots: RouteHandler = (s, c) => {
  const params = c.request.url.searchParams;
  const allTenants = c.isAdmin && isTrue(params.get('all_tenants'));
  const snapshots = Object.values(s.store.state.snapshots)
    .filter((snap) => allTenants || snap.project_id === c.projectId)
    .filter((snap) => !params.has('volume_id') || snap.volume_id === params.get('volume_id'))
    .filter((snap) => !params.has('status') || snap.status === params.get('status'))
    .sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  return { status: 200, body: { snapshots: snapshots.map((snap) => snapshotView(snap, c)) } };
};

export const showSnapshot: RouteHandler = (s, c, { id }) => ({ status: 200, body: { snapshot: snapshotView(visibleSnapshot(s, c, id!), c) } });

export const createSnapshot: RouteHandler = (s, c) => {
  const spec = requestBody(c, 'snapshot');
  if (typeof spec.volume_id !== 'string') throw schemaError('snapshot', spec, "'volume_id' is a required property");
  const force = spec.force === undefined ? false : parseBoolean('force', spec.force);
  const v = visibleVolume(s, c, spec.volume_id);
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
  s.store.update((state) => void (state.snapshots[snapshot.id] = snapshot));
  setTimeout(() => {
    s.store.update((state) => {
      const snap = state.snapshots[snapshot.id];
      if (snap?.status === 'creating') {
        snap.status = 'available';
        snap.updated_at = apiTimestamp();
      }
    });
  }, s.phaseDelayMs / 2).unref();
  return { status: 202, body: { snapshot: snapshotView(snapshot, c) } };
};

export const deleteSnapshot: RouteHandler = (s, c, { id }) => {
  const snap = visibleSnapshot(s, c, id!);
  if (!['available', 'error', 'error_deleting'].includes(snap.status)) {
    throw new ApiFault(400, 'Invalid snapshot: Snapshot status must be available or error and must not be part of a group.');
  }
  s.store.update(() => {
    snap.status = 'deleting';
    snap.updated_at = apiTimestamp();
  });
  setTimeout(() => s.store.update((state) => void delete state.snapshots[id!]), s.phaseDelayMs / 2).unref();
  return ACCEPTED;
};
