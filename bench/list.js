#!/usr/bin/env node
// List benchmark: `volmig list --all-projects` beside `cinder list --all-tenants` (and `openstack volume list
// --all-projects` when python3-openstackclient is installed), against the project's replay server (bench/replay-
// server.js) in the same run: wall time, requests, peak RSS; for 10,000 volumes with none migrating and with 1 in 6
// migrating, and volmig alone at 100,000.
// Usage: node bench/list.js [--runs N] [--no-100k]   (prints the rows; `npm run bench` prints them in its table)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MiB, measure, median, which } from './lib.js';
import { startReplayServer } from './replay-server.js';

const WALL_TARGET = 0.5;
const RSS_TARGET_MIB = 80;
const EXTRA_REQUESTS = 3;

/** python3-cinderclient is the anchor: installed with apt when missing (root only; CI runs as root). */
export function ensureCinderClient(log = (line) => process.stderr.write(`${line}\n`)) {
  let cinder = which('cinder');
  if (cinder) return { cinder };
  if (process.getuid?.() !== 0) return { note: 'cinder not installed (apt-get install python3-cinderclient, as root)' };
  log('bench: installing python3-cinderclient (apt-get) for the list anchor ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'python3-cinderclient'], { env, encoding: 'utf8' });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { env, encoding: 'utf8' });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'python3-cinderclient'], { env, encoding: 'utf8' });
  }
  cinder = which('cinder');
  return cinder ? { cinder } : { note: `apt-get install python3-cinderclient failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}` };
}

/** The environment a client gets: none of the caller's OS_* settings (they would point elsewhere). */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OS_') && !k.startsWith('CINDER_')) env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

function tools(server, anchors) {
  const list = [
    {
      name: 'volmig list --all-projects',
      short: 'volmig',
      kind: 'node',
      script: 'bin/volmig.js',
      args: ['list', '--all-projects'],
      env: cleanEnv({ OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: server.endpoint, OS_PROJECT_ID: 'admin', OS_USER_ID: 'admin' }),
      // header + one line per volume; destinations are shown on their source's row, not listed
      expectedLines: server.cloud.volumes + 1,
    },
  ];
  if (anchors.cinder) {
    list.push({
      name: 'cinder list --all-tenants',
      short: 'cinder',
      kind: 'python',
      script: anchors.cinder,
      args: ['--os-auth-type', 'noauth', '--os-endpoint', server.endpoint, '--os-project-id', 'admin', '--os-user-id', 'admin', '--os-volume-api-version', '3.70', 'list', '--all-tenants'],
      env: cleanEnv(),
      // prettytable: 3 rule lines and a header around one line per record (destinations included)
      expectedLines: server.cloud.records.length + 4,
    });
  }
  if (anchors.openstack) {
    list.push({
      name: 'openstack volume list --all-projects',
      short: 'openstack',
      kind: 'python',
      script: anchors.openstack,
      args: ['--os-auth-type', 'none', '--os-endpoint', `${server.origin}/v3/admin`, '--os-volume-api-version', '3', 'volume', 'list', '--all-projects'],
      env: cleanEnv(),
      expectedLines: server.cloud.records.length + 4,
    });
  }
  return list;
}

/** One scenario: every tool `runs` times, alternating so that drift in the machine's load hits them alike. */
async function scenario({ label, volumes, migratingEvery, runs, anchors }) {
  const server = await startReplayServer({ volumes, migratingEvery });
  try {
    const list = tools(server, anchors);
    const results = new Map(list.map((t) => [t.short, []]));
    for (let i = 0; i < runs; i++) {
      for (const t of list) {
        server.reset();
        const r = await measure({ kind: t.kind, script: t.script, args: t.args, env: t.env });
        const requests = server.requests();
        if (r.code !== 0 || r.lines !== t.expectedLines) {
          throw new Error(`${t.name} (${label}): exit ${r.code}, ${r.lines} lines instead of ${t.expectedLines}: ${r.stderr.split('\n').slice(-3).join(' / ')}`);
        }
        results.get(t.short).push({ ...r, requests });
      }
    }
    // The listing's own pages: Cinder adds a next link to every full page, so n records cost floor(n/1000) + 1.
    const pages = Math.floor(server.cloud.records.length / 1000) + 1;
    const destinationPages = server.cloud.targets > 0 ? Math.floor(server.cloud.targets / 1000) + 1 : 0;
    return { label, server: server.cloud, pages, destinationPages, list, results };
  } finally {
    await server.close();
  }
}

const summary = (runs) => ({
  wallMs: median(runs.map((r) => r.wallMs)),
  peakMiB: Math.max(...runs.map((r) => r.peakKiB ?? 0)) / MiB,
  requests: Math.max(...runs.map((r) => r.requests.total)),
});

