import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { cinderApi, useCinderNock, volmig } from './cinder-nock.js';
import { POOLS, SOURCE_ID, TARGET_ID, migratingSource, migrationTarget, volume } from './fixtures.js';

useCinderNock();

const a = volume({ id: '11111111-1111-4111-8111-111111111111', name: 'db-1', size: 10 });
const unnamed = volume({ id: '22222222-2222-4222-8222-222222222222', name: null, status: 'in-use', size: 2 });
const targetsQuery = { 'migration_status~': 'target:' };

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'volmig-formats-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('volmig list -f / -c / --no-headers', () => {
  test('-f value -c ID: one id per line and nothing else on stdout, for a shell loop', async () => {
    const api = cinderApi();
    api.get('/volumes/detail').reply(200, { volumes: [a, migratingSource, unnamed] });
    api.get('/volumes/detail').query(targetsQuery).reply(200, { volumes: [migrationTarget] });
    expect(await volmig(['list', '-f', 'value', '-c', 'ID'])).toEqual({ code: 0, stderr: '', stdout: `${a.id}\n${SOURCE_ID}\n${unnamed.id}\n` });
  });

  test('-f value: every default column, the API values (size a number, None for no name or no migration status)', async () => {
    cinderApi().get('/volumes/detail').reply(200, { volumes: [a, unnamed] });
    const r = await volmig(['list', '-f', 'value']);
    expect(r.stdout).toBe(`${a.id} db-1 available 10 realcinder@ceph-a#ceph-a None\n${unnamed.id} None in-use 2 realcinder@ceph-a#ceph-a None\n`);
  });

  test('-c in any case, repeated, in the table order; Destination and the --long columns without --long', async () => {
    const api = cinderApi();
    api.get('/volumes/detail').reply(200, { volumes: [migratingSource] });
    api.get('/volumes/detail').query(targetsQuery).reply(200, { volumes: [migrationTarget] });
    const r = await volmig(['list', '-f', 'csv', '-c', 'destination', '-c', 'migration', '-c', 'NAME ID', '-c', 'id']);
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: `"ID","Migration","Name ID","Destination"\n"${SOURCE_ID}","migrating","","realcinder@ceph-a#ceph-a"\n`,
    });
  });

  test('--no-headers: the table without its header line, so wc -l counts volumes', async () => {
    cinderApi().get('/volumes/detail').reply(200, { volumes: [a, unnamed] });
    const r = await volmig(['list', '--no-headers']);
    expect(r.stdout).toBe(
      [`${a.id}  db-1  available  10 GiB  realcinder@ceph-a#ceph-a  -`, `${unnamed.id}  -     in-use      2 GiB  realcinder@ceph-a#ceph-a  -`, ''].join('\n'),
    );
    cinderApi().get('/volumes/detail').reply(200, { volumes: [a, unnamed] });
    const csv = await volmig(['list', '-f', 'csv', '--no-headers', '-c', 'id', '-c', 'status']);
    expect(csv.stdout).toBe(`"${a.id}","available"\n"${unnamed.id}","in-use"\n`);
  });

  test('-f json is --json (the API objects); with -c the chosen columns keyed by their headers', async () => {
    cinderApi().get('/volumes/detail').reply(200, { volumes: [a] });
    const whole = await volmig(['list', '-f', 'json']);
    expect(JSON.parse(whole.stdout)).toEqual([a]);
    cinderApi().get('/volumes/detail').reply(200, { volumes: [a] });
    expect((await volmig(['list', '--json'])).stdout).toBe(whole.stdout);
    cinderApi().get('/volumes/detail').reply(200, { volumes: [a] });
    expect(JSON.parse((await volmig(['list', '-f', 'json', '-c', 'id', '-c', 'size'])).stdout)).toEqual([{ ID: a.id, Size: 10 }]);
  });

  test('-f yaml: the API objects as YAML (1.1-safe quoting), one list item per volume', async () => {
    cinderApi().get('/volumes/detail').reply(200, { volumes: [a, unnamed] });
    const r = await volmig(['list', '-f', 'yaml', '-c', 'ID', '-c', 'Name', '-c', 'Size']);
    expect(r.stdout).toBe(`- ID: ${a.id}\n  Name: db-1\n  Size: 10\n- ID: ${unnamed.id}\n  Name: null\n  Size: 2\n`);
    cinderApi().get('/volumes/detail').reply(200, { volumes: [a] });
    const whole = await volmig(['list', '-f', 'yaml']);
    expect(whole.stdout).toContain(`- status: available\n  size: 10\n`);
    expect(whole.stdout).toContain(`  created_at: '2026-11-27T09:12:42.802158'\n`);
    expect(whole.stdout).toContain(`  bootable: 'false'\n`);
  });

  test('an unknown column or format is a usage error before any request', async () => {
    expect(await volmig(['list', '-c', 'ID', '-c', 'Hots'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "Error: unknown column for -c: 'Hots' (the columns of volmig list: ID, Name, Status, Size, Host, Migration, Type, Project, Name ID, Progress, Destination)\n",
    });
    const bad = await volmig(['list', '-f', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'Error: option \'-f, --format <format>\' argument \'xml\' is invalid. Allowed choices are table, json, yaml, value, csv.\n(run volmig help <command> for usage)\n',
    );
  });

  test('--json with another -f contradicts itself (exit 2); -f json --json is fine', async () => {
    expect(await volmig(['list', '--json', '-f', 'csv'])).toEqual({ code: 2, stdout: '', stderr: 'Error: --json and -f csv contradict each other (--json is -f json)\n' });
    cinderApi().get('/volumes/detail').reply(200, { volumes: [] });
    expect((await volmig(['--json', 'list', '-f', 'json'])).stdout).toBe('[]\n');
  });

  test('an empty listing: nothing on stdout in value, the header in csv; the message on stderr', async () => {
    cinderApi().get('/volumes/detail').reply(200, { volumes: [] });
    expect(await volmig(['list', '-f', 'value'])).toEqual({ code: 0, stdout: '', stderr: 'No volumes found in project admin (--all-projects lists every project).\n' });
    cinderApi().get('/volumes/detail').reply(200, { volumes: [] });
    expect((await volmig(['list', '-f', 'csv', '-c', 'ID'])).stdout).toBe('"ID"\n');
  });
});

