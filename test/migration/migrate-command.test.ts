import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Pool, Service, Volume } from '../../src/model/cinder.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunOptions } from '../helpers/run.js';
import { cinderApi, useCinderNock, volmig as volmigIn } from '../commands/cinder-nock.js';
import { volume } from '../commands/fixtures.js';
import { validatedEvents } from '../helpers/json-events.js';

useCinderNock();

const STATE = mkdtempSync(join(tmpdir(), 'volmig-migrate-test-'));
/** volmig with the journal in a scratch state directory. */
function volmig(args: string[], options: RunOptions = {}) {
  return volmigIn(args, { ...options, env: { XDG_STATE_HOME: STATE, ...(options.env ?? {}) } });
}
function journalLines(): Record<string, unknown>[] {
  try {
    return readFileSync(join(STATE, 'volmig', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

const ID = '70629f0c-4fed-442b-925c-50e1c3515330';
const SRC = 'realcinder@ceph-a#ceph-a';
const DST = 'realcinder@ceph-b#ceph-b';
const ACCEPTED =
  'Your migration request has been received. Please check migration status and the server log to see more information.';
const REFUSED = 'Your migration request failed to process: ';
const GENERIC_400 = `Invalid volume: Volume ${ID} status must be available or in-use, must not be migrating, have snapshots, be replicated, be part of a group and destination host/cluster must be different than the current one`;

const POOLS: Pool[] = [
  { name: SRC, capabilities: { volume_backend_name: 'ceph-a', total_capacity_gb: 18.7, free_capacity_gb: 18.7, reserved_percentage: 0 } },
  { name: DST, capabilities: { volume_backend_name: 'ceph-b', total_capacity_gb: 18.7, free_capacity_gb: 18.7, reserved_percentage: 0 } },
];
const SERVICES: Service[] = [
  { binary: 'cinder-volume', host: 'realcinder@ceph-a', zone: 'nova', status: 'enabled', state: 'up', updated_at: '2026-11-27T09:12:35.148245' },
  { binary: 'cinder-volume', host: 'realcinder@ceph-b', zone: 'nova', status: 'enabled', state: 'up', updated_at: '2026-11-27T09:12:35.249693' },
];
const TYPES = [
  { id: '605d4ce1-1046-48ec-803d-8bfe7d4d47c5', name: 'type-any', extra_specs: {} },
  { id: 'e8a736be-410e-4db3-8e92-0176dfce9fde', name: 'type-a', extra_specs: { volume_backend_name: 'ceph-a' } },
];

function vol(over: Partial<Volume> = {}): Volume {
  return volume({ id: ID, name: 'mig-vol', volume_type: 'type-any', 'os-vol-host-attr:host': SRC, ...over });
}

interface Setup {
  vol?: Volume;
  snapshots?: unknown[];
  pools?: Pool[];
  services?: Service[];
  types?: unknown[];
}

/** The reads the pre-flight makes, in order, for a host destination. */
function preflight(api: ReturnType<typeof cinderApi>, s: Setup = {}, upTo: 'volume' | 'snapshots' | 'pools' | 'services' | 'types' = 'types') {
  api.get(`/volumes/${ID}`).reply(200, { volume: s.vol ?? vol() });
  if (upTo === 'volume') return api;
  api.get('/snapshots/detail').query({ volume_id: ID, all_tenants: '1' }).reply(200, { snapshots: s.snapshots ?? [] });
  if (upTo === 'snapshots') return api;
  api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: s.pools ?? POOLS });
  if (upTo === 'pools') return api;
  api.get('/os-services').query({ binary: 'cinder-volume' }).reply(200, { services: s.services ?? SERVICES });
  if (upTo === 'services') return api;
  api.get('/types').reply(200, { volume_types: s.types ?? TYPES });
  return api;
}

function fakeClock() {
  let t = 1_800_000_000_000;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), advance: (ms: number) => (t += ms) };
}

