/** `/os-services` (admin): list the scheduler and volume services, enable or disable one; `/os-availability-zone`. */
import { ApiFault, badRequest, checkObject, notFound, policyForbids } from '../faults.js';
import { apiTimestamp } from '../state.js';
import type { RouteHandler } from './route.js';

export const listServices: RouteHandler = (s, c) => {
  if (!c.isAdmin) throw policyForbids('volume_extension:services:index');
  const params = c.request.url.searchParams;
  const services = s.store.state.services
    .filter((svc) => !params.has('host') || svc.host === params.get('host'))
    .filter((svc) => !params.has('binary') || svc.binary === params.get('binary'))
    .map((svc) => {
      const view: Record<string, unknown> = {
        binary: svc.binary,
        host: svc.host,
        zone: s.storage.layout.availabilityZone,
        status: svc.status,
        state: svc.state,
        updated_at: apiTimestamp(),
      };
      if (c.minor >= 7) view.cluster = null;
      view.disabled_reason = svc.disabled_reason;
      if (svc.binary === 'cinder-volume') {
        view.replication_status = 'disabled';
        view.active_backend_id = null;
        view.frozen = false;
        if (c.minor >= 49) view.backend_state = svc.state === 'up' ? 'up' : 'down';
      }
      return view;
    });
  return { status: 200, body: { services } };
};

export const updateService: RouteHandler = (s, c, { action }) => {
  if (!c.isAdmin) throw policyForbids('volume_extension:services:update');
  if (!['enable', 'disable', 'disable-log-reason'].includes(action!)) throw notFound('Unknown action');
  const params = checkObject(undefined, c.request.body ?? {});
  const host = params.host;
  const binary = (params.binary as string | undefined) ?? 'cinder-volume';
  if (typeof host !== 'string') throw badRequest('Missing required element host');
  const svc = s.store.state.services.find((x) => x.host === host && x.binary === binary);
  if (!svc) throw new ApiFault(404, `Service ${host} could not be found.`);
  s.store.update(() => {
    svc.status = action === 'enable' ? 'enabled' : 'disabled';
    svc.disabled_reason = action === 'disable-log-reason' ? String(params.disabled_reason ?? '') : null;
  });
  return {
    status: 200,
    body: { host, binary, status: svc.status, disabled: svc.status === 'disabled', disabled_reason: svc.disabled_reason },
  };
};

export const listAvailabilityZones: RouteHandler = (s) => ({
  status: 200,
  body: { availabilityZoneInfo: [{ zoneName: s.storage.layout.availabilityZone, zoneState: { available: true } }] },
});
