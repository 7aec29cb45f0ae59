/**
 * Issue 15: an openrc or clouds.yaml that works with `openstack` works with volmig, and resolves the same way.
 *
 * Each expected Keystone request body below is the one `openstack volume list` (python-openstackclient 6.0,
 * osc-lib 2.6.2, openstacksdk 0.101.0, keystoneauth1 5.0.0, Debian bookworm) sent for the same configuration to a
 * recording fake Keystone on loopback; the Block Storage endpoint it then used is given the same way. Where volmig
 * differs on purpose (its flags always win), the test says so. volmig runs in-process (`pools --json`) against nock.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nock, useNock, versionsDocument } from '../helpers/nock.js';
import { runVolmig } from '../helpers/run.js';
import { KEYSTONE, PROJECT, tokenBody, type CatalogRow } from '../api/fixtures.js';

useNock();

let root: string;
let home: string;
let cwd: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'volmig-osc-'));
  home = join(root, 'home');
  cwd = join(root, 'work');
  await mkdir(cwd, { recursive: true });
  await mkdir(home, { recursive: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function write(file: string, text: string): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}
const homeClouds = (text: string) => write(join(home, '.config/openstack/clouds.yaml'), text);

/** One Block Storage host per service type, region and interface, so the URL volmig calls says which it chose. */
function bsHost(type: string, region: string, iface: string): string {
  return `http://${type}-${region}-${iface}.test:8776`.toLowerCase();
}
const CATALOG: CatalogRow[] = [['identity', 'public', 'RegionOne', `${KEYSTONE}/v3/`]];
for (const type of ['block-storage', 'volumev3']) {
  for (const region of ['RegionOne', 'RegionTwo', 'RegionThree']) {
    for (const iface of ['public', 'internal', 'admin']) CATALOG.push([type, iface, region, `${bsHost(type, region, iface)}/v3/${PROJECT}`]);
  }
}

/** Keystone accepting any token request, recording each body. */
function keystone(status = 201, answer: unknown = tokenBody(CATALOG)): unknown[] {
  const bodies: unknown[] = [];
  nock(KEYSTONE)
    .post('/v3/auth/tokens', (body) => {
      bodies.push(body);
      return true;
    })
    .reply(status, answer as nock.Body, status === 201 ? { 'X-Subject-Token': 'tok-1' } : {});
  return bodies;
}

/** The Block Storage API at `root`: versions document, then the pools; records the microversion asked for. */
function blockStorage(root: string, base = `/v3/${PROJECT}`, max = '3.70'): { microversions: string[] } {
  const microversions: string[] = [];
  nock(root).get('/').reply(300, versionsDocument(max, '3.0', root));
  nock(root)
    .get(`${base}/scheduler-stats/get_pools?detail=true`)
    .matchHeader('openstack-api-version', (value) => {
      microversions.push(value);
      return true;
    })
    .reply(200, { pools: [{ name: 'h@b#p', capabilities: {} }] });
  return { microversions };
}

function pools(env: Record<string, string>, args: string[] = []) {
  return runVolmig([...args, 'pools', '--json'], { env: { HOME: home, ...env }, cwd });
}

const OPENRC = {
  OS_AUTH_URL: `${KEYSTONE}/v3`,
  OS_USERNAME: 'admin',
  OS_PASSWORD: 'pw-s3cret',
  OS_PROJECT_NAME: 'admin',
};

/** keystoneauth's password request body (identity v3). */
function passwordBody(user: Record<string, unknown>, scope: Record<string, unknown>) {
  return { auth: { identity: { methods: ['password'], password: { user } }, scope } };
}

const PUBLIC_ONE = bsHost('block-storage', 'RegionOne', 'public');