describe('migrate: accepted', () => {
  it('checks, posts once, prints the seed message and the next command, exit 0', async () => {
    let body: unknown;
    preflight(cinderApi())
      .post(`/volumes/${ID}/action`, (b) => ((body = b), true))
      .reply(202, '', { 'x-openstack-request-id': 'req-1' });
    const r = await volmig(['migrate', ID, DST]);
    expect(r.code).toBe(0);
    expect(body).toEqual({ 'os-migrate_volume': { host: DST, force_host_copy: false, lock_volume: false } });
    expect(r.stderr).toBe(`${ACCEPTED}\nNext: volmig progress ${ID} --watch\n`);
    expect(r.stdout).toBe('');
    expect(journalLines().at(-1)).toMatchObject({ action: 'migrate', volume_id: ID, source_host: SRC, destination: DST, outcome: 'requested', request_id: 'req-1' });
  });

  it('--force sends lock_volume, --force-host-copy sends force_host_copy; a name resolves to the id', async () => {
    let body: unknown;
    const api = cinderApi();
    api.get('/volumes/detail').query({ name: 'mig-vol', all_tenants: '1' }).reply(200, { volumes: [vol()] });
    api.get('/snapshots/detail').query({ volume_id: ID, all_tenants: '1' }).reply(200, { snapshots: [] });
    api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: POOLS });
    api.get('/os-services').query({ binary: 'cinder-volume' }).reply(200, { services: SERVICES });
    api.get('/types').reply(200, { volume_types: TYPES });
    api.post(`/volumes/${ID}/action`, (b) => ((body = b), true)).reply(202, '');
    const r = await volmig(['migrate', 'mig-vol', DST, '--force', '--force-host-copy']);
    expect(r.stderr).toContain(ACCEPTED);
    expect(r.code).toBe(0);
    expect(body).toEqual({ 'os-migrate_volume': { host: DST, force_host_copy: true, lock_volume: true } });
  });

  it('--json prints one accepted event line', async () => {
    preflight(cinderApi()).post(`/volumes/${ID}/action`).reply(202, '', { 'x-openstack-request-id': 'req-9' });
    const r = await volmig(['migrate', ID, DST, '--json']);
    expect(r.code).toBe(0);
    const lines = validatedEvents('migrate', r.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ event: 'accepted', volume_id: ID, source_host: SRC, destination: DST, request_id: 'req-9', lock_volume: false });
  });

  it('warns that an attached volume needs the compute service to swap it', async () => {
    preflight(cinderApi(), { vol: vol({ status: 'in-use' }) }).post(`/volumes/${ID}/action`).reply(202, '');
    const r = await volmig(['migrate', ID, DST]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Warning: volume mig-vol (' + ID + ') is attached (in-use): a generic (host-assisted) migration of an attached volume needs the compute service (Nova) to swap');
  });

  it('--dry-run checks and sends nothing', async () => {
    preflight(cinderApi());
    const r = await volmig(['migrate', ID, DST, '--dry-run']);
    expect(r.code).toBe(0);
    // These pools give no location_info: volmig cannot tell how their driver will move the volume, and says so.
    expect(r.stdout).toBe(
      [
        `Dry run: every pre-flight check passed; volume mig-vol (${ID}) can be migrated to ${DST}. Nothing was sent.`,
        `Move: driver-assisted or generic: the driver of ${SRC} decides: driver-assisted if it can, else a generic copy (volmig knows the rules of the RBD, LVM and sandbox drivers).`,
        `Progress: from the server: its migration_progress (microversion 3.72) if the copy is generic; ${SRC} reports no copies of its own, so a driver-assisted move shows its phase and elapsed time only.`,
        '',
      ].join('\n'),
    );
    expect(r.stderr).toContain('ok  capacity: 1 GiB needed, 18.7 GiB free');
  });
});

