import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NOTHING_CONFIGURED_MESSAGE, resolveCloudConfig } from '../../src/config/cloud.js';
import type { GlobalOptions } from '../../src/config/global-options.js';
import type { VolmigSettings } from '../../src/config/settings.js';
import { UsageError } from '../../src/errors.js';
import type { Io } from '../../src/io.js';
import { runVolmig } from '../helpers/run.js';

let root: string;
let home: string;
let cwd: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'volmig-cloud-'));
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

function io(env: Record<string, string> = {}): Io {
  return {
    stdout: { write: () => true },
    stderr: { write: () => true },
    env: { HOME: home, ...env },
    isTTY: false,
    cwd,
  };
}

function resolve(env: Record<string, string> = {}, globals: GlobalOptions = {}, settings: VolmigSettings = {}) {
  return resolveCloudConfig(globals, io(env), settings);
}

const PROD = `
clouds:
  prod:
    auth:
      auth_url: http://keystone.yaml:5000/v3
      username: yaml-user
      password: yaml-password
      project_name: yaml-project
      user_domain_name: Default
      project_domain_name: Default
    region_name: YamlRegion
    interface: internal
    identity_api_version: 3
    volume_api_version: 3
    has_image: false
    api_timeout: 45
  lab:
    auth_type: noauth
    auth:
      project_id: lab-project
      user_id: lab-user
    block_storage_endpoint_override: http://127.0.0.1:18776/v3
    verify: no
`;

describe('precedence: flags > OS_* env > clouds.yaml > volmig settings (but the cloud’s project and domains beat OS_*)', () => {
  it('each field comes from the highest source that sets it', async () => {
    await write(join(home, '.config/openstack/clouds.yaml'), PROD);
    const cloud = await resolve(
      { OS_CLOUD: 'prod', OS_USERNAME: 'env-user', OS_INTERFACE: 'admin', OS_PASSWORD: 'env-password', OS_PROJECT_NAME: 'env-project' },
      { osUsername: 'flag-user', httpTimeout: '12' },
      { http_timeout: 99, connect_timeout: 3 },
    );
    expect(cloud.authType).toBe('password');
    expect(cloud.auth.username).toBe('flag-user');
    expect(cloud.auth.password).toBe('env-password');
    expect(cloud.interface).toBe('admin');
    expect(cloud.regionName).toBe('YamlRegion');
    expect(cloud.auth.authUrl).toBe('http://keystone.yaml:5000/v3');
    expect(cloud.auth.projectName).toBe('yaml-project');
    expect(cloud.httpTimeoutMs).toBe(12_000);
    expect(cloud.connectTimeoutMs).toBe(3_000);
    expect(cloud.description).toBe(`cloud 'prod' from ${join(home, '.config/openstack/clouds.yaml')}`);
  });

  it('http timeout: clouds.yaml api_timeout over settings, settings over the 60 s default', async () => {
    await write(join(home, '.config/openstack/clouds.yaml'), PROD);
    expect((await resolve({ OS_CLOUD: 'prod' }, {}, { http_timeout: 99 })).httpTimeoutMs).toBe(45_000);
    expect((await resolve({ OS_CLOUD: 'lab' }, {}, { http_timeout: 99 })).httpTimeoutMs).toBe(99_000);
    expect((await resolve({ OS_CLOUD: 'lab' })).httpTimeoutMs).toBe(60_000);
  });

  it('--os-cloud beats OS_CLOUD, which beats the settings’ default cloud', async () => {
    await write(join(home, '.config/openstack/clouds.yaml'), PROD);
    expect((await resolve({ OS_CLOUD: 'prod' }, { osCloud: 'lab' }, { cloud: 'prod' })).cloudName).toBe('lab');
    expect((await resolve({ OS_CLOUD: 'lab' }, {}, { cloud: 'prod' })).cloudName).toBe('lab');
    expect((await resolve({}, {}, { cloud: 'lab', filepath: '/x/.volmigrc' })).cloudName).toBe('lab');
  });

  it('the settings’ default cloud is not mixed into an OS_* environment configuration', async () => {
    await write(join(home, '.config/openstack/clouds.yaml'), PROD);
    const cloud = await resolve({ OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: 'http://127.0.0.1:9/v3', OS_PROJECT_ID: 'p' }, {}, { cloud: 'prod' });
    expect(cloud.cloudName).toBeUndefined();
    expect(cloud.auth.username).toBeUndefined();
  });
});

