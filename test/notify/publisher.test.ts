import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createNotificationPublisher, TransportUrlError, volmigPublisherId } from '../../src/notify/publisher.js';

describe('createNotificationPublisher (the CLI side of src/notify)', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** A loopback "broker" that accepts connections and never says a word: each accepted socket is counted. */
  async function silentBroker(): Promise<{ port: number; connections: () => number }> {
    let count = 0;
    server = createServer((socket) => {
      count++;
      sockets.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as { port: number }).port, connections: () => count };
  }

  it('refuses a transport URL it cannot read at once, in one line, without the password', () => {
    expect(() => createNotificationPublisher('amqp://ops:hunter2@broker:5672/', { log: () => undefined })).toThrow(TransportUrlError);
    try {
      createNotificationPublisher('rabbit://ops:hunter2@broker:0/', { log: () => undefined });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe('invalid transport URL rabbit://ops:***@broker:0/: port 0 is out of range');
    }
  });

  it('connects only at the first publish, and close() gives up within its timeout, saying what was not delivered', async () => {
    const broker = await silentBroker();
    const logs: string[] = [];
    const publisher = createNotificationPublisher(`rabbit://ops:hunter2@127.0.0.1:${broker.port}/`, { log: (line) => logs.push(line) });
    expect(publisher.redactedUrl).toBe(`rabbit://ops:***@127.0.0.1:${broker.port}/`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(broker.connections()).toBe(0);

    publisher.publish('volume.migrate.start', 'INFO', { volume_id: 'v1' }, volmigPublisherId('ops-host'));
    const deadline = Date.now() + 2000;
    while (broker.connections() === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(broker.connections()).toBe(1);

    const closing = Date.now();
    await publisher.close(300);
    expect(Date.now() - closing).toBeLessThan(1500);
    expect(logs).toEqual(['notifications: 1 notification(s) not delivered to RabbitMQ at shutdown']);
    // Publishing after close is a no-op, not an error.
    publisher.publish('volume.migrate.end', 'INFO', { volume_id: 'v1' }, 'volmig.ops-host');
    for (const line of logs) expect(line).not.toContain('hunter2');
  });

  it('publishes nothing for a payload JSON cannot hold, says so once, and never throws', async () => {
    const logs: string[] = [];
    const publisher = createNotificationPublisher('rabbit://127.0.0.1:1/', { log: (line) => logs.push(line) });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => publisher.publish('volume.migrate.progress', 'INFO', circular, 'volmig.h')).not.toThrow();
    expect(() => publisher.publish('volume.migrate.progress', 'INFO', circular, 'volmig.h')).not.toThrow();
    await publisher.close(100);
    expect(logs).toEqual(['notifications: volume.migrate.progress not published: payload contains a circular reference']);
  });

  it('names volmig and the host in the publisher id', () => {
    expect(volmigPublisherId('ops-1.example.org')).toBe('volmig.ops-1.example.org');
    expect(volmigPublisherId()).toMatch(/^volmig\..+/);
  });
});
