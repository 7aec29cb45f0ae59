import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { buildEnvelope, createNotifier } from '../../src/sandbox/notifications.js';

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
const ENVELOPE_LINE = /^\{"oslo\.version": "2\.0", "oslo\.message": "(?:[^"\\]|\\.)*"\}$/;

interface OsloMessage {
  message_id: string;
  publisher_id: string;
  event_type: string;
  priority: string;
  payload: Record<string, unknown>;
  timestamp: string;
}

function readMessages(file: string): OsloMessage[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(JSON.parse(line)['oslo.message']) as OsloMessage);
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'volmig-notify-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('buildEnvelope', () => {
  it('writes the oslo v2 envelope byte for byte as Python json.dumps does', () => {
    const envelope = buildEnvelope(
      'volume.migrate.start',
      'INFO',
      { volume_id: 'a1', size: 1, migration_status: null, lock: false, metadata: {} },
      'sandbox@lvm-a#lvm-a',
      { now: new Date('2026-11-27T08:59:06.893Z'), messageId: '0b3c5a2e-7c1d-4f8a-9e2b-1d2c3b4a5f60' },
    );
    expect(envelope).toBe(
      '{"oslo.version": "2.0", "oslo.message": "{\\"message_id\\": \\"0b3c5a2e-7c1d-4f8a-9e2b-1d2c3b4a5f60\\", ' +
        '\\"publisher_id\\": \\"volume.sandbox@lvm-a#lvm-a\\", \\"event_type\\": \\"volume.migrate.start\\", ' +
        '\\"priority\\": \\"INFO\\", \\"payload\\": {\\"volume_id\\": \\"a1\\", \\"size\\": 1, ' +
        '\\"migration_status\\": null, \\"lock\\": false, \\"metadata\\": {}}, ' +
        '\\"timestamp\\": \\"2026-11-27 08:59:06.893000\\"}"}',
    );
  });

  it('formats the timestamp as oslo does, in UTC with microseconds', () => {
    const message = JSON.parse(
      JSON.parse(buildEnvelope('volume.retype', 'INFO', {}, 'h', { now: new Date('2026-01-02T03:04:05.006Z') }))['oslo.message'],
    );
    expect(message.timestamp).toBe('2026-01-02 03:04:05.006000');
    expect(message.message_id).toMatch(UUID4);
    expect(message.publisher_id).toBe('volume.h');
    expect(Object.keys(message)).toEqual(['message_id', 'publisher_id', 'event_type', 'priority', 'payload', 'timestamp']);
  });

  it('escapes and formats values exactly like Python (checked against /usr/bin/python3 when present)', () => {
    const payload = {
      display_name: 'café ✓ 😀 "quoted" back\\slash\ttab\u0001\u007f',
      percent: 42,
      ratio: 0.5,
      tiny: 0.00001,
      minute: -1.5e-17,
      big: 123456789.125,
      negative: -3.25,
      list: [1, 'two', null, true, { nested: [] }],
      volume_attachment: [],
    };
    const now = new Date('2026-11-27T09:12:36.200Z');
    const messageId = 'ea367382-d204-47ee-a002-452a6d238e40';
    const envelope = buildEnvelope('volume.migrate.progress', 'INFO', payload, 'sandbox@lvm-b', { now, messageId });
    expect(envelope).toMatch(/^[\x20-\x7e]+$/);
    expect(envelope).toContain('\\\\u00e9 \\\\u2713 \\\\ud83d\\\\ude00');
    expect(envelope).toContain('\\"tiny\\": 1e-05, \\"minute\\": -1.5e-17, \\"big\\": 123456789.125');
    // Integers past 2^53 print exactly, as Python prints the int it would hold (JSON.stringify rounds them).
    expect(buildEnvelope('e', 'INFO', { bytes: 2 ** 60 }, 'h')).toContain('{\\"bytes\\": 1152921504606846976}');
    const python = '/usr/bin/python3';
    const probe = spawnSync(python, ['-c', 'import json'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      process.stderr.write('notifications.test: /usr/bin/python3 not found; byte comparison with Python skipped\n');
      return;
    }
    const script = [
      'import json, sys',
      'd = json.loads(sys.stdin.read())',
      'msg = {"message_id": d["id"], "publisher_id": "volume.sandbox@lvm-b", "event_type": "volume.migrate.progress",',
      '       "priority": "INFO", "payload": d["payload"], "timestamp": "2026-11-27 09:12:36.200000"}',
      'sys.stdout.write(json.dumps({"oslo.version": "2.0", "oslo.message": json.dumps(msg)}))',
    ].join('\n');
    const result = spawnSync(python, ['-c', script], { input: JSON.stringify({ id: messageId, payload }), encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(envelope).toBe(result.stdout);
  });

  it('keeps Python key order and drops undefined members, as JSON does', () => {
    const envelope = buildEnvelope('e', 'ERROR', { b: 1, a: undefined, c: new Date('2026-11-27T00:00:00Z') }, 'h');
    const message = JSON.parse(JSON.parse(envelope)['oslo.message']);
    expect(message.priority).toBe('ERROR');
    expect(message.payload).toEqual({ b: 1, c: '2026-11-27T00:00:00.000Z' });
  });
});

describe('createNotifier (file only)', () => {
  it('appends one envelope per line, in emit order, with strictly increasing timestamps', async () => {
    const notifier = await createNotifier({ dataDir, log: () => undefined });
    for (let i = 0; i < 300; i++) {
      notifier.emit(i % 2 ? 'volume.migrate.progress' : 'volume.migrate.start', 'INFO', { seq: i }, 'sandbox@lvm-a');
    }
    await notifier.close();
    const lines = readFileSync(join(dataDir, 'notifications.jsonl'), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(300);
    for (const line of lines) expect(line).toMatch(ENVELOPE_LINE);
    const messages = readMessages(join(dataDir, 'notifications.jsonl'));
    expect(messages.map((m) => m.payload.seq)).toEqual([...Array(300).keys()]);
    expect(new Set(messages.map((m) => m.message_id)).size).toBe(300);
    for (const m of messages) {
      expect(m.message_id).toMatch(UUID4);
      expect(m.timestamp).toMatch(TIMESTAMP);
      expect(m.publisher_id).toBe('volume.sandbox@lvm-a');
    }
    const stamps = messages.map((m) => m.timestamp);
    expect([...stamps].sort()).toEqual(stamps);
    expect(new Set(stamps).size).toBe(300);
  });

  it('stamps the current UTC time', async () => {
    const notifier = await createNotifier({ dataDir, log: () => undefined });
    const before = Date.now();
    notifier.emit('volume.retype', 'INFO', {}, 'h');
    const after = Date.now();
    await notifier.close();
    const [message] = readMessages(join(dataDir, 'notifications.jsonl'));
    const stamped = Date.parse(`${message!.timestamp.replace(' ', 'T').slice(0, 23)}Z`);
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(after + 1);
  });

  it('has every line on disk once close() resolves, and records nothing emitted after close', async () => {
    const logs: string[] = [];
    const notifier = await createNotifier({ dataDir, log: (line) => logs.push(line) });
    notifier.emit('volume.migrate.start', 'INFO', { n: 1 }, 'h');
    notifier.emit('volume.migrate.error', 'ERROR', { n: 2 }, 'h');
    const closing = notifier.close();
    notifier.emit('volume.migrate.end', 'INFO', { n: 3 }, 'h');
    notifier.emit('volume.migrate.end', 'INFO', { n: 4 }, 'h');
    await closing;
    await notifier.close();
    const messages = readMessages(join(dataDir, 'notifications.jsonl'));
    expect(messages.map((m) => [m.event_type, m.priority, m.payload.n])).toEqual([
      ['volume.migrate.start', 'INFO', 1],
      ['volume.migrate.error', 'ERROR', 2],
    ]);
    expect(logs).toEqual(['notifications: notifier already closed; volume.migrate.end (and any later notification) not recorded']);
  });

  it('appends to an existing file and creates a missing data directory', async () => {
    const nested = join(dataDir, 'a', 'b');
    let notifier = await createNotifier({ dataDir: nested, log: () => undefined });
    notifier.emit('volume.migrate.start', 'INFO', {}, 'h');
    await notifier.close();
    notifier = await createNotifier({ dataDir: nested, log: () => undefined });
    notifier.emit('volume.migrate.end', 'INFO', {}, 'h');
    await notifier.close();
    expect(readMessages(join(nested, 'notifications.jsonl')).map((m) => m.event_type)).toEqual([
      'volume.migrate.start',
      'volume.migrate.end',
    ]);
  });

  it('logs and skips a payload JSON cannot hold instead of throwing', async () => {
    const logs: string[] = [];
    const notifier = await createNotifier({ dataDir, log: (line) => logs.push(line) });
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => notifier.emit('volume.migrate.progress', 'INFO', loop, 'h')).not.toThrow();
    notifier.emit('volume.migrate.end', 'INFO', {}, 'h');
    await notifier.close();
    expect(readMessages(join(dataDir, 'notifications.jsonl')).map((m) => m.event_type)).toEqual(['volume.migrate.end']);
    expect(logs).toEqual(['notifications: volume.migrate.progress not recorded: payload contains a circular reference']);
  });
});

describe('createNotifier with an unreachable RabbitMQ', () => {
  it('logs the outage once with the password redacted, keeps writing the file, and closes promptly', async () => {
    const port = await closedPort();
    const logs: string[] = [];
    const notifier = await createNotifier({
      dataDir,
      transportUrl: `rabbit://volmig:s3cr3t-p%40ss@127.0.0.1:${port}/`,
      log: (line) => logs.push(line),
    });
    notifier.emit('volume.migrate.start', 'INFO', { n: 1 }, 'h');
    await waitFor(() => logs.some((line) => line.includes('unreachable')));
    notifier.emit('volume.migrate.progress', 'INFO', { n: 2 }, 'h');
    notifier.emit('volume.migrate.end', 'INFO', { n: 3 }, 'h');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const started = Date.now();
    await notifier.close();
    expect(Date.now() - started).toBeLessThan(2000);

    expect(readMessages(join(dataDir, 'notifications.jsonl')).map((m) => m.payload.n)).toEqual([1, 2, 3]);
    const outage = logs.filter((line) => line.includes('unreachable'));
    expect(outage).toHaveLength(1);
    expect(outage[0]).toContain(`RabbitMQ at rabbit://volmig:***@127.0.0.1:${port}/ unreachable (`);
    expect(outage[0]).toContain('ECONNREFUSED');
    expect(outage[0]).toContain(join(dataDir, 'notifications.jsonl'));
    expect(logs.at(-1)).toMatch(/^notifications: 3 notification\(s\) not delivered to RabbitMQ at shutdown/);
    for (const line of logs) {
      expect(line).not.toContain('s3cr3t');
      expect(line).not.toContain('p@ss');
    }
  });

  it('rejects a transport URL it cannot use with a usage error that does not show the password', async () => {
    await expect(createNotifier({ dataDir, transportUrl: 'amqp://admin:hunter2@127.0.0.1:5672/' })).rejects.toThrow(
      new UsageError('unsupported transport URL scheme "amqp:" in amqp://admin:***@127.0.0.1:5672/: use rabbit://user:pass@host:port/'),
    );
    await expect(createNotifier({ dataDir, transportUrl: 'rabbit://admin:hunter2@127.0.0.1:99999/' })).rejects.toThrow(
      'invalid transport URL rabbit://admin:***@127.0.0.1:99999/: port 99999 is out of range',
    );
    await expect(createNotifier({ dataDir, transportUrl: 'not a url hunter2' })).rejects.toBeInstanceOf(UsageError);
  });
});

describe('file permissions', () => {
  it('does not truncate a notifications file written by an earlier run', async () => {
    const file = join(dataDir, 'notifications.jsonl');
    writeFileSync(file, '{"oslo.version": "2.0", "oslo.message": "{}"}\n');
    const notifier = await createNotifier({ dataDir, log: () => undefined });
    notifier.emit('volume.retype', 'INFO', {}, 'h');
    await notifier.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toBe('{"oslo.version": "2.0", "oslo.message": "{}"}');
    expect(lines).toHaveLength(3);
  });
});