describe('migrate: pre-flight refusals (exit 5, nothing posted)', () => {
  const cases: [string, Setup, 'volume' | 'snapshots' | 'pools' | 'services' | 'types', string[], string?][] = [
    ['status', { vol: vol({ status: 'error' }) }, 'snapshots', [`volume mig-vol (${ID}) is error; only available or in-use volumes can migrate.`]],
    [
      'maintenance',
      { vol: vol({ status: 'maintenance' }) },
      'snapshots',
      [`volume mig-vol (${ID}) is maintenance; only available or in-use volumes can migrate (maintenance: a locked migration or other maintenance holds it).`],
    ],
    [
      'in flight',
      { vol: vol({ migration_status: 'migrating' }) },
      'snapshots',
      [`a migration of volume mig-vol (${ID}) is already in flight (migration_status migrating). Watch it with: volmig progress ${ID} --watch`],
    ],
    [
      'snapshot',
      { snapshots: [{ id: '9ffef350-59cc-4264-bdf1-36e8fa2789e5', volume_id: ID, name: 's1', status: 'available', size: 1, created_at: 'x' }] },
      'snapshots',
      [`volume mig-vol (${ID}) has snapshot s1 (9ffef350-59cc-4264-bdf1-36e8fa2789e5); a volume with snapshots cannot migrate (delete the snapshot first).`],
    ],
    ['group', { vol: vol({ group_id: 'g-1' }) }, 'snapshots', [`volume mig-vol (${ID}) is part of group g-1; remove it from the group first.`]],
    ['replicated', { vol: vol({ replication_status: 'enabled' }) }, 'snapshots', [`volume mig-vol (${ID}) is replicated (replication_status enabled); a replicated volume cannot migrate.`]],
    [
      'service down',
      { services: [SERVICES[0]!, { ...SERVICES[1]!, state: 'down' }] },
      'types',
      [`the cinder-volume service realcinder@ceph-b is down (last heartbeat 2026-11-27T09:12:35.249693); the destination cannot receive the volume.`],
    ],
    [
      'service disabled',
      { services: [SERVICES[0]!, { ...SERVICES[1]!, status: 'disabled', disabled_reason: 'maintenance window' }] },
      'types',
      ['the cinder-volume service realcinder@ceph-b is disabled (maintenance window); the destination does not accept volumes.'],
    ],
    [
      'capacity',
      { vol: vol({ size: 20 }) },
      'types',
      [`${DST} has 18.7 GiB free; volume mig-vol (${ID}) needs 20 GiB.`],
    ],
    [
      'type pins another backend',
      { vol: vol({ volume_type: 'type-a' }) },
      'types',
      [
        `volume type type-a pins volume_backend_name=ceph-a, but ${DST} belongs to backend ceph-b; the scheduler would refuse it. To change type and backend together: volmig retype ${ID} <type> --migration-policy on-demand`,
      ],
    ],
  ];
  for (const [what, setup, upTo, reasons] of cases) {
    it(what, async () => {
      preflight(cinderApi(), setup, upTo === 'snapshots' ? 'types' : upTo);
      const r = await volmig(['migrate', ID, DST]);
      expect(r.code).toBe(5);
      for (const reason of reasons) expect(r.stderr).toContain(`${REFUSED}${reason}\n`);
      expect(r.stderr.split('\n').filter((l) => l.startsWith(REFUSED))).toHaveLength(reasons.length);
      expect(r.stderr).not.toContain(ACCEPTED);
    });
  }

  it('same host as now', async () => {
    preflight(cinderApi());
    const r = await volmig(['migrate', ID, SRC]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`${REFUSED}volume mig-vol (${ID}) is already on ${SRC}; choose another destination (see volmig pools).\n`);
  });

  it('unknown pool: suggests the closest names from get_pools', async () => {
    preflight(cinderApi(), {}, 'services');
    const r = await volmig(['migrate', ID, 'realcinder@ceph-c#ceph-c']);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      `${REFUSED}destination 'realcinder@ceph-c#ceph-c' is not a known pool. Closest: ${SRC}, ${DST}. Destinations are written host@backend#pool (see volmig pools).\n`,
    );
  });

  it('a host@backend destination without #pool is accepted when the backend has pools', async () => {
    preflight(cinderApi()).post(`/volumes/${ID}/action`).reply(202, '');
    const r = await volmig(['migrate', ID, 'realcinder@ceph-b']);
    expect(r.code).toBe(0);
  });

  it("host@backend of the volume's own single-pool backend: refused, Cinder would call the no-op a success", async () => {
    preflight(cinderApi());
    const r = await volmig(['migrate', ID, 'realcinder@ceph-a']);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      `${REFUSED}volume mig-vol (${ID}) is already on ${SRC}, the only pool of realcinder@ceph-a: Cinder would report the migration a success without moving it. ` +
        'Choose another backend, or name another pool as host@backend#pool (see volmig pools).\n',
    );
  });

  it('host@backend of a multi-pool backend: refused when the scheduler would pick the own pool, allowed when it picks another', async () => {
    const pool = (p: string, free: number): Pool => ({ name: `realcinder@multi#${p}`, capabilities: { volume_backend_name: 'multi', total_capacity_gb: 100, free_capacity_gb: free, reserved_percentage: 0 } });
    const services = [...SERVICES, { ...SERVICES[0]!, host: 'realcinder@multi' }];
    const onP1 = vol({ 'os-vol-host-attr:host': 'realcinder@multi#p1' });
    preflight(cinderApi(), { vol: onP1, pools: [pool('p1', 80), pool('p2', 50)], services });
    const home = await volmig(['migrate', ID, 'realcinder@multi']);
    expect(home.code).toBe(5);
    expect(home.stderr).toContain('is already on realcinder@multi#p1, the pool of realcinder@multi the scheduler would choose (the most free capacity)');

    preflight(cinderApi(), { vol: onP1, pools: [pool('p1', 20), pool('p2', 50)], services }).post(`/volumes/${ID}/action`).reply(202, '');
    expect((await volmig(['migrate', ID, 'realcinder@multi'])).code).toBe(0);
    // between two pools of one backend, named: allowed
    preflight(cinderApi(), { vol: onP1, pools: [pool('p1', 80), pool('p2', 50)], services }).post(`/volumes/${ID}/action`).reply(202, '');
    expect((await volmig(['migrate', ID, 'realcinder@multi#p2'])).code).toBe(0);
  });

  it('capacity of a thin pool: the over-subscribed virtual number is named as such, with the real free space', async () => {
    const thin = POOLS.map((p) => ({ ...p, capabilities: { ...p.capabilities, thin_provisioning_support: true, max_over_subscription_ratio: '20.0', allocated_capacity_gb: 2 } }));
    preflight(cinderApi(), { vol: vol({ size: 400 }), pools: thin });
    const r = await volmig(['migrate', ID, DST]);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(
      `${REFUSED}${DST} has 372.0 GiB of over-subscribed virtual capacity left (thin provisioning: 18.7 GiB × max_over_subscription_ratio 20 − 2 GiB provisioned), 18.7 GiB really free; volume mig-vol (${ID}) needs 400 GiB.\n`,
    );
  });

  it('a volume that does not exist: exit 3', async () => {
    const missing = '00000000-0000-0000-0000-000000000000';
    const api = cinderApi();
    api.get(`/volumes/${missing}`).reply(404, { itemNotFound: { code: 404, message: `Volume ${missing} could not be found.` } });
    api.get('/volumes/detail').query({ name: missing, all_tenants: '1' }).reply(200, { volumes: [] });
    const r = await volmig(['migrate', missing, DST]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^${REFUSED}`));
    expect(r.stderr).toContain(missing);
  });

  it('exactly one of host and --cluster: usage error', async () => {
    const r = await volmig(['migrate', ID]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('Error: give exactly one destination: a host (host@backend#pool) or --cluster NAME\n');
  });
});

describe('migrate --cluster', () => {
  const clustered = SERVICES.map((svc, i) => ({ ...svc, cluster: i === 0 ? 'cl-a' : 'cl-b' }));
  function clusterPreflight() {
    const api = cinderApi();
    api.get(`/volumes/${ID}`).reply(200, { volume: vol() });
    api.get('/snapshots/detail').query({ volume_id: ID, all_tenants: '1' }).reply(200, { snapshots: [] });
    return api;
  }
  it('checks the cluster has an up and enabled volume service and sends cluster instead of host', async () => {
    let body: unknown;
    const api = clusterPreflight();
    api.get('/os-services').query({ binary: 'cinder-volume' }).reply(200, { services: clustered });
    api.post(`/volumes/${ID}/action`, (b) => ((body = b), true)).reply(202, '');
    const r = await volmig(['migrate', ID, '--cluster', 'cl-b']);
    expect(r.code).toBe(0);
    expect(body).toEqual({ 'os-migrate_volume': { cluster: 'cl-b', force_host_copy: false, lock_volume: false } });
  });
  it('an unknown cluster is refused with the closest names', async () => {
    const api = clusterPreflight();
    api.get('/os-services').query({ binary: 'cinder-volume' }).times(2).reply(200, { services: clustered });
    const r = await volmig(['migrate', ID, '--cluster', 'cl-c']);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(`${REFUSED}no cinder-volume service belongs to cluster 'cl-c'. Closest: cl-a, cl-b.\n`);
  });
});

describe('migrate: the API refuses', () => {
  it('--skip-checks posts straight; the generic 400 is shown with its HTTP code and request id, exit 5', async () => {
    const api = cinderApi();
    api.get(`/volumes/${ID}`).reply(200, { volume: vol() });
    api
      .post(`/volumes/${ID}/action`)
      .reply(400, { badRequest: { code: 400, message: GENERIC_400 } }, { 'x-openstack-request-id': 'req-e406dea2' });
    const r = await volmig(['migrate', ID, SRC, '--skip-checks']);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(`${REFUSED}${GENERIC_400}. (HTTP 400) (Request-ID: req-e406dea2)\n`);
  });

  it("Cinder's Invalid host with --skip-checks", async () => {
    const api = cinderApi();
    api.get(`/volumes/${ID}`).reply(200, { volume: vol() });
    api.post(`/volumes/${ID}/action`).reply(400, { badRequest: { code: 400, message: "Invalid host: No available service named 'bogus-host@nowhere#pool'" } });
    const r = await volmig(['migrate', ID, 'bogus-host@nowhere#pool', '--skip-checks']);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(`${REFUSED}Invalid host: No available service named 'bogus-host@nowhere#pool'. (HTTP 400)\n`);
  });

  it('policy 403: exit 4', async () => {
    const api = cinderApi();
    api.get(`/volumes/${ID}`).reply(200, { volume: vol() });
    api
      .post(`/volumes/${ID}/action`)
      .reply(403, { forbidden: { code: 403, message: "Policy doesn't allow volume_extension:volume_admin_actions:migrate_volume to be performed." } });
    const r = await volmig(['migrate', ID, DST, '--skip-checks']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${REFUSED}Policy doesn't allow volume_extension:volume_admin_actions:migrate_volume to be performed. (HTTP 403)`);
    expect(r.stderr).toContain("This needs an admin role: Cinder's policy refused these credentials");
  });

  it('404 from the POST with --skip-checks: exit 3', async () => {
    const missing = '00000000-0000-0000-0000-000000000000';
    const api = cinderApi();
    const fault = { itemNotFound: { code: 404, message: `Volume ${missing} could not be found.` } };
    api.get(`/volumes/${missing}`).reply(404, fault);
    api.get('/volumes/detail').query({ name: missing, all_tenants: '1' }).reply(200, { volumes: [] });
    api.post(`/volumes/${missing}/action`).reply(404, fault);
    const r = await volmig(['migrate', missing, DST, '--skip-checks']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`${REFUSED}Volume ${missing} could not be found. (HTTP 404)\n`);
  });
});

