import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { stripVTControlCharacters } from 'node:util';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CINDER, KEYSTONE, KEYSTONE_401, PROJECT, tokenBody } from '../api/fixtures.js';
import { nock, useNock, versionsDocument } from '../helpers/nock.js';
import { runVolmig, type RunResult } from '../helpers/run.js';
import { FakeRbd } from '../helpers/fake-rbd.js';
import { HeadlessTerminal } from '../helpers/screen.js';
import { VERSIONS_ATTEMPTS } from '../../src/api/microversion.js';

useNock();

const PASSWORD = 'pa55-Doctor-SECRET';
const TOKEN = 'gAAAAA-doctor-token-SECRET';
const APP_SECRET = 'appcred-Doctor-SECRET';
const FSID = '09bf89f8-ea39-4580-8e39-7f3af9559968';
const API = `${CINDER}/v3/${PROJECT}`;
const RBD_POOLS = ['a', 'b'].map((x) => ({
  name: `realcinder@ceph-${x}#ceph-${x}`,
  capabilities: { storage_protocol: 'ceph', volume_backend_name: `ceph-${x}`, location_info: `ceph:/etc/ceph/ceph.conf:${FSID}:None:volumes-${x}` },
}));

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'volmig-doctor-'));
  await mkdir(join(home, '.config', 'openstack'), { recursive: true });
  await writeFile(
    join(home, '.config', 'openstack', 'clouds.yaml'),
    [
      'clouds:',
      '  prod:',
      '    auth:',
      `      auth_url: ${KEYSTONE}/v3`,
      '      username: admin',
      '      project_name: admin',
      '      user_domain_name: Default',
      '      project_domain_name: Default',
      '    region_name: RegionOne',
      '',
    ].join('\n'),
  );
  await writeFile(join(home, '.config', 'openstack', 'secure.yaml'), `clouds:\n  prod:\n    auth:\n      password: "${PASSWORD}"\n`);
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** volmig in-process with a HOME of its own; a leftover token and application-credential secret in the environment. */
function doctor(args: string[] = [], env: Record<string, string> = {}): Promise<RunResult> {
  return runVolmig(['doctor', ...args], {
    env: { HOME: home, SHELL: '/bin/bash', OS_CLOUD: 'prod', OS_APPLICATION_CREDENTIAL_SECRET: APP_SECRET, ...env },
    cwd: home,
  });
}

function keystone(status = 201): void {
  nock(KEYSTONE)
    .post('/v3/auth/tokens')
    .reply(status, status === 201 ? tokenBody() : KEYSTONE_401, status === 201 ? { 'X-Subject-Token': TOKEN } : {});
}

/** The versions document (connect, then doctor's own read of the range) and the first listing. */
function cinder(max = '3.70'): nock.Scope {
  nock(CINDER).get('/').times(2).reply(300, versionsDocument(max, '3.0', CINDER));
  const api = nock(API);
  api.get('/volumes/detail').query({ limit: '1' }).reply(200, { volumes: [] });
  return api;
}

function noSecrets(r: RunResult): void {
  for (const secret of [PASSWORD, TOKEN, APP_SECRET]) {
    expect(r.stdout, secret).not.toContain(secret);
    expect(r.stderr, secret).not.toContain(secret);
  }
}

