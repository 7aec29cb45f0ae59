/**
 * The sandbox's notifications reach a real oslo.messaging notification listener (Debian python3-oslo.messaging,
 * what Ceilometer runs) through a real RabbitMQ. Run by test/integration/run.sh, which starts the broker
 * (rabbit-up.sh) and passes its URL in VOLMIG_TEST_TRANSPORT_URL.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNotificationPublisher, volmigPublisherId } from '../../../src/notify/publisher.js';
import { createNotifier } from '../../../src/sandbox/notifications.js';
import {
  announceUnavailable,
  fileMessages,
  Listener,
  missingPrerequisite,
  transportUrlFromEnvironment,
  unavailableTest,
} from './helpers.js';

/** A loopback TCP relay to the broker whose connections the test can cut, and whose port it can close for a while. */
class CuttableRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect({ host: this.targetHost, port: this.targetPort });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Drops every relayed connection and refuses new ones until open() again. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

const transportUrl = transportUrlFromEnvironment();
const unavailable = await missingPrerequisite(transportUrl);
announceUnavailable(unavailable, 'RabbitMQ notification integration tests');

describe('sandbox notifications through RabbitMQ to an oslo.messaging listener', () => {
  if (unavailable) {
    unavailableTest(it, unavailable);
    return;
  }
  const url = transportUrl!;
  const host = 'sandbox@lvm-a';
  let dataDir: string;
  let listener: Listener | undefined;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'volmig-notify-it-'));
  });
  afterEach(async () => {
    await listener?.stop();
    listener = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  function migrationPayload(volumeId: string, percent: number, bytes: number): Record<string, unknown> {
    return {
      tenant_id: 'admin',
      user_id: 'admin',
      volume_id: volumeId,
      display_name: 'it-vol',
      size: 1,
      status: 'available',
      migration_status: percent === 100 ? 'success' : 'migrating',
      host: 'sandbox@lvm-a#lvm-a',
      source_host: 'sandbox@lvm-a#lvm-a',
      destination_host: 'sandbox@lvm-b#lvm-b',
      percent,
      bytes_copied: bytes,
    };
  }

  it('a listener (pool volmig-test) receives start, progress and end in order, and an error on notifications.error', async () => {
    listener = new Listener(url, ['--pool', 'volmig-test']);
    await listener.started();
    const logs: string[] = [];
    const notifier = await createNotifier({ dataDir, transportUrl: url, log: (line) => logs.push(line) });
    const volumeId = randomUUID();
    const failedId = randomUUID();
    const GiB = 1024 ** 3;
    notifier.emit('volume.migrate.start', 'INFO', migrationPayload(volumeId, 0, 0), host);
    notifier.emit('volume.migrate.progress', 'INFO', migrationPayload(volumeId, 25, GiB / 4), host);
    notifier.emit('volume.migrate.progress', 'INFO', migrationPayload(volumeId, 50, GiB / 2), host);
    notifier.emit('volume.migrate.error', 'ERROR', { ...migrationPayload(failedId, 10, 1), migration_status: 'error' }, host);
    notifier.emit('volume.migrate.end', 'INFO', migrationPayload(volumeId, 100, GiB), host);
    await notifier.close();

    const ours = () => listener!.received.filter((r) => r.payload.volume_id === volumeId || r.payload.volume_id === failedId);
    await listener.waitUntil(() => ours().length >= 5, 'five notifications');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const received = ours();
    expect(received).toHaveLength(5);

    const migration = received.filter((r) => r.payload.volume_id === volumeId);
    expect(migration.map((r) => [r.priority, r.event_type, r.publisher_id, r.payload.percent, r.payload.bytes_copied])).toEqual([
      ['INFO', 'volume.migrate.start', 'volume.sandbox@lvm-a', 0, 0],
      ['INFO', 'volume.migrate.progress', 'volume.sandbox@lvm-a', 25, GiB / 4],
      ['INFO', 'volume.migrate.progress', 'volume.sandbox@lvm-a', 50, GiB / 2],
      ['INFO', 'volume.migrate.end', 'volume.sandbox@lvm-a', 100, GiB],
    ]);
    expect(migration[3]!.payload).toEqual(migrationPayload(volumeId, 100, GiB));
    const [failure] = received.filter((r) => r.payload.volume_id === failedId);
    expect([failure!.priority, failure!.event_type, failure!.payload.migration_status]).toEqual(['ERROR', 'volume.migrate.error', 'error']);

    // The broker carried the very envelopes written to the file.
    const inFile = fileMessages(dataDir);
    expect(inFile.map((m) => m.event_type)).toEqual([
      'volume.migrate.start',
      'volume.migrate.progress',
      'volume.migrate.progress',
      'volume.migrate.error',
      'volume.migrate.end',
    ]);
    const byId = new Map(received.map((r) => [r.message_id, r.timestamp]));
    for (const m of inFile) expect(byId.get(m.message_id)).toBe(m.timestamp);

    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^notifications: publishing to RabbitMQ at rabbit:\/\/guest:\*\*\*@127\.0\.0\.1:\d+\/\S* \(exchange openstack\)$/);
  });

  it('reconnects after the broker connection drops and delivers, in order, what was emitted meanwhile', async () => {
    const broker = new URL(url.replace(/^rabbit:/, 'http:'));
    const relay = new CuttableRelay(broker.hostname, Number(broker.port || 5672));
    await relay.open();
    listener = new Listener(url, ['--pool', 'volmig-test']);
    await listener.started();
    const logs: string[] = [];
    const relayedUrl = url.replace(`@${broker.host}/`, `@127.0.0.1:${relay.port}/`);
    expect(relayedUrl).not.toBe(url);
    const notifier = await createNotifier({ dataDir, transportUrl: relayedUrl, log: (line) => logs.push(line) });
    const volumeId = randomUUID();
    const ours = () => listener!.received.filter((r) => r.payload.volume_id === volumeId);
    try {
      notifier.emit('volume.migrate.start', 'INFO', migrationPayload(volumeId, 0, 0), host);
      await listener.waitUntil(() => ours().length === 1, 'the start notification');

      await relay.cut();
      notifier.emit('volume.migrate.progress', 'INFO', migrationPayload(volumeId, 30, 30), host);
      notifier.emit('volume.migrate.progress', 'INFO', migrationPayload(volumeId, 60, 60), host);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(ours()).toHaveLength(1);
      await relay.open();
      notifier.emit('volume.migrate.end', 'INFO', migrationPayload(volumeId, 100, 100), host);
      await listener.waitUntil(() => ours().length >= 4, 'the notifications emitted during and after the outage', 60000);
    } finally {
      await notifier.close();
      await relay.cut();
    }
    expect(ours().map((r) => [r.event_type, r.payload.percent])).toEqual([
      ['volume.migrate.start', 0],
      ['volume.migrate.progress', 30],
      ['volume.migrate.progress', 60],
      ['volume.migrate.end', 100],
    ]);
    const published = logs.filter((line) => line.startsWith('notifications: publishing to RabbitMQ at'));
    const outage = logs.filter((line) => !line.startsWith('notifications: publishing to RabbitMQ at'));
    expect(published).toHaveLength(2);
    expect(outage).toHaveLength(1);
    expect(outage[0]).toMatch(/^notifications: (connection to RabbitMQ at rabbit:\/\/guest:\*\*\*@127\.0\.0\.1:\d+\/\S* closed; reconnecting|lost RabbitMQ .*)/);
  });

  it('notifications sent while no consumer runs wait in notifications.info / notifications.error (as oslo declares them)', async () => {
    const notifier = await createNotifier({ dataDir, transportUrl: url, log: () => undefined });
    const volumeId = randomUUID();
    notifier.emit('volume.migrate.start', 'INFO', migrationPayload(volumeId, 0, 0), host);
    notifier.emit('volume.migrate.error', 'ERROR', { ...migrationPayload(volumeId, 5, 1), migration_status: 'error' }, host);
    notifier.emit('volume.retype', 'INFO', migrationPayload(volumeId, 100, 2), host);
    await notifier.close();

    // Without a pool the listener consumes the queues named after the routing keys, the way Ceilometer does.
    listener = new Listener(url, ['--no-pool']);
    await listener.started();
    const ours = () => listener!.received.filter((r) => r.payload.volume_id === volumeId);
    await listener.waitUntil(() => ours().length >= 3, 'three queued notifications');
    const received = ours();
    expect(received.filter((r) => r.priority === 'INFO').map((r) => r.event_type)).toEqual(['volume.migrate.start', 'volume.retype']);
    expect(received.filter((r) => r.priority === 'ERROR').map((r) => r.event_type)).toEqual(['volume.migrate.error']);
  });
});

