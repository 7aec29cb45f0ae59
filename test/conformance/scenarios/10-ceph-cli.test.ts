/**
 * What an operator sees from `volmig` on real Cinder + Ceph (issue 11), where Cinder itself gives no progress:
 *  - `migrate --force-host-copy --wait` reads the percentage from Ceph (source "ceph"), rising, never 100 before
 *    success, and its last figure is Ceph's own `rbd du`;
 *  - an RBD-driver migration of a sparse volume ends with Ceph's figure for what it copied (its allocated bytes);
 *  - `recover` cannot break a healthy copy: while the generic copy runs it refuses (exit 5) with the Ceph source
 *    (the copy is seen growing), without any source (silence is no evidence), and with --assume-stuck (too young);
 *    the migration then ends in success.
 * Real Cinder only: the sandbox gives its own numbers and has no Ceph.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostOf, migstat } from '../lib/api.js';
import { GiB, RIG_CEPH_CONF, filledVolume, purgeTrash, rbdDu, rbdPoolOf } from '../lib/ceph.js';
import { openTarget, targetKind, volName, type Target } from '../lib/target.js';

let t: Target;
let full: any;
let sparse: any;
let sparseAllocated: number;

const withCeph = { CEPH_CONF: RIG_CEPH_CONF };
const withoutCeph = { CEPH_CONF: '/nonexistent/ceph.conf' };

function events(stdout: string): Record<string, any>[] {
  return stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, any>);
}

describe.runIf(targetKind() === 'realcinder')('volmig progress from Ceph, and recover on a healthy copy [realcinder]', () => {
  beforeAll(async () => {
    t = await openTarget();
    await purgeTrash(await t.api.pools());
    [full, sparse] = await Promise.all([filledVolume(t, volName('cli-full'), 'full'), filledVolume(t, volName('cli-sparse'), 'sparse')]);
    sparseAllocated = (await rbdDu(rbdPoolOf(await t.api.pools(), hostOf(sparse)), `volume-${sparse.id}`))!;
  }, 300_000);

  afterAll(async () => {
    if (!t) return;
    const pools = await t.api.pools();
    await t.close();
    await purgeTrash(pools);
  }, 120_000);

  it('a generic copy shows rising Ceph percentages; recover refuses it three ways while it runs; it ends in success', async () => {
    const dest = t.layout.hostB;
    const run = t.start(['migrate', full.id, dest, '--force-host-copy', '--wait', '--json', '--interval', '1'], { env: withCeph });
    await run.waitFor(/"source":"ceph"/, 120_000);

    const seen = await t.run(['recover', full.id, '--yes', '--sample', '4'], { env: withCeph });
    expect(seen.code, seen.stderr).toBe(5);
    expect(seen.stderr).toMatch(/is visibly progressing \(.*ceph shows the copy growing from \d+ to \d+ MiB/);
    const blind = await t.run(['recover', full.id, '--yes', '--sample', '2'], { env: withoutCeph });
    expect(blind.code, blind.stderr).toBe(5);
    expect(blind.stderr).toMatch(/no progress source can see this copy .* that is no evidence the copy is stuck, so recover changes nothing/);
    const forced = await t.run(['recover', full.id, '--yes', '--sample', '2', '--assume-stuck'], { env: withoutCeph });
    expect(forced.code, forced.stderr).toBe(5);
    expect(forced.stderr).toContain('younger than that, recover always refuses');

    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const progress = events(r.stdout).filter((e) => e.event === 'progress' && e.source === 'ceph');
    const during = progress.filter((e) => e.phase !== 'success').map((e) => e.progress as number);
    expect(during.length, r.stdout).toBeGreaterThanOrEqual(3);
    expect(during, r.stdout).toEqual([...during].sort((a, b) => a - b));
    expect(during.filter((p, i) => i > 0 && p > during[i - 1]!).length, r.stdout).toBeGreaterThanOrEqual(2);
    expect(Math.max(...during)).toBeLessThan(100);
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ phase: 'success', progress: 100, source: 'ceph', total_bytes: 3 * GiB, bytes_copied: 3 * GiB });
    expect(await rbdDu(rbdPoolOf(await t.api.pools(), dest), `volume-${full.id}`)).toBe(last.bytes_copied);
    expect(events(r.stdout).at(-1)).toMatchObject({ event: 'result', result: 'success', source: 'ceph', destination_host: dest });
    // recover changed nothing: the migration ended as Cinder ended it
    const after = await t.api.volume(full.id);
    expect(migstat(after)).toBe('success');
    expect(hostOf(after)).toBe(dest);
  }, 300_000);

  it('an RBD-driver copy of a sparse volume ends with Ceph\'s figure for what it copied', async () => {
    const dest = t.layout.hostB;
    const r = await t.run(['migrate', sparse.id, dest, '--wait', '--json', '--interval', '1'], { env: withCeph, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const result = events(r.stdout).at(-1)!;
    expect(result).toMatchObject({ event: 'result', result: 'success', destination_host: dest });
    const ceph = await rbdDu(rbdPoolOf(await t.api.pools(), dest), `volume-${sparse.id}`);
    expect(ceph).toBe(sparseAllocated);
    // The copy moves only allocated objects and may end within one interval: when Ceph was read, its total is the
    // allocated size, and the end figure is Ceph's own.
    const fromCeph = events(r.stdout).filter((e) => e.event === 'progress' && e.source === 'ceph');
    for (const e of fromCeph) expect(e.total_bytes).toBe(sparseAllocated);
    if (fromCeph.length) expect(fromCeph.at(-1)!.bytes_copied).toBe(ceph);
  }, 300_000);
});
