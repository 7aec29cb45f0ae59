/**
 * The sandbox's notifications reach a real oslo.messaging notification listener (Debian python3-oslo.messaging,
 * what Ceilometer runs) through a real RabbitMQ. Run by test/integration/run.sh, which starts the broker
 * (rabbit-up.sh) and passes its URL in VOLMIG_TEST_TRANSPORT_URL.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNotifier } from '../../../src/sandbox/notifications.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const LISTENER = join(HERE, 'listener.py');

interface Received {
  priority: string;
  event_type: string;
  publisher_id: string;
  payload: Record<string, unknown>;
  message_id: string;
  timestamp: string;
}

function transportUrlFromEnvironment(): string | undefined {
  if (process.env.VOLMIG_TEST_TRANSPORT_URL) return process.env.VOLMIG_TEST_TRANSPORT_URL;
  const file = join(process.env.VOLMIG_RABBIT_DIR ?? '/tmp/volmig-rabbit', 'transport_url');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

/** Why the test cannot run here, or undefined when it can. */
async function missingPrerequisite(url: string | undefined): Promise<string | undefined> {
  if (!url) {
    return 'no RabbitMQ: VOLMIG_TEST_TRANSPORT_URL is unset and no transport_url file was written by rabbit-up.sh (run test/integration/run.sh)';
  }
  const { hostname, port } = new URL(url.replace(/^rabbit:/, 'http:'));
  if (!(await reachable(hostname, Number(port || 5672)))) return `RabbitMQ does not answer on ${hostname}:${port || 5672}`;
  const probe = spawnSync(PYTHON, ['-c', 'import oslo_messaging'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return `${PYTHON} cannot import oslo_messaging (apt-get install python3-oslo.messaging): ${probe.error?.message ?? probe.stderr.trim().split('\n').at(-1)}`;
  }
  return undefined;
}

class Listener {
  readonly received: Received[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly stderr: string[] = [];
  private ready = false;
  private exited = false;

  constructor(url: string, args: string[]) {
    this.child = spawn(PYTHON, [LISTENER, url, ...args], { stdio: 'pipe' });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    this.child.once('exit', () => (this.exited = true));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const record = JSON.parse(line) as Received & { ready?: boolean };
      if (record.ready) this.ready = true;
      else this.received.push(record);
    });
  }

  async waitUntil(condition: () => boolean, what: string, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (this.exited) throw new Error(`listener exited while waiting for ${what}; its stderr:\n${this.stderr.join('')}`);
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}; received: ${JSON.stringify(this.received)}; listener stderr:\n${this.stderr.join('')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  started(): Promise<void> {
    return this.waitUntil(() => this.ready, 'the listener to bind its queues');
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15000);
    await exited;
    clearTimeout(timer);
  }
}

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

function fileMessages(dataDir: string): Array<{ message_id: string; timestamp: string; event_type: string }> {
  return readFileSync(join(dataDir, 'notifications.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(JSON.parse(line)['oslo.message']));
}

const transportUrl = transportUrlFromEnvironment();
const unavailable = await missingPrerequisite(transportUrl);
if (unavailable) {
  process.stderr.write(
    `\n${'!'.repeat(100)}\n!! SKIPPED: RabbitMQ notification integration tests: ${unavailable}\n` +
      `!! (under CI=true this is a failure)\n${'!'.repeat(100)}\n\n`,
  );
}

describe('sandbox notifications through RabbitMQ to an oslo.messaging listener', () => {
  if (unavailable) {
    it(`cannot run: ${unavailable}`, (context) => {
      if (process.env.CI === 'true') throw new Error(`CI=true and the RabbitMQ integration test cannot run: ${unavailable}`);
      context.skip();
    });
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
