import { readFile } from 'node:fs/promises';
import type { CephSettings } from '../../config/settings.js';
import type { Pool } from '../../model/cinder.js';
import type { ProbeAnswer, ProbeContext, ProbeReading, ProbeSubject, ProgressProbe } from './probe.js';

/**
 * The `ceph` progress source: how much of a migrating volume has reached its destination RBD image, read with the
 * operator's own Ceph client (`rbd du --format json`, Debian's ceph-common) — never a hand-made Ceph protocol.
 *
 * Which image, and what it counts up to (measured on real Cinder 21.3 + Ceph 16, docs/progress-reporting.md):
 * - generic migration (a temporary target volume exists): `volume-<target id>` in the destination pool, written in
 *   order through file I/O, zeros included, so its used size grows to the full volume size even for a sparse
 *   source. Denominator: the volume size.
 * - RBD driver migration (same cluster, another pool, no target volume): `source.copy(target_ioctx, volume.name)`
 *   writes `volume-<source id>` into the destination pool and copies only allocated objects. Denominator: the
 *   source image's used size (read once from the source pool; when the source is already gone, the copy is
 *   complete and the destination's used size is the total).
 *
 * Cost: one `rbd du` per pool per poll at most — the image itself when one image is wanted from that pool, the
 * whole pool (`--pool`) when several moving volumes are — each bounded by a per-call timeout and ctx.signal
 * (the child is killed). Monotonic: this probe never answers a smaller bytesCopied for a migration than it
 * answered before. It never throws.
 */

import { type RbdOutcome, type RbdRunner, type RbdLocation, DEFAULT_CEPH_CONF, findPool, rbdLocationOf, execFileRbd, parseDu, firstLine, lastMeaningfulLine } from './ceph-rbd.js';

export { DEFAULT_CEPH_CONF, parseLocationInfo, findPool, rbdLocationOf, execFileRbd, parseDu } from './ceph-rbd.js';
export type { RbdLocation, RbdOutcome, RbdRunner } from './ceph-rbd.js';

export interface CephProbeOptions {
  /** volmig's `ceph` settings (clusters by fsid or name → conf, keyring, client id; the rbd executable). */
  settings?: CephSettings;
  /** Environment of the rbd child (PATH, CEPH_CONF, CEPH_ARGS); default process.env. */
  env?: Record<string, string | undefined>;
  /** Runs rbd; default execFile (tests inject their own or put a fake rbd on PATH). */
  runner?: RbdRunner;
  /** Per-call limit; the child is killed after it. Default 10 s. */
  timeoutMs?: number;
  /** Calls in flight at once (one per pool). Default 4. */
  concurrency?: number;
  /** Reads a ceph.conf (to check its fsid); default fs.readFile. Rejects when it cannot be read. */
  readConf?: (path: string) => Promise<string>;
  now?: () => number;
}

/** How volmig reaches one cluster: conf, keyring and client id, and where the conf came from (for messages). */
export interface CephClientConfig {
  conf: string;
  confOrigin: string;
  keyring?: string;
  clientId?: string;
}
type ClientConfig = CephClientConfig;

/**
 * The Ceph client volmig uses for a cluster: the settings' entry for its fsid (else for its cluster name), else
 * CEPH_CONF, else /etc/ceph/ceph.conf. The conf path in location_info is the volume host's and is never used.
 */
export function cephClientFor(loc: RbdLocation, settings: CephSettings | undefined, env: Record<string, string | undefined>): CephClientConfig {
  const clusters = settings?.clusters ?? [];
  const entry = clusters.find((c) => c.fsid === loc.fsid) ?? clusters.find((c) => !c.fsid && c.name === loc.clusterName);
  const base = entry?.conf
    ? { conf: entry.conf, confOrigin: `settings ceph.clusters[${clusters.indexOf(entry)}].conf` }
    : env.CEPH_CONF
      ? { conf: env.CEPH_CONF, confOrigin: 'CEPH_CONF' }
      : { conf: DEFAULT_CEPH_CONF, confOrigin: 'the default' };
  return { ...base, keyring: entry?.keyring, clientId: entry?.client_id };
}

/** The fsid a ceph.conf declares (`fsid = ...` in any section), lower case; '' when it declares none. */
export function confDeclaredFsid(text: string): string {
  return (/^\s*fsid\s*=\s*([0-9a-fA-F-]+)\s*$/m.exec(text)?.[1] ?? '').toLowerCase();
}

/** One image a subject needs read at this poll. */
interface Want {
  loc: RbdLocation;
  image: string;
}

/** What one `rbd du` said about the images of one pool. */
type PoolResult = { ok: true; used: Map<string, number>; whole: boolean } | { ok: false; message: string } | { ok: 'aborted' };

