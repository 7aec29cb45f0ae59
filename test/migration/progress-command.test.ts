import { describe, expect, it } from 'vitest';
import type { Volume } from '../../src/model/cinder.js';
import { cinderApi, useCinderNock, volmig } from '../commands/cinder-nock.js';
import { volume } from '../commands/fixtures.js';

useCinderNock();

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const T = '33333333-3333-4333-8333-333333333333';
const SRC = 'realcinder@ceph-a#ceph-a';
const DST = 'realcinder@ceph-b#ceph-b';

function v(id: string, name: string, over: Partial<Volume> = {}): Volume {
  return volume({ id, name, 'os-vol-host-attr:host': SRC, ...over });
}

function clock() {
  let t = 1_800_000_000_000;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

describe('progress --all --watch', () => {
  it('one list request per interval, no per-volume reads; migrations appear and leave with their result', async () => {
    const api = cinderApi();
    const list = (volumes: Volume[]) => api.get('/volumes/detail').query({ all_tenants: '1' }).reply(200, { volumes });
    const target = v(T, 'vol-a', { migration_status: `target:${A}`, 'os-vol-host-attr:host': DST });
    list([v(A, 'vol-a', { migration_status: 'migrating', migration_progress: '10' }), target, v(B, 'vol-b')]);
    list([v(A, 'vol-a', { migration_status: 'migrating', migration_progress: '60' }), target, v(B, 'vol-b', { migration_status: 'starting' })]);
    list([v(A, 'vol-a', { migration_status: 'success', 'os-vol-host-attr:host': DST }), v(B, 'vol-b', { migration_status: 'migrating' })]);
    list([v(A, 'vol-a', { migration_status: 'success', 'os-vol-host-attr:host': DST }), v(B, 'vol-b', { migration_status: 'error' })]);
    const c = clock();
    const r = await volmig(['progress', '--all', '--watch', '--interval', '5'], { now: c.now, sleep: c.sleep });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('vol-a migrating 10% 0.1/1.0 GiB\n');
    // volmig did not start these and the server shows no start it can trust: the watch's own time, and no average.
    expect(r.stderr).toContain('vol-b starting progress indeterminate watched 0:00\n');
    expect(r.stdout).toBe(`vol-a: migrated ${SRC} → ${DST} (1.0 GiB; watched for 0:10)\n`);
    expect(r.stderr).toContain('vol-b: migration failed (migration_status error).\n');
    expect(r.stderr).toContain('  No temporary destination volume was left behind.\n');
  });

  it('nothing in flight: says so, exit 0', async () => {
    cinderApi().get('/volumes/detail').query({ all_tenants: '1' }).reply(200, { volumes: [v(A, 'vol-a')] });
    const r = await volmig(['progress', '--all', '--watch', '--interval', '5']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'No migration is in flight.\n' });
  });

  it('--all and volumes together is a usage error', async () => {
    const r = await volmig(['progress', '--all', A]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'Error: give volumes or --all, not both\n' });
  });
});
