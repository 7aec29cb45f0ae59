/**
 * Issue 15, side by side: for each configuration, the `openstack` CLI (Debian python3-openstackclient 6.0: osc-lib
 * 2.6, openstacksdk 0.101, keystoneauth 5.0, installed by the Keystone rig) and volmig run against the same
 * recording fake Keystone + Block Storage (lib/recording-cloud.ts). They must send the same token request, choose
 * the same Block Storage endpoint (region and interface, or override) and succeed or fail together. Where volmig
 * differs on purpose (README "Where volmig differs from the openstack CLI, and why") the case says what volmig does
 * instead. Runs on VOLMIG_TARGET=keystone, where the openstack CLI is installed; needs nothing else of the rig.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_PROJECT, startRecordingCloud, type RecordingCloud } from '../lib/recording-cloud.js';
import { targetKind } from '../lib/target.js';
import { describeRun, REPO, startVolmig } from '../lib/volmig.js';

const active = targetKind() === 'keystone';
let cloud: RecordingCloud;
let tlsCloud: RecordingCloud;
// the self-signed loopback certificate of the unit tests (test/api/tls/README.md)
const CA = join(REPO, 'test/api/tls/server-cert.pem');

beforeAll(async () => {
  if (!active) return;
  cloud = await startRecordingCloud();
  tlsCloud = await startRecordingCloud({ key: readFileSync(join(REPO, 'test/api/tls/server-key.pem'), 'utf8'), cert: readFileSync(CA, 'utf8') });
});
afterAll(async () => {
  await cloud?.close();
  await tlsCloud?.close();
});

interface Case {
  name: string;
  env?: Record<string, string>;
  /** files relative to the run's HOME, which is also its working directory */
  files?: Record<string, string>;
  /** volmig-only arguments (for the flags-win rule) */
  volmigArgs?: string[];
  /** a deliberate difference: what volmig does instead of matching openstack */
  differs?: (r: { volmigCode: number | null; volmigBodies: unknown[]; volmigChoice?: string; stderr: string }) => void;
}

const OPENRC = (authUrl: string) => ({ OS_AUTH_URL: authUrl, OS_USERNAME: 'admin', OS_PASSWORD: 'pw', OS_PROJECT_NAME: 'admin' });
const CLOUDS = (authUrl: string, extra: string, auth = '      username: u\n      password: p\n      project_name: pn\n') =>
  `clouds:\n  c1:\n    auth:\n      auth_url: ${authUrl}\n${auth}${extra}\n`;
const HOME_CLOUDS = '.config/openstack/clouds.yaml';

