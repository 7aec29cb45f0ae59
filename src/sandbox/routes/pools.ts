/** `GET /scheduler-stats/get_pools` (admin): the pools of every backend whose service is up, with capabilities. */
import { policyForbids } from '../faults.js';
import { isTrue, type RouteHandler } from './route.js';

export const getPools: RouteHandler = (s, c) => {
  if (!c.isAdmin) throw policyForbids('scheduler_extension:scheduler_stats:get_pools');
  const detail = isTrue(c.request.url.searchParams.get('detail'));
  const { layout } = s.storage;
  const volumes = Object.values(s.store.state.volumes);
  const interval = s.engine.reportIntervalSeconds;
  const pools = [];
  for (const backend of layout.backends) {
    const svc = s.store.state.services.find((x) => x.binary === 'cinder-volume' && x.host === `${layout.hostName}@${backend.name}`);
    if (svc?.state !== 'up') continue;
    for (const pool of backend.pools) {
      const name = `${layout.hostName}@${backend.name}#${pool.name}`;
      pools.push(detail ? { name, capabilities: s.storage.capabilities(backend, pool.name, volumes, interval) } : { name });
    }
  }
  return { status: 200, body: { pools } };
};
