import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVolmig } from '../helpers/run.js';
import { validatedEvents } from '../helpers/json-events.js';
import { startCloud, type TestCloud } from '../maintenance/sandbox-helpers.js';

// The `process` progress source through the CLI: a sandbox whose API stops at 3.71 gives no migration_progress, so
// what volmig shows of an LVM (dd) copy comes from /proc/<dd pid>/fdinfo/1 on this host, where the sandbox runs dd.

let cloud: TestCloud;
beforeAll(async () => {
  // 64 MiB per "GiB" copied at 16 MiB/s: a 1 GiB volume copies for about 4 s, over several polls.
  cloud = await startCloud({ gibMiB: 64, copyRateMiBps: 16, maxMinorVersion: 71 });
}, 60_000);
afterAll(async () => {
  await cloud?.stop();
});

describe.runIf(process.platform === 'linux')('progress from the dd on this host (the server gives none)', () => {
  it('migrate --wait --json: rising percentages with source "process", 100 only at success, named once in plain output', async () => {
    // On an LVM pool (the type pins lvm-1), then retyped in place to the unpinned type so that it may move to lvm-2.
    const created = await cloud.createVolume({ size: 1, name: 'dd-watched', volume_type: 'lvm-1' });
    const retype = await cloud.api('POST', `/volumes/${created.id}/action`, { 'os-retype': { new_type: '__DEFAULT__', migration_policy: 'never' } });
    expect(retype.status).toBe(202);
    const v = await cloud.waitFor(created.id, (x) => x.status === 'available' && x.volume_type === '__DEFAULT__');
    const from = v['os-vol-host-attr:host'] as string;
    expect(from).toBe('sandbox@lvm-1#lvm-1');
    const to = 'sandbox@lvm-2#lvm-2';
    const r = await runVolmig(['migrate', v.id, to, '--wait', '--json', '--interval', '0.5'], { env: cloud.env });
    expect(r.code, r.stderr).toBe(0);
    const events = validatedEvents('migrate', r.stdout);
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.every((e) => e.server_progress === null)).toBe(true);
    const fromDd = progress.filter((e) => e.source === 'process' && e.phase === 'migrating').map((e) => e.progress as number);
    expect(fromDd.length, r.stdout + r.stderr).toBeGreaterThanOrEqual(2);
    expect(fromDd).toEqual([...fromDd].sort((a, b) => a - b));
    expect(fromDd.at(-1)!).toBeGreaterThan(fromDd[0]!);
    expect(Math.max(...fromDd)).toBeLessThan(100);
    expect(events.at(-1)).toMatchObject({ event: 'result', result: 'success', source: 'process', progress: 100 });

    const back = await runVolmig(['migrate', v.id, from, '--wait', '--interval', '0.5'], { env: cloud.env });
    expect(back.code, back.stderr).toBe(0);
    expect(back.stderr.match(/dd-watched: progress from the dd copying it on this host \(\/proc\)\./g)).toHaveLength(1);
    expect(back.stderr).toMatch(/dd-watched migrating \d+% /);
  }, 60_000);
});
