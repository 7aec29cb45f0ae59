// Whether the progress sources could work from this machine, asked without reading any volume: what `volmig
// doctor` reports and what `--dry-run` says about the progress of a move. The probes themselves (ceph.ts,
// process.ts) say the same things when they fail during a watch.
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import type { CephSettings } from '../../config/settings.js';
import { cephClientFor, confDeclaredFsid, type CephClientConfig, type RbdLocation } from './ceph.js';

/** The first executable file named `command` on PATH (or `command` itself when it is a path), else null. */
export async function findExecutable(command: string, env: Record<string, string | undefined>): Promise<string | null> {
  const candidates = command.includes('/') ? [command] : (env.PATH ?? '').split(delimiter).filter((d) => isAbsolute(d)).map((d) => join(d, command));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

export type CephAccess = { ok: true; rbd: string; client: CephClientConfig } | { ok: false; why: string };

/**
 * Whether volmig can read an RBD pool's cluster: rbd found, and the conf it would use exists and (when it names an
 * fsid) names this cluster's. Whether the keyring grants reads shows only when rbd runs (doctor does not run it).
 */
export async function cephAccess(
  loc: RbdLocation,
  settings: CephSettings | undefined,
  env: Record<string, string | undefined>,
  readConf: (path: string) => Promise<string> = (p) => readFile(p, 'utf8'),
): Promise<CephAccess> {
  const rbdName = settings?.rbd ?? 'rbd';
  const rbd = await findExecutable(rbdName, env);
  if (!rbd) return { ok: false, why: settings?.rbd ? `rbd not found at ${settings.rbd} (settings ceph.rbd)` : 'rbd not installed (apt install ceph-common)' };
  const client = cephClientFor(loc, settings, env);
  let text: string;
  try {
    text = await readConf(client.conf);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : 'cannot be read';
    return { ok: false, why: `${client.conf} (${client.confOrigin}) ${why}; set CEPH_CONF or settings ceph.clusters[] (fsid, conf, keyring, client_id)` };
  }
  const declared = confDeclaredFsid(text);
  if (declared && declared !== loc.fsid) {
    return { ok: false, why: `${client.conf} (${client.confOrigin}) is Ceph cluster ${declared}, not ${loc.fsid}: map fsid ${loc.fsid} to its conf in settings ceph.clusters[]` };
  }
  return { ok: true, rbd, client };
}

/** The process source reads /proc/<pid>/cmdline and fdinfo: it needs a readable /proc (Linux). */
export async function procReadable(procRoot = '/proc'): Promise<boolean> {
  try {
    await access(join(procRoot, 'self', 'fdinfo'), constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
