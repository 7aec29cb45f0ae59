/**
 * End to end: a sandbox started with a transport URL migrates a volume over its HTTP API, and a real oslo.messaging
 * notification listener receives volume.migrate.start, .progress and .end for it, the same envelopes the sandbox
 * wrote to notifications.jsonl.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../../src/sandbox/index.js';
import {
  announceUnavailable,
  fileMessages,
  Listener,
  missingPrerequisite,
  transportUrlFromEnvironment,
  unavailableTest,
} from './helpers.js';

const MiB = 1024 * 1024;
const transportUrl = transportUrlFromEnvironment();
const unavailable = await missingPrerequisite(transportUrl);
announceUnavailable(unavailable, 'sandbox-to-oslo-listener integration test');

async function call(sandbox: SandboxHandle, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${sandbox.url}/admin${path}`, {
    method,
    headers: {
      'X-Auth-Token': 'admin:admin',
      'OpenStack-API-Version': 'volume 3.72',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe('volmig sandbox --transport-url: an oslo.messaging listener sees a migration', () => {
  if (unavailable) {
    unavailableTest(it, unavailable);
    return;
  }
  let sandbox: SandboxHandle | undefined;
  let listener: Listener | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await sandbox?.stop();
    await listener?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    sandbox = listener = dataDir = undefined;
  });

  it('receives volume.migrate.start, progress at each report interval, and end, in order', async () => {
    listener = new Listener(transportUrl!, ['--pool', 'volmig-test']);
    await listener.started();
    dataDir = mkdtempSync(join(tmpdir(), 'volmig-sandbox-it-'));
    const logs: string[] = [];
    // A 1 GiB volume is 16 MiB here, copied at 16 MiB/s: about a second, with a report every 0.2 s.
    sandbox = await startSandbox({
      port: 0,
      seed: 'demo',
      dataDir,
      transportUrl,
      gibBytes: 16 * MiB,
      copyRateMiBps: 16,
      reportIntervalSeconds: 0.2,
      phaseDelayMs: 50,
      onLog: (line) => logs.push(line),
    });
    const volumes = await call(sandbox, 'GET', '/volumes/detail');
    expect(volumes.status).toBe(200);
    const hostOf = (v: Record<string, unknown>) => v['os-vol-host-attr:host'] as string | null | undefined;
    const volume = volumes.body.volumes.find(
      (v: Record<string, unknown>) => hostOf(v)?.startsWith('sandbox@lvm-1#') && v.size === 1 && v.status === 'available',
    );
    expect(volume, `a seeded 1 GiB volume on lvm-1 among ${JSON.stringify(volumes.body.volumes.map(hostOf))}`).toBeDefined();
    const destination = 'sandbox@lvm-2#lvm-2';
    const accepted = await call(sandbox, 'POST', `/volumes/${volume.id}/action`, { 'os-migrate_volume': { host: destination } });
    expect(accepted.status).toBe(202);

    const ours = () => listener!.received.filter((r) => r.payload.volume_id === volume.id);
    await listener.waitUntil(() => ours().some((r) => r.event_type.startsWith('volume.migrate.end') || r.event_type === 'volume.migrate.error'), 'the end of the migration', 60000);
    const received = ours();
    const types = received.map((r) => r.event_type);
    expect(types[0]).toBe('volume.migrate.start');
    expect(types.at(-1)).toBe('volume.migrate.end');
    const progress = received.filter((r) => r.event_type === 'volume.migrate.progress');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(types).toEqual(['volume.migrate.start', ...progress.map(() => 'volume.migrate.progress'), 'volume.migrate.end']);
    for (const r of received) {
      expect(r.priority).toBe('INFO');
      expect(r.publisher_id).toBe('volume.sandbox@lvm-1');
      expect(r.payload.source_host).toBe(hostOf(volume));
      expect(r.payload.destination_host).toBe(destination);
    }
    const percents = progress.map((r) => Number(r.payload.migration_progress));
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    expect(received.at(-1)!.payload.bytes_copied).toBe(16 * MiB);

    // What the listener got is exactly what the sandbox recorded for this volume.
    const recorded = fileMessages(dataDir).filter((m) => m.payload.volume_id === volume.id);
    expect(received.map((r) => [r.message_id, r.timestamp, r.event_type])).toEqual(
      recorded.map((m) => [m.message_id, m.timestamp, m.event_type]),
    );
    expect(logs.some((line) => /notifications: publishing to RabbitMQ at rabbit:\/\/guest:\*\*\*@/.test(line))).toBe(true);
    expect(logs.join('\n')).not.toContain('guest:guest');
  });
});