/** A subject's plan for this poll. */
type Plan =
  | { kind: 'answer'; answer: ProbeAnswer }
  /** `renamed`: where the image is once Cinder has renamed it at completion (looked for after the target vanished). */
  | { kind: 'generic'; dest: Want; renamed: Want | null; total: number; memoryKey: string }
  | { kind: 'rbd'; dest: Want; source: Want | null; total: number | null; memoryKey: string };

interface Memory {
  reading: ProbeReading;
  seenAt: number;
}

const FORGET_AFTER_MS = 30 * 60_000;

export function createCephProbe(options: CephProbeOptions = {}): ProgressProbe {
  const env = options.env ?? process.env;
  const runner = options.runner ?? execFileRbd;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const readConf = options.readConf ?? ((p: string) => readFile(p, 'utf8'));
  const now = options.now ?? Date.now;
  const rbd = options.settings?.rbd ?? 'rbd';

  /** Highest reading answered per migration path (the monotonic guarantee). */
  const memory = new Map<string, Memory>();
  /** RBD path: the source image's used size, read once per migration. */
  const sourceTotals = new Map<string, number>();
  /**
   * Generic path: the target image was seen and then missing (renamed to volume-<source id> at completion, or
   * skipped once by a pool-wide du while the copy opened it, as seen on the rig): from then on both names are read.
   */
  const targetGone = new Set<string>();
  /** fsid a conf file declares ('' when it declares none), per path. */
  const confFsids = new Map<string, string>();

  const clientFor = (loc: RbdLocation): ClientConfig => cephClientFor(loc, options.settings, env);

  const configure = `settings ceph.clusters[] (fsid, conf, keyring, client_id)`;

  /** Checks the conf volmig would use for this cluster; a failure message, or null when it is usable. */
  const checkConf = async (loc: RbdLocation, client: ClientConfig): Promise<string | null> => {
    let declared = confFsids.get(client.conf);
    if (declared === undefined) {
      try {
        const text = await readConf(client.conf);
        declared = confDeclaredFsid(text);
        confFsids.set(client.conf, declared);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : 'cannot be read';
        return `no Ceph configuration for cluster ${loc.fsid} (pool ${loc.pool}): ${client.conf} (${client.confOrigin}) ${why}; set CEPH_CONF or ${configure}`;
      }
    }
    if (declared && declared !== loc.fsid) {
      return `${client.conf} (${client.confOrigin}) is Ceph cluster ${declared}, but pool ${loc.pool} is in cluster ${loc.fsid}: map fsid ${loc.fsid} to its conf in ${configure}`;
    }
    return null;
  };

  const baseArgs = (client: ClientConfig): string[] => {
    const args = ['--conf', client.conf];
    if (client.keyring) args.push('--keyring', client.keyring);
    if (client.clientId) args.push('--id', client.clientId);
    // a cluster that does not answer fails with "couldn't connect" before our own timeout kills it
    args.push('--client_mount_timeout', String(Math.max(1, Math.floor(timeoutMs / 2000))));
    return args;
  };

  const explain = (outcome: Exclude<RbdOutcome, { kind: 'exit'; code: 0 } | { kind: 'aborted' }>, loc: RbdLocation, client: ClientConfig, spec: string): string => {
    const who = `client.${client.clientId ?? 'admin'}`;
    switch (outcome.kind) {
      case 'not-found':
        return options.settings?.rbd ? `rbd not found at ${rbd} (settings ceph.rbd)` : 'rbd not installed (apt install ceph-common)';
      case 'spawn-error':
        return `cannot run ${rbd}: ${outcome.message} (settings ceph.rbd)`;
      case 'timeout': {
        const slow = /fast-diff map is not enabled/.test(outcome.stderr)
          ? ': the image has no fast-diff (rbd feature enable <image> object-map fast-diff)'
          : `: check that ${client.conf} reaches cluster ${loc.fsid}`;
        return `rbd du ${spec} timed out after ${+(timeoutMs / 1000).toFixed(1)}s${slow}`;
      }
      case 'exit': {
        const err = outcome.stderr;
        if (/unable to find a keyring|keyring not found|no keyring found/i.test(err)) {
          return `no keyring for ${who} to read pool ${loc.pool}: set settings ceph.clusters[].keyring (cluster ${loc.fsid})`;
        }
        if (/\((1|13)\) (Operation not permitted|Permission denied)|EACCES|EPERM|access denied/i.test(err)) {
          return `permission denied reading pool ${loc.pool}: give volmig a Ceph client with read access (settings ceph.clusters[].keyring, client_id; caps osd 'profile rbd-read-only pool=${loc.pool}')`;
        }
        if (/couldn't connect to the cluster|authenticate timed out|error connecting to the cluster/i.test(err)) {
          return `cannot connect to Ceph cluster ${loc.fsid} with ${client.conf} (${client.confOrigin}) as ${who}: check its mon host and keyring, or ${configure}`;
        }
        if (/error opening pool/i.test(err)) {
          return `pool ${loc.pool} not found through ${client.conf} (${client.confOrigin}): is that conf for cluster ${loc.fsid}? (${configure})`;
        }
        return `rbd du ${spec} failed (exit ${outcome.code}): ${lastMeaningfulLine(err) || 'no message'}`;
      }
    }
  };

  /** One `rbd du` for the wanted images of one pool. */
  const readPool = async (loc: RbdLocation, images: Set<string>, signal: AbortSignal): Promise<PoolResult> => {
    const client = clientFor(loc);
    const bad = await checkConf(loc, client);
    if (bad) return { ok: false, message: bad };
    const whole = images.size > 1;
    const spec = whole ? loc.pool : `${loc.pool}/${[...images][0]}`;
    const args = [...baseArgs(client), 'du', '--format', 'json', ...(whole ? ['--pool', loc.pool] : [spec])];
    const outcome = await runner(rbd, args, { signal, timeoutMs, env });
    if (outcome.kind === 'aborted') return { ok: 'aborted' };
    if (outcome.kind === 'exit' && outcome.code === 0) {
      const used = parseDu(outcome.stdout);
      if (!used) return { ok: false, message: `rbd du ${spec} printed no JSON image list (is ${rbd} Ceph's rbd?)` };
      return { ok: true, used, whole };
    }
    // the one image asked for is not there (yet, or any more): an answer, not a failure
    if (!whole && outcome.kind === 'exit' && /is not found|du failed: \(2\)/.test(outcome.stderr) && !/error opening pool/.test(outcome.stderr)) {
      return { ok: true, used: new Map(), whole };
    }
    return { ok: false, message: explain(outcome, loc, client, spec) };
  };

  const remember = (key: string, reading: ProbeReading): ProbeReading => {
    // never below what this migration showed before, never above its total
    const before = memory.get(key)?.reading;
    const bytes = Math.max(Math.min(reading.bytesCopied, reading.totalBytes), before?.bytesCopied ?? 0);
    const kept = { bytesCopied: bytes, totalBytes: Math.max(reading.totalBytes, bytes) };
    memory.set(key, { reading: kept, seenAt: now() });
    return kept;
  };
  const lastOr = (key: string, otherwise: ProbeAnswer): ProbeAnswer => {
    const m = memory.get(key);
    if (!m) return otherwise;
    m.seenAt = now();
    return { kind: 'reading', reading: m.reading };
  };

  const plan = (s: ProbeSubject, pools: readonly Pool[]): Plan => {
    const destPool = findPool(pools, s.destinationHost);
    if (!s.destinationHost) return unobservable('destination not known yet');
    if (!destPool) return unobservable(`destination pool ${s.destinationHost} not in the scheduler's pool list`);
    const dest = rbdLocationOf(destPool);
    if (!dest) return unobservable(`destination pool ${destPool.name} is not Ceph RBD`);
    if (s.targetVolumeId) {
      const key = `${s.volumeId}|generic|${s.targetVolumeId}`;
      const renamed = targetGone.has(key) ? { loc: dest, image: `volume-${s.volumeId}` } : null;
      return { kind: 'generic', dest: { loc: dest, image: `volume-${s.targetVolumeId}` }, renamed, total: s.sizeBytes, memoryKey: key };
    }
    const source = rbdLocationOf(findPool(pools, s.sourceHost));
    if (!source) {
      return unobservable(
        s.sourceHost ? `no RBD copy from ${s.sourceHost}; waiting for the temporary destination volume` : 'source pool not known',
      );
    }
    if (source.fsid !== dest.fsid) return unobservable('another Ceph cluster: a generic copy, waiting for the temporary destination volume');
    if (source.pool === dest.pool) return unobservable(`same RBD pool ${dest.pool}: Cinder moves no data`);
    const key = `${s.volumeId}|rbd|${source.fsid}/${source.pool}->${dest.pool}`;
    const total = sourceTotals.get(key) ?? null;
    return {
      kind: 'rbd',
      dest: { loc: dest, image: `volume-${s.volumeId}` },
      source: total === null ? { loc: source, image: `volume-${s.volumeId}` } : null,
      total,
      memoryKey: key,
    };
  };

  const sample = async (subjects: readonly ProbeSubject[], ctx: ProbeContext): Promise<Map<string, ProbeAnswer>> => {
    const answers = new Map<string, ProbeAnswer>();
    try {
      const plans = new Map<string, Plan>();
      const wanted = new Map<string, { loc: RbdLocation; images: Set<string> }>();
      const want = (w: Want) => {
        const k = `${w.loc.fsid}/${w.loc.pool}`;
        const entry = wanted.get(k) ?? { loc: w.loc, images: new Set<string>() };
        entry.images.add(w.image);
        wanted.set(k, entry);
      };
      for (const s of subjects) {
        const p = plan(s, ctx.pools);
        plans.set(s.volumeId, p);
        if (p.kind === 'generic') {
          want(p.dest);
          if (p.renamed) want(p.renamed);
        }
        if (p.kind === 'rbd') {
          want(p.dest);
          if (p.source) want(p.source);
        }
      }

      const results = new Map<string, PoolResult>();
      const queue = [...wanted.entries()];
      const worker = async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const [k, { loc, images }] = next;
          results.set(k, ctx.signal.aborted ? { ok: 'aborted' } : await readPool(loc, images, ctx.signal));
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));

      const lookup = (w: Want): { used: number | undefined } | { failed: string } | 'aborted' => {
        const r = results.get(`${w.loc.fsid}/${w.loc.pool}`);
        if (!r || r.ok === 'aborted') return 'aborted';
        if (r.ok === false) return { failed: r.message };
        return { used: r.used.get(w.image) };
      };

      for (const s of subjects) {
        const p = plans.get(s.volumeId)!;
        if (p.kind === 'answer') {
          answers.set(s.volumeId, p.answer);
          continue;
        }
        const notYet: ProbeAnswer = { kind: 'unobservable', why: `no image ${p.dest.loc.pool}/${p.dest.image} yet` };
        const d = lookup(p.dest);
        if (d === 'aborted') {
          answers.set(s.volumeId, lastOr(p.memoryKey, { kind: 'unobservable', why: 'stopped at the poll deadline' }));
          continue;
        }
        if ('failed' in d) {
          answers.set(s.volumeId, { kind: 'failed', message: d.failed });
          continue;
        }
        if (p.kind === 'generic') {
          const renamed = p.renamed ? lookup(p.renamed) : null;
          const used = d.used ?? (renamed && renamed !== 'aborted' && 'used' in renamed ? renamed.used : undefined);
          if (used === undefined) {
            if (memory.has(p.memoryKey)) targetGone.add(p.memoryKey);
            answers.set(s.volumeId, lastOr(p.memoryKey, notYet));
            continue;
          }
          answers.set(s.volumeId, { kind: 'reading', reading: remember(p.memoryKey, { bytesCopied: used, totalBytes: p.total }) });
          continue;
        }
        // RBD driver copy: the denominator is what the source image holds
        let total = p.total;
        if (total === null && p.source) {
          const src = lookup(p.source);
          if (src !== 'aborted' && 'failed' in src) {
            answers.set(s.volumeId, { kind: 'failed', message: src.failed });
            continue;
          }
          if (src !== 'aborted' && src.used !== undefined) total = src.used;
          // the driver deletes the source right after the copy: without it, what arrived is all there is
          else if (src !== 'aborted' && d.used !== undefined) total = d.used;
          if (total !== null) sourceTotals.set(p.memoryKey, total);
        }
        if (d.used === undefined || total === null) {
          answers.set(s.volumeId, lastOr(p.memoryKey, notYet));
          continue;
        }
        answers.set(s.volumeId, { kind: 'reading', reading: remember(p.memoryKey, { bytesCopied: d.used, totalBytes: total }) });
      }
    } catch (err) {
      const message = `ceph progress: ${firstLine(err instanceof Error ? err.message : String(err))}`;
      for (const s of subjects) if (!answers.has(s.volumeId)) answers.set(s.volumeId, { kind: 'failed', message });
    }
    for (const s of subjects) if (!answers.has(s.volumeId)) answers.set(s.volumeId, { kind: 'unobservable' });
    forgetOld();
    return answers;
  };

  const forgetOld = () => {
    const cutoff = now() - FORGET_AFTER_MS;
    for (const [k, m] of memory) {
      if (m.seenAt < cutoff) {
        memory.delete(k);
        sourceTotals.delete(k);
        targetGone.delete(k);
      }
    }
  };

  // A generic copy onto an RBD pool is read from the temporary destination's image: its id is needed.
  const needsTarget = (subject: Pick<ProbeSubject, 'sourceHost' | 'destinationHost'>, pools: readonly Pool[]): boolean =>
    rbdLocationOf(findPool(pools, subject.destinationHost)) !== null || rbdLocationOf(findPool(pools, subject.sourceHost)) !== null;
  return { source: 'ceph', sample, needsTarget };
}

function unobservable(why: string): Plan {
  return { kind: 'answer', answer: { kind: 'unobservable', why } };
}

