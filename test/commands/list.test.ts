import { describe, expect, test } from 'vitest';
import { cinderApi, useCinderNock, volmig } from './cinder-nock.js';
import { API, SOURCE_ID, TARGET_ID, migratingSource, migrationTarget, volume } from './fixtures.js';

useCinderNock();

const plainA = volume({ id: '11111111-1111-4111-8111-111111111111', name: 'db-1', size: 10 });
const plainB = volume({
  id: '22222222-2222-4222-8222-222222222222',
  name: 'web',
  status: 'in-use',
  size: 2048,
  migration_status: 'success',
  'os-vol-host-attr:host': 'realcinder@ceph-b#ceph-b',
});
/** The one destination listing of a command: every `target:<source id>` volume (admin, microversion >= 3.34). */
const targetsQuery = { 'migration_status~': 'target:' };

describe('volmig list', () => {
  test('prints the columns, hides the migration target and shows where the source is going', async () => {
    const api = cinderApi();
    api.get('/volumes/detail').reply(200, { volumes: [plainA, migratingSource, plainB] });
    // The target was not on the page before its source: volmig lists every destination once (migration_status~).
    api.get('/volumes/detail').query(targetsQuery).reply(200, { volumes: [migrationTarget] });

    const r = await volmig(['list']);
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'ID                                    Name     Status         Size  Host                      Migration',
        '11111111-1111-4111-8111-111111111111  db-1     available    10 GiB  realcinder@ceph-a#ceph-a  -',
        `${SOURCE_ID}  mig-vol  maintenance   1 GiB  realcinder@ceph-b#ceph-b  migrating → realcinder@ceph-a#ceph-a`,
        '22222222-2222-4222-8222-222222222222  web      in-use        2 TiB  realcinder@ceph-b#ceph-b  success',
        '',
      ].join('\n'),
    });
  });

  test('follows volumes_links across pages and pairs a target listed before its source without a lookup', async () => {
    const api = cinderApi();
    api.get('/volumes/detail').reply(200, {
      volumes: [migrationTarget, plainA],
      volumes_links: [{ rel: 'next', href: `${API}/volumes/detail?marker=${plainA.id}` }],
    });
    api.get('/volumes/detail').query({ marker: plainA.id }).reply(200, {
      volumes: [migratingSource],
      volumes_links: [{ rel: 'next', href: `${API}/volumes/detail?marker=${SOURCE_ID}` }],
    });
    api.get('/volumes/detail').query({ marker: SOURCE_ID }).reply(200, { volumes: [plainB] });

    const r = await volmig(['list']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['ID', plainA.id, SOURCE_ID, plainB.id]);
    expect(lines[2]).toMatch(/maintenance +1 GiB +realcinder@ceph-b#ceph-b +migrating → realcinder@ceph-a#ceph-a$/);
    expect(r.stdout).not.toContain(TARGET_ID);
  });

  test('--show-targets lists the temporary destination with its target:<id> status', async () => {
    const api = cinderApi();
    api.get('/volumes/detail').reply(200, { volumes: [migratingSource, migrationTarget] });
    api.get('/volumes/detail').query(targetsQuery).reply(200, { volumes: [migrationTarget] });

    const r = await volmig(['list', '--show-targets']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[2]).toBe(
      `${TARGET_ID}  mig-vol  available    1 GiB  realcinder@ceph-a#ceph-a  target:${SOURCE_ID}`,
    );
  });

  test('a driver-assisted migration (no target volume) shows just its status', async () => {
    const assisted = volume({ id: '33333333-3333-4333-8333-333333333333', name: 'fast', migration_status: 'starting' });
    const api = cinderApi();
    api.get('/volumes/detail').reply(200, { volumes: [assisted] });
    api.get('/volumes/detail').query(targetsQuery).reply(200, { volumes: [] });

    const r = await volmig(['list']);
    expect(r.stdout.split('\n')[1]).toMatch(/ starting$/);
  });

  test('filters go to the server: migration status none is sent as None, status, name, all_tenants', async () => {
    cinderApi()
      .get('/volumes/detail')
      .query({ migration_status: 'None', status: 'available', name: 'db-1', all_tenants: '1' })
      .reply(200, { volumes: [plainA] });
    const r = await volmig(['list', '--migration-status', 'none', '--status', 'available', '--name', 'db-1', '--all-projects']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(2);
  });

  test('--host host@backend#pool is an exact server filter', async () => {
    cinderApi().get('/volumes/detail').query({ host: 'realcinder@ceph-b#ceph-b' }).reply(200, { volumes: [plainB] });
    const r = await volmig(['list', '--host', 'realcinder@ceph-b#ceph-b']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(plainB.id);
  });

  test.each(['realcinder', 'realcinder@ceph-b', 'realcinder@ceph-b#ceph-b'])(
    '--host %s goes to the server (Cinder matches host, backend and pool levels itself)',
    async (host) => {
      cinderApi().get('/volumes/detail').query({ host }).reply(200, { volumes: [plainB] });
      const r = await volmig(['list', '--host', host, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([plainB]);
    },
  );

  test('--host host@backend: a row of another backend that a loose server let through is not shown', async () => {
    const lookalike = volume({ id: '44444444-4444-4444-8444-444444444444', name: 'x', 'os-vol-host-attr:host': 'realcinder@ceph-bb#p' });
    cinderApi().get('/volumes/detail').query({ host: 'realcinder@ceph-b' }).reply(200, { volumes: [plainB, lookalike] });
    const r = await volmig(['list', '--host', 'realcinder@ceph-b', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([plainB]);
  });

  test('--limit caps the total and stops following pages', async () => {
    cinderApi()
      .get('/volumes/detail')
      .query({ limit: '2' })
      .reply(200, {
        volumes: [plainA, plainB],
        volumes_links: [{ rel: 'next', href: `${API}/volumes/detail?limit=2&marker=${plainB.id}` }],
      });
    const r = await volmig(['list', '--limit', '2', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string }[]).map((v) => v.id)).toEqual([plainA.id, plainB.id]);
  });

  test('--long adds type, project, name_id and progress', async () => {
    const copying = { ...migratingSource, migration_progress: '42', 'os-vol-mig-status-attr:name_id': null };
    const api = cinderApi();
    api.get('/volumes/detail').reply(200, { volumes: [copying] });
    api.get('/volumes/detail').query(targetsQuery).reply(200, { volumes: [] });
    const r = await volmig(['list', '--long']);
    const [header, row] = r.stdout.split('\n');
    expect(header).toBe('ID                                    Name     Status        Size  Host                      Migration  Type      Project  Name ID  Progress');
    expect(row).toBe(`${SOURCE_ID}  mig-vol  maintenance  1 GiB  realcinder@ceph-b#ceph-b  migrating  type-any  admin    -             42%`);
  });

  test('--json prints the API volume objects as an array, targets hidden', async () => {
    const api = cinderApi();
    api.get('/volumes/detail').reply(200, { volumes: [migratingSource, migrationTarget, plainA] });
    api.get('/volumes/detail').query(targetsQuery).reply(200, { volumes: [migrationTarget] });
    const r = await volmig(['list', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([migratingSource, plainA]);
    expect(r.stdout).toBe(JSON.stringify([migratingSource, plainA], null, 2) + '\n');
  });

  test('an empty result says so on stderr and prints nothing on stdout; with --json it is []', async () => {
    cinderApi().get('/volumes/detail').query({ migration_status: 'error' }).reply(200, { volumes: [] });
    expect(await volmig(['list', '--migration-status', 'error'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'No volumes found in project admin (--all-projects lists every project).\n',
    });
    cinderApi().get('/volumes/detail').query({ migration_status: 'error', all_tenants: '1' }).reply(200, { volumes: [] });
    expect(await volmig(['list', '--migration-status', 'error', '--all-projects', '--json'])).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
  });

  test('only targets hidden on the page: still "No volumes found"', async () => {
    cinderApi().get('/volumes/detail').reply(200, { volumes: [migrationTarget] });
    const r = await volmig(['list', '-q']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  test('a failure on a later page: the rows so far are printed, then the error (exit 6); --json leaves the array unclosed', async () => {
    const twoPages = () => {
      const api = cinderApi();
      api.get('/volumes/detail').reply(200, {
        volumes: [plainA],
        volumes_links: [{ rel: 'next', href: `${API}/volumes/detail?marker=${plainA.id}` }],
      });
      api.get('/volumes/detail').query({ marker: plainA.id }).reply(500, { computeFault: { code: 500, message: 'Unexpected error.' } });
    };
    twoPages();
    const table = await volmig(['list']);
    expect(table.code).toBe(6);
    expect(table.stdout.split('\n').map((l) => l.split(' ')[0])).toEqual(['ID', plainA.id, '']);
    expect(table.stderr.split('\n')[0]).toBe('Error: Unexpected error.');

    twoPages();
    const json = await volmig(['list', '--json']);
    expect(json.code).toBe(6);
    expect(json.stdout.startsWith('[\n  {')).toBe(true);
    expect(() => JSON.parse(json.stdout)).toThrow(); // a script cannot mistake it for the whole listing
  });

  test.each([
    [['--migration-status', 'moving'], "Error: invalid value for --migration-status: 'moving' (expected one of none, starting, migrating, completing, success, error, deleting, target:<volume id>)\n"],
    [['--status', 'bogus'], /^Error: invalid value for --status: 'bogus' \(expected one of creating, available, .*\)\n$/],
    [['--host', 'a b'], "Error: invalid value for --host: 'a b' (expected host, host@backend or host@backend#pool)\n"],
    [['--limit', '-1'], "Error: invalid value for --limit: '-1' (expected a positive whole number)\n"],
  ])('list %j is a usage error (exit 2, one line, no request)', async (args, message) => {
    const r = await volmig(['list', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    if (typeof message === 'string') expect(r.stderr).toBe(message);
    else expect(r.stderr).toMatch(message);
  });
});
