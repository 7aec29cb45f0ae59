// The Ceph side of the ceph progress source: where a Cinder pool's images live (location_info), running `rbd`
// (Debian's ceph-common) with a timeout and an abort, and reading `rbd du --format json`.
import { execFile } from 'node:child_process';
import type { Pool } from '../../model/cinder.js';

/** How one `rbd` run ended. */
export type RbdOutcome =
  | { kind: 'exit'; code: number; stdout: string; stderr: string }
  /** The executable does not exist (ENOENT at spawn). */
  | { kind: 'not-found' }
  | { kind: 'timeout'; stderr: string }
  | { kind: 'aborted' }
  | { kind: 'spawn-error'; message: string };

export type RbdRunner = (
  command: string,
  args: readonly string[],
  options: { signal: AbortSignal; timeoutMs: number; env: Record<string, string | undefined> },
) => Promise<RbdOutcome>;

/** Parsed RBD `location_info`: "<cluster name>:<ceph.conf on the volume host>:<fsid>:<rbd user or None>:<pool>". */
export interface RbdLocation {
  clusterName: string;
  /** The path on the volume host: never used to reach the cluster from volmig's machine. */
  hostConf: string;
  fsid: string;
  user: string | null;
  pool: string;
}

export const DEFAULT_CEPH_CONF = '/etc/ceph/ceph.conf';

/**
 * Cinder's RBD driver writes `rbd_cluster_name:rbd_ceph_conf:fsid:rbd_user:rbd_pool` (cinder/volume/drivers/rbd.py
 * _update_volume_stats). Split from both ends so a conf path containing ':' still parses.
 */
export function parseLocationInfo(locationInfo: unknown): RbdLocation | null {
  if (typeof locationInfo !== 'string') return null;
  const parts = locationInfo.split(':');
  if (parts.length < 5) return null;
  const pool = parts[parts.length - 1]!;
  const user = parts[parts.length - 2]!;
  const fsid = parts[parts.length - 3]!;
  const clusterName = parts[0]!;
  if (!pool || !fsid || !clusterName) return null;
  return {
    clusterName,
    hostConf: parts.slice(1, -3).join(':'),
    fsid: fsid.toLowerCase(),
    user: user === '' || user === 'None' ? null : user,
    pool,
  };
}

/** The pool a host string names: exact `host@backend#pool`, or `host@backend` when that backend has one pool. */
export function findPool(pools: readonly Pool[], host: string | null): Pool | null {
  if (!host) return null;
  const exact = pools.find((p) => p.name === host);
  if (exact) return exact;
  if (host.includes('#')) return null;
  const below = pools.filter((p) => p.name.startsWith(`${host}#`));
  return below.length === 1 ? below[0]! : null;
}

/** RBD location of a pool, or null when the pool is not Ceph RBD (storage_protocol ceph, parseable location_info). */
export function rbdLocationOf(pool: Pool | null): RbdLocation | null {
  const caps = pool?.capabilities;
  if (!caps || String(caps.storage_protocol ?? '').toLowerCase() !== 'ceph') return null;
  return parseLocationInfo(caps.location_info);
}

/** The default runner: execFile, killed (SIGKILL) at the timeout or when the signal aborts. */
export const execFileRbd: RbdRunner = (command, args, { signal, timeoutMs, env }) =>
  new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    const child = execFile(
      command,
      [...args],
      { signal, timeout: timeoutMs, killSignal: 'SIGKILL', env: env as NodeJS.ProcessEnv, maxBuffer: 64 * 1024 * 1024, windowsHide: true },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ kind: 'exit', code: 0, stdout, stderr });
          return;
        }
        const e = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: unknown };
        if (e.code === 'ENOENT') resolve({ kind: 'not-found' });
        else if (signal.aborted || e.name === 'AbortError') {
          // execFile reports the abort as soon as it has sent the kill: answer once the child is really gone
          if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.once('exit', () => resolve({ kind: 'aborted' }));
          else resolve({ kind: 'aborted' });
        }
        else if (e.killed || e.signal) resolve({ kind: 'timeout', stderr: String(stderr ?? '') });
        else if (typeof e.code === 'number') resolve({ kind: 'exit', code: e.code, stdout, stderr });
        else resolve({ kind: 'spawn-error', message: firstLine(e.message) });
      },
    );
  });

/** `rbd du --format json`: image name → used bytes (rows of snapshots left out). Null when it is not that JSON. */
export function parseDu(stdout: string): Map<string, number> | null {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    return null;
  }
  const images = (doc as { images?: unknown })?.images;
  if (!Array.isArray(images)) return null;
  const used = new Map<string, number>();
  for (const row of images as Array<Record<string, unknown>>) {
    if (!row || typeof row.name !== 'string' || row.snapshot !== undefined) continue;
    if (typeof row.used_size === 'number' && Number.isFinite(row.used_size) && row.used_size >= 0) used.set(row.name, row.used_size);
  }
  return used;
}

export function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/** The last stderr line that says something (Ceph prefixes log lines with a timestamp and a thread id). */
export function lastMeaningfulLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/AdminSocket/.test(l));
  return (lines[lines.length - 1] ?? '').slice(0, 200);
}
