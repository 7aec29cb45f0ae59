/**
 * The rig's Ceph, seen from the scenarios: big volumes filled through librbd, `rbd du` as the ground truth, the
 * RBD trash purged between scenarios (the OSD is 20 GiB), and a watcher that follows real migrations while it asks
 * a ProgressProbe about them at every interval. Real-Cinder targets only (the pools are Ceph RBD there).
 * Reusable: the CLI's `migrate --wait` scenario can create its volumes with `filledVolume` and compare what volmig
 * printed with `rbdDu` of the same image.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Pool } from '../../../src/model/cinder.js';
import type { ProbeAnswer, ProbeSubject, ProgressProbe } from '../../../src/migration/sources/probe.js';
import { rbdLocationOf } from '../../../src/migration/sources/ceph.js';
import { hostOf, migstat, sleep } from './api.js';
import { REALCINDER_DIR, type Target } from './target.js';

const exec = promisify(execFile);
export const GiB = 2 ** 30;
export const MiB = 2 ** 20;

/** The rig's Ceph client configuration (auth none, loopback). */
export const RIG_CEPH_CONF = join(REALCINDER_DIR, 'ceph/ceph.conf');
const env = () => ({ ...process.env, CEPH_CONF: RIG_CEPH_CONF });

export async function rbd(args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await exec('rbd', args, { env: env(), timeout: timeoutMs, maxBuffer: 16 * MiB });
  return stdout;
}

/** Ceph's own figure: `rbd du --format json pool/image` used_size, or null when the image does not exist. */
export async function rbdDu(pool: string, image: string): Promise<number | null> {
  try {
    const doc = JSON.parse(await rbd(['du', '--format', 'json', `${pool}/${image}`], 30_000));
    const row = (doc.images as Array<{ name: string; used_size: number; snapshot?: string }>).find((r) => r.name === image && !r.snapshot);
    return row ? row.used_size : null;
  } catch (err) {
    if (/No such file or directory|is not found/.test(String((err as { stderr?: string }).stderr ?? ''))) return null;
    throw err;
  }
}

/** Every image in the rig's pools' trash is removed (Cinder moves busy images there). */
export async function purgeTrash(pools: readonly Pool[]): Promise<void> {
  for (const name of new Set(pools.map((p) => rbdLocationOf(p)?.pool).filter((p): p is string => !!p))) {
    await rbd(['trash', 'purge', name]).catch(() => undefined);
  }
}

/** The RBD pool behind a Cinder pool name (from its location_info). */
export function rbdPoolOf(pools: readonly Pool[], host: string): string {
  const loc = rbdLocationOf(pools.find((p) => p.name === host) ?? null);
  if (!loc) throw new Error(`${host} is not a Ceph RBD pool: ${JSON.stringify(pools.map((p) => p.name))}`);
  return loc.pool;
}

export type Fill = 'full' | 'sparse';

/**
 * A movable volume of `sizeGb` on layout.hostA (type pinned to A, retyped in place to the unpinned type), filled:
 * `full` by `rbd bench --io-type write --io-size 4M` over the whole image; `sparse` with 4 MiB of random data in
 * every 10th 4 MiB object (10% allocated, scattered over the whole address space).
 */
export async function filledVolume(t: Target, name: string, fill: Fill, sizeGb = 3): Promise<any> {
  const v = await t.api.createVolume(name, t.layout.pinnedA, sizeGb, 180_000);
  t.track(v.id);
  const r = await t.api.action(v.id, { 'os-retype': { new_type: t.layout.unpinned, migration_policy: 'never' } });
  if (r.status !== 202) throw new Error(`retype ${v.id}: HTTP ${r.status} ${r.text}`);
  const vol = await t.api.waitVolume(v.id, (x) => x.status === 'available' && x.volume_type === t.layout.unpinned, 60_000, 'retype');
  const pool = rbdPoolOf(await t.api.pools(), hostOf(vol));
  const image = `volume-${vol.id}`;
  if (fill === 'full') {
    await rbd(['bench', '--io-type', 'write', '--io-size', '4M', '--io-total', `${sizeGb}G`, `${pool}/${image}`], 300_000);
  } else {
    const script = [
      'import os, sys, rados, rbd',
      'c = rados.Rados(conffile=sys.argv[1]); c.connect(); io = c.open_ioctx(sys.argv[2]); img = rbd.Image(io, sys.argv[3])',
      'obj = 4 << 20',
      'for i in range(0, img.size() // obj, 10): img.write(os.urandom(obj), i * obj)',
      'img.flush(); img.close(); io.close(); c.shutdown()',
    ].join('\n');
    await exec('/usr/bin/python3', ['-c', script, RIG_CEPH_CONF, pool, image], { env: env(), timeout: 120_000 });
  }
  return vol;
}