describe('1. identity v3 with no domains: the default domain, as osc-lib sends it', () => {
  it('OS_IDENTITY_API_VERSION=3, no OS_*_DOMAIN_*: user and project in domain id `default`', async () => {
    const bodies = keystone();
    blockStorage(PUBLIC_ONE);
    const r = await pools({ ...OPENRC, OS_IDENTITY_API_VERSION: '3' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(bodies).toEqual([
      passwordBody({ name: 'admin', domain: { id: 'default' }, password: 'pw-s3cret' }, { project: { name: 'admin', domain: { id: 'default' } } }),
    ]);
  });

  it('identity_api_version: 3 in clouds.yaml does the same; OS_DEFAULT_DOMAIN names another domain', async () => {
    await homeClouds(`clouds:\n  c1:\n    auth:\n      auth_url: ${KEYSTONE}/v3\n      username: u\n      password: p\n      project_name: pn\n    identity_api_version: 3\n`);
    const a = keystone();
    blockStorage(PUBLIC_ONE);
    expect((await pools({ OS_CLOUD: 'c1' })).code).toBe(0);
    expect(a).toEqual([passwordBody({ name: 'u', domain: { id: 'default' }, password: 'p' }, { project: { name: 'pn', domain: { id: 'default' } } })]);

    const b = keystone();
    blockStorage(PUBLIC_ONE);
    expect((await pools({ OS_CLOUD: 'c1', OS_DEFAULT_DOMAIN: 'dom1' })).code).toBe(0);
    expect(b).toEqual([passwordBody({ name: 'u', domain: { id: 'dom1' }, password: 'p' }, { project: { name: 'pn', domain: { id: 'dom1' } } })]);
  });

  it('without an identity API version no domain is sent (as openstack), and Keystone’s 400 is exit 4', async () => {
    const bodies = keystone(400, {
      error: { code: 400, title: 'Bad Request', message: 'Expecting to find domain in project. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.' },
    });
    const r = await pools(OPENRC);
    expect(bodies).toEqual([passwordBody({ name: 'admin', password: 'pw-s3cret' }, { project: { name: 'admin' } })]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(
      'Error: Keystone refused the password (HTTP 400): Expecting to find domain in project. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.',
    );
  });
});

const C1 = `clouds:
  c1:
    auth:
      auth_url: ${KEYSTONE}/v3
      username: cloud-user
      password: cloud-pw
      project_name: cloud-project
      user_domain_name: CloudUD
      project_domain_name: CloudPD
    identity_api_version: 3
`;

describe('2. OS_CLOUD and OS_* together: the cloud’s project and domains win, other OS_* values win', () => {
  it('OS_CLOUD=c1 OS_PROJECT_NAME=other (and user, password, domains in the environment)', async () => {
    await homeClouds(C1);
    const bodies = keystone();
    blockStorage(PUBLIC_ONE);
    const r = await pools({
      OS_CLOUD: 'c1',
      OS_PROJECT_NAME: 'other',
      OS_USERNAME: 'env-user',
      OS_PASSWORD: 'env-pw',
      OS_PROJECT_DOMAIN_NAME: 'envPD',
      OS_USER_DOMAIN_NAME: 'envUD',
    });
    expect(r.code).toBe(0);
    expect(bodies).toEqual([
      passwordBody({ name: 'env-user', domain: { name: 'CloudUD' }, password: 'env-pw' }, { project: { name: 'cloud-project', domain: { name: 'CloudPD' } } }),
    ]);
  });

  it('OS_PROJECT_ID with a cloud that names its project: both reach keystoneauth, which scopes by id (as openstack)', async () => {
    await homeClouds(C1);
    const bodies = keystone();
    blockStorage(PUBLIC_ONE);
    expect((await pools({ OS_CLOUD: 'c1', OS_PROJECT_ID: 'envpid' })).code).toBe(0);
    expect(bodies).toEqual([passwordBody({ name: 'cloud-user', domain: { name: 'CloudUD' }, password: 'cloud-pw' }, { project: { id: 'envpid' } })]);
  });

  it('volmig’s rule: --os-project-name and --os-project-domain-name win over the cloud (openstack keeps the cloud’s)', async () => {
    await homeClouds(C1);
    const bodies = keystone();
    blockStorage(PUBLIC_ONE);
    const r = await pools({ OS_CLOUD: 'c1' }, ['--os-project-name', 'flagp', '--os-username', 'flagu', '--os-project-domain-name', 'flagPD']);
    expect(r.code).toBe(0);
    expect(bodies).toEqual([
      passwordBody({ name: 'flagu', domain: { name: 'CloudUD' }, password: 'cloud-pw' }, { project: { name: 'flagp', domain: { name: 'flagPD' } } }),
    ]);
  });

  it('--os-project-name replaces a cloud’s project_id (which keystoneauth would otherwise prefer)', async () => {
    await homeClouds(`clouds:\n  c1:\n    auth:\n      auth_url: ${KEYSTONE}/v3\n      user_id: uid\n      password: p\n      project_id: cloud-pid\n      project_domain_id: d\n`);
    const bodies = keystone();
    blockStorage(PUBLIC_ONE);
    expect((await pools({ OS_CLOUD: 'c1' }, ['--os-project-name', 'flagp'])).code).toBe(0);
    expect(bodies).toEqual([passwordBody({ id: 'uid', password: 'p' }, { project: { name: 'flagp', domain: { id: 'd' } } })]);
  });
});

const REGIONS = (regions: string) => `clouds:
  c1:
    auth:
      auth_url: ${KEYSTONE}/v3
      username: u
      password: p
      project_id: ${PROJECT}
      user_domain_id: d
${regions}
`;

describe('3. regions: the list is honoured and checked, "A,B" is a list', () => {
  it('no region asked for: the first of `regions:`', async () => {
    await homeClouds(REGIONS('    regions: [RegionTwo, RegionThree]'));
    keystone();
    blockStorage(bsHost('block-storage', 'RegionTwo', 'public'));
    expect((await pools({ OS_CLOUD: 'c1' })).code).toBe(0);
  });

  it('OS_REGION_NAME in the list is used', async () => {
    await homeClouds(REGIONS('    regions: [RegionTwo, RegionThree]'));
    keystone();
    blockStorage(bsHost('block-storage', 'RegionThree', 'public'));
    expect((await pools({ OS_CLOUD: 'c1', OS_REGION_NAME: 'RegionThree' })).code).toBe(0);
  });

  it('a region outside the list: exit 2 before any request, naming the valid ones', async () => {
    await homeClouds(REGIONS('    regions: [RegionTwo, RegionThree]'));
    const r = await pools({ OS_CLOUD: 'c1', OS_REGION_NAME: 'RegionOne' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "Error: region 'RegionOne' (OS_REGION_NAME) is not a region of cloud 'c1': its regions are RegionTwo, RegionThree (region names are case sensitive)\n",
    );
    const flag = await pools({ OS_CLOUD: 'c1' }, ['--os-region-name', 'regiontwo']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("region 'regiontwo' (--os-region-name) is not a region of cloud 'c1'");
  });

  it('region_name: "RegionThree,RegionTwo" is the list [RegionThree, RegionTwo]', async () => {
    await homeClouds(REGIONS('    region_name: RegionThree,RegionTwo'));
    keystone();
    blockStorage(bsHost('block-storage', 'RegionThree', 'public'));
    expect((await pools({ OS_CLOUD: 'c1' })).code).toBe(0);
    keystone();
    blockStorage(bsHost('block-storage', 'RegionTwo', 'public'));
    expect((await pools({ OS_CLOUD: 'c1', OS_REGION_NAME: 'RegionTwo' })).code).toBe(0);
  });

  it('a region’s values apply in that region (interface internal in RegionTwo, an endpoint override in RegionThree)', async () => {
    await homeClouds(
      REGIONS(`    regions:
      - name: RegionTwo
        values:
          interface: internal
      - name: RegionThree
        values:
          block_storage_endpoint_override: http://override.test:8776/v3/%(project_id)s`),
    );
    keystone();
    blockStorage(bsHost('block-storage', 'RegionTwo', 'internal'));
    expect((await pools({ OS_CLOUD: 'c1' })).code).toBe(0);
    keystone();
    blockStorage('http://override.test:8776');
    expect((await pools({ OS_CLOUD: 'c1', OS_REGION_NAME: 'RegionThree' })).code).toBe(0);
  });
});

const PER_SERVICE = (keys: string) => REGIONS(keys);

describe('4. per-service keys', () => {
  it('volumev3_endpoint_override (with the %(project_id)s template) is where requests go', async () => {
    await homeClouds(PER_SERVICE('    volumev3_endpoint_override: http://override.test:8776/v3/%(project_id)s'));
    keystone();
    blockStorage('http://override.test:8776');
    expect((await pools({ OS_CLOUD: 'c1' })).code).toBe(0);
  });

  it('block_storage_endpoint_override beats volumev3_endpoint_override (openstacksdk’s alias order)', async () => {
    await homeClouds(
      PER_SERVICE('    block_storage_endpoint_override: http://bs.test:8776/v3/bs\n    volumev3_endpoint_override: http://v3.test:8776/v3/v3'),
    );
    keystone();
    blockStorage('http://bs.test:8776', '/v3/bs');
    expect((await pools({ OS_CLOUD: 'c1' })).code).toBe(0);
  });

  it('block_storage_interface, volume_interface and block_storage_region_name (openstacksdk’s keys)', async () => {
    await homeClouds(PER_SERVICE('    block_storage_interface: internal'));
    keystone();
    blockStorage(bsHost('block-storage', 'RegionOne', 'internal'));
    expect((await pools({ OS_CLOUD: 'c1' })).code).toBe(0);

    await homeClouds(PER_SERVICE('    volume_interface: admin\n    interface: internal'));
    keystone();
    blockStorage(bsHost('block-storage', 'RegionOne', 'admin'));
    expect((await pools({ OS_CLOUD: 'c1' })).code).toBe(0);

    await homeClouds(PER_SERVICE('    region_name: RegionThree\n    block_storage_region_name: RegionTwo'));
    keystone();
    blockStorage(bsHost('block-storage', 'RegionTwo', 'public'));
    expect((await pools({ OS_CLOUD: 'c1' })).code).toBe(0);
  });

  it('OS_INTERFACE and --os-interface still choose over block_storage_interface', async () => {
    await homeClouds(PER_SERVICE('    block_storage_interface: internal'));
    keystone();
    blockStorage(bsHost('block-storage', 'RegionOne', 'admin'));
    expect((await pools({ OS_CLOUD: 'c1', OS_INTERFACE: 'admin' })).code).toBe(0);
  });

  it("volume_api_version: '3.60' pins 3.60; unquoted 3.60 is the float 3.6 (openstack sends `volume 3.6` too); 3 negotiates", async () => {
    await homeClouds(PER_SERVICE("    volume_api_version: '3.60'"));
    keystone();
    const quoted = blockStorage(PUBLIC_ONE);
    expect((await pools({ OS_CLOUD: 'c1' })).code).toBe(0);
    expect(quoted.microversions).toEqual(['volume 3.60']);

    await homeClouds(PER_SERVICE('    volume_api_version: 3.60'));
    keystone();
    const float = blockStorage(PUBLIC_ONE);
    expect((await pools({ OS_CLOUD: 'c1' })).code).toBe(0);
    expect(float.microversions).toEqual(['volume 3.6']);

    await homeClouds(PER_SERVICE('    volume_api_version: 3'));
    keystone();
    const major = blockStorage(PUBLIC_ONE);
    expect((await pools({ OS_CLOUD: 'c1' })).code).toBe(0);
    expect(major.microversions).toEqual(['volume 3.70']);

    // OS_VOLUME_API_VERSION over the cloud's
    await homeClouds(PER_SERVICE("    volume_api_version: '3.60'"));
    keystone();
    const env = blockStorage(PUBLIC_ONE);
    expect((await pools({ OS_CLOUD: 'c1', OS_VOLUME_API_VERSION: '3.55' })).code).toBe(0);
    expect(env.microversions).toEqual(['volume 3.55']);
  });
});

const DOMAINLESS = (extra: string) =>
  `clouds:\n  c1:\n    auth:\n      auth_url: ${KEYSTONE}/v3\n      username: u\n      password: p\n      project_name: pn\n${extra}\n`;

describe('5. the auth.domain_id / domain_name shorthand, default_domain_id and OS_DEFAULT_DOMAIN', () => {
  it.each([
    ['      domain_id: did', { id: 'did' }, { id: 'did' }],
    ['    domain_id: did', { id: 'did' }, { id: 'did' }],
    ['      domain_name: dn', { name: 'dn' }, { name: 'dn' }],
    ['      default_domain_id: ddi', { id: 'ddi' }, { id: 'ddi' }],
    ['    default_domain_id: ddi', { id: 'ddi' }, { id: 'ddi' }],
    ['      default_domain_name: ddn', { name: 'ddn' }, { name: 'ddn' }],
    ['      user_domain_id: ud\n      default_domain_id: ddi', { id: 'ud' }, { id: 'ddi' }],
    // osc-lib fills the default domain first, so with identity API 3 default_domain_id never gets a say
    ['      default_domain_id: ddi\n    identity_api_version: 3', { id: 'default' }, { id: 'default' }],
    ['      domain_id: did\n    identity_api_version: 3', { id: 'did' }, { id: 'did' }],
  ])('%s', async (extra, userDomain, projectDomain) => {
    await homeClouds(DOMAINLESS(extra));
    const bodies = keystone();
    blockStorage(PUBLIC_ONE);
    const r = await pools({ OS_CLOUD: 'c1' });
    expect(r.stderr).toBe('');
    expect(bodies).toEqual([passwordBody({ name: 'u', domain: userDomain, password: 'p' }, { project: { name: 'pn', domain: projectDomain } })]);
  });

  it('OS_DEFAULT_DOMAIN_ID without an identity API version; OS_DOMAIN_ID with one', async () => {
    const a = keystone();
    blockStorage(PUBLIC_ONE);
    expect((await pools({ ...OPENRC, OS_DEFAULT_DOMAIN_ID: 'dom2' })).code).toBe(0);
    expect(a).toEqual([passwordBody({ name: 'admin', domain: { id: 'dom2' }, password: 'pw-s3cret' }, { project: { name: 'admin', domain: { id: 'dom2' } } })]);
    const b = keystone();
    blockStorage(PUBLIC_ONE);
    expect((await pools({ ...OPENRC, OS_DOMAIN_ID: 'envdom', OS_IDENTITY_API_VERSION: '3' })).code).toBe(0);
    expect(b).toEqual([
      passwordBody({ name: 'admin', domain: { id: 'envdom' }, password: 'pw-s3cret' }, { project: { name: 'admin', domain: { id: 'envdom' } } }),
    ]);
  });

  it('the flags: --os-identity-api-version 3 --os-default-domain, and --os-domain-name', async () => {
    const a = keystone();
    blockStorage(PUBLIC_ONE);
    expect((await pools(OPENRC, ['--os-identity-api-version', '3', '--os-default-domain', 'dom3'])).code).toBe(0);
    expect(a).toEqual([passwordBody({ name: 'admin', domain: { id: 'dom3' }, password: 'pw-s3cret' }, { project: { name: 'admin', domain: { id: 'dom3' } } })]);
    const b = keystone();
    blockStorage(PUBLIC_ONE);
    expect((await pools({ ...OPENRC, OS_DOMAIN_NAME: 'env-dn' }, ['--os-domain-name', 'flag-dn'])).code).toBe(0);
    expect(b).toEqual([
      passwordBody({ name: 'admin', domain: { name: 'flag-dn' }, password: 'pw-s3cret' }, { project: { name: 'admin', domain: { name: 'flag-dn' } } }),
    ]);
  });

  it('auth.default_domain is no keystoneauth option: exit 2 naming it (openstack fails on it too)', async () => {
    await homeClouds(DOMAINLESS('      default_domain: dd'));
    const r = await pools({ OS_CLOUD: 'c1' });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      "Error: auth of cloud 'c1' has 'default_domain', which the password plugin does not take (the openstack CLI fails on it too)",
    );
  });
});

describe('6. a leftover OS_APPLICATION_CREDENTIAL_SECRET does not turn a password openrc into an application credential', () => {
  it.each([
    [{ OS_APPLICATION_CREDENTIAL_SECRET: 'leftover' }],
    [{ OS_APPLICATION_CREDENTIAL_SECRET: 'leftover', OS_APPLICATION_CREDENTIAL_ID: 'acid' }],
  ])('%o', async (leftover) => {
    const bodies = keystone();
    blockStorage(PUBLIC_ONE);
    const r = await pools({ ...OPENRC, OS_IDENTITY_API_VERSION: '3', ...leftover });
    expect(r.code).toBe(0);
    expect(bodies).toEqual([
      passwordBody({ name: 'admin', domain: { id: 'default' }, password: 'pw-s3cret' }, { project: { name: 'admin', domain: { id: 'default' } } }),
    ]);
  });

  it('with OS_AUTH_TYPE=v3applicationcredential the application credential is used', async () => {
    const bodies = keystone();
    blockStorage(PUBLIC_ONE);
    const r = await pools({ OS_AUTH_URL: `${KEYSTONE}/v3`, OS_AUTH_TYPE: 'v3applicationcredential', OS_APPLICATION_CREDENTIAL_ID: 'acid', OS_APPLICATION_CREDENTIAL_SECRET: 's' });
    expect(r.code).toBe(0);
    expect(bodies).toEqual([{ auth: { identity: { methods: ['application_credential'], application_credential: { id: 'acid', secret: 's' } } } }]);
  });
});

describe('9. YAML scalars as PyYAML reads them, and profiles from clouds-public.yaml', () => {
  it('password: no is the boolean false: no password (openstack asks for one); exit 2 saying to quote it', async () => {
    await homeClouds(`clouds:\n  c1:\n    auth:\n      auth_url: ${KEYSTONE}/v3\n      username: u\n      password: no\n      project_id: p\n      user_domain_id: d\n`);
    const r = await pools({ OS_CLOUD: 'c1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `Error: password authentication (cloud 'c1' from ${join(home, '.config/openstack/clouds.yaml')}) is missing the password (OS_PASSWORD, --os-password, or auth.password in clouds.yaml/secure.yaml)\n` +
        'auth.password in clouds.yaml is an unquoted no, false or off, which YAML 1.1 (and so openstack) reads as the boolean false, not as text: quote it.\n',
    );
  });

  it.each([
    ['1e3', '1e3'],
    ['12345678901234567890', '12345678901234567890'],
    ['1.0e+3', '1000.0'],
    ['2001-01-01', '2001-01-01'],
    ["'0017'", '0017'],
    ['0017', '15'],
  ])('project_id: %s is sent as "%s"', async (yamlText, sent) => {
    await homeClouds(`clouds:\n  c1:\n    auth:\n      auth_url: ${KEYSTONE}/v3\n      username: u\n      password: p\n      project_id: ${yamlText}\n      user_domain_id: d\n`);
    const bodies = keystone();
    blockStorage(PUBLIC_ONE);
    const r = await pools({ OS_CLOUD: 'c1' });
    expect(r.code).toBe(0);
    expect(bodies).toEqual([passwordBody({ name: 'u', domain: { id: 'd' }, password: 'p' }, { project: { id: sent } })]);
  });

  it('username: 12345 and password: 12345 are sent as text (openstacksdk normalises numbers to str)', async () => {
    await homeClouds(`clouds:\n  c1:\n    auth:\n      auth_url: ${KEYSTONE}/v3\n      username: 12345\n      password: 12345\n      project_id: p\n      user_domain_id: d\n`);
    const bodies = keystone();
    blockStorage(PUBLIC_ONE);
    expect((await pools({ OS_CLOUD: 'c1' })).code).toBe(0);
    expect(bodies).toEqual([passwordBody({ name: '12345', domain: { id: 'd' }, password: '12345' }, { project: { id: 'p' } })]);
  });

  it('profile: from a local clouds-public.yaml, the cloud’s own keys over it', async () => {
    await write(
      join(cwd, 'clouds-public.yaml'),
      `public-clouds:\n  acme:\n    auth:\n      auth_url: ${KEYSTONE}/v3\n      user_domain_name: AcmeUsers\n    regions: [RegionTwo, RegionThree]\n    identity_api_version: 3\n`,
    );
    await homeClouds('clouds:\n  mine:\n    profile: acme\n    auth:\n      username: u\n      password: p\n      project_name: pn\n');
    const bodies = keystone();
    blockStorage(bsHost('block-storage', 'RegionTwo', 'public'));
    const r = await pools({ OS_CLOUD: 'mine' });
    expect(r.code).toBe(0);
    expect(bodies).toEqual([passwordBody({ name: 'u', domain: { name: 'AcmeUsers' }, password: 'p' }, { project: { name: 'pn', domain: { id: 'default' } } })]);
  });

  it('a profile that no local clouds-public.yaml defines: exit 2, nothing fetched', async () => {
    await homeClouds('clouds:\n  mine:\n    profile: vexxhost\n    auth:\n      username: u\n      password: p\n      project_name: pn\n');
    const r = await pools({ OS_CLOUD: 'mine' });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^Error: cloud 'mine' uses profile 'vexxhost', which is not defined: no clouds-public.yaml was found \(looked for/);
    expect(r.stderr.split('\n')[1]).toBe(
      'volmig reads profiles from a local clouds-public.yaml only: it neither fetches them nor carries openstacksdk’s built-in vendor list.',
    );
  });
});

describe('10. Keystone refusing the authentication is exit 4', () => {
  it.each([
    [400, 'Expecting to find domain in user. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.'],
    [401, 'The request you have made requires authentication.'],
  ])('HTTP %d', async (status, message) => {
    keystone(status, { error: { code: status, title: status === 400 ? 'Bad Request' : 'Unauthorized', message } });
    const r = await pools(OPENRC);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`Error: Keystone refused the password (HTTP ${status}): ${message}\n(identity service ${KEYSTONE}/v3/auth/tokens)\n`);
    expect(r.stderr).not.toContain('pw-s3cret');
  });
});
