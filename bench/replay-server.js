#!/usr/bin/env node
// A Cinder-shaped server for the benchmarks: answers the way Cinder 21.3 does (its recorded answers and its
// listing filters: test/conformance/fixtures, src/sandbox/routes/volume-listing.ts) for the requests a listing makes, with a generated cloud of any size, and counts
// every request. It is not the sandbox: it holds no state machine, only a fixture, so that its own cost per request
// stays small and alike for every client measured against it.
//
// What it answers (noauth; every caller is an admin):
//   GET /, /v3, /v3/                         the versions document (300 on /, as Cinder does), max microversion 3.70
//   GET /v3/{project}/volumes/detail         newest first (created_at, id descending), pages of at most 1000
//   GET /v3/{project}/volumes                the same, summary view
//   GET /v3/{project}/volumes/{id}
//   query: all_tenants, limit, marker, status, name, migration_status (exact; None = never migrated),
//          migration_status~ (LIKE '%value%', microversion >= 3.34; below, Cinder's DB layer finds nothing),
//          host (Cinder's _filter_host: host@backend#pool exact, host@backend also #*, bare host also @* and #*)
//   volumes_links: a `next` link whenever a page is full (Cinder's _get_collection_links), so a listing of exactly
//          k pages costs k + 1 requests, the last one empty.
//
// Usage: node bench/replay-server.js [--port 8776] [--volumes 10000] [--migrating-every 6] [--progress]
import http from 'node:http';
import { URL, URLSearchParams, fileURLToPath } from 'node:url';

const MAX_LIMIT = 1000;
const MAX_MICROVERSION = '3.70';
const PROJECTS = ['admin', ...Array.from({ length: 9 }, (_, i) => `project-${i + 1}`)];
const POOLS = ['node1@ceph-a#ceph-a', 'node1@ceph-b#ceph-b', 'node2@ceph-a#ceph-a', 'node2@ceph-b#ceph-b', 'node3@lvm#fast', 'node3@lvm#slow'];
const BASE_TIME = Date.UTC(2026, 0, 1);

const uuid = (kind, n) => `${kind}0000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const stamp = (ms) => new Date(ms).toISOString().replace('Z', '').padEnd(23, '0') + '000';

/**
 * The cloud: `volumes` ordinary volumes; every `migratingEvery`-th one is in flight (status maintenance, locked).
 * Three of four of those are generic (host-copy) migrations with a temporary destination volume
 * (`target:<source id>`, on another backend) as an extra record; the fourth is driver-assisted and has none.
 * Like Cinder, a destination copies its source's created_at truncated to the second (transcript section F:
 * 09:12:42.000000 for a source of 09:12:42.802158), so newest-first it is listed right AFTER its source.
 */
export function buildCloud({ volumes = 10_000, migratingEvery = 0 } = {}) {
  const records = [];
  let inFlight = 0;
  let targets = 0;
  for (let i = 0; i < volumes; i++) {
    const created = BASE_TIME + i * 60_000 + 123; // a minute apart, .123 s past the second
    const host = POOLS[i % POOLS.length];
    const migrating = migratingEvery > 0 && i % migratingEvery === 0;
    const source = {
      id: uuid('a', i),
      name: `vol-${String(i).padStart(6, '0')}`,
      project: PROJECTS[i % PROJECTS.length],
      size: 1 + (i % 50),
      status: migrating ? 'maintenance' : i % 5 === 1 ? 'in-use' : 'available',
      host,
      migrationStatus: migrating ? 'migrating' : i % 7 === 3 ? 'success' : null,
      created,
      nameId: null,
      migrating,
    };
    records.push(source);
    if (migrating) {
      inFlight += 1;
      if (inFlight % 4 !== 0) {
        targets += 1;
        records.push({
          id: uuid('b', i),
          name: source.name,
          project: source.project,
          size: source.size,
          status: 'available',
          host: POOLS[(i + 1) % POOLS.length],
          migrationStatus: `target:${source.id}`,
          created: Math.floor(created / 1000) * 1000,
          nameId: null,
          migrating: false,
        });
      }
    }
  }
  // Cinder's default sort: created_at descending, then id descending.
  records.sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return { records, volumes, inFlight, targets };
}

function versionsDocument(origin) {
  return {
    versions: [
      {
        id: 'v3.0',
        status: 'CURRENT',
        version: MAX_MICROVERSION,
        min_version: '3.0',
        updated: '2022-08-31T00:00:00Z',
        links: [
          { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
          { rel: 'self', href: `${origin}/v3/` },
        ],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
      },
    ],
  };
}

function requestedMinor(req) {
  const header = String(req.headers['openstack-api-version'] ?? '');
  const m = /volume\s+3\.(\d+)/i.exec(header) ?? /^3\.(\d+)$/.exec(String(req.headers['x-openstack-volume-api-version'] ?? ''));
  if (m) return Math.min(Number(m[1]), 70);
  if (/latest/.test(header)) return 70;
  return 0;
}

function callerProject(req) {
  const token = String(req.headers['x-auth-token'] ?? '');
  return String(req.headers['x-project-id'] ?? '') || token.split(':')[1] || token || 'admin';
}

/** Cinder's _filter_host (cinder/db/sqlalchemy/api.py). */
function hostMatches(host, wanted) {
  if (!host) return false;
  if (wanted.includes('#')) return host === wanted;
  if (host === wanted || host.startsWith(`${wanted}#`)) return true;
  return !wanted.includes('@') && host.startsWith(`${wanted}@`);
}

