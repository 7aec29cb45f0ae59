import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Storage } from './backends.js';
import { MigrationEngine } from './engine.js';
import { createApiServer, MAX_MINOR, MIN_MINOR } from './http.js';
import { DEFAULT_LAYOUT, type SandboxLayout } from './layout.js';
import { SandboxLog } from './log.js';
import { MiB } from './movers.js';
import { createNotifier, type Notifier } from './notifications.js';
import { UserMessages } from './messages.js';
import { Provisioning } from './provisioning.js';
import { createRouter } from './routes/router.js';
import { seedDemo } from './seed.js';
import { apiTimestamp, StateStore, type SandboxState } from './state.js';
import { stableUuid } from './views.js';

export { DEFAULT_LAYOUT } from './layout.js';
export type { SandboxLayout, BackendConfig, VolumeTypeConfig } from './layout.js';
export { INDETERMINATE_PROGRESS } from './migration-progress.js';

export interface SandboxOptions {
  /** Address to bind; loopback unless told otherwise. */
  host?: string;
  /** 0 picks a free port (tests); default 8776. */
  port?: number;
  /** Where state, volume files, sandbox.log and notifications.jsonl live; default a new temporary directory. */
  dataDir?: string;
  seed?: 'demo' | 'none';
  /** `migration_progress_report_interval`: how often progress is logged and notified (seconds, default 5). */
  reportIntervalSeconds?: number;
  /** Throttle for every copy through the volume's logical size (MiB/s); unthrottled when absent. */
  copyRateMiBps?: number;
  /** oslo transport URL (`rabbit://user:pass@host:port/`) to also publish notifications to RabbitMQ. */
  transportUrl?: string;
  /** Projects whose callers are admins (default `admin`). */
  adminProjects?: string[];
  /** Owner of temporary migration destination volumes (Cinder's internal tenant). */
  internalProject?: string;
  /** Per-backend limit on concurrent copies (default 2). */
  maxConcurrentCopies?: number;
  /** Bytes a volume of size 1 occupies (default 1 GiB; tests use a few MiB so copies are quick). */
  gibBytes?: number;
  /** NN of the newest microversion served, 3.NN (default 72, the progress contract; below it no `migration_progress`). */
  maxMinorVersion?: number;
  /** How long short-lived states (`starting`, `creating`, `completing`) stay visible, in ms (default 300). */
  phaseDelayMs?: number;
  layout?: SandboxLayout;
  /** Every sandbox.log line is also passed here. */
  onLog?: (line: string) => void;
}

export interface SandboxHandle {
  /** `http://127.0.0.1:PORT/v3` */
  url: string;
  port: number;
  dataDir: string;
  /** The sandbox made `dataDir` itself (no `dataDir` option): a temporary directory stop() removes. */
  temporaryDataDir: boolean;
  logPath: string;
  notificationsPath: string;
  /** Ids of the volumes `--seed demo` created (empty otherwise or on a restart). */
  seededVolumeIds: string[];
  /**
   * Stops accepting requests, ends in-flight copies (their migrations end in `error`), closes the notifier, and
   * removes the data directory if it is a temporary one the sandbox made.
   */
  stop(): Promise<void>;
}

export const DEFAULT_PORT = 8776;
const INTERNAL_PROJECT = 'cinder-internal';

function freshState(layout: SandboxLayout): SandboxState {
  const volumeTypes: SandboxState['volumeTypes'] = {};
  for (const t of layout.volumeTypes) {
    const id = stableUuid(`volume-type:${t.name}`);
    volumeTypes[id] = {
      id,
      name: t.name,
      description: t.description ?? null,
      is_public: true,
      extra_specs: t.backendName ? { volume_backend_name: t.backendName } : {},
    };
  }
  return { version: 1, volumes: {}, snapshots: {}, volumeTypes, services: [], migrations: {}, outcomes: [], messages: [] };
}

/** Services follow the layout (a changed layout on an old data dir gains or loses services), keeping admin changes. */
function syncServices(store: StateStore, layout: SandboxLayout): void {
  store.update((s) => {
    const wanted = [
      { binary: 'cinder-scheduler' as const, host: layout.hostName, state: 'up' as const, enabled: true },
      ...layout.backends.map((b) => ({
        binary: 'cinder-volume' as const,
        host: `${layout.hostName}@${b.name}`,
        state: b.state ?? ('up' as const),
        enabled: b.enabled ?? true,
      })),
    ];
    s.services = wanted.map((w, i) => {
      const existing = s.services.find((x) => x.binary === w.binary && x.host === w.host);
      return {
        id: i + 1,
        binary: w.binary,
        host: w.host,
        state: w.state,
        status: existing?.status ?? (w.enabled ? 'enabled' : 'disabled'),
        disabled_reason: existing?.disabled_reason ?? null,
      };
    });
  });
}

