/**
 * Issue 15 against real Keystone 22 (VOLMIG_TARGET=keystone only): the openrc of a typical cloud (identity v3, no
 * domains), a leftover application-credential secret, an application credential with a leftover project, and a
 * clouds.yaml `regions:` list behave as with `openstack` (the Debian python3-openstackclient 6.0 the rig installs),
 * each checked by running both against the same Keystone.
 *
 * The regions use the rig's RegionB (Block Storage at 127.0.0.1:18776, served here by a recording pass-through to
 * Cinder) and RegionC (a closed port): see test/conformance/keystone/20-keystone-resources.sh.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { expectExit } from '../lib/expect.js';
import { openTarget, targetKind, type Target } from '../lib/target.js';
import { describeRun } from '../lib/volmig.js';

const active = targetKind() === 'keystone';
let t: Target;

/** What reached RegionB's Block Storage (127.0.0.1:18776), and from which client. */
const regionB: { method: string; url: string; client: string }[] = [];
let passThrough: Server | undefined;

beforeAll(async () => {
  if (!active) return;
  t = await openTarget();
  passThrough = createServer((req, res) => {
    const ua = String(req.headers['user-agent'] ?? '');
    regionB.push({ method: req.method!, url: req.url!, client: ua.startsWith('volmig') ? 'volmig' : ua });
    const up = request({ host: '127.0.0.1', port: 8776, method: req.method, path: req.url, headers: { ...req.headers, host: '127.0.0.1:8776' } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve, reject) => {
    passThrough!.once('error', (e) => reject(new Error(`cannot serve RegionB's Block Storage on 127.0.0.1:18776: ${e.message}`)));
    passThrough!.listen(18776, '127.0.0.1', resolve);
  });
});
afterAll(async () => {
  await new Promise<void>((resolve) => (passThrough ? passThrough.close(() => resolve()) : resolve()));
  await t?.close();
});

/** A plain openrc (no clouds.yaml) pointing at the recording Keystone proxy. */
function openrc(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    OS_CLOUD: undefined,
    OS_CLIENT_CONFIG_FILE: undefined,
    OS_AUTH_URL: `${t.keystone!.proxy.url}/v3`,
    OS_USERNAME: 'admin',
    OS_PASSWORD: t.keystone!.adminPassword,
    OS_PROJECT_NAME: 'admin',
    OS_REGION_NAME: 'RegionOne',
    ...extra,
  };
}

/** The rig's clouds.yaml (through the proxy) with one more cloud derived from ks-admin. */
function cloudsWith(name: string, make: (base: any) => any): string {
  const doc = parse(readFileSync(t.keystone!.proxiedCloudsYaml, 'utf8'));
  doc.clouds[name] = make(structuredClone(doc.clouds['ks-admin']));
  const file = join(mkdtempSync(join(tmpdir(), 'volmig-conf-clouds-')), 'clouds.yaml');
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  return file;
}

interface Osc {
  code: number;
  stdout: string;
  stderr: string;
}

/** The openstack CLI with only the given variables (and a fresh HOME, so no clouds.yaml of its own). */
function openstack(args: string[], env: Record<string, string | undefined>): Promise<Osc> {
  const clean: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: mkdtempSync(join(tmpdir(), 'volmig-conf-osc-')), LANG: 'C.UTF-8' };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
  return new Promise((resolve) => {
    execFile('openstack', args, { env: clean, cwd: clean.HOME, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const lastAuth = () => t.keystone!.proxy.authRequests[t.keystone!.proxy.authRequests.length - 1]!;

describe.runIf(active)('issue 15 on real Keystone [keystone]', () => {
  it('1. an openrc with OS_IDENTITY_API_VERSION=3 and no domains: domain id `default` for user and project, as openstack', async () => {
    const env = openrc({ OS_IDENTITY_API_VERSION: '3' });
    const r = await t.run(['pools', '--json'], { env });
    expectExit(r, 0);
    expect(lastAuth()).toEqual({
      status: 201,
      methods: ['password'],
      user: { name: 'admin', domain: { id: 'default' } },
      scope: { project: { name: 'admin', domain: { id: 'default' } } },
    });
    const osc = await openstack(['volume', 'list', '-f', 'json'], env);
    expect(osc.code, osc.stderr).toBe(0);
    expect(lastAuth()).toMatchObject({ status: 201, user: { name: 'admin', domain: { id: 'default' } }, scope: { project: { domain: { id: 'default' } } } });
  });

  it('10. without an identity API version and without domains Keystone answers 400: volmig exit 4 with Keystone’s reason; openstack fails too', async () => {
    const env = openrc();
    const r = await t.run(['pools'], { env });
    expectExit(r, 4);
    expect(lastAuth()).toEqual({ status: 400, methods: ['password'], user: { name: 'admin' }, scope: { project: { name: 'admin' } } });
    expect(r.stderr).toContain(
      'Error: Keystone refused the password (HTTP 400): Expecting to find domain in project. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.\n',
    );
    const osc = await openstack(['volume', 'list', '-f', 'json'], env);
    expect(osc.code).not.toBe(0);
    expect(lastAuth().status).toBe(400);
  });

  it('6. a leftover OS_APPLICATION_CREDENTIAL_SECRET (and _ID) leaves the openrc’s password login alone, as openstack', async () => {
    const env = openrc({
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_APPLICATION_CREDENTIAL_SECRET: 'left-over-from-another-openrc',
      OS_APPLICATION_CREDENTIAL_ID: 'f00dfeed',
    });
    const r = await t.run(['pools', '--json'], { env });
    expectExit(r, 0);
    expect(lastAuth()).toMatchObject({ status: 201, methods: ['password'] });
    const osc = await openstack(['volume', 'list', '-f', 'json'], env);
    expect(osc.code, osc.stderr).toBe(0);
    expect(lastAuth()).toMatchObject({ status: 201, methods: ['password'] });
  });

  it('an application credential with OS_PROJECT_NAME/OS_PROJECT_DOMAIN_NAME left over: volmig sends no scope and works; openstack sends it and Keystone refuses', async () => {
    const env = {
      OS_CLOUD: undefined,
      OS_CLIENT_CONFIG_FILE: undefined,
      OS_AUTH_URL: `${t.keystone!.proxy.url}/v3`,
      OS_AUTH_TYPE: 'v3applicationcredential',
      OS_APPLICATION_CREDENTIAL_ID: t.keystone!.appcredId,
      OS_APPLICATION_CREDENTIAL_SECRET: t.keystone!.appcredSecret,
      OS_PROJECT_NAME: 'admin',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_REGION_NAME: 'RegionOne',
    };
    const r = await t.run(['pools', '--json'], { env });
    expectExit(r, 0);
    expect(lastAuth()).toEqual({ status: 201, methods: ['application_credential'], user: { id: t.keystone!.appcredId }, scope: undefined });
    const osc = await openstack(['volume', 'list', '-f', 'json'], env);
    expect(osc.code).not.toBe(0);
    expect(osc.stderr).toContain('Application credentials cannot request a scope.');
    expect(lastAuth()).toEqual({ status: 401, methods: ['application_credential'], user: { id: t.keystone!.appcredId }, scope: { project: { name: 'admin', domain: { name: 'Default' } } } });
  });

  describe('3. a regions: list', () => {
    const hits = () => regionB.filter((h) => h.client === 'volmig').length;

    it('no region asked for: the list’s first (RegionB) — volmig and openstack both go there', async () => {
      const file = cloudsWith('regions', (c) => {
        delete c.region_name;
        return { ...c, regions: ['RegionB', 'RegionOne'] };
      });
      const before = hits();
      const r = await t.run(['pools', '--json'], { env: { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'regions' } });
      expectExit(r, 0);
      expect(r.stderr).toMatch(/catalog: block-storage public RegionB http:\/\/127\.0\.0\.1:18776\/v3\//);
      expect(hits()).toBeGreaterThan(before);

      const osc = await openstack(['volume', 'list', '-f', 'json'], { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'regions' });
      expect(osc.code, osc.stderr).toBe(0);
      expect(regionB.some((h) => h.client !== 'volmig' && /\/volumes\/detail/.test(h.url))).toBe(true);
    });

    it('OS_REGION_NAME in the list is used; one outside it (RegionC, in the catalog) is exit 2 before any request', async () => {
      const file = cloudsWith('regions', (c) => {
        delete c.region_name;
        return { ...c, regions: ['RegionB', 'RegionOne'] };
      });
      const before = hits();
      const one = await t.run(['pools', '--json'], { env: { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'regions', OS_REGION_NAME: 'RegionOne' } });
      expectExit(one, 0);
      expect(one.stderr).toMatch(/catalog: block-storage public RegionOne http:\/\/127\.0\.0\.1:8776\/v3\//);
      expect(hits()).toBe(before);

      const tokens = t.keystone!.proxy.authRequests.length;
      const c = await t.run(['pools'], { env: { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'regions', OS_REGION_NAME: 'RegionC' } });
      expectExit(c, 2);
      expect(c.stderr).toContain("Error: region 'RegionC' (OS_REGION_NAME) is not a region of cloud 'regions': its regions are RegionB, RegionOne");
      expect(t.keystone!.proxy.authRequests.length, describeRun(c)).toBe(tokens);

      const osc = await openstack(['volume', 'list', '-f', 'json'], { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'regions', OS_REGION_NAME: 'RegionC' });
      expect(osc.code).not.toBe(0);
      expect(osc.stderr).toContain('Region RegionC is not a valid region name for cloud regions');
    });

    it('region_name: "RegionB,RegionOne" is the same list', async () => {
      const file = cloudsWith('regions', (c) => ({ ...c, region_name: 'RegionB,RegionOne' }));
      const before = hits();
      const r = await t.run(['pools', '--json'], { env: { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'regions' } });
      expectExit(r, 0);
      expect(r.stderr).toMatch(/catalog: block-storage public RegionB /);
      expect(hits()).toBeGreaterThan(before);
    });

    it('4. block_storage_region_name: RegionB is honoured (openstacksdk’s key; the openstack volume commands ignore it)', async () => {
      const file = cloudsWith('per-service', (c) => ({ ...c, region_name: 'RegionOne', block_storage_region_name: 'RegionB' }));
      const before = hits();
      const r = await t.run(['pools', '--json'], { env: { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'per-service' } });
      expectExit(r, 0);
      expect(r.stderr).toMatch(/catalog: block-storage public RegionB /);
      expect(hits()).toBeGreaterThan(before);

      const seen = regionB.length;
      const osc = await openstack(['volume', 'list', '-f', 'json'], { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'per-service' });
      expect(osc.code, osc.stderr).toBe(0);
      expect(regionB.length).toBe(seen);
    });
  });
});