function cases(k: string): Case[] {
  const o = OPENRC(k);
  const dom = '      user_domain_id: d\n      project_domain_id: d\n';
  return [
    { name: '1. openrc, identity v3, no domains', env: { ...o, OS_IDENTITY_API_VERSION: '3' } },
    { name: '1. openrc, no identity version, no domains', env: o },
    { name: '1. OS_DEFAULT_DOMAIN with identity v3', env: { ...o, OS_IDENTITY_API_VERSION: '3', OS_DEFAULT_DOMAIN: 'dom1' } },
    { name: '5. OS_DEFAULT_DOMAIN_ID, no identity version', env: { ...o, OS_DEFAULT_DOMAIN_ID: 'dom2' } },
    { name: '5. OS_DEFAULT_DOMAIN_ID with identity v3', env: { ...o, OS_DEFAULT_DOMAIN_ID: 'dom2', OS_IDENTITY_API_VERSION: '3' } },
    {
      name: '2. OS_CLOUD with OS_PROJECT_NAME, OS_USERNAME, OS_PASSWORD and domains in the environment',
      env: { OS_CLOUD: 'c1', OS_PROJECT_NAME: 'other', OS_USERNAME: 'env-user', OS_PASSWORD: 'env-pw', OS_PROJECT_DOMAIN_NAME: 'envPD', OS_USER_DOMAIN_NAME: 'envUD' },
      files: { [HOME_CLOUDS]: CLOUDS(k, '    identity_api_version: 3', '      username: u\n      password: p\n      project_name: pn\n      user_domain_name: UD\n      project_domain_name: PD\n') },
    },
    { name: '2. OS_CLOUD with OS_PROJECT_ID', env: { OS_CLOUD: 'c1', OS_PROJECT_ID: 'envpid' }, files: { [HOME_CLOUDS]: CLOUDS(k, dom) } },
    {
      name: '2. --os-project-name with --os-cloud (volmig: the flag wins)',
      env: { OS_CLOUD: 'c1' },
      files: { [HOME_CLOUDS]: CLOUDS(k, dom) },
      volmigArgs: ['--os-project-name', 'flagp'],
      differs: ({ volmigCode, volmigBodies }) => {
        expect(volmigCode).toBe(0);
        expect((volmigBodies[0] as any).auth.scope).toEqual({ project: { name: 'flagp', domain: { id: 'd' } } });
      },
    },
    { name: '3. regions list, no region', env: { OS_CLOUD: 'c1' }, files: { [HOME_CLOUDS]: CLOUDS(k, `${dom}    regions: [RegionTwo, RegionThree]`) } },
    { name: '3. regions list, OS_REGION_NAME in it', env: { OS_CLOUD: 'c1', OS_REGION_NAME: 'RegionThree' }, files: { [HOME_CLOUDS]: CLOUDS(k, `${dom}    regions: [RegionTwo, RegionThree]`) } },
    { name: '3. regions list, OS_REGION_NAME outside it', env: { OS_CLOUD: 'c1', OS_REGION_NAME: 'RegionOne' }, files: { [HOME_CLOUDS]: CLOUDS(k, `${dom}    regions: [RegionTwo, RegionThree]`) } },
    { name: '3. region_name "A,B"', env: { OS_CLOUD: 'c1' }, files: { [HOME_CLOUDS]: CLOUDS(k, `${dom}    region_name: RegionThree,RegionTwo`) } },
    { name: '3. region_name alone, OS_REGION_NAME another', env: { OS_CLOUD: 'c1', OS_REGION_NAME: 'RegionTwo' }, files: { [HOME_CLOUDS]: CLOUDS(k, `${dom}    region_name: RegionThree`) } },
    {
      name: '3. region values',
      env: { OS_CLOUD: 'c1' },
      files: { [HOME_CLOUDS]: CLOUDS(k, `${dom}    regions:\n      - name: RegionTwo\n        values:\n          interface: internal\n      - RegionThree`) },
    },
    {
      name: '4. volumev3_endpoint_override',
      env: { OS_CLOUD: 'c1' },
      files: { [HOME_CLOUDS]: CLOUDS(k, `${dom}    volumev3_endpoint_override: ${k.replace('/identity/v3', '')}/override/v3/%(project_id)s`) },
    },
    {
      name: '4. block_storage_endpoint_override over volumev3_endpoint_override',
      env: { OS_CLOUD: 'c1' },
      files: {
        [HOME_CLOUDS]: CLOUDS(
          k,
          `${dom}    block_storage_endpoint_override: ${k.replace('/identity/v3', '')}/override-bs/v3/%(project_id)s\n    volumev3_endpoint_override: ${k.replace('/identity/v3', '')}/override-v3/v3/%(project_id)s`,
        ),
      },
    },
    {
      name: '4. block_storage_interface (volmig: honoured, as openstacksdk)',
      env: { OS_CLOUD: 'c1' },
      files: { [HOME_CLOUDS]: CLOUDS(k, `${dom}    block_storage_interface: internal`) },
      differs: ({ volmigCode, volmigChoice }) => {
        expect(volmigCode).toBe(0);
        expect(volmigChoice).toBe('RegionOne/internal');
      },
    },
    { name: "4. volume_api_version: '3.60'", env: { OS_CLOUD: 'c1' }, files: { [HOME_CLOUDS]: CLOUDS(k, `${dom}    volume_api_version: '3.60'`) } },
    { name: '4. volume_api_version: 3.60 (the float 3.6)', env: { OS_CLOUD: 'c1' }, files: { [HOME_CLOUDS]: CLOUDS(k, `${dom}    volume_api_version: 3.60`) } },
    ...[
      '      domain_id: did',
      '    domain_id: did',
      '      domain_name: dn',
      '      default_domain_id: ddi',
      '      default_domain_name: ddn',
      '      user_domain_id: ud\n      default_domain_id: ddi',
      '      default_domain_id: ddi\n    identity_api_version: 3',
      '      default_domain: dd',
    ].map((extra) => ({ name: `5. ${extra.trim().replace(/\n\s*/g, ', ')}`, env: { OS_CLOUD: 'c1' }, files: { [HOME_CLOUDS]: CLOUDS(k, extra) } })),
    { name: '6. leftover OS_APPLICATION_CREDENTIAL_SECRET', env: { ...o, OS_IDENTITY_API_VERSION: '3', OS_APPLICATION_CREDENTIAL_SECRET: 'leftover' } },
    {
      name: '6. leftover OS_APPLICATION_CREDENTIAL_SECRET and _ID',
      env: { ...o, OS_IDENTITY_API_VERSION: '3', OS_APPLICATION_CREDENTIAL_SECRET: 'leftover', OS_APPLICATION_CREDENTIAL_ID: 'acid' },
    },
    {
      name: '8. $XDG_CONFIG_HOME/openstack before ~/.config/openstack',
      env: { OS_CLOUD: 'c1', XDG_CONFIG_HOME: 'XDG' },
      files: { [HOME_CLOUDS]: CLOUDS(k, dom, '      username: from-home\n      password: p\n      project_name: pn\n'), 'xdg/openstack/clouds.yaml': CLOUDS(k, dom, '      username: from-xdg\n      password: p\n      project_name: pn\n') },
    },
    {
      name: '8. ./clouds.yml before ~/.config/openstack/clouds.yaml',
      env: { OS_CLOUD: 'c1' },
      files: { [HOME_CLOUDS]: CLOUDS(k, dom, '      username: from-home\n      password: p\n      project_name: pn\n'), 'clouds.yml': CLOUDS(k, dom, '      username: from-cwd-yml\n      password: p\n      project_name: pn\n') },
    },
    {
      name: '8. ./clouds.json',
      env: { OS_CLOUD: 'c1' },
      // written as text: a JavaScript number would lose the 20-digit id's last digits before either client saw it
      files: { 'clouds.json': `{"clouds": {"c1": {"auth": {"auth_url": "${k}", "username": "json", "password": "p", "project_id": 12345678901234567890, "user_domain_id": "d"}}}}` },
    },
    { name: '8. OS_CLIENT_CONFIG_FILE naming a missing file', env: { OS_CLOUD: 'c1', OS_CLIENT_CONFIG_FILE: '/nonexistent/clouds.yaml' }, files: { [HOME_CLOUDS]: CLOUDS(k, dom) } },
    {
      name: '8. ./secure.yaml over the one beside clouds.yaml',
      env: { OS_CLOUD: 'c1' },
      files: {
        [HOME_CLOUDS]: CLOUDS(k, dom, '      username: u\n      project_name: pn\n'),
        '.config/openstack/secure.yaml': 'clouds:\n  c1:\n    auth:\n      password: from-home-secure\n',
        'secure.yaml': 'clouds:\n  c1:\n    auth:\n      password: from-cwd-secure\n',
      },
    },
    ...['1e3', '12345678901234567890', '1.0e+3', '0017', '2001-01-01'].map((id) => ({
      name: `9. project_id: ${id}`,
      env: { OS_CLOUD: 'c1' },
      files: { [HOME_CLOUDS]: CLOUDS(k, '      user_domain_id: d', `      username: u\n      password: p\n      project_id: ${id}\n`) },
    })),
    { name: '9. username: 12345, password: 12345', env: { OS_CLOUD: 'c1' }, files: { [HOME_CLOUDS]: CLOUDS(k, dom, '      username: 12345\n      password: 12345\n      project_name: pn\n') } },
    { name: '9. password: no', env: { OS_CLOUD: 'c1' }, files: { [HOME_CLOUDS]: CLOUDS(k, dom, '      username: u\n      password: no\n      project_name: pn\n') } },
    {
      name: '9. profile from ./clouds-public.yaml',
      env: { OS_CLOUD: 'mine' },
      files: {
        'clouds-public.yaml': `public-clouds:\n  acme:\n    auth:\n      auth_url: ${k}\n      user_domain_name: AcmeUsers\n    regions: [RegionTwo, RegionThree]\n    identity_api_version: 3\n`,
        [HOME_CLOUDS]: 'clouds:\n  mine:\n    profile: acme\n    auth:\n      username: u\n      password: p\n      project_name: pn\n',
      },
    },
  ];
}

