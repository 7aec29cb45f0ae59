/**
 * Real Keystone 22 in front of real Cinder (VOLMIG_TARGET=keystone only; skipped on the noauth targets).
 * Every volmig run here has --debug (added by the target) and is checked for the admin and member passwords, the
 * application-credential secret and every token Keystone issued through the recording proxy; at the end every
 * file volmig wrote under its HOME is checked too (Target.close).
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { RawApi, hostOf, migstat } from '../lib/api.js';
import { ACCEPTED, expectExit, REFUSED } from '../lib/expect.js';
import { openTarget, targetKind, volName, type Target } from '../lib/target.js';
import { describeRun, REPO } from '../lib/volmig.js';

const exec = promisify(execFile);
const active = targetKind() === 'keystone';
let t: Target;
let vol: any;

beforeAll(async () => {
  if (!active) return;
  t = await openTarget();
  vol = await t.movableVolume(volName('ks'));
});
afterAll(async () => {
  await t?.close();
});

/** clouds.yaml for the run: the proxied copy plus extra clouds (region/interface variants) derived from ks-admin. */
function cloudsWith(extra: Record<string, (base: any) => any>): string {
  const doc = parse(readFileSync(t.keystone!.proxiedCloudsYaml, 'utf8'));
  for (const [name, make] of Object.entries(extra)) doc.clouds[name] = make(structuredClone(doc.clouds['ks-admin']));
  const dir = mkdtempSync(join(tmpdir(), 'volmig-conf-clouds-'));
  const file = join(dir, 'clouds.yaml');
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  return file;
}

/** OS_* password environment (no clouds.yaml at all) pointing at the recording proxy. */
function passwordEnv(password: string): Record<string, string | undefined> {
  return {
    OS_CLOUD: undefined,
    OS_CLIENT_CONFIG_FILE: undefined,
    OS_AUTH_URL: `${t.keystone!.proxy.url}/v3`,
    OS_USERNAME: 'admin',
    OS_PASSWORD: password,
    OS_PROJECT_NAME: 'admin',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: 'RegionOne',
  };
}

async function bounce(args: string[], env: Record<string, string | undefined>) {
  const before = hostOf(await t.api.volume(vol.id));
  const dest = before === t.layout.hostA ? t.layout.hostB : t.layout.hostA;
  const r = await t.run([...args, 'migrate', vol.id, dest, '--wait', '--interval', '1'], { env, timeoutMs: 120_000 });
  expectExit(r, 0);
  expect(r.stderr).toContain(ACCEPTED);
  expect(hostOf(await t.api.volume(vol.id))).toBe(dest);
}

async function readsWork(args: string[], env: Record<string, string | undefined>) {
  const pools = await t.run([...args, 'pools', '--json'], { env });
  expectExit(pools, 0);
  expect(JSON.parse(pools.stdout).map((p: any) => p.name)).toEqual(expect.arrayContaining([t.layout.hostA, t.layout.hostB]));
  const list = await t.run([...args, 'list', '--json'], { env });
  expectExit(list, 0);
  expect(JSON.parse(list.stdout).map((v: any) => v.id)).toContain(vol.id);
  const show = await t.run([...args, 'show', vol.id, '--json'], { env });
  expectExit(show, 0);
  expect(JSON.parse(show.stdout).id).toBe(vol.id);
}

