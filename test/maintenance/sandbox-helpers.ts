import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type SandboxHandle, type SandboxOptions } from '../../src/sandbox/index.js';
import type { SandboxLayout } from '../../src/sandbox/layout.js';
import { main } from '../../src/cli.js';
import type { Io } from '../../src/io.js';
import type { Volume } from '../../src/model/cinder.js';
import { capture, type CapturedStream } from '../helpers/run.js';
import { sandboxAdminApi, spawnCli, type Spawned } from '../helpers/cli-process.js';
import { sandboxVolumes } from '../helpers/sandbox-volumes.js';

export const MIB = 1024 * 1024;

/**
 * A sandbox on port 0 with a private data dir and a private volmig state dir (journal). Sizes are scaled so one
 * "GiB" is `gibMiB` MiB and copies are throttled to `copyRateMiBps`: a 1 GiB volume takes gibMiB/rate seconds.
 */
export interface TestCloud {
  sandbox: SandboxHandle;
  stateDir: string;
  env: Record<string, string>;
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** `node bin/volmig.js ...` (the built CLI, as users run it) against this cloud; pipes, so not a TTY. */
  cli(args: string[]): Spawned;
  volume(id: string): Promise<Volume>;
  volumes(): Promise<Volume[]>;
  createVolume(spec: { size: number; name: string; volume_type?: string }): Promise<Volume>;
  waitFor(id: string, done: (v: Volume) => boolean, timeoutMs?: number): Promise<Volume>;
  notifications(): Promise<{ event_type: string; timestamp: string; payload: Record<string, any> }[]>;
  stop(): Promise<void>;
}

export async function startCloud(options: Partial<SandboxOptions> & { gibMiB?: number } = {}): Promise<TestCloud> {
  const root = await mkdtemp(join(tmpdir(), 'volmig-e2e-'));
  const stateDir = join(root, 'state');
  await mkdir(stateDir, { recursive: true });
  const sandbox = await startSandbox({
    port: 0,
    dataDir: join(root, 'sandbox'),
    seed: 'none',
    gibBytes: (options.gibMiB ?? 4) * MIB,
    phaseDelayMs: 50,
    reportIntervalSeconds: 0.1,
    maxConcurrentCopies: 10,
    ...options,
  });
  const api = (method: string, path: string, body?: unknown) => sandboxAdminApi(sandbox.url, method, path, body);
  const adminVolumes = sandboxVolumes(sandbox.url);
  const cloud: TestCloud = {
    sandbox,
    stateDir,
    env: {
      OS_AUTH_TYPE: 'noauth',
      OS_ENDPOINT: sandbox.url,
      OS_PROJECT_ID: 'admin',
      OS_USER_ID: 'admin',
      XDG_STATE_HOME: stateDir,
    },
    api,
    cli: (args) => spawnCli(args, { cwd: stateDir, env: { HOME: stateDir, ...cloud.env } }),
    ...adminVolumes,
    async volumes() {
      return (await api('GET', '/volumes/detail?all_tenants=1')).body.volumes;
    },
    async notifications() {
      const text = await readFile(sandbox.notificationsPath, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(JSON.parse(line)['oslo.message']));
    },
    async stop() {
      await sandbox.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
  return cloud;
}

/** A source backend with room for everything (so unpinned volumes land there) and a two-pool destination. */
export const EVACUATION_LAYOUT: SandboxLayout = {
  hostName: 'node',
  availabilityZone: 'nova',
  backends: [
    { name: 'old', vendorName: 'Open Source', storageProtocol: 'iSCSI', mover: 'dd', migrationProgressReport: false, pools: [{ name: 'old', totalCapacityGb: 1000 }] },
    {
      name: 'new',
      vendorName: 'Sandbox Storage',
      storageProtocol: 'FC',
      mover: 'file-io',
      migrationProgressReport: true,
      pools: [
        { name: 'a', totalCapacityGb: 100 },
        { name: 'b', totalCapacityGb: 100 },
      ],
    },
  ],
  volumeTypes: [{ name: '__DEFAULT__', description: 'Default Volume Type' }, { name: 'old-only', backendName: 'old' }],
};

export interface LiveRun {
  stdout: CapturedStream;
  stderr: CapturedStream;
  signals: EventEmitter;
  done: Promise<number>;
}

/** Runs volmig in-process like runVolmig, but hands back the live streams and signal source while it runs. */
export function startVolmig(args: string[], env: Record<string, string>, options: { isTTY?: boolean; stdin?: Io['stdin'] } = {}): LiveRun {
  const stdout = capture(options.isTTY);
  const stderr = capture(options.isTTY);
  const signals = new EventEmitter();
  const io: Io = {
    stdout,
    stderr,
    stdin: options.stdin,
    env: { HOME: '/nonexistent-volmig-home', ...env },
    isTTY: Boolean(options.isTTY),
    cwd: env.XDG_STATE_HOME ?? tmpdir(),
    signals,
  };
  return { stdout, stderr, signals, done: main(['node', 'volmig', ...args], io) };
}

/** Migration spans from the sandbox's own notifications: start → end/error, per volume. */
export function migrationSpans(events: { event_type: string; timestamp: string; payload: Record<string, any> }[]) {
  const spans: { volumeId: string; destination: string; start: number; end: number; result: string }[] = [];
  const open = new Map<string, { start: number; destination: string }>();
  const t = (s: string) => Date.parse(s.replace(' ', 'T') + 'Z');
  for (const e of events) {
    const id = e.payload.volume_id as string;
    if (e.event_type === 'volume.migrate.start') open.set(id, { start: t(e.timestamp), destination: e.payload.destination_host });
    if (e.event_type === 'volume.migrate.end' || e.event_type === 'volume.migrate.error') {
      const o = open.get(id);
      if (o) spans.push({ volumeId: id, destination: o.destination, start: o.start, end: t(e.timestamp), result: e.event_type.split('.').pop()! });
      open.delete(id);
    }
  }
  return spans;
}

/** Most spans open at the same moment (optionally only those matching). */
export function maxOverlap(spans: { start: number; end: number }[]): number {
  const points = spans.flatMap((s) => [
    { at: s.start, d: 1 },
    { at: s.end, d: -1 },
  ]);
  // An end at the same instant as a start frees the slot first.
  points.sort((a, b) => a.at - b.at || a.d - b.d);
  let cur = 0;
  let max = 0;
  for (const p of points) {
    cur += p.d;
    max = Math.max(max, cur);
  }
  return max;
}

export const ESC = '\u001b';
