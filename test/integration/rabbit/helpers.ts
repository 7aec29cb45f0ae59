/** Shared by the RabbitMQ integration tests: where the broker is, whether the test can run, the oslo listener. */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const LISTENER = join(HERE, 'listener.py');

export interface Received {
  priority: string;
  event_type: string;
  publisher_id: string;
  payload: Record<string, unknown>;
  message_id: string;
  timestamp: string;
}

export function transportUrlFromEnvironment(): string | undefined {
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
export async function missingPrerequisite(url: string | undefined): Promise<string | undefined> {
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

export class Listener {
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

export function fileMessages(dataDir: string): Array<{ message_id: string; timestamp: string; event_type: string; payload: Record<string, unknown> }> {
  return readFileSync(join(dataDir, 'notifications.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(JSON.parse(line)['oslo.message']));
}

/** Says loudly, once per test file, why the RabbitMQ tests cannot run here. */
export function announceUnavailable(unavailable: string | undefined, what: string): void {
  if (!unavailable) return;
  process.stderr.write(
    `\n${'!'.repeat(100)}\n!! ${process.env.CI === 'true' ? 'NOT RUN (a failure under CI=true)' : 'SKIPPED'}: ` +
      `${what}: ${unavailable}\n${'!'.repeat(100)}\n\n`,
  );
}

/** Stands in for the tests when they cannot run: skipped with the reason, or failed under CI=true. */
export function unavailableTest(it: (name: string, fn: (context: { skip: () => void }) => void) => void, unavailable: string): void {
  it(`cannot run: ${unavailable}`, (context) => {
    if (process.env.CI === 'true') throw new Error(`CI=true and this integration test cannot run: ${unavailable}`);
    context.skip();
  });
}
