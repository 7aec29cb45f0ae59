/**
 * The one setting that picks what the scenarios run against: VOLMIG_TARGET = sandbox | realcinder | keystone.
 *
 *   sandbox     `volmig sandbox --port 0 --data-dir <tmp>` started by the suite (global-setup.ts), noauth
 *   realcinder  real Cinder 21.3 on 127.0.0.1:8776 with noauth (test/conformance/real-cinder/up.sh)
 *   keystone    the same Cinder behind real Keystone 22 (test/conformance/keystone/up.sh), clouds.yaml
 *
 * Everything that legitimately differs between the targets is named here (layout, data checksums, auth) or
 * in the scenario itself (expected behaviour), so the scenarios read the same for every target.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, closeSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, inject } from 'vitest';
import { RawApi, hostOf, nameIdOf } from './api.js';
import { startKeystoneProxy, type KeystoneProxy } from './keystone-proxy.js';
import { baseEnv, describeRun, startVolmig, type CliOptions, type CliResult, type RunningCli } from './volmig.js';

const exec = promisify(execFile);

export type TargetKind = 'sandbox' | 'realcinder' | 'keystone';

export function targetKind(): TargetKind {
  const t = process.env.VOLMIG_TARGET ?? 'sandbox';
  if (t !== 'sandbox' && t !== 'realcinder' && t !== 'keystone') {
    throw new Error(`VOLMIG_TARGET must be sandbox, realcinder or keystone, not ${JSON.stringify(t)}`);
  }
  return t;
}

export const REALCINDER_DIR = process.env.VOLMIG_REALCINDER_DIR ?? '/tmp/volmig-realcinder';

import { REAL_LAYOUT, SANDBOX_LAYOUT, type Layout } from './layouts.js';

export { REAL_LAYOUT, SANDBOX_LAYOUT, type Layout };

export interface KeystoneInfo {
  authUrl: string;
  adminPassword: string;
  demoPassword: string;
  appcredId: string;
  appcredSecret: string;
  /** the rig's clouds.yaml, unmodified */
  cloudsYaml: string;
  /** a copy whose auth_url points at the recording proxy (so every token volmig is issued is known) */
  proxiedCloudsYaml: string;
  proxy: KeystoneProxy;
  adminToken(): Promise<{ token: string; projectId: string }>;
  userToken(user: string, password: string, project: string): Promise<{ token: string; projectId: string; body: any }>;
}

export interface Target {
  kind: TargetKind;
  layout: Layout;
  api: RawApi;
  /** environment that points volmig at the target (merged over baseEnv) */
  env: Record<string, string>;
  home: string;
  keystone?: KeystoneInfo;
  run(args: string[], options?: CliOptions): Promise<CliResult>;
  start(args: string[], options?: CliOptions): RunningCli;
  /** a volume on hostA with the unpinned type (so it may move to hostB), tracked for cleanup */
  movableVolume(name: string): Promise<any>;
  /** a volume of the assisted type plus the destination its backend can copy to itself */
  assistedVolume(name: string): Promise<{ volume: any; destination: string }>;
  /** a volume of the type pinned to backend A */
  pinnedVolume(name: string): Promise<any>;
  track(id: string): void;
  writePattern(volume: any): Promise<void>;
  checksum(volume: any): Promise<string>;
  /** every secret that must never appear in volmig's output or files */
  secrets(): string[];
  close(): Promise<void>;
}

export const RUN_ID = `${process.pid}`;

/** Unique, recognisable volume names: conf-<file>-<what>-<pid>. */
export function volName(what: string): string {
  return `conf-${what}-${RUN_ID}-${randomBytes(2).toString('hex')}`;
}

function readEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

async function keystoneToken(authUrl: string, body: unknown): Promise<{ token: string; projectId: string; body: any }> {
  const res = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json: any = await res.json();
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) throw new Error(`keystone token: HTTP ${res.status} ${JSON.stringify(json)}`);
  return { token, projectId: json.token.project?.id, body: json };
}

export function passwordAuth(user: string, password: string, project: string) {
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
      scope: { project: { name: project, domain: { name: 'Default' } } },
    },
  };
}

/** The sandbox's endpoint lines, published by global-setup.ts. */
declare module 'vitest' {
  export interface ProvidedContext {
    sandbox: { env: Record<string, string>; dataDir: string } | null;
  }
}

