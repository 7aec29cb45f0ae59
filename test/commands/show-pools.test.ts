import { describe, expect, test } from 'vitest';
import { cinderApi, useCinderNock, volmig } from './cinder-nock.js';
import { POOLS, SOURCE_ID, TARGET_ID, migratingSource, migrationTarget, volume } from './fixtures.js';

useCinderNock();

const targetQuery = { migration_status: `target:${SOURCE_ID}`, all_tenants: '1', limit: '1' };

describe('volmig show', () => {
  test('by id: the readable view with the running generic migration\'s target and destination host', async () => {
    const api = cinderApi();
    api.get(`/volumes/${SOURCE_ID}`).reply(200, { volume: { ...migratingSource, migration_progress: '42' } });
    api.get('/volumes/detail').query(targetQuery).reply(200, { volumes: [migrationTarget] });

    const r = await volmig(['show', SOURCE_ID]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        `id:                  ${SOURCE_ID}`,
        'name:                mig-vol',
        'status:              maintenance',
        'size:                1 GiB',
        'type:                type-any',
        'host:                realcinder@ceph-b#ceph-b',
        'migration status:    migrating',
        'migration progress:  42%',
        `migration target:    ${TARGET_ID} (available)`,
        'destination host:    realcinder@ceph-a#ceph-a',
        'name_id:             -',
        'attachments:         -',
        'project:             admin',
        'availability zone:   nova',
        'created:             2026-11-27T09:12:42.802158',
        'updated:             2026-11-27T09:12:43.480162',
        '',
      ].join('\n'),
    );
  });

  test('by name: the migration target that shares the name does not make it ambiguous', async () => {
    const api = cinderApi();
    api.get('/volumes/detail').query({ name: 'mig-vol' }).reply(200, { volumes: [migratingSource, migrationTarget] });
    api.get('/volumes/detail').query(targetQuery).reply(200, { volumes: [migrationTarget] });
    const r = await volmig(['show', 'mig-vol']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`id:                  ${SOURCE_ID}\n`);
    expect(r.stdout).toContain('destination host:    realcinder@ceph-a#ceph-a\n');
  });

  test('a volume that is not migrating gets no target lookup and no target lines', async () => {
    const done = volume({ id: SOURCE_ID, name: 'mig-vol', migration_status: 'success', 'os-vol-mig-status-attr:name_id': TARGET_ID });
    cinderApi().get(`/volumes/${SOURCE_ID}`).reply(200, { volume: done });
    const r = await volmig(['show', SOURCE_ID]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('migration status:    success\n');
    expect(r.stdout).toContain(`name_id:             ${TARGET_ID}\n`);
    expect(r.stdout).not.toContain('migration target');
  });

  test('--json: the API volume object plus volmig\'s additions under the one key "volmig"', async () => {
    const api = cinderApi();
    api.get(`/volumes/${SOURCE_ID}`).reply(200, { volume: migratingSource });
    api.get('/volumes/detail').query(targetQuery).reply(200, { volumes: [migrationTarget] });
    const r = await volmig(['show', SOURCE_ID, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ ...migratingSource, volmig: { target: migrationTarget } });

    const idle = volume({ id: TARGET_ID, name: 'other' });
    cinderApi().get(`/volumes/${TARGET_ID}`).reply(200, { volume: idle });
    const r2 = await volmig(['--json', 'show', TARGET_ID]);
    expect(JSON.parse(r2.stdout)).toEqual({ ...idle, volmig: { target: null } });
  });

  test('several volumes with that name: exit 3 and the candidates are listed', async () => {
    const a = volume({ id: '11111111-1111-4111-8111-111111111111', name: 'dup' });
    const b = volume({ id: '22222222-2222-4222-8222-222222222222', name: 'dup', 'os-vol-host-attr:host': 'realcinder@ceph-b#ceph-b' });
    cinderApi().get('/volumes/detail').query({ name: 'dup' }).reply(200, { volumes: [a, b] });
    const r = await volmig(['show', 'dup']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        "Error: 2 volumes are named 'dup'; give one of these IDs instead:",
        '  11111111-1111-4111-8111-111111111111  dup  realcinder@ceph-a#ceph-a',
        '  22222222-2222-4222-8222-222222222222  dup  realcinder@ceph-b#ceph-b',
        '',
      ].join('\n'),
    );
  });

  test('unknown id: exit 3 with one line', async () => {
    const missing = '00000000-0000-0000-0000-000000000000';
    const api = cinderApi();
    api.get(`/volumes/${missing}`).reply(404, { itemNotFound: { code: 404, message: `Volume ${missing} could not be found.` } });
    api.get('/volumes/detail').query({ name: missing }).reply(200, { volumes: [] });
    const r = await volmig(['show', missing]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `Error: No volume with a name or ID of '${missing}' exists.\nOnly project admin was searched; every project: volmig show ${missing} --all-projects\n`,
    );
  });

  test('show without a volume is a usage error', async () => {
    const r = await volmig(['show']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error: missing required argument 'volume'\n/);
  });
});

describe('volmig pools', () => {
  test('name, backend, free/total capacity and the progress-report capability, sorted by name', async () => {
    cinderApi().get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: POOLS });
    const r = await volmig(['pools']);
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Name                      Backend      Free     Total  Progress report',
        'lvm1@lvm#fast             lvm       unknown  infinite  no',
        'realcinder@ceph-a#ceph-a  ceph-a   12.3 GiB  18.7 GiB  yes, every 5s',
        'realcinder@ceph-b#ceph-b  ceph-b   18.7 GiB  18.7 GiB  -',
        '',
      ].join('\n'),
    });
  });

  test('--json prints the API pool objects as they came', async () => {
    cinderApi().get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: POOLS });
    const r = await volmig(['pools', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(POOLS);
  });

  test('no pools: said on stderr, nothing on stdout', async () => {
    cinderApi().get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: [] });
    expect(await volmig(['pools'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'No pools found (is a cinder-volume service up and reporting?).\n',
    });
  });
});