describe('migrate: the answer to the POST is lost', () => {
  it('reads the volume back, sees the migration started, never resends: exit 0', async () => {
    let posts = 0;
    const api = preflight(cinderApi());
    api.post(`/volumes/${ID}/action`).reply(() => {
      posts++;
      return [500, ''];
    }).persist(false);
    api.get(`/volumes/${ID}`).reply(200, { volume: vol({ migration_status: 'migrating', updated_at: '2026-11-27T09:13:00' }) });
    const r = await volmig(['migrate', ID, DST]);
    expect(posts).toBe(1);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('volmig does not send it again; reading the volume back.');
    expect(r.stderr).toContain(`The volume shows the migration started (migration_status migrating, host ${SRC}).`);
    expect(r.stderr).toContain(ACCEPTED);
  });

  it('connection reset after sending: the volume shows nothing, exit 6, and the POST went out once', async () => {
    let posts = 0;
    const api = preflight(cinderApi());
    api.post(`/volumes/${ID}/action`).reply(() => {
      posts++;
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    });
    api.get(`/volumes/${ID}`).reply(200, { volume: vol() });
    const r = await volmig(['migrate', ID, DST]);
    expect(posts).toBe(1);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(`${REFUSED}the answer was lost and volume ${ID} shows no migration (status available, migration_status none)`);
    expect(r.stderr).not.toContain(ACCEPTED);
  });
});

