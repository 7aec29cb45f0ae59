import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../helpers/cli-process.js';
import { EVACUATION_LAYOUT, startCloud, type TestCloud } from '../maintenance/sandbox-helpers.js';
import type { Volume } from '../../src/model/cinder.js';

let cloud: TestCloud | undefined;
beforeAll(() => assertBuilt());
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

describe('evacuate as a process (node bin/volmig.js) with a real SIGINT', () => {
  it('Ctrl-C exits 130 naming the running migrations; the same command then finishes the job, one start per volume', async () => {
    cloud = await startCloud({ layout: EVACUATION_LAYOUT, copyRateMiBps: 4, gibMiB: 4 });
    const vols: Volume[] = [];
    for (const [i, size] of [2, 2, 2].entries()) vols.push(await cloud.createVolume({ size, name: `p-${i + 1}` }));
    const args = ['evacuate', '--from', 'node@old', '--to', 'node@new#a', '--concurrency', '2', '--interval', '0.5', '--yes'];
    const first = cloud.cli(args);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await cloud.volumes()).filter((v) => v.migration_status === 'migrating').length < 2) {
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill('SIGINT');
    const r1 = await first.done;
    expect(r1.signal).toBeNull();
    expect(r1.code).toBe(130);
    expect(r1.stderr).toMatch(/Still migrating on the server: \S+ \S+\n/);
    expect(r1.stderr).toMatch(/Evacuation interrupted: 0 of 3 moved, 2 still running on the server, 1 not started/);

    const r2 = await cloud.cli(args).done;
    expect(r2.code).toBe(0);
    expect(r2.stderr).toContain('Evacuation complete: 3 of 3 moved');
    for (const v of vols) expect((await cloud.volume(v.id))['os-vol-host-attr:host']).toBe('node@new#a');
    const starts = (await cloud.notifications()).filter((e) => e.event_type === 'volume.migrate.start').map((e) => e.payload.volume_id);
    expect(starts.sort()).toEqual(vols.map((v) => v.id).sort());
  }, 60_000);
});