/** After a crash: finish what was half done outside migrations, and delete volume files no record points at. */
function tidyAfterRestart(store: StateStore, storage: Storage, log: SandboxLog): void {
  store.update((s) => {
    for (const v of Object.values(s.volumes)) {
      if (v.status === 'creating') {
        v.status = v.host ? 'available' : 'error';
        v.updated_at = apiTimestamp();
      } else if (v.status === 'deleting') {
        delete s.volumes[v.id];
      }
    }
    for (const snap of Object.values(s.snapshots)) {
      if (snap.status === 'creating') snap.status = 'available';
      else if (snap.status === 'deleting') delete s.snapshots[snap.id];
    }
  });
  const referenced = new Set<string>();
  for (const v of Object.values(store.state.volumes)) {
    if (!v.host || !storage.locate(v.host)) continue;
    const file = storage.fileFor(v.host, v.name_id ?? v.id);
    referenced.add(file);
    // A crash between recording a new volume and creating its file leaves a volume that never held data.
    if (!existsSync(file)) storage.createFile(v.host, v.name_id ?? v.id, v.size);
  }
  for (const backend of storage.layout.backends) {
    for (const pool of backend.pools) {
      const dir = join(storage.root, backend.name, pool.name);
      for (const name of existsSync(dir) ? readdirSync(dir) : []) {
        const path = join(dir, name);
        if (!referenced.has(path)) {
          rmSync(path, { force: true });
          log.warn(`Recovery: removed ${path}, which no volume uses`);
        }
      }
    }
  }
}

/** Another live sandbox uses the data directory: two servers on one state file would corrupt it. */
export class DataDirInUseError extends Error {}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `<data-dir>/sandbox.pid`; a pid file left by a crashed sandbox (dead pid) is taken over. */
function claimDataDir(dataDir: string): () => void {
  const pidFile = join(dataDir, 'sandbox.pid');
  if (existsSync(pidFile)) {
    const owner = Number(readFileSync(pidFile, 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new DataDirInUseError(`data directory ${dataDir} is in use by another sandbox (pid ${owner})`);
    }
  }
  writeFileSync(pidFile, `${process.pid}\n`);
  return () => rmSync(pidFile, { force: true });
}

/**
 * Starts a sandbox Block Storage API in this process. With the same `dataDir` a later start continues from the
 * saved state (migrations that were in flight end in `error`, their copies killed, their targets removed).
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const temporary = options.dataDir === undefined;
  const dataDir = resolve(options.dataDir ?? (await mkdtemp(join(tmpdir(), 'volmig-sandbox-'))));
  mkdirSync(dataDir, { recursive: true });
  const releaseDataDir = claimDataDir(dataDir);
  try {
    const handle = await startIn(dataDir, options, releaseDataDir);
    return {
      ...handle,
      temporaryDataDir: temporary,
      async stop() {
        await handle.stop();
        // Its sparse volume files add up to 20 GiB and more of apparent size: left behind, they pile up.
        if (temporary) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    releaseDataDir();
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

async function startIn(dataDir: string, options: SandboxOptions, releaseDataDir: () => void): Promise<Omit<SandboxHandle, 'temporaryDataDir'>> {
  const layout = options.layout ?? DEFAULT_LAYOUT;
  const reportIntervalSeconds = options.reportIntervalSeconds ?? 5;
  const phaseDelayMs = options.phaseDelayMs ?? 300;
  const internalProject = options.internalProject ?? INTERNAL_PROJECT;
  const maxMinor = Math.min(MAX_MINOR, Math.max(MIN_MINOR, options.maxMinorVersion ?? MAX_MINOR));
  const log = new SandboxLog(join(dataDir, 'sandbox.log'), options.onLog);
  const { store, created } = StateStore.open(join(dataDir, 'state.json'), () => freshState(layout));
  syncServices(store, layout);
  const storage = new Storage(layout, dataDir, options.gibBytes ?? 1024 * MiB);
  const notifier: Notifier = await createNotifier({ dataDir, transportUrl: options.transportUrl, log: (line) => log.info(line) });
  const provisioning = new Provisioning(store, storage, log, phaseDelayMs);
  const messages = new UserMessages(store);
  const engine = new MigrationEngine({
    store,
    storage,
    log,
    notifier,
    provisioning,
    messages,
    internalProject,
    reportIntervalMs: Math.max(50, reportIntervalSeconds * 1000),
    copyRateBytesPerSecond: options.copyRateMiBps ? options.copyRateMiBps * MiB : undefined,
    maxConcurrentCopiesPerBackend: options.maxConcurrentCopies ?? 2,
    phaseDelayMs,
  });
  if (!created) {
    log.info(`Sandbox restarting from ${store.path}`);
    engine.recover('the sandbox stopped while the migration was in flight');
    tidyAfterRestart(store, storage, log);
  }
  const router = createRouter(
    { store, storage, engine, provisioning, messages, log, adminProjects: options.adminProjects ?? ['admin'], internalProject, phaseDelayMs },
    maxMinor,
  );
  const server = createApiServer(router, (err) => log.error(`Unhandled error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`), maxMinor);
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULT_PORT, host, () => {
        server.off('error', reject);
        resolvePromise();
      });
    });
  } catch (err) {
    await notifier.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}/v3`;
  const seededVolumeIds = created && options.seed === 'demo' ? seedDemo(provisioning, store, storage) : [];
  log.info(`Sandbox listening on ${url} (data dir ${dataDir}, ${seededVolumeIds.length} volumes seeded)`);

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    dataDir,
    logPath: log.path,
    notificationsPath: join(dataDir, 'notifications.jsonl'),
    seededVolumeIds,
    stop() {
      stopping ??= (async () => {
        await new Promise<void>((resolvePromise) => {
          server.close(() => resolvePromise());
          server.closeAllConnections();
        });
        await engine.stop('the sandbox was stopped while the migration was in flight');
        log.info('Sandbox stopped');
        await notifier.close();
        releaseDataDir();
      })();
      return stopping;
    },
  };
}
