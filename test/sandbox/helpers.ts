import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type SandboxHandle, type SandboxOptions } from '../../src/sandbox/index.js';

export const MiB = 1024 * 1024;
/** Test volumes: size 1 is a 16 MiB file, so copies take a fraction of a second unthrottled. */
export const TEST_GIB_BYTES = 16 * MiB;

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

export interface TestSandbox extends SandboxHandle {
  origin: string;
  /** Request against the sandbox; `path` is either absolute (`/v3/...`, `/`) or relative to `/v3/<project>`. */
  call(method: string, path: string, options?: { body?: unknown; token?: string | null; mv?: string | null; project?: string; headers?: Record<string, string> }): Promise<Reply>;
  volume(id: string, mv?: string): Promise<Record<string, unknown>>;
  volumeByName(name: string): Promise<Record<string, unknown>>;
  fileOf(volume: Record<string, unknown>): string;
}

export async function startTestSandbox(options: SandboxOptions = {}): Promise<TestSandbox> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'volmig-sandbox-test-'));
  const handle = await startSandbox({
    port: 0,
    seed: 'demo',
    gibBytes: TEST_GIB_BYTES,
    phaseDelayMs: 60,
    reportIntervalSeconds: 0.1,
    ...options,
    dataDir,
  });
  const origin = handle.url.replace(/\/v3$/, '');
  const sandbox: TestSandbox = {
    ...handle,
    origin,
    async call(method, path, o = {}) {
      const project = o.project ?? 'admin';
      const url = path.startsWith('/v3') || path === '/' ? `${origin}${path}` : `${origin}/v3/${project}${path}`;
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      const token = o.token === undefined ? `${project}:${project}` : o.token;
      if (token !== null) headers['X-Auth-Token'] = token;
      const mv = o.mv === undefined ? '3.72' : o.mv;
      if (mv !== null) headers['OpenStack-API-Version'] = `volume ${mv}`;
      if (o.body !== undefined) headers['Content-Type'] = 'application/json';
      const res = await fetch(url, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
    },
    async volume(id, mv = '3.72') {
      const r = await sandbox.call('GET', `/volumes/${id}`, { mv });
      if (r.status !== 200) throw new Error(`GET volume ${id}: ${r.status} ${r.text}`);
      return r.body.volume;
    },
    async volumeByName(name) {
      const r = await sandbox.call('GET', `/volumes/detail?all_tenants=1&name=${encodeURIComponent(name)}`);
      const found = r.body.volumes as Record<string, unknown>[];
      if (found.length !== 1) throw new Error(`expected one volume named ${name}, got ${found.length}`);
      return found[0]!;
    },
    fileOf(volume) {
      const host = volume['os-vol-host-attr:host'] as string;
      const [, backendPool] = host.split('@') as [string, string];
      const [backend, pool] = backendPool.split('#') as [string, string];
      const fileId = (volume['os-vol-mig-status-attr:name_id'] as string | null) ?? (volume.id as string);
      return join(dataDir, 'backends', backend, pool, `volume-${fileId}`);
    },
    async stop() {
      await handle.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return sandbox;
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export async function waitFor<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Notification {
  event_type: string;
  priority: string;
  publisher_id: string;
  payload: Record<string, unknown>;
  timestamp: string;
}

/** Reads `<data-dir>/notifications.jsonl`, unwrapping each oslo v2 envelope. */
export function readNotifications(path: string): Notification[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const envelope = JSON.parse(line) as Record<string, string>;
      if (envelope['oslo.version'] !== '2.0') throw new Error(`not an oslo v2 envelope: ${line}`);
      return JSON.parse(envelope['oslo.message']!) as Notification;
    });
}

/**
 * The notifier appends asynchronously, so an event may land a moment after the API shows its effect: poll until
 * the events matching `select` satisfy `done`.
 */
export async function notificationsWhen(
  path: string,
  select: (n: Notification) => boolean,
  done: (events: Notification[]) => boolean,
  timeoutMs = 5000,
): Promise<Notification[]> {
  return waitFor(async () => readNotifications(path).filter(select), done, timeoutMs);
}
