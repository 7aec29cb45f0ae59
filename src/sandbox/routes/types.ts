/** `/types`: list, show, create volume types (the `volume_backend_name` extra spec pins a backend). */
import { randomUUID } from 'node:crypto';
import { ApiFault, checkObject, parseBoolean, policyForbids, schemaError } from '../faults.js';
import type { VolumeTypeRecord } from '../state.js';
import { volumeTypeView } from '../views.js';
import { requestBody, type RouteHandler } from './route.js';

export const listTypes: RouteHandler = (s, c) => {
  const types = Object.values(s.store.state.volumeTypes).filter((t) => c.isAdmin || t.is_public);
  return { status: 200, body: { volume_types: types.map((t) => volumeTypeView(t, c)) } };
};

export const showType: RouteHandler = (s, c, { id }) => {
  const t = s.store.state.volumeTypes[id!] ?? Object.values(s.store.state.volumeTypes).find((x) => x.name === id);
  if (!t) throw new ApiFault(404, `Volume type ${id} could not be found.`);
  return { status: 200, body: { volume_type: volumeTypeView(t, c) } };
};

export const createType: RouteHandler = (s, c) => {
  const spec = requestBody(c, 'volume_type');
  if (!c.isAdmin) throw policyForbids('volume_extension:types_manage');
  if (typeof spec.name !== 'string' || spec.name.trim() === '') throw schemaError('volume_type', spec, "'name' is a required property");
  const name = spec.name;
  if (Object.values(s.store.state.volumeTypes).some((t) => t.name === name)) {
    throw new ApiFault(409, `Volume Type ${name} already exists.`);
  }
  const extra = spec.extra_specs === undefined ? {} : checkObject('extra_specs', spec.extra_specs);
  const isPublic = spec['os-volume-type-access:is_public'];
  const type: VolumeTypeRecord = {
    id: randomUUID(),
    name,
    description: typeof spec.description === 'string' ? spec.description : null,
    is_public: isPublic === undefined ? true : parseBoolean('os-volume-type-access:is_public', isPublic),
    extra_specs: Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)])),
  };
  s.store.update((state) => void (state.volumeTypes[type.id] = type));
  return { status: 200, body: { volume_type: volumeTypeView(type, c) } };
};