describe('volmig doctor (in-process, nock)', () => {
  test('a password cloud, an admin: every source named, the endpoints and microversions, ready (exit 0), no secret printed', async () => {
    keystone();
    const api = cinder();
    api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: RBD_POOLS });
    api.get('/os-services').query({ binary: 'cinder-volume' }).reply(200, { services: [] });
    const r = await doctor([], { PATH: '/nonexistent' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const files = join(home, '.config', 'openstack');
    expect(r.stdout.split('\n').slice(0, 14)).toEqual([
      'Configuration',
      '  settings file:      -',
      `  clouds.yaml:        ${files}/clouds.yaml (cloud prod, chosen by OS_CLOUD)`,
      `  secure.yaml:        ${files}/secure.yaml`,
      '  environment:        OS_CLOUD, OS_APPLICATION_CREDENTIAL_SECRET',
      '  flags:              -',
      '  auth:               password, user admin, project admin',
      '  region, interface:  RegionOne, public',
      'Endpoints',
      `  identity:           ${KEYSTONE}/v3`,
      `  block storage:      ${API} (from the catalog)`,
      '  microversion:       3.70 in use (server 3.0 to 3.70, volmig up to 3.72)',
      'Checks',
      `  ok    configuration      cloud 'prod' from ${files}/clouds.yaml (+ ${files}/secure.yaml)`,
    ]);
    expect(r.stdout).toContain(`  ok    authentication     Keystone issued a token; the Block Storage API accepts it (project ${PROJECT})\n`);
    expect(r.stdout).toContain('  ok    may migrate        yes: get_pools (2 pools) and os-services answered; these credentials may migrate\n');
    expect(r.stdout).toContain(
      "  no    progress: server   no migration_progress: it needs microversion 3.72, and the server's newest microversion is 3.70 (upstream Cinder has no migration_progress yet)\n",
    );
    expect(r.stdout).toContain(`  no    progress: ceph     cluster ${FSID}: rbd not installed (apt install ceph-common)\n`);
    expect(r.stdout).toMatch(/\n {2}no {4}completion {9}not installed for bash\n {27}→ volmig completion bash > ~\/\.local\/share\/bash-completion\/completions\/volmig\n/);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('Ready: volmig authenticates and reaches the Block Storage API, and these credentials may migrate.');
    noSecrets(r);
  });

  test('on a terminal the checks are wrapped under their column, so nothing is folded at the edge; a pipe gets whole lines', async () => {
    const run = async (stdoutTTY: boolean) => {
      keystone();
      const api = cinder();
      api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: RBD_POOLS });
      api.get('/os-services').query({ binary: 'cinder-volume' }).reply(200, { services: [] });
      return runVolmig(['doctor'], { env: { HOME: home, SHELL: '/bin/bash', OS_CLOUD: 'prod', PATH: '/nonexistent' }, cwd: home, stdoutTTY });
    };
    const tty = await run(true);
    expect(tty.code).toBe(0);
    // The capture is a 100-column terminal: what it shows, row by row, is exactly the lines written.
    const term = new HeadlessTerminal(100, 60);
    term.write(tty.stdout);
    const screen = await term.screen();
    const written = stripVTControlCharacters(tty.stdout).trimEnd().split('\n').map((l) => l.trimEnd());
    expect(screen.text.split('\n')).toEqual(written);
    const checks = written.slice(written.indexOf('Checks') + 1, -1);
    expect(checks.every((l) => l.length <= 100)).toBe(true);
    // The long progress: server text goes on under its own column, not under the check names.
    const server = checks.findIndex((l) => l.startsWith('  no    progress: server   no migration_progress:'));
    expect(checks[server + 1]).toMatch(/^ {27}\S/);
    expect(checks.join(' ').replace(/ +/g, ' ')).toContain("it needs microversion 3.72, and the server's newest microversion is 3.70 (upstream Cinder has no migration_progress yet)");
    // A command to copy stays whole on its line: too long for the column, it moves left.
    expect(checks).toContain('    → volmig completion bash > ~/.local/share/bash-completion/completions/volmig');
    expect(written.every((l) => l.length <= 100)).toBe(true);

    const piped = await run(false);
    expect(piped.stdout).toContain("  no    progress: server   no migration_progress: it needs microversion 3.72, and the server's newest microversion is 3.70 (upstream Cinder has no migration_progress yet)\n");
  });

  test('RBD pools with rbd on PATH and a ceph.conf of their cluster: the ceph source is available (rbd is not run)', async () => {
    const rbd = new FakeRbd();
    try {
      const conf = join(home, 'ceph.conf');
      await writeFile(conf, `[global]\nfsid = ${FSID}\n`);
      keystone();
      const api = cinder();
      api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: RBD_POOLS });
      api.get('/os-services').query({ binary: 'cinder-volume' }).reply(200, { services: [] });
      const r = await doctor([], { ...rbd.env, CEPH_CONF: conf });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`  ok    progress: ceph     cluster ${FSID} (2 pools): ${join(rbd.dir, 'rbd')} with ${conf} (CEPH_CONF)\n`);
      expect(r.stdout).toContain('  environment:        OS_CLOUD, OS_APPLICATION_CREDENTIAL_SECRET, CEPH_CONF\n');
    } finally {
      rbd.remove();
    }
  });

  test('--json: the same facts as one document; --debug logs requests without a secret', async () => {
    keystone();
    const api = cinder();
    api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: [] });
    api.get('/os-services').query({ binary: 'cinder-volume' }).reply(200, { services: [] });
    const r = await doctor(['--json', '--debug']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      configuration: { cloud: 'prod', cloud_selected_by: 'OS_CLOUD', auth_type: 'password', user: 'admin', project: 'admin', region: 'RegionOne', flags: [] },
      endpoints: { identity: `${KEYSTONE}/v3`, block_storage: API, block_storage_from: 'catalog', microversion: '3.70', server_min_microversion: '3.0', server_max_microversion: '3.70', volmig_max_microversion: '3.72', pinned: null },
      exit_code: 0,
      error: null,
    });
    expect(report.checks.map((c: { name: string; ok: boolean | null }) => [c.name, c.ok])).toEqual([
      ['configuration', true],
      ['authentication', true],
      ['block-storage', true],
      ['admin', true],
      ['progress-server', false],
      ['progress-ceph', null],
      ['progress-process', true],
      ['completion', false],
    ]);
    expect(r.stderr).toContain('[debug] > POST http://keystone.test:5000/v3/auth/tokens');
    noSecrets(r);
  });

  test('volume_api_version: 3 in clouds.yaml negotiates (not a pin); 3.60 pins', async () => {
    await writeFile(join(home, '.config', 'openstack', 'clouds.yaml'), (await import('node:fs')).readFileSync(join(home, '.config', 'openstack', 'clouds.yaml'), 'utf8') + '    volume_api_version: 3\n');
    keystone();
    const api = cinder();
    api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: [] });
    api.get('/os-services').query({ binary: 'cinder-volume' }).reply(200, { services: [] });
    const r = await doctor();
    expect(r.stdout).toContain('  microversion:       3.70 in use (server 3.0 to 3.70, volmig up to 3.72)\n');
    keystone();
    const pinned = cinder();
    pinned.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: [] });
    pinned.get('/os-services').query({ binary: 'cinder-volume' }).reply(200, { services: [] });
    const r2 = await doctor([], { OS_VOLUME_API_VERSION: '3.60' });
    expect(r2.stdout).toContain('  microversion:       3.60 in use (pinned to 3.60) (server 3.0 to 3.70, volmig up to 3.72)\n');
  });

  test('a wrong password: authentication fails, exit 4, the rest not checked, still no secret', async () => {
    keystone(401);
    const r = await doctor();
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('  FAIL  authentication     Keystone refused the password (HTTP 401): The request you have made requires authentication.\n');
    expect(r.stdout).toContain('  -     block storage      not checked (authentication failed)\n');
    expect(r.stdout).toContain('Not ready (exit 4): Keystone refused the password (HTTP 401)');
    expect(r.stderr).toBe('Error: Keystone refused the password (HTTP 401): The request you have made requires authentication.\n');
    noSecrets(r);
  });

  test('a member, not an admin: get_pools and os-services 403 say it may not migrate, and doctor still exits 0', async () => {
    keystone();
    const api = cinder('3.72');
    const forbidden = (what: string) => ({ forbidden: { code: 403, message: `Policy doesn't allow ${what} to be performed.` } });
    api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(403, forbidden('scheduler_extension:scheduler_stats:get_pools'));
    api.get('/os-services').query({ binary: 'cinder-volume' }).reply(403, forbidden('volume_extension:services:index'));
    const r = await doctor();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "  no    may migrate        no: these credentials may not migrate (get_pools: Policy doesn't allow scheduler_extension:scheduler_stats:get_pools to be performed.; os-services: Policy doesn't allow volume_extension:services:index to be performed.)\n",
    );
    expect(r.stdout).toContain('  ok    progress: server   migration_progress at microversion 3.72\n');
    expect(r.stdout).toContain('  -     progress: ceph     could not be told: the pools could not be read (an admin role is needed for get_pools)\n');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('Ready: volmig authenticates and reaches the Block Storage API, but these credentials may not migrate (no admin role).');
  });

  test('a pre-issued token the Block Storage API refuses: exit 4 (no Keystone involved), the token never printed', async () => {
    nock(CINDER).get('/').reply(300, versionsDocument('3.70', '3.0', CINDER));
    nock(`${CINDER}/v3/p1`).get('/volumes/detail').query({ limit: '1' }).reply(401, { error: { code: 401, message: 'The request you have made requires authentication.' } });
    nock(CINDER).get('/').reply(300, versionsDocument('3.70', '3.0', CINDER));
    const r = await doctor([], { OS_CLOUD: '', OS_AUTH_TYPE: 'token', OS_TOKEN: TOKEN, OS_ENDPOINT: `${CINDER}/v3/p1` });
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('  FAIL  authentication     the Block Storage API refused the token: The request you have made requires authentication.\n');
    expect(r.stdout).toContain('  environment:        OS_AUTH_TYPE, OS_ENDPOINT, OS_TOKEN, OS_APPLICATION_CREDENTIAL_SECRET\n');
    noSecrets(r);
  });

  test('an application credential: named by its id, the secret never printed', async () => {
    nock(KEYSTONE).post('/v3/auth/tokens').reply(201, tokenBody(), { 'X-Subject-Token': TOKEN });
    const api = cinder();
    api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: [] });
    api.get('/os-services').query({ binary: 'cinder-volume' }).reply(200, { services: [] });
    const r = await doctor([], {
      OS_CLOUD: '',
      OS_AUTH_TYPE: 'v3applicationcredential',
      OS_AUTH_URL: `${KEYSTONE}/v3`,
      OS_APPLICATION_CREDENTIAL_ID: 'ac-1234',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  auth:               v3applicationcredential, user application credential ac-1234\n');
    noSecrets(r);
  });

  test('the API unreachable: exit 6; nothing configured: exit 2 with the ways to configure; a broken settings file: exit 2 naming it', async () => {
    nock(CINDER).get('/').times(VERSIONS_ATTEMPTS).replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    const down = await runVolmig(['doctor'], { env: { HOME: home, OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: `${CINDER}/v3`, OS_PROJECT_ID: 'admin' }, sleep: async () => {} });
    expect(down.code).toBe(6);
    expect(down.stdout).toMatch(/\n {2}FAIL {2}block storage {6}cannot reach http:\/\/cinder\.test:8776\//);

    const none = await runVolmig(['doctor'], { env: { HOME: home } });
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('  FAIL  configuration      no cloud configured: volmig does not know which Block Storage API to talk to. Point it at one in any of these ways:\n');
    expect(none.stdout).toContain('                           - OS_* environment variables, e.g. from an openrc file:');
    expect(none.stderr).toBe('Error: no cloud configured: volmig does not know which Block Storage API to talk to. Point it at one in any of these ways:\n');

    const settings = join(home, '.volmigrc.json');
    await writeFile(settings, '{"output": "xml"}');
    const broken = await runVolmig(['doctor'], { env: { HOME: home, OS_CLOUD: 'prod' }, cwd: home });
    expect(broken.code).toBe(2);
    expect(broken.stdout).toContain(`  FAIL  configuration      ${settings}: setting 'output' must be one of`);
  });

  test('completion found in the bash-completion user directory, or sourced from ~/.bashrc; output: json in the settings makes the report JSON', async () => {
    keystone();
    const api = cinder();
    api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: [] });
    api.get('/os-services').query({ binary: 'cinder-volume' }).reply(200, { services: [] });
    const dir = join(home, '.local', 'share', 'bash-completion', 'completions');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'volmig'), '# bash completion for volmig\n');
    await writeFile(join(home, '.zshrc'), 'source <(volmig completion zsh)\n');
    await writeFile(join(home, '.volmigrc.json'), '{"output": "json"}');
    const r = await doctor();
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.configuration.settings_file).toBe(join(home, '.volmigrc.json'));
    expect(report.checks.find((c: { name: string }) => c.name === 'completion')).toEqual({
      name: 'completion',
      ok: true,
      optional: true,
      detail: `installed: bash ${join(dir, 'volmig')}; zsh ${join(home, '.zshrc')} (volmig completion)`,
    });
  });
});
