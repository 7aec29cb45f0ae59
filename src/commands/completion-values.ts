// Not a command: the cloud's values for shell completion (volume names and ids, pools, volume types), fetched for
// `volmig complete` within about a second, cached briefly per cloud, and silent on any failure (the caller catches).
import { createHash } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockStorageClient } from '../api/block-storage.js';
import type { CloudConfig } from '../config/cloud.js';
import type { GlobalOptions } from '../config/global-options.js';
import { nowFor, type Io } from '../io.js';
import type { CommandEnv } from './context.js';

export type DynamicKind = 'volumes' | 'project-volumes' | 'pools' | 'types';
/** A value the shell may insert, and what zsh and fish show beside it. */
export type Candidate = [value: string, description: string];
export type DynamicValues = Partial<Record<DynamicKind, Candidate[]>>;

/** The whole of a completion request that reaches the cloud, connection and reads together. */
export const COMPLETION_BUDGET_MS = 1000;
/** How long fetched values are reused: long enough for the next <Tab>s of one command line. */
export const COMPLETION_CACHE_TTL_MS = 30_000;
/** Volumes offered at most (one Cinder page): a completion must not walk a listing of 100,000 volumes. */
const MAX_VOLUMES = 1000;

/** Text a shell inserts as one word without quoting (a name with a blank or a quote is offered by its id only). */
const SHELL_SAFE = /^[A-Za-z0-9._@%+=,:/#~-]+$/;

/** The cloud's completion values of `kinds`, from the cache or the cloud; a kind that cannot be had is left out. */
export async function cloudValues(kinds: ReadonlySet<DynamicKind>, globals: GlobalOptions, env: CommandEnv): Promise<DynamicValues> {
  const { io } = env;
  const deadline = AbortSignal.timeout(COMPLETION_BUDGET_MS);
  const signal = AbortSignal.any([deadline, env.interruption.signal]);
  const work = (async () => {
    const [{ resolveCloudConfig }, settings] = await Promise.all([import('../config/cloud.js'), env.settings().catch(() => ({}))]);
    const cloud = await resolveCloudConfig(globals, io, settings);
    const cache = new CompletionCache(io, cacheKey(cloud));
    const values: DynamicValues = {};
    const missing: DynamicKind[] = [];
    for (const kind of kinds) {
      const cached = await cache.get(kind);
      if (cached) values[kind] = cached;
      else missing.push(kind);
    }
    if (missing.length === 0) return values;
    const { connect } = await import('../api/connect.js');
    const client = (await connect(cloud, io, { signal })).withSignal(signal);
    await Promise.all(
      missing.map(async (kind) => {
        try {
          values[kind] = await fetchKind(client, kind);
          cache.set(kind, values[kind]);
        } catch {
          // this kind stays empty; the others may still answer
        }
      }),
    );
    await cache.save();
    return values;
  })();
  // The signal ends every request; the timer also bounds what it does not cover (a config file on a hung mount).
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<DynamicValues>((resolve) => {
    timer = setTimeout(() => resolve({}), COMPLETION_BUDGET_MS + 250);
    timer.unref?.();
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
    work.catch(() => {});
  }
}

async function fetchKind(client: BlockStorageClient, kind: DynamicKind): Promise<Candidate[]> {
  switch (kind) {
    case 'pools':
      return (await client.getPools()).map((p) => [p.name, String(p.capabilities?.volume_backend_name ?? '')] as Candidate).filter(([v]) => SHELL_SAFE.test(v));
    case 'types':
      return (await client.listVolumeTypes()).map((t) => [t.name, t.description ?? ''] as Candidate).filter(([v]) => SHELL_SAFE.test(v));
    case 'volumes':
    case 'project-volumes': {
      const { isMigrationTarget } = await import('../model/cinder.js');
      const ids: Candidate[] = [];
      const names = new Map<string, string | null>();
      for await (const v of client.listVolumes({ allProjects: kind === 'volumes', pageSize: MAX_VOLUMES, max: MAX_VOLUMES, prefetch: false })) {
        // A temporary destination of a generic migration is no volume to act on.
        if (isMigrationTarget(v)) continue;
        ids.push([v.id, v.name ?? '']);
        // A name is offered once and only when it names one volume (volmig resolves a name that matches exactly one).
        if (v.name && SHELL_SAFE.test(v.name)) names.set(v.name, names.has(v.name) ? null : v.id);
      }
      const named = [...names].filter((e): e is [string, string] => e[1] !== null).map(([name, id]) => [name, id] as Candidate);
      return [...named, ...ids];
    }
  }
}

/**
 * Which cloud the values belong to: what decides the endpoint and the scope, hashed. Never a secret (no password,
 * token or application-credential secret goes into the key or the file).
 */
export function cacheKey(cloud: CloudConfig): string {
  const a = cloud.auth;
  const identity = [
    cloud.cloudName, cloud.authType, a.authUrl, cloud.endpointOverride, cloud.regionName, cloud.interface,
    a.projectId, a.projectName, a.projectDomainId, a.projectDomainName, a.userId, a.username, a.userDomainId, a.userDomainName,
    a.applicationCredentialId, a.applicationCredentialName,
  ].map((v) => v ?? '');
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 24);
}

interface CacheFile {
  version: 1;
  entries: Partial<Record<DynamicKind, { at: number; values: Candidate[] }>>;
}

/** `$XDG_CACHE_HOME/volmig/completion-<key>.json` (else ~/.cache/volmig): directory 0700, file 0600. */
export function completionCachePath(env: Record<string, string | undefined>, key: string): string | null {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && xdg.startsWith('/') ? xdg : env.HOME ? join(env.HOME, '.cache') : null;
  return base ? join(base, 'volmig', `completion-${key}.json`) : null;
}

class CompletionCache {
  private readonly path: string | null;
  private loaded: CacheFile | undefined;
  private dirty = false;
  private readonly now: () => number;

  constructor(io: Io, key: string) {
    this.path = completionCachePath(io.env, key);
    this.now = nowFor(io);
  }

  private async load(): Promise<CacheFile> {
    if (this.loaded) return this.loaded;
    let file: CacheFile = { version: 1, entries: {} };
    if (this.path) {
      try {
        const parsed = JSON.parse(await readFile(this.path, 'utf8')) as CacheFile;
        if (parsed && parsed.version === 1 && parsed.entries && typeof parsed.entries === 'object') file = parsed;
      } catch {}
    }
    return (this.loaded = file);
  }

  async get(kind: DynamicKind): Promise<Candidate[] | undefined> {
    const entry = (await this.load()).entries[kind];
    if (!entry || !Array.isArray(entry.values)) return undefined;
    const age = this.now() - entry.at;
    return age >= 0 && age < COMPLETION_CACHE_TTL_MS ? entry.values : undefined;
  }

  set(kind: DynamicKind, values: Candidate[]): void {
    if (!this.loaded) return;
    this.loaded.entries[kind] = { at: this.now(), values };
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.path || !this.dirty || !this.loaded) return;
    try {
      const dir = join(this.path, '..');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = `${this.path}.${process.pid}.tmp`;
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(JSON.stringify(this.loaded));
      } finally {
        await handle.close();
      }
      await chmod(tmp, 0o600);
      await rename(tmp, this.path);
    } catch {
      // no cache then: the next <Tab> asks the cloud again
    }
  }
}
