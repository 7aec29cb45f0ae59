/**
 * The sandbox's notifications, in oslo.messaging's v2 envelope (what Cinder's messagingv2 notifier sends and
 * Ceilometer reads). Every notification is appended to `<dataDir>/notifications.jsonl`; with a transport URL it is
 * also published to RabbitMQ the way oslo publishes it (see ./amqp/publisher.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AmqpNotificationPublisher } from './amqp/publisher.js';
import { parseTransportUrl } from './amqp/transport-url.js';

export type NotificationPriority = 'INFO' | 'ERROR';

export interface Notifier {
  emit(eventType: string, priority: NotificationPriority, payload: Record<string, unknown>, publisherHost: string): void;
  close(): Promise<void>;
}

export const NOTIFICATIONS_FILE = 'notifications.jsonl';

// Python's json.dumps (which oslo uses for both layers) escapes everything outside printable ASCII.
function pythonJsonString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// Python prints floats with repr(): the same shortest digits as JS, but in exponent form below 1e-4, with a
// two-digit exponent ("1e-05"). Doubles from 1e16 up are all integers, which both print as integers.
function pythonJsonNumber(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  if (Number.isInteger(value)) return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  const sign = value < 0 ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exponent < -4) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${fraction}e-${String(-exponent).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  return `${sign}${whole}.${digits.slice(exponent + 1) || '0'}`;
}

/** The bytes Python's `json.dumps(value)` produces (default separators `", "` and `": "`, ensure_ascii). */
function pythonJsonDumps(value: unknown, seen: Set<object> = new Set()): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return pythonJsonString(value);
    case 'number':
      return pythonJsonNumber(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  const object = value as object;
  if (typeof (object as { toJSON?: unknown }).toJSON === 'function') {
    return pythonJsonDumps((object as { toJSON: () => unknown }).toJSON(), seen);
  }
  if (seen.has(object)) throw new TypeError('payload contains a circular reference');
  seen.add(object);
  try {
    if (Array.isArray(object)) {
      return `[${object.map((item) => pythonJsonDumps(item, seen) ?? 'null').join(', ')}]`;
    }
    const members: string[] = [];
    for (const [key, member] of Object.entries(object)) {
      const text = pythonJsonDumps(member, seen);
      if (text !== undefined) members.push(`${pythonJsonString(key)}: ${text}`);
    }
    return `{${members.join(', ')}}`;
  } finally {
    seen.delete(object);
  }
}

/** oslo's `str(timeutils.utcnow())` form, always with the six fractional digits: `2026-11-27 08:59:06.893512`. */
function formatTimestamp(epochMicros: number): string {
  const iso = new Date(Math.floor(epochMicros / 1000)).toISOString();
  const micros = String(((epochMicros % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${micros}`;
}

function envelopeAt(
  eventType: string,
  priority: NotificationPriority,
  payload: Record<string, unknown>,
  publisherHost: string,
  messageId: string,
  epochMicros: number,
): string {
  const message = pythonJsonDumps({
    message_id: messageId,
    publisher_id: `volume.${publisherHost}`,
    event_type: eventType,
    priority,
    payload,
    timestamp: formatTimestamp(epochMicros),
  })!;
  return `{"oslo.version": "2.0", "oslo.message": ${pythonJsonString(message)}}`;
}

/**
 * One notification as oslo.messaging's v2 envelope, JSON text without a newline, byte for byte what Python's
 * json.dumps writes. Throws TypeError on a payload JSON cannot hold (circular).
 */
export function buildEnvelope(
  eventType: string,
  priority: NotificationPriority,
  payload: Record<string, unknown>,
  publisherHost: string,
  options: { now?: Date; messageId?: string } = {},
): string {
  const now = options.now ?? new Date();
  return envelopeAt(eventType, priority, payload, publisherHost, options.messageId ?? randomUUID(), now.getTime() * 1000);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class FileAndBrokerNotifier implements Notifier {
  private pending: string[] = [];
  private writing: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private lastMicros = 0;
  private writeFailureLogged = false;
  private emitAfterCloseLogged = false;

  constructor(
    private readonly file: FileHandle,
    private readonly fileName: string,
    private readonly publisher: AmqpNotificationPublisher | undefined,
    private readonly log: (line: string) => void,
  ) {}

  emit(eventType: string, priority: NotificationPriority, payload: Record<string, unknown>, publisherHost: string): void {
    if (this.closing) {
      if (!this.emitAfterCloseLogged) {
        this.emitAfterCloseLogged = true;
        this.say(`notifier already closed; ${eventType} (and any later notification) not recorded`);
      }
      return;
    }
    // Millisecond clock, but strictly increasing microseconds: consumers that sort by timestamp keep emit order.
    this.lastMicros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    let envelope: string;
    try {
      envelope = envelopeAt(eventType, priority, payload, publisherHost, randomUUID(), this.lastMicros);
    } catch (err) {
      this.say(`${eventType} not recorded: ${errorText(err)}`);
      return;
    }
    this.pending.push(`${envelope}\n`);
    this.scheduleWrite();
    this.publisher?.publish(`notifications.${priority.toLowerCase()}`, Buffer.from(envelope, 'utf8'));
  }

  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<void> {
    while (this.writing) await this.writing;
    await this.file.close().catch((err: unknown) => this.say(`closing ${this.fileName} failed: ${errorText(err)}`));
    await this.publisher?.close();
  }

  private say(message: string): void {
    try {
      this.log(`notifications: ${message}`);
    } catch {}
  }

  private scheduleWrite(): void {
    if (this.writing) return;
    this.writing = this.drain().finally(() => {
      this.writing = undefined;
      if (this.pending.length > 0) this.scheduleWrite();
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const chunk = this.pending.splice(0).join('');
      try {
        await this.file.appendFile(chunk, 'utf8');
      } catch (err) {
        if (!this.writeFailureLogged) {
          this.writeFailureLogged = true;
          this.say(`writing ${this.fileName} failed (${errorText(err)}); notifications are being lost`);
        }
      }
    }
  }
}

/**
 * Opens (appends to) `<dataDir>/notifications.jsonl`. With `transportUrl` (oslo form, e.g.
 * `rabbit://guest:guest@127.0.0.1:5672/`) also publishes to RabbitMQ; a broker problem is logged, never thrown.
 * Throws UsageError for a transport URL it cannot read (message without the password).
 */
export async function createNotifier(options: {
  dataDir: string;
  transportUrl?: string;
  log?: (line: string) => void;
}): Promise<Notifier> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const fileName = join(options.dataDir, NOTIFICATIONS_FILE);
  // Validate before touching the disk so a mistyped URL fails the start-up cleanly.
  if (options.transportUrl !== undefined) parseTransportUrl(options.transportUrl);
  await mkdir(options.dataDir, { recursive: true });
  const file = await open(fileName, 'a', 0o644);
  const publisher =
    options.transportUrl === undefined ? undefined : new AmqpNotificationPublisher(options.transportUrl, { log, fileName });
  publisher?.start();
  return new FileAndBrokerNotifier(file, fileName, publisher, log);
}
