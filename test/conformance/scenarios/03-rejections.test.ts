/**
 * Refusals: exact messages and exit codes, from volmig's own pre-flight and (with --skip-checks) from the API.
 * Real Cinder and the sandbox must agree on every one of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostOf, migstat, sleep } from '../lib/api.js';
import { expectExit, genericMigrate400, REFUSED } from '../lib/expect.js';
import { openTarget, volName, type Target } from '../lib/target.js';

let t: Target;
let vol: any;
beforeAll(async () => {
  t = await openTarget();
  vol = await t.movableVolume(volName('reject'));
});
afterAll(async () => {
  await t?.close();
});

const BOGUS = 'bogus-host@nowhere#pool';
const UNKNOWN = '00000000-0000-0000-0000-000000000000';

describe(`rejections [${process.env.VOLMIG_TARGET ?? 'sandbox'}]`, () => {
  it('bogus host: pre-flight refuses with exit 5 and names the known pools; nothing was sent', async () => {
    const r = await t.run(['migrate', vol.id, BOGUS]);
    expectExit(r, 5);
    expect(r.stderr).toContain(`${REFUSED}destination '${BOGUS}' is not a known pool`);
    expect(r.stderr).toContain('host@backend#pool');
    const v = await t.api.volume(vol.id);
    expect(migstat(v)).toBeNull();
  });

  it('bogus host with --skip-checks: Cinder\'s own "Invalid host" refusal, HTTP 400, exit 5', async () => {
    const r = await t.run(['migrate', vol.id, BOGUS, '--skip-checks']);
    expectExit(r, 5);
    expect(r.stderr).toContain(`${REFUSED}Invalid host: No available service named '${BOGUS}'. (HTTP 400)`);
  });

  it('same host: pre-flight says the volume is already there (exit 5); the API\'s generic 400 with --skip-checks', async () => {
    const pre = await t.run(['migrate', vol.id, t.layout.hostA]);
    expectExit(pre, 5);
    expect(pre.stderr).toContain(
      `${REFUSED}volume ${vol.name} (${vol.id}) is already on ${t.layout.hostA}; choose another destination (see volmig pools).`,
    );
    const api = await t.run(['migrate', vol.id, t.layout.hostA, '--skip-checks']);
    expectExit(api, 5);
    expect(api.stderr).toContain(`${REFUSED}${genericMigrate400(vol.id)}. (HTTP 400)`);
  });

  it('volume with a snapshot: pre-flight names the snapshot (exit 5)', async () => {
    const src = await t.movableVolume(volName('snapsrc'));
    const snapName = volName('snap');
    const s = await t.api.call('POST', '/snapshots', { snapshot: { volume_id: src.id, name: snapName } });
    expect(s.status, s.text).toBe(202);
    for (let i = 0; i < 100; i++) {
      const g = await t.api.call('GET', `/snapshots/${s.body.snapshot.id}`);
      if (g.body?.snapshot?.status === 'available') break;
      await sleep(300);
    }
    const r = await t.run(['migrate', src.id, t.layout.hostB]);
    expectExit(r, 5);
    expect(r.stderr).toContain(
      `${REFUSED}volume ${src.name} (${src.id}) has snapshot ${snapName} (${s.body.snapshot.id}); ` +
        'a volume with snapshots cannot migrate (delete the snapshot first).',
    );
  });

  it('unknown volume: exit 3, with and without --skip-checks', async () => {
    const pre = await t.run(['migrate', UNKNOWN, t.layout.hostB]);
    expectExit(pre, 3);
    expect(pre.stderr).toContain(REFUSED);
    expect(pre.stderr).toContain(UNKNOWN);
    const api = await t.run(['migrate', UNKNOWN, t.layout.hostB, '--skip-checks']);
    expectExit(api, 3);
    expect(api.stderr).toContain(`${REFUSED}Volume ${UNKNOWN} could not be found. (HTTP 404)`);
  });

  it('a pool the volume type cannot use: pre-flight refuses (exit 5); with --skip-checks --wait the scheduler fails it (exit 1)', async () => {
    const pinned = await t.pinnedVolume(volName('pinned'));
    const pre = await t.run(['migrate', pinned.id, t.layout.hostB]);
    expectExit(pre, 5);
    expect(pre.stderr).toContain(`${REFUSED}volume type ${t.layout.pinnedA} pins volume_backend_name=`);

    const r = await t.run(['migrate', pinned.id, t.layout.hostB, '--skip-checks', '--wait', '--interval', '1'], { timeoutMs: 120_000 });
    expectExit(r, 1);
    expect(r.stderr).toContain(`migration to ${t.layout.hostB} failed (migration_status error)`);
    expect(r.stderr).toContain(`The volume is still on ${t.layout.hostA} (host unchanged).`);
    expect(r.stderr).toContain('the scheduler refused the destination');
    // no copy ran: the log that matters is the scheduler's
    expect(r.stderr).toContain('Where to look: the cinder-scheduler log (the request was refused before any copy ran).');
    const after = await t.api.volume(pinned.id);
    expect(hostOf(after)).toBe(t.layout.hostA);
    expect(migstat(after)).toBe('error');
    expect(after.status).toBe('available');
  });
});