/** One poll of the watcher: what the probe answered and what Ceph itself said right after, per volume. */
export interface WatchSample {
  at: number;
  volumeId: string;
  migrationStatus: string | null;
  targetVolumeId: string | null;
  answer: ProbeAnswer;
  /** `rbd du` of the image the copy writes (volume-<target id> for a generic copy, else volume-<id>) in the destination pool. */
  cephUsed: number | null;
  probeMs: number;
}

export interface WatchedMigration {
  volumeId: string;
  sourceHost: string;
  destinationHost: string;
  sizeBytes: number;
}

/**
 * Polls every `intervalMs` until every migration has ended (success or error): GET each volume, finds generic
 * targets (`target:<id>` in an all-projects listing), asks the probe about those in flight — all at once, as the
 * CLI's poll engine does — then reads Ceph's own figure for each. Returns every sample and each volume's end.
 */
export async function watchMigrations(
  t: Target,
  probe: ProgressProbe,
  migrations: readonly WatchedMigration[],
  options: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<{ samples: WatchSample[]; ended: Map<string, string> }> {
  const intervalMs = options.intervalMs ?? 1000;
  const deadline = Date.now() + (options.timeoutMs ?? 240_000);
  const pools = await t.api.pools();
  const samples: WatchSample[] = [];
  const ended = new Map<string, string>();
  const targets = new Map<string, string>();
  while (ended.size < migrations.length) {
    if (Date.now() > deadline) throw new Error(`migrations not ended in time: ${migrations.map((m) => m.volumeId).join(', ')}`);
    const tick = Date.now();
    const inFlight: Array<{ m: WatchedMigration; status: string | null }> = [];
    for (const m of migrations) {
      if (ended.has(m.volumeId)) continue;
      const status = migstat(await t.api.volume(m.volumeId));
      if (status === 'success' || status === 'error') ended.set(m.volumeId, status);
      else inFlight.push({ m, status });
    }
    if (inFlight.some(({ m }) => !targets.has(m.volumeId))) {
      const all = await t.api.call('GET', '/volumes/detail?all_tenants=1');
      for (const x of all.body?.volumes ?? []) {
        const s = migstat(x);
        if (s?.startsWith('target:')) targets.set(s.slice('target:'.length), x.id);
      }
    }
    if (inFlight.length) {
      const subjects: ProbeSubject[] = inFlight.map(({ m, status }) => ({
        volumeId: m.volumeId,
        sizeBytes: m.sizeBytes,
        migrationStatus: status ?? 'starting',
        sourceHost: m.sourceHost,
        destinationHost: m.destinationHost,
        targetVolumeId: targets.get(m.volumeId) ?? null,
      }));
      const t0 = Date.now();
      const answers = await probe.sample(subjects, { pools, signal: AbortSignal.timeout(Math.max(intervalMs, 5000)) });
      const probeMs = Date.now() - t0;
      for (const s of subjects) {
        const image = `volume-${s.targetVolumeId ?? s.volumeId}`;
        samples.push({
          at: Date.now(),
          volumeId: s.volumeId,
          migrationStatus: s.migrationStatus,
          targetVolumeId: s.targetVolumeId,
          answer: answers.get(s.volumeId)!,
          cephUsed: await rbdDu(rbdPoolOf(pools, s.destinationHost!), image),
          probeMs,
        });
      }
    }
    await sleep(Math.max(0, intervalMs - (Date.now() - tick)));
  }
  return { samples, ended };
}

/** The readings (bytes) a volume's samples carried, in order. */
export function readingsOf(samples: readonly WatchSample[], volumeId: string): Array<{ bytesCopied: number; totalBytes: number }> {
  return samples.filter((s) => s.volumeId === volumeId && s.answer.kind === 'reading').map((s) => (s.answer as { reading: any }).reading);
}

/** Compact log line per sample (printed by the scenario so the CI log shows what was measured). */
export function describeSamples(samples: readonly WatchSample[], volumeId: string): string {
  return samples
    .filter((s) => s.volumeId === volumeId)
    .map((s) => {
      const a = s.answer;
      const shown = a.kind === 'reading' ? `${Math.round(a.reading.bytesCopied / MiB)}/${Math.round(a.reading.totalBytes / MiB)}` : a.kind;
      return `${s.migrationStatus}:${shown}(ceph ${s.cephUsed === null ? '-' : Math.round(s.cephUsed / MiB)})`;
    })
    .join(' ');
}
