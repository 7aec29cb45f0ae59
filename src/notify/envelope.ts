/**
 * oslo.messaging's v2 notification envelope, byte for byte what Python's json.dumps writes, so that an oslo
 * listener (Ceilometer) reads it: `{"oslo.version": "2.0", "oslo.message": "<JSON of message_id, publisher_id,
 * event_type, priority, payload, timestamp>"}`.
 */
import { randomUUID } from 'node:crypto';

export type NotificationPriority = 'INFO' | 'ERROR';

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

/** One envelope at a given instant (microseconds since the epoch) with a given message id. */
export function envelopeAt(
  eventType: string,
  priority: NotificationPriority,
  payload: Record<string, unknown>,
  publisherId: string,
  messageId: string,
  epochMicros: number,
): string {
  const message = pythonJsonDumps({
    message_id: messageId,
    publisher_id: publisherId,
    event_type: eventType,
    priority,
    payload,
    timestamp: formatTimestamp(epochMicros),
  })!;
  return `{"oslo.version": "2.0", "oslo.message": ${pythonJsonString(message)}}`;
}

/**
 * One notification as oslo.messaging's v2 envelope, JSON text without a newline. `publisherId` is oslo's
 * `<service>.<host>` (Cinder's `volume.host@backend`). Throws TypeError on a payload JSON cannot hold (circular).
 */
export function buildEnvelope(
  eventType: string,
  priority: NotificationPriority,
  payload: Record<string, unknown>,
  publisherId: string,
  options: { now?: Date; messageId?: string } = {},
): string {
  const now = options.now ?? new Date();
  return envelopeAt(eventType, priority, payload, publisherId, options.messageId ?? randomUUID(), now.getTime() * 1000);
}

/** Timestamps from a millisecond clock that still increase strictly, so consumers sorting by them keep emit order. */
export class MonotonicMicros {
  private last = 0;

  next(): number {
    this.last = Math.max(Date.now() * 1000, this.last + 1);
    return this.last;
  }
}

/** The AMQP routing key (oslo's topic) a notification of this priority goes to. */
export function routingKeyFor(priority: NotificationPriority): string {
  return `notifications.${priority.toLowerCase()}`;
}