describe('the settings file\'s output key', () => {
  test('yaml, value or csv apply to the commands with -f; -f on the command line wins', async () => {
    await writeFile(join(cwd, '.volmigrc.json'), JSON.stringify({ output: 'value' }));
    cinderApi().get('/volumes/detail').reply(200, { volumes: [a] });
    expect((await volmig(['list', '-c', 'ID'], { cwd })).stdout).toBe(`${a.id}\n`);
    cinderApi().get('/volumes/detail').reply(200, { volumes: [a] });
    expect((await volmig(['list', '-c', 'ID', '-f', 'table'], { cwd })).stdout).toBe(`ID\n${a.id}\n`);
    cinderApi().get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: POOLS });
    expect((await volmig(['pools', '-c', 'name'], { cwd })).stdout).toBe('lvm1@lvm#fast\nrealcinder@ceph-a#ceph-a\nrealcinder@ceph-b#ceph-b\n');
  });

  test('json applies to every command, as --json; -f table overrides it where -f exists', async () => {
    await writeFile(join(cwd, '.volmigrc.json'), JSON.stringify({ output: 'json' }));
    cinderApi().get('/volumes/detail').reply(200, { volumes: [a] });
    expect(JSON.parse((await volmig(['list'], { cwd })).stdout)).toEqual([a]);
    cinderApi().get('/volumes/detail').reply(200, { volumes: [a] });
    expect((await volmig(['list', '-f', 'table', '-c', 'name'], { cwd })).stdout).toBe('Name\ndb-1\n');
    // migrate has no -f: json from the settings makes its output JSON lines.
    const api = cinderApi();
    api.get(`/volumes/${SOURCE_ID}`).reply(404, { itemNotFound: { code: 404, message: `Volume ${SOURCE_ID} could not be found.` } });
    api.get('/volumes/detail').query({ name: SOURCE_ID, all_tenants: '1' }).reply(200, { volumes: [] });
    const migrate = await volmig(['migrate', SOURCE_ID, 'realcinder@ceph-a#ceph-a', '--dry-run'], { cwd });
    expect(migrate.code).toBe(3);
    expect(JSON.parse(migrate.stdout)).toMatchObject({ event: 'rejected', volume: SOURCE_ID, exit_code: 3 });
  });

  test('a value that is no format is a usage error naming the file and the formats', async () => {
    const file = join(cwd, '.volmigrc.json');
    await writeFile(file, JSON.stringify({ output: 'xml' }));
    const r = await volmig(['list'], { cwd });
    expect(r).toEqual({ code: 2, stdout: '', stderr: `Error: ${file}: setting 'output' must be one of "table", "json", "yaml", "value", "csv", not "xml"\n` });
  });

  test('yaml in the settings leaves migrate (no -f) to its own output', async () => {
    await writeFile(join(cwd, '.volmigrc.json'), JSON.stringify({ output: 'yaml' }));
    const api = cinderApi();
    api.get(`/volumes/${SOURCE_ID}`).reply(404, { itemNotFound: { code: 404, message: `Volume ${SOURCE_ID} could not be found.` } });
    api.get('/volumes/detail').query({ name: SOURCE_ID, all_tenants: '1' }).reply(200, { volumes: [] });
    const r = await volmig(['migrate', SOURCE_ID, 'realcinder@ceph-a#ceph-a', '--dry-run'], { cwd });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Your migration request failed to process: No volume with a name or ID of/);
  });
});

