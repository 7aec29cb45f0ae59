/**
 * Publishes notification bodies to RabbitMQ the way oslo.messaging's rabbit driver does for notifications, so that
 * an oslo notification listener (Ceilometer's agent) reads them: exchange `openstack` (topic, not durable), plus a
 * queue named after the routing key and bound to it, so messages wait for a consumer that has not started yet.
 *
 * Publishing never throws into the caller: an unreachable broker is logged once per outage, retried a bounded number
 * of times, then given up on. It connects at the first message (or at start()). Log lines name the broker by its
 * password-free URL, and any error text is scrubbed of the passwords before it is logged.
 */
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { parseTransportUrl, type TransportTarget } from './transport-url.js';

const NOTIFICATION_EXCHANGE = 'openstack';

export interface PublisherOptions {
  log: (line: string) => void;
  /** Where the notifications are kept whatever happens to the broker (the sandbox's file), named in log lines. */
  keptIn?: string;
  /** Who must restart to try a broker given up on again (default `volmig`). */
  owner?: string;
  /** Messages kept while the broker is away; past this the oldest are dropped (counted, logged once). */
  maxQueued?: number;
  /** Consecutive failed connection attempts tolerated per outage before publishing is given up. */
  maxConnectAttempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  connectTimeoutMs?: number;
  /** How long close() waits for queued messages to be confirmed by a connected broker. */
  closeTimeoutMs?: number;
}

interface Outgoing {
  routingKey: string;
  body: Buffer;
}

type State = 'running' | 'gave-up' | 'closed';