export async function openTarget(): Promise<Target> {
  const kind = targetKind();
  const home = mkdtempSync(join(tmpdir(), `volmig-conf-home-${kind}-`));
  const created = new Set<string>();
  let api: RawApi;
  let env: Record<string, string>;
  let layout: Layout;
  let keystone: KeystoneInfo | undefined;
  let dataDir: string | undefined;

  if (kind === 'sandbox') {
    const sb = inject('sandbox');
    if (!sb) throw new Error('the sandbox was not started by global-setup.ts');
    env = { ...sb.env };
    dataDir = sb.dataDir;
    const endpoint = env.OS_ENDPOINT!.replace(/\/$/, '');
    const project = env.OS_PROJECT_ID ?? 'admin';
    const user = env.OS_USER_ID ?? 'admin';
    const base = /\/v3$/.test(endpoint) ? `${endpoint}/${project}` : endpoint;
    api = new RawApi(base, async () => ({ 'X-Auth-Token': `${user}:${project}` }));
    layout = SANDBOX_LAYOUT;
  } else if (kind === 'realcinder') {
    env = { OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: 'http://127.0.0.1:8776/v3', OS_PROJECT_ID: 'admin', OS_USER_ID: 'admin' };
    api = new RawApi('http://127.0.0.1:8776/v3/admin', async () => ({ 'X-Auth-Token': 'admin:admin' }));
    layout = REAL_LAYOUT;
  } else {
    const ksDir = join(REALCINDER_DIR, 'keystone');
    const secrets = readEnvFile(join(ksDir, 'secrets.env'));
    const appcred = JSON.parse(readFileSync(join(ksDir, 'appcred-admin.json'), 'utf8'));
    const authUrl = 'http://127.0.0.1:5000/v3';
    const proxy = await startKeystoneProxy('http://127.0.0.1:5000');
    const cloudsYaml = join(ksDir, 'clouds.yaml');
    // outside HOME: the file-scan for secrets covers what volmig writes, not our own inputs
    const cloudsDir = mkdtempSync(join(tmpdir(), 'volmig-conf-clouds-'));
    const proxiedCloudsYaml = join(cloudsDir, 'clouds.yaml');
    writeFileSync(proxiedCloudsYaml, readFileSync(cloudsYaml, 'utf8').replaceAll(authUrl, `${proxy.url}/v3`), { mode: 0o600 });
    let admin: { token: string; projectId: string; at: number } | undefined;
    const adminToken = async () => {
      if (!admin || Date.now() - admin.at > 600_000) {
        const t = await keystoneToken(authUrl, passwordAuth('admin', secrets.ADMIN_PW!, 'admin'));
        admin = { token: t.token, projectId: t.projectId, at: Date.now() };
      }
      return admin;
    };
    const first = await adminToken();
    api = new RawApi(`http://127.0.0.1:8776/v3/${first.projectId}`, async () => ({ 'X-Auth-Token': (await adminToken()).token }));
    keystone = {
      authUrl,
      adminPassword: secrets.ADMIN_PW!,
      demoPassword: secrets.DEMO_PW!,
      appcredId: appcred.id,
      appcredSecret: appcred.secret,
      cloudsYaml,
      proxiedCloudsYaml,
      proxy,
      adminToken,
      userToken: (user, password, project) => keystoneToken(authUrl, passwordAuth(user, password, project)),
    };
    env = { OS_CLIENT_CONFIG_FILE: proxiedCloudsYaml, OS_CLOUD: 'ks-admin' };
    layout = REAL_LAYOUT;
  }

  const secrets = (): string[] => {
    if (!keystone) return [];
    return [keystone.adminPassword, keystone.demoPassword, keystone.appcredSecret, ...keystone.proxy.tokens].filter(Boolean);
  };

  const assertNoSecrets = (r: CliResult) => {
    for (const s of secrets()) {
      expect(r.stdout.includes(s), `a secret (${s.slice(0, 4)}...) appeared on stdout of: ${describeRun(r)}`).toBe(false);
      expect(r.stderr.includes(s), `a secret (${s.slice(0, 4)}...) appeared on stderr of: volmig ${r.args.join(' ')}`).toBe(false);
    }
  };

  // Issue 7: every scenario on the Keystone target runs with --debug, and no secret may show.
  const withDebug = (args: string[]) => (kind === 'keystone' ? ['--debug', ...args] : args);
  const fullEnv = (options?: CliOptions) => ({ ...baseEnv(home), ...env, ...(options?.env ?? {}) });

  const run = async (args: string[], options?: CliOptions) => {
    const r = await startVolmig(withDebug(args), fullEnv(options), options?.timeoutMs).done;
    assertNoSecrets(r);
    return r;
  };
  const start = (args: string[], options?: CliOptions) => {
    const running = startVolmig(withDebug(args), fullEnv(options), options?.timeoutMs);
    void running.done.then(assertNoSecrets);
    return running;
  };

  const track = (id: string) => created.add(id);

  const movableVolume = async (name: string) => {
    // created with the type pinned to A (so it lands on A), then retyped in place to the unpinned type
    const v = await api.createVolume(name, layout.pinnedA);
    track(v.id);
    const r = await api.action(v.id, { 'os-retype': { new_type: layout.unpinned, migration_policy: 'never' } });
    if (r.status !== 202) throw new Error(`retype ${v.id} to ${layout.unpinned}: HTTP ${r.status} ${r.text}`);
    return api.waitVolume(v.id, (x) => x.status === 'available' && x.volume_type === layout.unpinned, 60_000, 'retype never');
  };

  const assistedVolume = async (name: string) => {
    if (kind === 'sandbox') {
      const v = await api.createVolume(name, layout.assistedType);
      track(v.id);
      const pools = (await api.pools()).map((p) => p.name as string);
      const [hostBackend] = hostOf(v).split('#');
      const destination = pools.find((p) => p.startsWith(`${hostBackend}#`) && p !== hostOf(v));
      if (!destination) throw new Error(`no second pool on ${hostBackend}: ${pools.join(', ')}`);
      return { volume: v, destination };
    }
    const v = await movableVolume(name);
    return { volume: v, destination: hostOf(v) === layout.hostA ? layout.hostB : layout.hostA };
  };

  const pinnedVolume = async (name: string) => {
    const v = await api.createVolume(name, layout.pinnedA);
    track(v.id);
    return v;
  };

  /** Where the bytes of a volume live: RBD image or sandbox file (name_id may have changed the name). */
  const imageName = (v: any) => `volume-${nameIdOf(v) ?? v.id}`;
  const rbdPool = (v: any) => {
    const backend = hostOf(v).split('@')[1]!.split('#')[0]!; // ceph-a
    return `volumes-${backend.replace(/^ceph-/, '')}`;
  };
  const sandboxFile = (v: any) => {
    const [, rest] = hostOf(v).split('@');
    const [backend, pool] = rest!.split('#');
    const path = join(dataDir!, 'backends', backend!, pool!, imageName(v));
    if (existsSync(path)) return path;
    // layout changed? find the file by name anywhere under the data dir, and say so in the failure
    const found = findFile(dataDir!, imageName(v));
    if (!found) throw new Error(`no file ${imageName(v)} for volume ${v.id} under ${dataDir}`);
    return found;
  };
  const cephEnv = { ...process.env, CEPH_CONF: join(REALCINDER_DIR, 'ceph/ceph.conf') };

  const writePattern = async (v: any) => {
    const pattern = randomBytes(4 * 1024 * 1024);
    const marker = Buffer.from(`VOLMIG-CONFORMANCE-MARKER-${v.id}`);
    if (kind === 'sandbox') {
      const path = sandboxFile(v);
      const size = statSync(path).size;
      const fd = openSync(path, 'r+');
      try {
        writeSync(fd, pattern, 0, Math.min(pattern.length, size), 0);
        writeSync(fd, marker, 0, marker.length, Math.max(0, Math.floor(size * 0.9) - marker.length));
      } finally {
        closeSync(fd);
      }
      return;
    }
    const tmp = join(home, `pattern-${v.id}.bin`);
    writeFileSync(tmp, pattern);
    // python3-rbd (Debian) writes into the image in place: 4 MiB random at 0, a marker at 900 MiB
    const script = [
      'import sys, rados, rbd',
      'c = rados.Rados(conffile=sys.argv[1]); c.connect(); io = c.open_ioctx(sys.argv[2])',
      'img = rbd.Image(io, sys.argv[3]); img.write(open(sys.argv[4], "rb").read(), 0)',
      'img.write(sys.argv[5].encode(), min(900 * 1024 * 1024, img.size() - 64)); img.flush(); img.close(); io.close(); c.shutdown()',
    ].join('\n');
    await exec('/usr/bin/python3', ['-c', script, cephEnv.CEPH_CONF, rbdPool(v), imageName(v), tmp, marker.toString()], { env: cephEnv });
    rmSync(tmp);
  };

  const checksum = async (v: any) => {
    if (kind === 'sandbox') {
      const hash = createHash('md5');
      await new Promise<void>((res, rej) =>
        createReadStream(sandboxFile(v)).on('data', (d) => hash.update(d)).on('end', () => res()).on('error', rej),
      );
      return hash.digest('hex');
    }
    const { stdout } = await exec('bash', ['-c', `set -o pipefail; rbd export --no-progress ${rbdPool(v)}/${imageName(v)} - | md5sum`], {
      env: cephEnv,
      maxBuffer: 1024 * 1024,
    });
    return stdout.split(' ')[0]!;
  };

  const close = async () => {
    for (const id of created) await api.destroyVolume(id);
    // Issue 7: no secret in any file volmig wrote (journal, caches) under its HOME
    for (const file of walk(home)) {
      const text = readFileSync(file, 'latin1');
      for (const s of secrets()) {
        expect(text.includes(s), `a secret (${s.slice(0, 4)}...) was written to ${file}`).toBe(false);
      }
    }
    await keystone?.proxy.close();
    rmSync(home, { recursive: true, force: true });
  };

  return {
    kind, layout, api, env, home, keystone, run, start, movableVolume, assistedVolume, pinnedVolume, track,
    writePattern, checksum, secrets, close,
  };
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

function findFile(dir: string, name: string): string | undefined {
  return walk(dir).find((p) => p.endsWith(`/${name}`));
}