function openstack(env: Record<string, string>, cwd: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    // stdin closed: a password prompt fails at once, as it does in a script
    const child = execFile('openstack', ['volume', 'list', '-f', 'json'], { env, cwd, timeout: 90_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stderr });
    });
    child.stdin?.end();
  });
}

/** 7. TLS against an HTTPS recording cloud with a self-signed certificate. */
function tlsCases(k: string): Case[] {
  const o = { ...OPENRC(k), OS_USER_DOMAIN_ID: 'd', OS_PROJECT_DOMAIN_ID: 'd' };
  const dom = '      user_domain_id: d\n      project_domain_id: d\n';
  return [
    { name: '7. nothing: the certificate is refused', env: o },
    { name: '7. OS_INSECURE=true is ignored', env: { ...o, OS_INSECURE: 'true' } },
    { name: '7. OS_CACERT', env: { ...o, OS_CACERT: CA } },
    ...['    insecure: true', "    insecure: 'yes'", '    verify: false', `    verify: ${CA}`, `    cacert: ${CA}`, `    verify: /nonexistent.pem\n    cacert: ${CA}`].map((extra) => ({
      name: `7. ${extra.trim().replace(/\n\s*/g, ', ').replaceAll(CA, '<test CA>')}`,
      env: { OS_CLOUD: 'c1' },
      files: { [HOME_CLOUDS]: CLOUDS(k, `${dom}${extra}`) },
    })),
  ];
}