/**
 * Starts the server on 127.0.0.1. `progress`: in-flight volumes report migration_progress (microversion 3.72's
 * contract, as the sandbox does) that rises with time, so a watch has something to redraw; the versions document
 * then advertises 3.72.
 */
export async function startReplayServer({ port = 0, volumes = 10_000, migratingEvery = 0, progress = false } = {}) {
  const cloud = buildCloud({ volumes, migratingEvery });
  const started = Date.now();
  const counts = { versions: 0, listing: 0, targets: 0, show: 0, other: 0 };
  const maxMinor = progress ? 72 : 70;
  let origin = '';
  // Bodies of the records that never change, serialised once per project path and view.
  const cache = new Map();

  const json = (r, minor, detail, projectPath) => {
    const live = progress && r.migrating;
    const key = `${projectPath}|${detail ? 'd' : 's'}|${r.id}`;
    if (!live) {
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
    }
    const links = [
      { rel: 'self', href: `${origin}/v3/${projectPath}/volumes/${r.id}` },
      { rel: 'bookmark', href: `${origin}/${projectPath}/volumes/${r.id}` },
    ];
    let body;
    if (!detail) body = { id: r.id, links, name: r.name };
    else {
      body = {
        id: r.id,
        status: r.status,
        size: r.size,
        availability_zone: 'nova',
        created_at: stamp(r.created),
        updated_at: stamp(live ? Date.now() : r.created + 5_000),
        name: r.name,
        description: null,
        volume_type: r.host.includes('lvm') ? 'lvm' : 'ceph',
        snapshot_id: null,
        source_volid: null,
        metadata: {},
        links,
        user_id: 'admin',
        bootable: 'false',
        encrypted: false,
        replication_status: null,
        consistencygroup_id: null,
        multiattach: false,
        attachments: [],
        migration_status: r.migrationStatus,
        group_id: null,
        provider_id: null,
        shared_targets: false,
        service_uuid: 'd52dff3d-5d2e-47fd-9f55-c10c6a20ee25',
        'os-vol-tenant-attr:tenant_id': r.project,
        'os-vol-mig-status-attr:migstat': r.migrationStatus,
        'os-vol-mig-status-attr:name_id': r.nameId,
        'os-vol-host-attr:host': r.host,
      };
      if (minor >= 48) body.volume_type_id = r.host.includes('lvm') ? 'c0ffee00-0000-4000-8000-000000000001' : 'c0ffee00-0000-4000-8000-000000000002';
      if (live && minor >= 72) body.migration_progress = String(Math.min(99, Math.floor((Date.now() - started) / 1000 / 10) + (r.size % 40)));
    }
    const text = JSON.stringify(body);
    if (!live) cache.set(key, text);
    return text;
  };

  const send = (res, status, body, minor) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'OpenStack-API-Version': `volume 3.${minor}`,
      'X-OpenStack-Request-Id': `req-${(counts.listing + counts.targets + counts.show + counts.other).toString(16).padStart(8, '0')}`,
    });
    res.end(text);
  };
  const fault = (res, status, name, message, minor) => send(res, status, { [name]: { code: status, message } }, minor);

  const listVolumes = (req, res, url, projectPath, detail, minor) => {
    const params = url.searchParams;
    const project = projectPath || callerProject(req);
    const allTenants = ['1', 'true', 'True'].includes(params.get('all_tenants') ?? '');
    const checks = [];
    let like = false;
    for (const [key, value] of params) {
      if (['all_tenants', 'limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'with_count'].includes(key)) continue;
      if (key === 'migration_status~') {
        like = true;
        // Below 3.34 Cinder passes the key to its DB layer unchanged, which matches nothing.
        checks.push(minor >= 34 ? (r) => (r.migrationStatus ?? '').includes(value) : () => false);
      } else if (key === 'migration_status') checks.push((r) => (value === 'None' ? r.migrationStatus === null : r.migrationStatus === value));
      else if (key === 'status') checks.push((r) => r.status === value);
      else if (key === 'name') checks.push((r) => r.name === value);
      else if (key === 'host') checks.push((r) => hostMatches(r.host, value));
      else checks.push(() => false);
    }
    if (like) counts.targets += 1;
    else counts.listing += 1;
    let rows = cloud.records.filter((r) => (allTenants || r.project === project) && checks.every((c) => c(r)));
    const limitText = params.get('limit');
    if (limitText !== null && !/^\d+$/.test(limitText)) return fault(res, 400, 'badRequest', 'limit param must be an integer', minor);
    const pageSize = Math.min(limitText === null ? MAX_LIMIT : Number(limitText), MAX_LIMIT);
    const marker = params.get('marker');
    if (marker !== null) {
      const at = rows.findIndex((r) => r.id === marker);
      if (at < 0) return fault(res, 404, 'itemNotFound', `Marker ${marker} could not be found.`, minor);
      rows = rows.slice(at + 1);
    }
    const page = rows.slice(0, pageSize);
    let text = `{"volumes":[${page.map((r) => json(r, minor, detail, project)).join(',')}]`;
    if (pageSize > 0 && page.length === pageSize) {
      const next = new URLSearchParams(params);
      next.set('marker', page[page.length - 1].id);
      text += `,"volumes_links":${JSON.stringify([{ rel: 'next', href: `${origin}/v3/${projectPath ? `${projectPath}/` : ''}volumes${detail ? '/detail' : ''}?${next}` }])}`;
    }
    send(res, 200, text + '}', minor);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const minor = Math.min(requestedMinor(req), maxMinor);
    const parts = url.pathname.split('/').filter(Boolean);
    if (req.method !== 'GET') {
      counts.other += 1;
      return fault(res, 405, 'badRequest', 'the replay server answers GET only', minor);
    }
    if (parts.length === 0 || (parts.length === 1 && parts[0] === 'v3')) {
      counts.versions += 1;
      const doc = versionsDocument(origin);
      doc.versions[0].version = `3.${maxMinor}`;
      return send(res, parts.length === 0 ? 300 : 200, doc, minor);
    }
    // Since microversion 3.67 the project id in the URL is optional (python-cinderclient 9 leaves it out): the
    // project is then the caller's (noauth: the token `user:project`, or x-project-id).
    if (parts[0] === 'v3' && parts[1] === 'volumes') parts.splice(1, 0, '');
    if (parts[0] === 'v3' && parts[2] === 'volumes') {
      const projectPath = parts[1];
      if (parts.length === 3) return listVolumes(req, res, url, projectPath, false, minor);
      if (parts.length === 4 && parts[3] === 'detail') return listVolumes(req, res, url, projectPath, true, minor);
      if (parts.length === 4) {
        counts.show += 1;
        const r = cloud.records.find((v) => v.id === parts[3]);
        if (!r) return fault(res, 404, 'itemNotFound', `Volume ${parts[3]} could not be found.`, minor);
        return send(res, 200, `{"volume":${json(r, minor, true, projectPath || callerProject(req))}}`, minor);
      }
    }
    counts.other += 1;
    fault(res, 404, 'itemNotFound', `The resource could not be found.`, minor);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    /** For OS_ENDPOINT / --os-endpoint: the service root (clients add their project id). */
    endpoint: `${origin}/v3`,
    cloud,
    counts,
    /** Requests since the last reset, by kind. */
    requests: () => ({ ...counts, total: counts.versions + counts.listing + counts.targets + counts.show + counts.other }),
    reset: () => {
      for (const key of Object.keys(counts)) counts[key] = 0;
    },
    close: () => {
      const closed = new Promise((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : fallback;
  };
  const server = await startReplayServer({
    port: Number(arg('port', '8776')),
    volumes: Number(arg('volumes', '10000')),
    migratingEvery: Number(arg('migrating-every', '0')),
    progress: process.argv.includes('--progress'),
  });
  const { volumes, inFlight, targets } = server.cloud;
  console.log(`replay server on ${server.origin}: ${volumes} volumes, ${inFlight} in flight, ${targets} destination volumes`);
  console.log(`  OS_AUTH_TYPE=noauth OS_ENDPOINT=${server.endpoint} OS_PROJECT_ID=admin OS_USER_ID=admin node bin/volmig.js list --all-projects`);
  process.on('SIGINT', async () => {
    console.log(JSON.stringify(server.requests()));
    await server.close();
    process.exit(0);
  });
}
