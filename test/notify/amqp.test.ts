import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AmqpNotificationPublisher } from '../../src/notify/amqp.js';
import { parseTransportUrl, redactTransportUrl } from '../../src/notify/transport-url.js';

describe('redactTransportUrl', () => {
  it.each([
    ['rabbit://guest:guest@127.0.0.1:5672/', 'rabbit://guest:***@127.0.0.1:5672/'],
    ['rabbit://u:p1@h1:5672,u2:p2@h2:5673/vh', 'rabbit://u:***@h1:5672,u2:***@h2:5673/vh'],
    ['rabbit://user:pa/ss@word@host:5672/vh?ssl=1', 'rabbit://user:***@host:5672/vh?ssl=1'],
    ['rabbit://user:pa,ss@host/', 'rabbit://***,***@host/'],
    ['rabbit://u:p@h1:99x/', 'rabbit://u:***@***/'],
    ['rabbit://host:5672/', 'rabbit://host:5672/'],
    ['rabbit://onlyuser@host/', 'rabbit://onlyuser@host/'],
    ['rabbit://u:p@[::1]:5672/', 'rabbit://u:***@[::1]:5672/'],
    ['nonsense u:secret@x', '***'],
  ])('%s -> %s', (url, redacted) => {
    expect(redactTransportUrl(url)).toBe(redacted);
  });
});

describe('parseTransportUrl', () => {
  it('reads hosts, credentials (percent-decoded), ports and the vhost as oslo does', () => {
    expect(parseTransportUrl('rabbit://volmig:p%40ss%2Fw@127.0.0.1:5673,other:x@localhost/volmig%2Dtest')).toEqual({
      hosts: [
        { host: '127.0.0.1', port: 5673, username: 'volmig', password: 'p@ss/w' },
        { host: 'localhost', port: 5672, username: 'other', password: 'x' },
      ],
      virtualHostEncoded: 'volmig%2Dtest',
      redacted: 'rabbit://volmig:***@127.0.0.1:5673,other:***@localhost/volmig%2Dtest',
    });
  });

  it('defaults to guest/guest, port 5672 and the default vhost', () => {
    expect(parseTransportUrl('rabbit://127.0.0.1/')).toEqual({
      hosts: [{ host: '127.0.0.1', port: 5672, username: 'guest', password: 'guest' }],
      virtualHostEncoded: '',
      redacted: 'rabbit://127.0.0.1/',
    });
  });

  it.each([
    ['amqp://u:pw@h/', 'unsupported transport URL scheme "amqp:" in amqp://u:***@h/: use rabbit://user:pass@host:port/'],
    ['rabbit://u:pw@/', 'invalid transport URL rabbit://u:***@/: a host is missing'],
    ['rabbit://u:pw@h:0/', 'invalid transport URL rabbit://u:***@h:0/: port 0 is out of range'],
    ['rabbit://u:%zz@h/', 'invalid transport URL rabbit://u:***@h/: bad percent-encoding in the password'],
    ['127.0.0.1:5672', 'invalid transport URL 127.0.0.1:5672: expected rabbit://user:pass@host:port/'],
  ])('rejects %s', (url, message) => {
    expect(() => parseTransportUrl(url)).toThrow(message);
  });
});

describe('AmqpNotificationPublisher reconnects a bounded number of times', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('gives up after maxConnectAttempts failed connections, then stays quiet and opens no more', async () => {
    // A loopback "broker" that hangs up on every connection: each accepted socket is one connection attempt.
    let attempts = 0;
    const sockets: Socket[] = [];
    server = createServer((socket) => {
      attempts++;
      sockets.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const logs: string[] = [];
    const publisher = new AmqpNotificationPublisher(`rabbit://volmig:topsecret@127.0.0.1:${port}/`, {
      log: (line) => logs.push(line),
      keptIn: '/data/notifications.jsonl',
      owner: 'the sandbox',
      maxConnectAttempts: 3,
      initialDelayMs: 20,
      maxDelayMs: 40,
    });
    publisher.publish('notifications.info', Buffer.from('{}'));
    const deadline = Date.now() + 5000;
    while (!logs.some((line) => line.includes('giving up')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(attempts).toBe(3);
    publisher.publish('notifications.info', Buffer.from('{}'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(attempts).toBe(3);
    await publisher.close();
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatch(
      new RegExp(
        `^notifications: RabbitMQ at rabbit://volmig:\\*\\*\\*@127\\.0\\.0\\.1:${port}/ unreachable \\(.+\\); ` +
          'notifications are still written to /data/notifications.jsonl; retrying \\(at most 3 attempts in all\\)$',
      ),
    );
    expect(logs[1]).toMatch(
      new RegExp(
        `^notifications: giving up on RabbitMQ at rabbit://volmig:\\*\\*\\*@127\\.0\\.0\\.1:${port}/ after 3 failed attempts ` +
          '\\(.+\\); notifications go to /data/notifications.jsonl only until the sandbox restarts$',
      ),
    );
    for (const line of logs) expect(line).not.toContain('topsecret');
  });
});
