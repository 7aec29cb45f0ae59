import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../helpers/cli-process.js';
import { startCloud, type TestCloud } from '../maintenance/sandbox-helpers.js';

let cloud: TestCloud | undefined;
beforeAll(() => assertBuilt());
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

describe('smoke as a process (node bin/volmig.js) with a real SIGINT', () => {
  it('Ctrl-C mid-migration: the test volume is deleted anyway, exit 130', async () => {
    cloud = await startCloud({ gibMiB: 8, copyRateMiBps: 8 });
    const run = cloud.cli(['smoke', '--pools', 'sandbox@lvm-1#lvm-1,sandbox@lvm-2#lvm-2', '--interval', '0.5']);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(await cloud.volumes()).some((v) => v.migration_status === 'migrating')) await new Promise((r) => setTimeout(r, 20));
    expect((await cloud.volumes()).length).toBeGreaterThan(0);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('Interrupted: no new pair will start');
    expect(await cloud.volumes()).toEqual([]);
  }, 60_000);
});