function rowsOf(s) {
  const bench = `list ${s.server.volumes.toLocaleString('en-US')} vol, ${s.label}`;
  const v = summary(s.results.get('volmig'));
  const rows = [];
  const cinder = s.results.has('cinder') ? summary(s.results.get('cinder')) : undefined;
  const openstack = s.results.has('openstack') ? summary(s.results.get('openstack')) : undefined;
  rows.push({
    bench,
    measure: 'wall time',
    value: v.wallMs / 1000,
    unit: 's',
    anchorName: 'cinder list',
    anchor: cinder ? cinder.wallMs / 1000 : undefined,
    ratio: cinder ? v.wallMs / cinder.wallMs : undefined,
    target: `≤ ${WALL_TARGET}×`,
    ok: cinder ? v.wallMs / cinder.wallMs <= WALL_TARGET : undefined,
    note: cinder ? undefined : 'no anchor: python3-cinderclient missing',
  });
  if (openstack) {
    rows.push({
      bench,
      measure: 'wall time',
      value: v.wallMs / 1000,
      unit: 's',
      anchorName: 'openstack volume list',
      anchor: openstack.wallMs / 1000,
      ratio: v.wallMs / openstack.wallMs,
    });
  }
  rows.push({
    bench,
    measure: 'requests',
    value: v.requests,
    unit: '',
    anchorName: 'listing pages',
    anchor: s.pages,
    ratio: undefined,
    target: `≤ pages + ${EXTRA_REQUESTS}`,
    ok: v.requests <= s.pages + EXTRA_REQUESTS,
    note: [
      `versions + ${s.pages} listing pages${s.destinationPages ? ` + ${s.destinationPages} destination-listing pages` : ''}`,
      cinder ? `cinder list: ${cinder.requests}${openstack ? `, openstack: ${openstack.requests}` : ''}` : undefined,
    ]
      .filter(Boolean)
      .join('; '),
  });
  rows.push({
    bench,
    measure: 'peak RSS',
    value: v.peakMiB,
    unit: 'MiB',
    anchorName: 'cinder list',
    anchor: cinder?.peakMiB,
    ratio: cinder ? v.peakMiB / cinder.peakMiB : undefined,
    target: `≤ ${RSS_TARGET_MIB} MiB`,
    ok: v.peakMiB <= RSS_TARGET_MIB,
    note: openstack ? `openstack: ${openstack.peakMiB.toFixed(0)} MiB` : undefined,
  });
  return rows;
}

export async function run({ runs = 3, large = true, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  if (!existsSync(new URL('../dist/cli.js', import.meta.url))) throw new Error('dist/ is missing; run `npm run build` first (or `npm run bench`)');
  const anchors = ensureCinderClient(log);
  const openstack = which('openstack');
  if (openstack) anchors.openstack = openstack;
  const rows = [];
  for (const s of [
    { label: 'none migrating', volumes: 10_000, migratingEvery: 0 },
    { label: '1 in 6 migrating', volumes: 10_000, migratingEvery: 6 },
  ]) {
    log(`bench: list, ${s.label} (${runs} runs of ${anchors.cinder ? 'volmig and cinder' : 'volmig'}${openstack ? ' and openstack' : ''}) ...`);
    rows.push(...rowsOf(await scenario({ ...s, runs, anchors })));
  }
  if (!anchors.cinder) rows.push({ bench: 'list', measure: 'anchor', note: `skipped: ${anchors.note}` });
  if (!openstack) rows.push({ bench: 'list', measure: 'anchor', note: 'openstack volume list not measured: python3-openstackclient is not installed (not installed by the bench: it pulls every OpenStack client)' });
  if (large) {
    log('bench: list, 100,000 volumes, 1 in 6 migrating (volmig only, 1 run) ...');
    const s = await scenario({ label: '1 in 6 migrating', volumes: 100_000, migratingEvery: 6, runs: 1, anchors: {} });
    const v = summary(s.results.get('volmig'));
    const small = rows.find((r) => r.bench.includes('10,000 vol, 1 in 6') && r.measure === 'peak RSS');
    const bench = 'list 100,000 vol, 1 in 6 migrating';
    rows.push({ bench, measure: 'wall time', value: v.wallMs / 1000, unit: 's' });
    // 12,500 destinations are themselves 13 pages: still pages, not one request per migration.
    const allowed = s.pages + s.destinationPages + 1;
    rows.push({
      bench,
      measure: 'requests',
      value: v.requests,
      unit: '',
      anchorName: 'listing pages',
      anchor: s.pages,
      target: `≤ pages + ${allowed - s.pages}`,
      ok: v.requests <= allowed,
      note: `versions + ${s.pages} listing pages + ${s.destinationPages} destination-listing pages`,
    });
    rows.push({
      bench,
      measure: 'peak RSS',
      value: v.peakMiB,
      unit: 'MiB',
      anchorName: 'volmig, 10,000 vol',
      anchor: small?.value,
      ratio: small ? v.peakMiB / small.value : undefined,
      target: 'about the same',
    });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--runs');
  const rows = await run({ runs: i >= 0 ? Number(args[i + 1]) : 3, large: !args.includes('--no-100k') });
  console.log(JSON.stringify(rows, null, 2));
}