describe.runIf(active)('volmig and the openstack CLI on the same configuration [keystone]', () => {
  // the case list needs the fake's URL, known once it listens; the names are the same for every URL
  for (const [c, list, which] of [
    ...cases('http://fake/identity/v3').map((c) => [c, cases, () => cloud] as const),
    ...tlsCases('https://fake/identity/v3').map((c) => [c, tlsCases, () => tlsCloud] as const),
  ]) {
    it(c.name, async () => {
      const cloud = which();
      const theCase = list(cloud.authUrl).find((x) => x.name === c.name)!;
      const home = mkdtempSync(join(tmpdir(), 'volmig-conf-osc-'));
      try {
        for (const [rel, text] of Object.entries(theCase.files ?? {})) {
          mkdirSync(dirname(join(home, rel)), { recursive: true });
          writeFileSync(join(home, rel), text);
        }
        const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' };
        for (const [key, value] of Object.entries(theCase.env ?? {})) env[key] = value === 'XDG' ? join(home, 'xdg') : value;

        cloud.clear();
        const osc = await openstack(env, home);
        const oscBodies = cloud.tokenBodies('openstack');
        const oscChoice = cloud.blockStorageChoice('openstack');
        const oscMv = cloud.microversions('openstack');

        cloud.clear();
        const r = await startVolmig([...(theCase.volmigArgs ?? []), 'pools', '--json'], env, 60_000).done;
        const volmigBodies = cloud.tokenBodies('volmig');
        const volmigChoice = cloud.blockStorageChoice('volmig');
        const what = `openstack: exit ${osc.code} ${osc.stderr.trim().split('\n').pop()}\n${describeRun(r)}`;

        if (theCase.differs) {
          theCase.differs({ volmigCode: r.code, volmigBodies, volmigChoice, stderr: r.stderr });
          return;
        }
        expect(r.code === 0, what).toBe(osc.code === 0);
        expect(volmigBodies, what).toEqual(oscBodies);
        expect(volmigChoice, what).toBe(oscChoice?.replace(/\/v3$/, `/v3/${FAKE_PROJECT}`));
        // the microversion header, where openstack sends one (with `3` it sends none and volmig negotiates)
        if (oscMv.length && oscMv[0] !== '-') expect(cloud.microversions('volmig')[0], what).toBe(oscMv[0]);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    });
  }
});