describe('migrate --wait', () => {
  function waitRun(sequence: Volume[], extra: string[] = [], opts: { signals?: EventEmitter; onSleep?: (n: number) => void } = {}) {
    const api = preflight(cinderApi());
    api.post(`/volumes/${ID}/action`).reply(202, '');
    for (const v of sequence) api.get(`/volumes/${ID}`).reply(200, { volume: v });
    const clock = fakeClock();
    let sleeps = 0;
    return {
      api,
      run: () =>
        volmig(['migrate', ID, DST, '--wait', '--interval', '2', ...extra], {
          now: clock.now,
          sleep: async (ms, signal) => {
            sleeps++;
            opts.onSleep?.(sleeps);
            if (signal?.aborted) return;
            await clock.sleep(ms);
          },
          signals: opts.signals,
        }),
    };
  }

  it("attached during an unlocked generic migration (real Cinder): moved, but exit 1 naming the attachment and the leftover old record", async () => {
    const LEFT = 'b9be2092-8b55-4e54-8e59-39c2016130dc';
    const attachment = { id: 'att-1', attachment_id: 'att-1', volume_id: ID, server_id: 'srv-9', host_name: null, device: '/dev/vdb', attached_at: 'T' };
    const { api, run } = waitRun([
      vol({ migration_status: 'migrating', updated_at: 'T1' }),
      vol({ migration_status: 'success', 'os-vol-host-attr:host': DST, attachments: [attachment], updated_at: 'T2' }),
    ]);
    // the old record after the swap: its delete failed (VolumeAttached), it stays in deleting
    const leftover = vol({ id: LEFT, status: 'deleting', migration_status: 'deleting', description: `migration src for ${ID}`, 'os-vol-mig-status-attr:name_id': ID });
    api.get('/volumes/detail').query({ status: 'deleting', all_tenants: '1' }).reply(200, { volumes: [leftover] });
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`mig-vol: migrated ${SRC} → ${DST}, but not cleanly: the volume was attached during the migration, which was not locked.\n`);
    expect(r.stderr).toContain(`  Cinder left it available with attachment att-1 (server srv-9): that attachment was made to the copy on ${SRC} while the data was being copied; what was written through it may not be on ${DST}.\n`);
    expect(r.stderr).toContain(
      `  The old record was left behind: volume ${LEFT} (status deleting, migration_status deleting, on ${SRC}); Cinder could not delete it because it is marked attached (VolumeAttached in the cinder-volume log on realcinder@ceph-a).\n`,
    );
    expect(r.stderr).toContain(`  Clean up with: volmig recover ${ID} (deletes the leftover ${LEFT}); then detach the volume and attach it again through the compute service, so that the instance uses the migrated copy.\n`);
    expect(journalLines().slice(-2).map((e) => [e.volume_id, e.outcome, e.destination])).toEqual([
      [ID, 'requested', DST],
      [ID, 'unclean', DST],
    ]);
  });

  it('success with numeric progress: exit 0, plain lines without escape codes, summary on stdout', async () => {
    const { run } = waitRun([
      vol({ migration_status: 'migrating', migration_progress: '20', updated_at: 'T1' }),
      vol({ migration_status: 'migrating', migration_progress: '60', updated_at: 'T2' }),
      vol({ migration_status: 'completing', updated_at: 'T3' }),
      vol({ migration_status: 'success', 'os-vol-host-attr:host': DST, updated_at: 'T4' }),
    ]);
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('mig-vol migrating 20% 0.2/1.0 GiB\n');
    expect(r.stderr).toMatch(/mig-vol migrating 60% 0\.6\/1\.0 GiB \d+(\.\d)? MiB\/s eta 0:0\d\n/);
    expect(r.stderr).toContain('mig-vol completing 60% 0.6/1.0 GiB');
    expect(r.stderr).not.toContain('\x1b[');
    expect(r.stdout).toMatch(new RegExp(`^mig-vol: migrated ${SRC} → ${DST} \\(1\\.0 GiB in 0:06, \\d+(\\.\\d)? MiB/s average\\)\\n$`));
  });

  it('a migration that finished before the first poll is recognised from the host (previous result success)', async () => {
    const api = preflight(cinderApi(), { vol: vol({ migration_status: 'success' }) });
    api.post(`/volumes/${ID}/action`).reply(202, '');
    api.get(`/volumes/${ID}`).reply(200, { volume: vol({ migration_status: 'success', 'os-vol-host-attr:host': DST, updated_at: 'T9' }) });
    const clock = fakeClock();
    const r = await volmig(['migrate', ID, DST, '--wait', '--interval', '2'], { now: clock.now, sleep: clock.sleep });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`mig-vol: migrated ${SRC} → ${DST} (1.0 GiB in 0:00)\n`);
  });

  it("real Cinder's empty migration_status between completing and success (poll-I-nameid.log) is not a reset", async () => {
    const { run } = waitRun([
      vol({ migration_status: 'migrating', updated_at: 'T1' }),
      vol({ migration_status: 'completing', updated_at: 'T2' }),
      vol({ migration_status: null, 'os-vol-host-attr:host': DST, 'os-vol-mig-status-attr:name_id': '090146e9-7f4c-41f2-b795-d067505db181', updated_at: 'T3' }),
      vol({ migration_status: 'success', 'os-vol-host-attr:host': DST, updated_at: 'T4' }),
    ]);
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `${ACCEPTED}\nmig-vol migrating progress indeterminate elapsed 0:00\nmig-vol completing progress indeterminate elapsed 0:02\nmig-vol success elapsed 0:06\n`,
    );
    expect(r.stdout).toMatch(new RegExp(`^mig-vol: migrated ${SRC} → ${DST} \\(1\\.0 GiB in 0:06`));
  });

  it('--json refusal: one rejected event with the checks', async () => {
    preflight(cinderApi(), { vol: vol({ status: 'error' }) });
    const r = await volmig(['migrate', ID, DST, '--json']);
    expect(r.code).toBe(5);
    const [event, ...rest] = validatedEvents('migrate', r.stdout);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ event: 'rejected', volume_id: ID, by: 'volmig', exit_code: 5 });
    expect((event!.checks as { check: string; ok: boolean }[]).find((c) => c.check === 'status')).toMatchObject({ ok: false });
  });

  it('a scheduler error right after the request: exit 1 with the explanation', async () => {
    const api = preflight(cinderApi());
    api.post(`/volumes/${ID}/action`).reply(202, '');
    api.get(`/volumes/${ID}`).reply(200, { volume: vol({ migration_status: 'error', updated_at: 'T1' }) });
    api.get('/volumes/detail').query({ migration_status: `target:${ID}`, all_tenants: '1', limit: '1' }).reply(200, { volumes: [] });
    const clock = fakeClock();
    const r = await volmig(['migrate', ID, DST, '--wait', '--interval', '2'], { now: clock.now, sleep: clock.sleep });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`mig-vol: migration to ${DST} failed (migration_status error).\n`);
    expect(r.stderr).toContain(`  The volume is still on ${SRC} (host unchanged).\n`);
    expect(r.stderr).toContain('  No temporary destination volume was left behind.\n');
    expect(r.stderr).toContain('  Its status went back to available.\n');
    expect(r.stderr).toContain('  It ended before any copying was seen: usually the scheduler refused the destination (for example the volume type pins another backend, or the pool is full).\n');
    // no copy ran: the scheduler's log is the one that matters, not the volume service's
    expect(r.stderr).toContain('  Where to look: the cinder-scheduler log (the request was refused before any copy ran).\n');
    expect(r.stderr).not.toContain('cinder-volume service log');
    expect(journalLines().slice(-2).map((e) => [e.volume_id, e.outcome])).toEqual([
      [ID, 'requested'],
      [ID, 'error'],
    ]);
  });

  it('--quiet keeps the error and its explanation, drops progress lines', async () => {
    const api = preflight(cinderApi());
    api.post(`/volumes/${ID}/action`).reply(202, '');
    api.get(`/volumes/${ID}`).reply(200, { volume: vol({ migration_status: 'migrating', migration_progress: '10', updated_at: 'T1' }) });
    api.get(`/volumes/${ID}`).reply(200, { volume: vol({ migration_status: 'error', updated_at: 'T2' }) });
    api.get('/volumes/detail').query({ migration_status: `target:${ID}`, all_tenants: '1', limit: '1' }).reply(200, { volumes: [] });
    const clock = fakeClock();
    const r = await volmig(['migrate', ID, DST, '--wait', '--interval', '2', '--quiet'], { now: clock.now, sleep: clock.sleep });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `mig-vol: migration to ${DST} failed (migration_status error).\n` +
        `  The volume is still on ${SRC} (host unchanged).\n` +
        '  No temporary destination volume was left behind.\n' +
        '  Its status went back to available.\n' +
        '  Where to look: the cinder-volume service log on the source host realcinder@ceph-a (the copy and the swap run there).\n',
    );
  });

  it('--timeout: exit 7 and says the migration continues', async () => {
    // Polls at 0 s and 2 s; at 4 s the deadline has passed, so the watch ends without a third read.
    const seq = Array.from({ length: 2 }, () => vol({ migration_status: 'migrating', migration_progress: '10', updated_at: 'T1' }));
    const { run } = waitRun(seq, ['--timeout', '4s']);
    const r = await run();
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('mig-vol: timed out after 4s (migrating at 10%); the migration continues on the server.\n');
    expect(r.stderr).toContain(`  Resume watching with: volmig progress ${ID} --watch\n`);
  });

  it('--stall-timeout: exit 7 when the percent stops moving', async () => {
    const seq = [
      vol({ migration_status: 'migrating', migration_progress: '10', updated_at: 'T1' }),
      vol({ migration_status: 'migrating', migration_progress: '30', updated_at: 'T1' }),
      vol({ migration_status: 'migrating', migration_progress: '30', updated_at: 'T1' }),
    ];
    // The last change is at 2 s: the stall deadline (5 s) ends the watch before the 6 s poll.
    const { run } = waitRun(seq, ['--stall-timeout', '3s']);
    const r = await run();
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('mig-vol: no progress for 3s (migrating at 30%); the migration continues on the server.\n');
  });

  it('Ctrl-C: exit 130, resume message, and the handler is gone so a second Ctrl-C ends the process', async () => {
    const signals = new EventEmitter();
    const seq = [vol({ migration_status: 'migrating', migration_progress: '10', updated_at: 'T1' })];
    const { run } = waitRun(seq, [], { signals, onSleep: () => signals.emit('SIGINT') });
    const r = await run();
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`Stopped watching; the migration continues on the server. Resume with: volmig progress ${ID} --watch\n`);
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });
});