describe.runIf(active)('Keystone auth paths [keystone]', () => {
  it('clouds.yaml password cloud with --os-cloud: list, show, pools, migrate --wait', async () => {
    const env = { OS_CLOUD: undefined };
    await readsWork(['--os-cloud', 'ks-admin'], env);
    await bounce(['--os-cloud', 'ks-admin'], env);
  });

  it('clouds.yaml password cloud with OS_CLOUD: list, show, pools, migrate --wait', async () => {
    const env = { OS_CLOUD: 'ks-admin' };
    await readsWork([], env);
    await bounce([], env);
  });

  it('OS_* password environment: list, show, pools, migrate --wait', async () => {
    const env = passwordEnv(t.keystone!.adminPassword);
    await readsWork([], env);
    await bounce([], env);
  });

  it('application-credential cloud: list, show, pools, migrate --wait', async () => {
    const env = { OS_CLOUD: 'ks-admin-appcred' };
    await readsWork([], env);
    await bounce([], env);
    expect(t.keystone!.proxy.authRequests.some((a) => a.methods.includes('application_credential') && a.status === 201)).toBe(true);
  });

  it('the clouds.yaml the rig writes works unmodified (auth_url straight at Keystone)', async () => {
    const r = await t.run(['list', '--json'], { env: { OS_CLIENT_CONFIG_FILE: t.keystone!.cloudsYaml, OS_CLOUD: 'ks-admin' } });
    expectExit(r, 0);
    expect(JSON.parse(r.stdout).map((v: any) => v.id)).toContain(vol.id);
  });

  it('wrong password: exit 4 with Keystone\'s reason', async () => {
    const r = await t.run(['pools'], { env: passwordEnv('definitely-not-the-password') });
    expectExit(r, 4);
    expect(r.stderr).toContain('The request you have made requires authentication.');
    expect(r.stderr).not.toContain('definitely-not-the-password');
  });

  it('member user: exit 4 with Cinder\'s policy message on pools and on migrate --skip-checks of its own volume', async () => {
    const demo = await t.keystone!.userToken('demo', t.keystone!.demoPassword, 'demo');
    const demoApi = new RawApi(`http://127.0.0.1:8776/v3/${demo.projectId}`, async () => ({ 'X-Auth-Token': demo.token }));
    const created = await demoApi.call('POST', '/volumes', { volume: { size: 1, name: volName('demo'), volume_type: t.layout.unpinned } });
    expect(created.status, created.text).toBe(202);
    const id = created.body.volume.id;
    try {
      await demoApi.waitVolume(id, (v) => v.status === 'available');
      const pools = await t.run(['--os-cloud', 'ks-demo', 'pools'], { env: { OS_CLOUD: undefined } });
      expectExit(pools, 4);
      expect(pools.stderr).toContain("Policy doesn't allow scheduler_extension:scheduler_stats:get_pools to be performed.");

      const mig = await t.run(['--os-cloud', 'ks-demo', 'migrate', id, t.layout.hostB, '--skip-checks'], { env: { OS_CLOUD: undefined } });
      expectExit(mig, 4);
      expect(mig.stderr).toContain(
        `${REFUSED}Policy doesn't allow volume_extension:volume_admin_actions:migrate_volume to be performed. (HTTP 403)`,
      );
      const after = await demoApi.volume(id);
      expect(after.status).toBe('available');
    } finally {
      await demoApi.destroyVolume(id);
    }
  });

  it('a token revoked mid-run: volmig re-authenticates and migrate --wait still exits 0', async () => {
    const proxy = t.keystone!.proxy;
    const dest = hostOf(await t.api.volume(vol.id)) === t.layout.hostA ? t.layout.hostB : t.layout.hostA;
    const issuedBefore = proxy.tokens.length;
    // generic copy of 1 GiB: ~15 s on real Cinder, long enough to revoke the token between two polls
    const running = t.start(['migrate', vol.id, dest, '--force-host-copy', '--wait', '--interval', '1'], { timeoutMs: 150_000 });
    await running.waitFor(new RegExp(ACCEPTED.slice(0, 40)));
    expect(proxy.tokens.length).toBe(issuedBefore + 1);
    const volmigToken = proxy.tokens[proxy.tokens.length - 1]!;
    const admin = await t.keystone!.adminToken();
    const revoke = await fetch(`${t.keystone!.authUrl}/auth/tokens`, {
      method: 'DELETE',
      headers: { 'X-Auth-Token': admin.token, 'X-Subject-Token': volmigToken },
    });
    expect(revoke.status).toBe(204);
    const check = await fetch(`${t.keystone!.authUrl}/auth/tokens`, {
      headers: { 'X-Auth-Token': admin.token, 'X-Subject-Token': volmigToken },
    });
    expect(check.status).toBe(404);

    const r = await running.done;
    expectExit(r, 0);
    expect(proxy.tokens.length, describeRun(r)).toBeGreaterThan(issuedBefore + 1);
    // --debug shows Cinder's 401 for the revoked token, then the new token request
    expect(r.stderr).toMatch(/< 401 GET http:\/\/127\.0\.0\.1:8776\//);
    const v = await t.api.volume(vol.id);
    expect(hostOf(v)).toBe(dest);
    expect(migstat(v)).toBe('success');
  });

  describe('endpoint from the catalog', () => {
    const created: { endpoints: string[]; region?: string } = { endpoints: [] };
    let admin: { token: string; projectId: string };
    const ks = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${t.keystone!.authUrl}${path}`, {
        method,
        headers: { 'X-Auth-Token': admin.token, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };

    beforeAll(async () => {
      if (!active) return;
      admin = await t.keystone!.adminToken();
      // RegionTwo has only a volumev3 service endpoint (no block-storage): volmig must fall back to volumev3.
      // Its internal endpoint is the real Cinder, its public one a closed loopback port.
      const region = await ks('POST', '/regions', { region: { id: 'RegionTwo', description: 'volmig conformance' } });
      expect([201, 409]).toContain(region.status);
      created.region = 'RegionTwo';
      const services = await ks('GET', '/services?type=volumev3');
      const svc = services.body.services[0];
      for (const [iface, url] of [
        ['internal', 'http://127.0.0.1:8776/v3/%(project_id)s'],
        ['public', 'http://127.0.0.1:9/v3/%(project_id)s'],
      ] as const) {
        const ep = await ks('POST', '/endpoints', { endpoint: { service_id: svc.id, interface: iface, url, region_id: 'RegionTwo' } });
        expect(ep.status).toBe(201);
        created.endpoints.push(ep.body.endpoint.id);
      }
    });
    afterAll(async () => {
      if (!active) return;
      for (const id of created.endpoints) await ks('DELETE', `/endpoints/${id}`);
      if (created.region) await ks('DELETE', `/regions/${created.region}`);
    });

    it('block-storage is used in RegionOne; in RegionTwo only volumev3 exists and interface internal is honoured', async () => {
      const file = cloudsWith({
        'r2-internal': (c) => ({ ...c, region_name: 'RegionTwo', interface: 'internal' }),
        'r2-public': (c) => ({ ...c, region_name: 'RegionTwo', interface: 'public' }),
        'r3': (c) => ({ ...c, region_name: 'RegionThree' }),
      });
      const one = await t.run(['pools', '--json'], { env: { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'ks-admin' } });
      expectExit(one, 0);
      expect(one.stderr).toMatch(/catalog: block-storage public RegionOne http:\/\/127\.0\.0\.1:8776\/v3\//);

      const internal = await t.run(['pools', '--json'], { env: { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'r2-internal' } });
      expectExit(internal, 0);
      expect(internal.stderr).toMatch(/catalog: volumev3 internal RegionTwo http:\/\/127\.0\.0\.1:8776\/v3\//);
      expect(JSON.parse(internal.stdout).map((p: any) => p.name)).toContain(t.layout.hostA);

      // the public endpoint of RegionTwo is a closed port: proof that the interface choice is what volmig used
      const pub = await t.run(['pools'], { env: { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'r2-public' } });
      expectExit(pub, 6);
      expect(pub.stderr).toContain('127.0.0.1:9');

      const none = await t.run(['pools'], { env: { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'r3' } });
      expect(none.code, describeRun(none)).not.toBe(0);
      expect(none.stderr).toContain('RegionThree');
    });
  });

  it('volmig list agrees with the Debian cinder and openstack CLIs (ids, hosts, migration status)', async () => {
    const cliEnv = {
      ...process.env,
      OS_AUTH_URL: t.keystone!.authUrl,
      OS_USERNAME: 'admin',
      OS_PASSWORD: t.keystone!.adminPassword,
      OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_REGION_NAME: 'RegionOne',
      OS_IDENTITY_API_VERSION: '3',
    };
    const [ours, cinder, osc] = await Promise.all([
      t.run(['list', '--json']),
      exec('cinder', ['--os-volume-api-version', '3.60', 'list', '--fields', 'os-vol-host-attr:host,migration_status'], { env: cliEnv }),
      exec('openstack', ['volume', 'list', '-f', 'json', '-c', 'ID'], { env: { ...cliEnv, OS_VOLUME_API_VERSION: '3' } }),
    ]);
    expectExit(ours, 0);
    const mine = new Map<string, { host: string; migstat: string }>(
      JSON.parse(ours.stdout).map((v: any) => [v.id, { host: hostOf(v), migstat: migstat(v) ?? 'None' }]),
    );
    // cinder's table: | ID | Os-Vol-Host-Attr:Host | Migration_Status |
    const theirs = new Map<string, { host: string; migstat: string }>();
    for (const line of cinder.stdout.split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      if (cells.length >= 4 && /^[0-9a-f-]{36}$/.test(cells[1]!)) theirs.set(cells[1]!, { host: cells[2]!, migstat: cells[3]! });
    }
    expect(theirs.size, cinder.stdout).toBeGreaterThan(0);
    expect(mine).toEqual(theirs);
    const oscIds = (JSON.parse(osc.stdout) as { ID: string }[]).map((r) => r.ID).sort();
    expect([...mine.keys()].sort()).toEqual(oscIds);
  });

  it('the README\'s Keystone clouds.yaml is the one these scenarios use, secrets replaced', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Keystone clouds.yaml (as tested)'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section);
    expect(block, 'README has no yaml block under "Keystone clouds.yaml (as tested)"').not.toBeNull();
    const documented = parse(block![1]!);
    const rig = parse(readFileSync(t.keystone!.cloudsYaml, 'utf8'));
    rig.clouds['ks-admin'].auth.password = '<password>';
    rig.clouds['ks-demo'].auth.password = '<password>';
    rig.clouds['ks-admin-appcred'].auth.application_credential_id = '<application credential id>';
    rig.clouds['ks-admin-appcred'].auth.application_credential_secret = '<application credential secret>';
    expect(documented).toEqual(rig);
  });

  it('no secret in any file volmig wrote, and the proxy saw the tokens it checks for', async () => {
    expect(t.keystone!.proxy.tokens.length).toBeGreaterThan(5);
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(t.home);
    for (const f of files) {
      const text = readFileSync(f, 'latin1');
      for (const s of t.secrets()) expect(text.includes(s), `secret in ${f}`).toBe(false);
    }
  });
});