describe('volmig show and pools -f / -c', () => {
  test('show -f value -c: the chosen fields\' values, one per line; names as the view writes its keys', async () => {
    const api = cinderApi();
    api.get(`/volumes/${SOURCE_ID}`).reply(200, { volume: { ...migratingSource, migration_progress: '42' } });
    api.get('/volumes/detail').query({ migration_status: `target:${SOURCE_ID}`, all_tenants: '1', limit: '1' }).reply(200, { volumes: [migrationTarget] });
    const r = await volmig(['show', SOURCE_ID, '-f', 'value', '-c', 'Migration Status', '-c', 'status', '-c', 'migration target', '-c', 'migration progress']);
    expect(r).toEqual({ code: 0, stderr: '', stdout: `maintenance\nmigrating\n42\n${TARGET_ID}\n` });
  });

  test('show -c in the table view prints only those lines, absent ones as -', async () => {
    cinderApi().get(`/volumes/${a.id}`).reply(200, { volume: a });
    const r = await volmig(['show', a.id, '-c', 'host', '-c', 'destination host', '-c', 'id']);
    expect(r.stdout).toBe(`id:                  ${a.id}\nhost:                realcinder@ceph-a#ceph-a\ndestination host:    -\n`);
  });

  test('show -f csv / yaml / json -c; an unknown field names the valid ones, before any request', async () => {
    cinderApi().get(`/volumes/${a.id}`).reply(200, { volume: a });
    expect((await volmig(['show', a.id, '-f', 'csv', '-c', 'id', '-c', 'size', '-c', 'attachments'])).stdout).toBe(`"id","size","attachments"\n"${a.id}",10,"[]"\n`);
    cinderApi().get(`/volumes/${a.id}`).reply(200, { volume: a });
    expect((await volmig(['show', a.id, '-f', 'yaml', '-c', 'name', '-c', 'migration status'])).stdout).toBe('name: db-1\nmigration status: null\n');
    cinderApi().get(`/volumes/${a.id}`).reply(200, { volume: a });
    expect(JSON.parse((await volmig(['show', a.id, '-f', 'json'])).stdout)).toEqual({ ...a, volmig: { target: null } });
    const bad = await volmig(['show', a.id, '-c', 'hostname']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "Error: unknown column for -c: 'hostname' (the columns of volmig show: id, name, status, size, type, host, migration status, migration progress, migration target, destination host, name_id, attachments, project, availability zone, created, updated)\n",
    );
  });

  test('pools -f csv and value: the capability as a boolean, capacities as the API gives them', async () => {
    cinderApi().get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: POOLS });
    const r = await volmig(['pools', '-f', 'csv']);
    expect(r.stdout).toBe(
      [
        '"Name","Backend","Free","Total","Progress report"',
        '"lvm1@lvm#fast","lvm","unknown","infinite",False',
        '"realcinder@ceph-a#ceph-a","ceph-a",12.25,18.7,True',
        '"realcinder@ceph-b#ceph-b","ceph-b",18.7,18.7,""',
        '',
      ].join('\n'),
    );
    cinderApi().get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: POOLS });
    expect((await volmig(['pools', '-f', 'value', '-c', 'name', '-c', 'report interval', '--no-headers'])).stdout).toBe(
      'lvm1@lvm#fast None\nrealcinder@ceph-a#ceph-a 5\nrealcinder@ceph-b#ceph-b None\n',
    );
  });
});

describe('a listing that fails', () => {
  test('before its first page: nothing on stdout in any format, exit 6', async () => {
    for (const format of ['table', 'value', 'csv', 'json', 'yaml']) {
      cinderApi().get('/volumes/detail').times(4).reply(503, { serviceUnavailable: { code: 503, message: 'down' } });
      const r = await volmig(['list', '-f', format]);
      expect(r.code, format).toBe(6);
      expect(r.stdout, format).toBe('');
    }
  });
});