describe('clouds.yaml', () => {
  it('an entry without auth_type is password; volume_api_version is read; keys for other services (has_image) are ignored', async () => {
    await write(join(cwd, 'clouds.yaml'), PROD);
    const cloud = await resolve({ OS_CLOUD: 'prod' });
    expect(cloud.authType).toBe('password');
    expect(cloud.volumeApiVersion).toBe('3');
    expect(cloud.interface).toBe('internal');
  });

  it('noauth entry with block_storage_endpoint_override; YAML 1.1 `verify: no` means insecure', async () => {
    await write(join(cwd, 'clouds.yaml'), PROD);
    const cloud = await resolve({ OS_CLOUD: 'lab' });
    expect(cloud.authType).toBe('noauth');
    expect(cloud.endpointOverride).toBe('http://127.0.0.1:18776/v3');
    expect(cloud.auth).toMatchObject({ projectId: 'lab-project', userId: 'lab-user' });
    expect(cloud.insecure).toBe(true);
  });

  it('secure.yaml beside clouds.yaml merges secrets into the entry', async () => {
    await write(
      join(home, '.config/openstack/clouds.yaml'),
      'clouds:\n  prod:\n    auth:\n      auth_url: http://k:5000/v3\n      username: u\n      project_id: p\n    cacert: /etc/ssl/ca.pem\n',
    );
    await write(join(home, '.config/openstack/secure.yaml'), 'clouds:\n  prod:\n    auth:\n      password: from-secure-yaml\n');
    const cloud = await resolve({ OS_CLOUD: 'prod' });
    expect(cloud.auth).toMatchObject({ authUrl: 'http://k:5000/v3', username: 'u', projectId: 'p', password: 'from-secure-yaml' });
    expect(cloud.cacert).toBe('/etc/ssl/ca.pem');
    expect(cloud.insecure).toBe(false);
    expect(cloud.description).toContain('secure.yaml');
  });

  it('search order: OS_CLIENT_CONFIG_FILE, then ./clouds.yaml, then ~/.config/openstack/clouds.yaml', async () => {
    const noauth = (project: string) =>
      `clouds:\n  c:\n    auth_type: noauth\n    auth: {project_id: ${project}}\n    block_storage_endpoint_override: http://h/v3\n`;
    await write(join(home, '.config/openstack/clouds.yaml'), noauth('from-home'));
    expect((await resolve({ OS_CLOUD: 'c' })).auth.projectId).toBe('from-home');
    await write(join(cwd, 'clouds.yaml'), noauth('from-cwd'));
    expect((await resolve({ OS_CLOUD: 'c' })).auth.projectId).toBe('from-cwd');
    const explicit = await write(join(root, 'elsewhere.yaml'), noauth('from-env-file'));
    expect((await resolve({ OS_CLOUD: 'c', OS_CLIENT_CONFIG_FILE: explicit })).auth.projectId).toBe('from-env-file');
  });

  it('a cloud that is not in the file: usage error naming the file and the clouds it has', async () => {
    const file = await write(join(cwd, 'clouds.yaml'), PROD);
    const err = await resolve({ OS_CLOUD: 'staging' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`cloud 'staging' (OS_CLOUD) is not in ${file} (it has: prod, lab)`);
  });

  it('no clouds.yaml at all: usage error listing where it looked', async () => {
    const err = await resolve({}, { osCloud: 'prod' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      `cloud 'prod' (--os-cloud) was asked for, but no clouds.yaml was found (looked for clouds.yaml, clouds.yml or clouds.json in ${cwd}, ${join(home, '.config/openstack')}, /etc/xdg/openstack, /etc/openstack)`,
    );
  });

  it('a YAML syntax error names the file', async () => {
    const file = await write(join(cwd, 'clouds.yaml'), 'clouds:\n  prod: [unclosed\n');
    const err = await resolve({ OS_CLOUD: 'prod' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot parse ${file}: `));
  });
});

describe('environment only', () => {
  it('the sandbox export line configures noauth', async () => {
    const cloud = await resolve({ OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: 'http://127.0.0.1:40123/v3', OS_PROJECT_ID: 'admin', OS_USER_ID: 'admin' });
    expect(cloud).toMatchObject({
      authType: 'noauth',
      endpointOverride: 'http://127.0.0.1:40123/v3',
      auth: { projectId: 'admin', userId: 'admin' },
      interface: 'public',
      insecure: false,
      httpTimeoutMs: 60_000,
    });
  });

  it('without an auth type: password whenever a password is given, else a token, else an application credential', async () => {
    expect((await resolve({ OS_AUTH_URL: 'http://k/v3', OS_TOKEN: 't' })).authType).toBe('token');
    expect((await resolve({ OS_AUTH_URL: 'http://k/v3', OS_TOKEN: 't', OS_USERNAME: 'u', OS_PASSWORD: 'p', OS_PROJECT_ID: 'x' })).authType).toBe('password');
    expect((await resolve({ OS_AUTH_URL: 'http://k/v3', OS_APPLICATION_CREDENTIAL_ID: 'i', OS_APPLICATION_CREDENTIAL_SECRET: 's' })).authType).toBe(
      'v3applicationcredential',
    );
    expect((await resolve({ OS_AUTH_URL: 'http://k/v3', OS_USERNAME: 'u', OS_PASSWORD: 'p', OS_PROJECT_ID: 'x' })).authType).toBe('password');
  });

  it('OS_CACERT, OS_INTERFACE=internalURL and an empty variable counting as unset; --insecure drops the CA bundle', async () => {
    const env = { OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: 'http://h/v3', OS_PROJECT_ID: 'p', OS_CACERT: '/ca.pem', OS_INTERFACE: 'internalURL', OS_REGION_NAME: '' };
    const cloud = await resolve(env);
    expect(cloud).toMatchObject({ insecure: false, cacert: '/ca.pem', interface: 'internal' });
    expect(cloud.regionName).toBeUndefined();
    const insecure = await resolve(env, { insecure: true });
    expect(insecure).toMatchObject({ insecure: true, cacert: undefined });
  });

  it('missing pieces are named in one usage error', async () => {
    const err = await resolve({ OS_AUTH_URL: 'http://k/v3', OS_USERNAME: 'u' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      'password authentication is missing the password (OS_PASSWORD, --os-password, or auth.password in clouds.yaml/secure.yaml); ' +
        'the project (--os-project-name / OS_PROJECT_NAME or --os-project-id / OS_PROJECT_ID)',
    );
    const noEndpoint = await resolve({ OS_AUTH_TYPE: 'noauth', OS_PROJECT_ID: 'p' }).catch((e: unknown) => e);
    expect((noEndpoint as Error).message).toMatch(/^noauth authentication is missing the Block Storage endpoint/);
  });

  it('bad values are usage errors', async () => {
    await expect(resolve({ OS_AUTH_TYPE: 'kerberos', OS_ENDPOINT: 'http://h/v3' })).rejects.toThrow(
      "unknown auth type 'kerberos' (OS_AUTH_TYPE); volmig supports password, v3applicationcredential, token and noauth",
    );
    await expect(resolve({ OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: 'http://h/v3', OS_PROJECT_ID: 'p' }, { httpTimeout: 'soon' })).rejects.toThrow(
      "invalid value for --http-timeout: 'soon' (expected a positive duration such as 90s, 10m, 1h30m or plain seconds)",
    );
    await expect(resolve({ OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: 'http://h/v3', OS_PROJECT_ID: 'p', OS_INTERFACE: 'private' })).rejects.toThrow(
      /invalid interface 'private'/,
    );
  });
});

describe('nothing configured', () => {
  it('one usage error listing clouds.yaml, OS_* and the sandbox export line', async () => {
    const err = await resolve({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toBe(NOTHING_CONFIGURED_MESSAGE);
    expect(NOTHING_CONFIGURED_MESSAGE).toContain('--os-cloud <name> or OS_CLOUD=<name>');
    expect(NOTHING_CONFIGURED_MESSAGE).toContain('OS_AUTH_URL, OS_USERNAME, OS_PASSWORD');
    expect(NOTHING_CONFIGURED_MESSAGE).toContain('export OS_AUTH_TYPE=noauth OS_ENDPOINT=http://127.0.0.1:<port>/v3 OS_PROJECT_ID=<project> OS_USER_ID=<user>');
  });

  it('through the CLI: exit 2, the message on stderr, nothing on stdout', async () => {
    const result = await runVolmig(['pools'], { env: { HOME: home }, cwd });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`Error: ${NOTHING_CONFIGURED_MESSAGE}`);
  });
});

const noauthCloud = (project: string, name = 'c') =>
  `clouds:\n  ${name}:\n    auth_type: noauth\n    auth: {project_id: ${project}}\n    block_storage_endpoint_override: http://h/v3\n`;

describe('8. search paths, as openstacksdk’s', () => {
  it('$XDG_CONFIG_HOME/openstack before ~/.config/openstack; the site dirs of $XDG_CONFIG_DIRS before /etc/openstack', async () => {
    const xdg = join(root, 'xdg');
    await write(join(home, '.config/openstack/clouds.yaml'), noauthCloud('from-home'));
    expect((await resolve({ OS_CLOUD: 'c' })).auth.projectId).toBe('from-home');
    await write(join(xdg, 'openstack/clouds.yaml'), noauthCloud('from-xdg'));
    expect((await resolve({ OS_CLOUD: 'c', XDG_CONFIG_HOME: xdg })).auth.projectId).toBe('from-xdg');
    // with XDG_CONFIG_HOME elsewhere, ~/.config/openstack is still searched (openstacksdk lists both)
    expect((await resolve({ OS_CLOUD: 'c', XDG_CONFIG_HOME: join(root, 'empty') })).auth.projectId).toBe('from-home');

    const site = join(root, 'site');
    await write(join(site, 'openstack/clouds.yaml'), noauthCloud('from-site'));
    expect((await resolve({ OS_CLOUD: 'c', HOME: join(root, 'nohome'), XDG_CONFIG_DIRS: `${site}/` })).auth.projectId).toBe('from-site');
  });

  it('in each directory clouds.yaml, then clouds.yml, then clouds.json; the current directory first', async () => {
    await write(join(home, '.config/openstack/clouds.yaml'), noauthCloud('from-home'));
    await write(join(cwd, 'clouds.json'), JSON.stringify({ clouds: { c: { auth_type: 'noauth', auth: { project_id: 'from-json' }, block_storage_endpoint_override: 'http://h/v3' } } }));
    expect((await resolve({ OS_CLOUD: 'c' })).auth.projectId).toBe('from-json');
    await write(join(cwd, 'clouds.yml'), noauthCloud('from-yml'));
    expect((await resolve({ OS_CLOUD: 'c' })).auth.projectId).toBe('from-yml');
    await write(join(cwd, 'clouds.yaml'), noauthCloud('from-yaml'));
    expect((await resolve({ OS_CLOUD: 'c' })).description).toBe(`cloud 'c' from ${join(cwd, 'clouds.yaml')}`);
  });

  it('OS_CLIENT_CONFIG_FILE first; one that names a missing file is passed over, as openstacksdk does', async () => {
    await write(join(home, '.config/openstack/clouds.yaml'), noauthCloud('from-home'));
    const json = await write(join(root, 'elsewhere.json'), JSON.stringify({ clouds: { c: { auth_type: 'noauth', auth: { project_id: 'from-env-json' }, block_storage_endpoint_override: 'http://h/v3' } } }));
    expect((await resolve({ OS_CLOUD: 'c', OS_CLIENT_CONFIG_FILE: json })).auth.projectId).toBe('from-env-json');
    expect((await resolve({ OS_CLOUD: 'c', OS_CLIENT_CONFIG_FILE: join(root, 'missing.yaml') })).auth.projectId).toBe('from-home');
  });

  it('a clouds.yaml that cannot be read (here a directory) is passed over', async () => {
    await mkdir(join(cwd, 'clouds.yaml'), { recursive: true });
    await write(join(home, '.config/openstack/clouds.yaml'), noauthCloud('from-home'));
    expect((await resolve({ OS_CLOUD: 'c' })).auth.projectId).toBe('from-home');
  });

  it('secure.yaml is searched on its own: ./secure.yaml beats the one beside ~/.config/openstack/clouds.yaml', async () => {
    const clouds = await write(
      join(home, '.config/openstack/clouds.yaml'),
      'clouds:\n  prod:\n    auth:\n      auth_url: http://k:5000/v3\n      username: u\n      password: from-clouds-yaml\n      project_id: p\n',
    );
    await write(join(home, '.config/openstack/secure.yaml'), 'clouds:\n  prod:\n    auth:\n      password: from-home-secure\n');
    expect((await resolve({ OS_CLOUD: 'prod' })).auth.password).toBe('from-home-secure');
    const local = await write(join(cwd, 'secure.yml'), 'clouds:\n  prod:\n    auth:\n      password: from-cwd-secure\n');
    const cloud = await resolve({ OS_CLOUD: 'prod' });
    expect(cloud.auth.password).toBe('from-cwd-secure');
    expect(cloud.description).toBe(`cloud 'prod' from ${clouds} (+ ${local})`);
    const explicit = await write(join(root, 'my-secure.json'), JSON.stringify({ clouds: { prod: { auth: { password: 'from-env-secure' } } } }));
    expect((await resolve({ OS_CLOUD: 'prod', OS_CLIENT_SECURE_FILE: explicit })).auth.password).toBe('from-env-secure');
  });

  it('a cloud defined only in secure.yaml is found (openstacksdk merges the whole files)', async () => {
    await write(join(home, '.config/openstack/clouds.yaml'), noauthCloud('x', 'other'));
    await write(join(home, '.config/openstack/secure.yaml'), noauthCloud('from-secure', 'hidden'));
    expect((await resolve({ OS_CLOUD: 'hidden' })).auth.projectId).toBe('from-secure');
  });
});

describe('7. TLS as openstacksdk’s get_requests_verify_args', () => {
  const tlsCloud = (extra: string) => `clouds:\n  t:\n    auth_type: noauth\n    auth: {project_id: p}\n    block_storage_endpoint_override: https://h/v3\n${extra}\n`;
  it.each([
    ['    insecure: true', true, undefined],
    ["    insecure: 'true'", true, undefined],
    ['    insecure: yes', true, undefined],
    ["    insecure: 'yes'", false, undefined], // get_boolean: only the text "true" is true
    ['    verify: false', true, undefined],
    ['    verify: no', true, undefined],
    ['    verify: /etc/ssl/ca.pem', false, '/etc/ssl/ca.pem'],
    ['    cacert: /etc/ssl/ca.pem', false, '/etc/ssl/ca.pem'],
    ['    verify: /other.pem\n    cacert: /etc/ssl/ca.pem', false, '/etc/ssl/ca.pem'],
    ['    verify: false\n    cacert: /etc/ssl/ca.pem', true, undefined],
    ['    insecure: true\n    verify: true\n    cacert: /etc/ssl/ca.pem', true, undefined],
    ['    cacert: ~/ca.pem', false, 'HOME/ca.pem'],
  ])('%s → insecure %s, CA bundle %s', async (extra, insecure, cacert) => {
    await write(join(cwd, 'clouds.yaml'), tlsCloud(extra));
    const cloud = await resolve({ OS_CLOUD: 't' });
    expect(cloud.insecure).toBe(insecure);
    expect(cloud.cacert).toBe(cacert?.replace('HOME', home));
  });

  it('OS_INSECURE=true is ignored (openstack keeps verifying), with a --debug note; OS_CACERT beats the cloud’s cacert', async () => {
    await write(join(cwd, 'clouds.yaml'), tlsCloud('    cacert: /etc/ssl/ca.pem'));
    const cloud = await resolve({ OS_CLOUD: 't', OS_INSECURE: 'true', OS_CACERT: '/env/ca.pem' });
    expect(cloud.insecure).toBe(false);
    expect(cloud.cacert).toBe('/env/ca.pem');
    expect(cloud.notes).toEqual(['OS_INSECURE is ignored, as by the openstack CLI (use --insecure, or insecure: true / verify: false in clouds.yaml)']);
    const flag = await resolve({ OS_CLOUD: 't' }, { insecure: true });
    expect(flag.insecure).toBe(true);
  });
});

describe('regions and YAML values (resolution)', () => {
  it('a region list entry with keys other than name/values is refused, naming the file', async () => {
    const file = await write(join(cwd, 'clouds.yaml'), `${noauthCloud('p')}    regions:\n      - name: R1\n        interface: internal\n`);
    await expect(resolve({ OS_CLOUD: 'c' })).rejects.toThrow(`invalid entry in the regions of cloud 'c' in ${file}`);
  });

  it('region_name given by the cloud alone is used; the environment may only pick one of its regions', async () => {
    await write(join(cwd, 'clouds.yaml'), `${noauthCloud('p')}    region_name: R1\n`);
    expect((await resolve({ OS_CLOUD: 'c' })).regionName).toBe('R1');
    await expect(resolve({ OS_CLOUD: 'c', OS_REGION_NAME: 'R2' })).rejects.toThrow(
      "region 'R2' (OS_REGION_NAME) is not a region of cloud 'c': its regions are R1 (region names are case sensitive)",
    );
    // without a cloud there is no list to check against
    expect((await resolve({ OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: 'http://h/v3', OS_PROJECT_ID: 'p', OS_REGION_NAME: 'R2' })).regionName).toBe('R2');
  });

  it('a text value that YAML reads as true or as a date is refused, naming the key', async () => {
    await write(join(cwd, 'clouds.yaml'), 'clouds:\n  c:\n    auth:\n      auth_url: http://k/v3\n      username: yes\n      password: p\n      project_id: x\n');
    await expect(resolve({ OS_CLOUD: 'c' })).rejects.toThrow("auth.username of cloud 'c' is the YAML boolean True, not text: quote it in clouds.yaml");
  });

  it('an unquoted volume_api_version: 3.60 is the float 3.6, with a --debug note', async () => {
    await write(join(cwd, 'clouds.yaml'), `${noauthCloud('p')}    volume_api_version: 3.60\n`);
    const cloud = await resolve({ OS_CLOUD: 'c' });
    expect(cloud.volumeApiVersion).toBe('3.6');
    expect(cloud.notes).toEqual(["volume_api_version of cloud 'c' is the YAML float 3.6 (quote it to keep trailing zeros)"]);
  });
});
