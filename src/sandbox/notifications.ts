/**
 * The sandbox's notifications, in oslo.messaging's v2 envelope (what Cinder's messagingv2 notifier sends and
 * Ceilometer reads). Every notification is appended to `<dataDir>/notifications.jsonl`; with a transport URL it is
 * also published to RabbitMQ the way oslo publishes it, through the publisher the CLI shares (src/notify/).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { AmqpNotificationPublisher } from '../notify/amqp.js';
import { buildEnvelope as buildOsloEnvelope, envelopeAt, MonotonicMicros, routingKeyFor, type NotificationPriority } from '../notify/envelope.js';
import { parseTransportUrl, TransportUrlError } from '../notify/transport-url.js';

export type { NotificationPriority } from '../notify/envelope.js';

export interface Notifier {
  emit(eventType: string, priority: NotificationPriority, payload: Record<string, unknown>, publisherHost: string): void;
  close(): Promise<void>;
}

const NOTIFICATIONS_FILE = 'notifications.jsonl';

/**
 * One notification as the sandbox sends it (publisher `volume.<host@backend>`, as Cinder's volume service), in
 * oslo.messaging's v2 envelope. Throws TypeError on a payload JSON cannot hold (circular).
 */
export function buildEnvelope(
  eventType: string,
  priority: NotificationPriority,
  payload: Record<string, unknown>,
  publisherHost: string,
  options: { now?: Date; messageId?: string } = {},
): string {
  return buildOsloEnvelope(eventType, priority, payload, `volume.${publisherHost}`, options);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class FileAndBrokerNotifier implements Notifier {
  private pending: string[] = [];
  private writing: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly clock = new MonotonicMicros();
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
    let envelope: string;
    try {
      envelope = envelopeAt(eventType, priority, payload, `volume.${publisherHost}`, randomUUID(), this.clock.next());
    } catch (err) {
      this.say(`${eventType} not recorded: ${errorText(err)}`);
      return;
    }
    this.pending.push(`${envelope}\n`);
    this.scheduleWrite();
    this.publisher?.publish(routingKeyFor(priority), Buffer.from(envelope, 'utf8'));
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
  // Validate before touching the disk so a mistyped URL fails the start-up cleanly (exit 2, one line).
  if (options.transportUrl !== undefined) {
    try {
      parseTransportUrl(options.transportUrl);
    } catch (err) {
      throw err instanceof TransportUrlError ? new UsageError(err.message) : err;
    }
  }
  await mkdir(options.dataDir, { recursive: true });
  const file = await open(fileName, 'a', 0o644);
  const publisher =
    options.transportUrl === undefined ? undefined : new AmqpNotificationPublisher(options.transportUrl, { log, keptIn: fileName, owner: 'the sandbox' });
  publisher?.start();
  return new FileAndBrokerNotifier(file, fileName, publisher, log);
}
