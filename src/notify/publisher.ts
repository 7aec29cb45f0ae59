/**
 * The notification publisher the CLI uses for `--notify <transport url>`: oslo.messaging v2 envelopes published to
 * the cloud's RabbitMQ (exchange `openstack`, topics `notifications.info` / `notifications.error`), through the
 * same AMQP publisher the sandbox uses. It connects at the first notification, never throws into the caller and
 * names the broker only by its password-free URL.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { AmqpNotificationPublisher } from './amqp.js';
import { envelopeAt, MonotonicMicros, routingKeyFor, type NotificationPriority } from './envelope.js';
import { parseTransportUrl } from './transport-url.js';

export type { NotificationPriority } from './envelope.js';
export { TransportUrlError, redactTransportUrl } from './transport-url.js';

export interface NotificationPublisher {
  /** Queues one notification for the broker; returns at once, never throws (problems are logged, once). */
  publish(eventType: string, priority: NotificationPriority, payload: Record<string, unknown>, publisherId: string): void;
  /** Delivers what is queued within `timeoutMs` (default 5 s), then disconnects. Never rejects. */
  close(timeoutMs?: number): Promise<void>;
  /** The transport URL with every password replaced by `***`. */
  readonly redactedUrl: string;
}

export interface NotificationPublisherOptions {
  /** Where the publisher's one-line reports go (outages, giving up, undelivered at close); never a password. */
  log: (line: string) => void;
  /** Per connection attempt (default 3 s: a CLI may wait this long for a dead broker's socket before it exits). */
  connectTimeoutMs?: number;
  /** Failed connection attempts per outage before publishing is given up (default 4). */
  maxConnectAttempts?: number;
  closeTimeoutMs?: number;
}

/** oslo's `<service>.<host>` for notifications volmig publishes: `volmig.<this machine's host name>`. */
export function volmigPublisherId(host: string = hostname()): string {
  return `volmig.${host}`;
}

/**
 * Reads the transport URL now (throws TransportUrlError, one line without the password, for one it cannot read)
 * and connects later, at the first publish.
 */
export function createNotificationPublisher(transportUrl: string, options: NotificationPublisherOptions): NotificationPublisher {
  const { redacted } = parseTransportUrl(transportUrl);
  const clock = new MonotonicMicros();
  const amqp = new AmqpNotificationPublisher(transportUrl, {
    log: options.log,
    owner: 'volmig',
    connectTimeoutMs: options.connectTimeoutMs ?? 3_000,
    maxConnectAttempts: options.maxConnectAttempts ?? 4,
    closeTimeoutMs: options.closeTimeoutMs,
  });
  let unserializableLogged = false;
  return {
    redactedUrl: redacted,
    publish(eventType, priority, payload, publisherId) {
      let envelope: string;
      try {
        envelope = envelopeAt(eventType, priority, payload, publisherId, randomUUID(), clock.next());
      } catch (err) {
        if (!unserializableLogged) {
          unserializableLogged = true;
          options.log(`notifications: ${eventType} not published: ${err instanceof Error ? err.message : String(err)}`);
        }
        return;
      }
      amqp.publish(routingKeyFor(priority), Buffer.from(envelope, 'utf8'));
    },
    close: (timeoutMs) => amqp.close(timeoutMs),
  };
}