describe("volmig's own publisher (src/notify, for --notify) through RabbitMQ to an oslo.messaging listener", () => {
  if (unavailable) {
    unavailableTest(it, unavailable);
    return;
  }
  const url = transportUrl!;
  let listener: Listener | undefined;
  afterEach(async () => {
    await listener?.stop();
    listener = undefined;
  });

  it('connects at the first publish and delivers INFO and ERROR notifications with the given publisher id', async () => {
    listener = new Listener(url, ['--pool', 'volmig-cli-test']);
    await listener.started();
    const logs: string[] = [];
    const publisher = createNotificationPublisher(url, { log: (line) => logs.push(line) });
    // Nothing is said (nor connected) until there is something to publish.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(logs).toEqual([]);
    const volumeId = randomUUID();
    const publisherId = volmigPublisherId('ops-host');
    publisher.publish('volume.migrate.start', 'INFO', { volume_id: volumeId, source: 'none' }, publisherId);
    publisher.publish('volume.migrate.progress', 'INFO', { volume_id: volumeId, migration_progress: 40, source: 'process' }, publisherId);
    publisher.publish('volume.migrate.error', 'ERROR', { volume_id: volumeId, reason: 'copy failed' }, publisherId);
    await publisher.close(5000);
    const ours = () => listener!.received.filter((r) => r.payload.volume_id === volumeId);
    await listener.waitUntil(() => ours().length >= 3, 'three notifications');
    expect(ours().map((r) => [r.priority, r.event_type, r.publisher_id])).toEqual([
      ['INFO', 'volume.migrate.start', 'volmig.ops-host'],
      ['INFO', 'volume.migrate.progress', 'volmig.ops-host'],
      ['ERROR', 'volume.migrate.error', 'volmig.ops-host'],
    ]);
    expect(ours()[1]!.payload).toEqual({ volume_id: volumeId, migration_progress: 40, source: 'process' });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^notifications: publishing to RabbitMQ at rabbit:\/\/guest:\*\*\*@127\.0\.0\.1:\d+\/\S* \(exchange openstack\)$/);
  });
});