const PUBLISH_BATCH = 64;

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** Waits for `promise`, or `ms` at most. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))));
  try {
    await Promise.race([promise.then(() => undefined, () => undefined), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function isPreconditionFailed(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 406;
}

export class AmqpNotificationPublisher {
  private readonly target: TransportTarget;
  private readonly log: (line: string) => void;
  private readonly keptIn: string | undefined;
  private readonly owner: string;
  private readonly maxQueued: number;
  private readonly maxConnectAttempts: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly connectTimeoutMs: number;
  private readonly closeTimeoutMs: number;

  private state: State = 'running';
  private queue: Outgoing[] = [];
  private model: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private declaredKeys = new Set<string>();
  private pumping: Promise<void> | undefined;
  private cancelWait: (() => void) | undefined;
  private failedAttempts = 0;
  private hostIndex = 0;
  private outageLogged = false;
  private everConnected = false;
  private droppedWhileAway = 0;

  constructor(transportUrl: string, options: PublisherOptions) {
    this.target = parseTransportUrl(transportUrl);
    this.log = options.log;
    this.keptIn = options.keptIn;
    this.owner = options.owner ?? 'volmig';
    this.maxQueued = options.maxQueued ?? 10_000;
    this.maxConnectAttempts = options.maxConnectAttempts ?? 8;
    this.initialDelayMs = options.initialDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 15_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
  }

  get redactedUrl(): string {
    return this.target.redacted;
  }

  publish(routingKey: string, body: Buffer): void {
    if (this.state !== 'running') return;
    this.queue.push({ routingKey, body });
    if (this.queue.length > this.maxQueued) {
      this.queue.shift();
      if (this.droppedWhileAway++ === 0) {
        this.say(`more than ${this.maxQueued} notifications waiting for RabbitMQ; dropping the oldest${this.keptIn ? ` (they stay in ${this.keptIn})` : ''}`);
      }
    }
    this.kick();
  }

  /**
   * Waits (at most `timeoutMs`, default the closeTimeoutMs option) for queued messages to reach a reachable broker,
   * then disconnects, giving the broker 2 s more to answer. Never rejects.
   */
  async close(timeoutMs = this.closeTimeoutMs): Promise<void> {
    if (this.state === 'closed') return;
    const deadline = Date.now() + timeoutMs;
    // During a known outage nothing will be delivered in time: do not hold the shutdown for it.
    if (this.state === 'running' && this.queue.length > 0 && this.pumping && !this.outageLogged) {
      await within(this.pumping, deadline - Date.now());
    }
    const pending = this.queue.length;
    this.state = 'closed';
    this.queue = [];
    this.cancelWait?.();
    if (pending > 0) this.say(`${pending} notification(s) not delivered to RabbitMQ at shutdown${this.keptIn ? ` (they are in ${this.keptIn})` : ''}`);
    await this.disconnect();
    // A connection attempt still in flight ends on its own (its timeout) and closes what it opened; close() does
    // not wait past its deadline for it.
    if (this.pumping) await within(this.pumping.catch(() => undefined), Math.max(0, deadline - Date.now()));
  }

  private say(message: string): void {
    try {
      this.log(`notifications: ${message}`);
    } catch {}
  }

  /** What happens to notifications while the broker cannot take them. */
  private fallback(): string {
    return this.keptIn ? `notifications go to ${this.keptIn} only` : 'notifications are dropped';
  }

  /** Broker and socket errors do not quote credentials today; make sure a future one cannot leak them either. */
  private describe(err: unknown): string {
    let text = errorText(err);
    for (const { password } of this.target.hosts) {
      if (password.length > 0) text = text.split(password).join('***');
    }
    return text;
  }

  private kick(): void {
    if (this.pumping || this.state !== 'running') return;
    this.pumping = this.pump()
      .catch((err: unknown) => {
        // Not a broker problem but a fault here: retrying could spin, so stop publishing (the file goes on).
        this.say(`publisher stopped unexpectedly (${this.describe(err)}); ${this.fallback()}`);
        this.state = 'gave-up';
        this.queue = [];
        void this.disconnect();
      })
      .finally(() => {
        this.pumping = undefined;
        // Messages may have arrived between the loop's last check and here.
        if (this.state === 'running' && this.queue.length > 0) this.kick();
      });
  }

  /** Connects now rather than at the first notification, so a wrong URL or a missing broker shows at startup. */
  start(): void {
    this.kick();
  }

  private async pump(): Promise<void> {
    while (this.state === 'running') {
      if (!this.channel && !(await this.connect())) return;
      if (this.queue.length === 0) return;
      const channel = this.channel!;
      const batch = this.queue.slice(0, PUBLISH_BATCH);
      try {
        for (const message of batch) {
          await this.declare(message.routingKey);
          channel.publish(NOTIFICATION_EXCHANGE, message.routingKey, message.body, {
            contentType: 'application/json',
            contentEncoding: 'utf-8',
          });
        }
        await channel.waitForConfirms();
        // Only confirmed messages leave the queue: after a lost connection the batch is sent again.
        this.queue.splice(0, batch.length);
        this.failedAttempts = 0;
      } catch (err) {
        if (this.state !== 'running') return;
        await this.disconnect();
        // A broker that accepts the connection but refuses the declarations must not be retried in a tight loop.
        if (!(await this.failedAttempt(`lost RabbitMQ at ${this.target.redacted} while publishing`, err))) return;
      }
    }
  }

  /** Logs the outage once, then backs off; false once the attempts are used up (publishing is given up). */
  private async failedAttempt(what: string, err: unknown): Promise<boolean> {
    this.failedAttempts++;
    if (!this.outageLogged) {
      this.outageLogged = true;
      this.say(
        `${what} (${this.describe(err)}); ${this.keptIn ? `notifications are still written to ${this.keptIn}` : 'notifications wait'}; ` +
          `retrying (at most ${this.maxConnectAttempts} attempts in all)`,
      );
    }
    if (this.failedAttempts >= this.maxConnectAttempts) {
      this.say(
        `giving up on RabbitMQ at ${this.target.redacted} after ${this.failedAttempts} failed attempts ` +
          `(${this.describe(err)}); ${this.fallback()} until ${this.owner} restarts`,
      );
      this.state = 'gave-up';
      this.queue = [];
      return false;
    }
    await this.wait(Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (this.failedAttempts - 1)));
    return this.state === 'running';
  }

  private async connect(): Promise<boolean> {
    while (this.state === 'running') {
      const address = this.target.hosts[this.hostIndex % this.target.hosts.length]!;
      try {
        const { connect } = await import('amqplib');
        const model = await connect(
          {
            protocol: 'amqp',
            hostname: address.host,
            port: address.port,
            username: address.username,
            password: address.password,
            vhost: this.target.virtualHostEncoded,
            heartbeat: 60,
          },
          { timeout: this.connectTimeoutMs },
        );
        if (this.state !== 'running') {
          await model.close().catch(() => undefined);
          return false;
        }
        model.on('error', () => undefined);
        model.on('close', () => this.onConnectionClosed(model));
        model.on('blocked', (reason: string) => this.say(`RabbitMQ blocks publishing (${reason}); notifications wait`));
        model.on('unblocked', () => this.say('RabbitMQ accepts publishing again'));
        let channel: ConfirmChannel;
        try {
          channel = await model.createConfirmChannel();
        } catch (err) {
          await model.close().catch(() => undefined);
          throw err;
        }
        channel.on('error', () => undefined);
        channel.on('close', () => {
          if (this.channel === channel) void this.disconnect();
        });
        this.model = model;
        this.channel = channel;
        this.declaredKeys.clear();
        const hadOutage = this.outageLogged;
        this.outageLogged = false;
        if (!this.everConnected || hadOutage) {
          this.say(`publishing to RabbitMQ at ${this.target.redacted} (exchange ${NOTIFICATION_EXCHANGE})`);
        }
        if (this.droppedWhileAway > 0) {
          this.say(`${this.droppedWhileAway} notification(s) were dropped from the RabbitMQ queue while it was away`);
          this.droppedWhileAway = 0;
        }
        this.everConnected = true;
        return true;
      } catch (err) {
        if (this.state !== 'running') return false;
        this.hostIndex++;
        if (!(await this.failedAttempt(`RabbitMQ at ${this.target.redacted} unreachable`, err))) return false;
      }
    }
    return false;
  }

  private onConnectionClosed(model: ChannelModel): void {
    if (this.model !== model) return;
    this.model = undefined;
    this.channel = undefined;
    if (this.state !== 'running') return;
    if (!this.outageLogged) {
      this.outageLogged = true;
      this.say(`connection to RabbitMQ at ${this.target.redacted} closed; reconnecting`);
    }
    this.kick();
  }

  /** oslo declares the queue once per connection and routing key; so do we. */
  private async declare(routingKey: string): Promise<void> {
    if (this.declaredKeys.has(routingKey)) return;
    const model = this.model!;
    // A failed declaration closes its channel, so it gets its own and the publishing channel survives.
    let channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      try {
        await channel.assertExchange(NOTIFICATION_EXCHANGE, 'topic', { durable: false, autoDelete: false });
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
        // Declared differently by a deployment with amqp_durable_queues=True: publish to it as it is.
        this.say(`exchange ${NOTIFICATION_EXCHANGE} exists with other properties (${this.describe(err)}); using it as it is`);
        channel = await model.createChannel();
        channel.on('error', () => undefined);
        await channel.checkExchange(NOTIFICATION_EXCHANGE);
      }
      try {
        await channel.assertQueue(routingKey, { durable: false, autoDelete: false, exclusive: false });
      } catch (err) {
        if (!isPreconditionFailed(err)) throw err;
        this.say(`queue ${routingKey} exists with other properties (${this.describe(err)}); using it as it is`);
        channel = await model.createChannel();
        channel.on('error', () => undefined);
        await channel.checkQueue(routingKey);
      }
      await channel.bindQueue(routingKey, NOTIFICATION_EXCHANGE, routingKey);
      this.declaredKeys.add(routingKey);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.cancelWait = done;
    }).finally(() => {
      this.cancelWait = undefined;
    });
  }

  private async disconnect(): Promise<void> {
    const model = this.model;
    this.model = undefined;
    this.channel = undefined;
    if (!model) return;
    let timer: NodeJS.Timeout | undefined;
    const closed = model.close().then(
      () => true,
      () => true,
    );
    const inTime = await Promise.race([closed, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 2_000)))]);
    clearTimeout(timer);
    if (!inTime) {
      // A broker that stops answering would otherwise keep the socket (and the process) alive.
      (model as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
    }
  }
}
