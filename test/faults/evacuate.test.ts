import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SandboxLayout } from '../../src/sandbox/layout.js';
import { ACTION, host, judge, lines, MIGRATE_BODY, settle, startFaultCloud, volumeGet, type Auth, type CaseResult, type FaultCloud } from './harness.js';
import type { FaultRule } from './proxy.js';

/**
 * evacuate of several volumes under faults: transient errors are ridden out within the read budgets, a lost
 * answer is reconciled (moved, started, not started, unknown), nothing is sent twice, the summary is always
 * printed (unknown states included), and --timeout ends the run within about a second.
 */
const SUITE = 'evacuate';

/** One source pool with room for everything (new volumes land there) and two destination pools; a type per case. */
const LAYOUT: SandboxLayout = {
  hostName: 'node',
  availabilityZone: 'nova',
  backends: [
    { name: 'old', vendorName: 'Open Source', storageProtocol: 'iSCSI', mover: 'file-io', migrationProgressReport: false, pools: [{ name: 'old', totalCapacityGb: 1000 }] },
    {
      name: 'new',
      vendorName: 'Sandbox Storage',
      storageProtocol: 'FC',
      mover: 'file-io',
      migrationProgressReport: true,
      pools: [
        { name: 'a', totalCapacityGb: 100 },
        { name: 'b', totalCapacityGb: 100 },
      ],
    },
  ],
  volumeTypes: [{ name: '__DEFAULT__', description: 'Default Volume Type' }, ...Array.from({ length: 16 }, (_, i) => ({ name: `ev${i}` }))],
};

let cloud: FaultCloud;
let types = 0;

beforeAll(async () => {
  cloud = await startFaultCloud({ layout: LAYOUT });
});
beforeEach(() => cloud.beginCase());
afterAll(async () => cloud?.stop());

interface Evacuation {
  ids: string[];
  names: string[];
  r: CaseResult;
}

/** Four volumes of a type of their own (2, 1, 2, 1 GiB), evacuated with the rules in place; its own journal. */
async function evacuate(rules: (ids: string[]) => FaultRule[], extra: string[] = [], auth?: Auth): Promise<Evacuation> {
  const type = `ev${types++}`;
  const ids: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < 4; i++) {
    const v = await cloud.createVolume({ size: 2 - (i % 2), name: `${type}-${i}`, volume_type: type });
    expect(host(v)).toBe('node@old#old');
    ids.push(v.id);
    names.push(v.name!);
  }
  cloud.reset(...rules(ids));
  const state = mkdtempSync(join(tmpdir(), 'volmig-faults-evacuate-'));
  const r = await cloud.run(['evacuate', '--from', 'node@old', '--to', 'node@new#a,node@new#b', '--volume-type', type, '--yes', '--interval', '0.5', ...extra], {
    auth,
    env: { XDG_STATE_HOME: state, HOME: state },
  });
  cloud.reset();
  for (const id of ids) await settle(cloud, id);
  return { ids, names, r };
}

/** The summary table's rows on stdout: id → result. */
function summary(stdout: string): Map<string, string> {
  const rows = new Map<string, string>();
  const all = lines(stdout);
  expect(all[0], stdout).toMatch(/^ID +Name +Result +Duration +Reason$/);
  for (const line of all.slice(1)) {
    const m = /^([0-9a-f-]{36}) +\S+ +(moved|failed|unknown|not started|still running|rejected|already there|moved earlier) /.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}

async function where(ids: string[]): Promise<(string | null)[]> {
  return Promise.all(ids.map(async (id) => host(await cloud.volume(id))));
}

function oncePerVolume(ids: string[], reached: number[]): void {
  expect(ids.map((id) => cloud.counter.actions('os-migrate_volume', id)), 'migrate requests that reached the sandbox, per volume').toEqual(reached);
}

const post = (extra: Partial<FaultRule>): FaultRule => ({ kind: '5xx', method: 'POST', path: ACTION, body: MIGRATE_BODY, ...extra });

describe('evacuate under faults', () => {
  it('an answer lost after forwarding and bursts of 503s on reads: every volume moved once, exit 0', async () => {
    const { ids, r } = await evacuate(() => [post({ kind: 'reset-after', skip: 1, times: 1 }), { kind: '5xx', method: 'GET', path: volumeGet(), skip: 4, times: 6 }]);
    expect(r.code, r.stderr).toBe(0);
    expect([...summary(r.stdout).values()]).toEqual(['moved', 'moved', 'moved', 'moved']);
    expect(lines(r.stderr).at(-1)).toMatch(/^Evacuation complete: 4 of 4 moved \(\d+:\d\d\)\.$/);
    oncePerVolume(ids, [1, 1, 1, 1]);
    expect(new Set(await where(ids))).toEqual(new Set(['node@new#a', 'node@new#b']));
    judge(cloud, SUITE, 'lost answer and 503 bursts', r, { exit: 0 });
  });

  it('a copy that finished before its answer was lost is "moved", not failed, and the run goes on', async () => {
    const { ids, r } = await evacuate(() => [post({ kind: 'reset-after', delayMs: 2500, times: 1 })]);
    expect(r.code, r.stderr).toBe(0);
    expect([...summary(r.stdout).values()]).toEqual(['moved', 'moved', 'moved', 'moved']);
    oncePerVolume(ids, [1, 1, 1, 1]);
    judge(cloud, SUITE, 'copy finished before the answer was lost', r, { exit: 0 });
  });

  it('a 500 after the sandbox acted: started, followed, moved', async () => {
    const { ids, r } = await evacuate(() => [post({ status: 500, forward: true, times: 1 })]);
    expect(r.code, r.stderr).toBe(0);
    expect([...summary(r.stdout).values()]).toEqual(['moved', 'moved', 'moved', 'moved']);
    oncePerVolume(ids, [1, 1, 1, 1]);
    judge(cloud, SUITE, '500 after acting', r, { exit: 0 });
  });

  it('a 503 that never reached the sandbox: that volume failed, not sent again; --continue-on-error moves the rest, exit 1', async () => {
    const { ids, r } = await evacuate(() => [post({ times: 1 })], ['--continue-on-error']);
    expect(r.code).toBe(1);
    const rows = summary(r.stdout);
    expect(rows.get(ids[0]!)).toBe('failed');
    expect([ids[1], ids[2], ids[3]].map((id) => rows.get(id!))).toEqual(['moved', 'moved', 'moved']);
    expect(r.stdout).toMatch(/the migration request got no answer and the volume shows no migration; not sent again/);
    oncePerVolume(ids, [0, 1, 1, 1]);
    expect((await where(ids))[0]).toBe('node@old#old');
    judge(cloud, SUITE, '503 never reached', r, { exit: 1 });
  });

  it('HTML pages on two 202s and malformed reads: accepted, followed, said, exit 0', async () => {
    const { ids, r } = await evacuate(() => [
      post({ kind: 'html', times: 2 }),
      { kind: 'shape', method: 'GET', path: volumeGet(), skip: 3, times: 4, transform: () => ({ volume: 'x' }) },
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr).filter((l) => /was accepted but its answer could not be read; following it\.$/.test(l))).toHaveLength(2);
    expect(r.stderr).toMatch(/^Could not read volume \S+ \([0-9a-f-]+\): the Block Storage API answered GET \S+ with a malformed body: volume is a string, not an object \(request id req-[0-9a-f-]+\); retrying\.$/m);
    oncePerVolume(ids, [1, 1, 1, 1]);
    judge(cloud, SUITE, 'HTML 202s and malformed reads', r, { exit: 0 });
  });

  it('a lost answer whose read-back fails too, --timeout 4s: "unknown" in the summary, exit 7 at the deadline', async () => {
    const { ids, r } = await evacuate((ids) => [post({ kind: 'reset-after', times: 1 }), { kind: '5xx', method: 'GET', path: volumeGet(ids[0]), skip: 1 }], ['--timeout', '4s', '--continue-on-error']);
    expect(r.code).toBe(7);
    const rows = summary(r.stdout);
    expect(rows.get(ids[0]!)).toBe('unknown');
    expect(r.stdout).toContain(`whether it started is unknown: check with volmig show ${ids[0]}`);
    expect(rows.size).toBe(4);
    expect(cloud.counter.actions('os-migrate_volume', ids[0])).toBe(1);
    judge(cloud, SUITE, 'read-back fails, --timeout', r, { exit: 7, deadlineMs: 4000 });
  });

  it('reads that stall, --timeout 4s: exit 7 at the deadline, the summary says what still runs', async () => {
    const { ids, r } = await evacuate(() => [{ kind: 'stall', method: 'GET', path: volumeGet(), skip: 6 }], ['--timeout', '4s']);
    expect(r.code).toBe(7);
    const rows = summary(r.stdout);
    expect(rows.size).toBe(4);
    expect([...rows.values()].every((s) => ['moved', 'still running', 'not started'].includes(s))).toBe(true);
    for (const id of ids) expect(cloud.counter.actions('os-migrate_volume', id)).toBeLessThanOrEqual(1);
    judge(cloud, SUITE, 'stalled reads, --timeout', r, { exit: 7, deadlineMs: 4000 });
  });

  it('a token that expires mid-run (Keystone): authenticated again, every volume moved, exit 0', async () => {
    const { ids, r } = await evacuate(() => [{ kind: 'token-expiry', method: 'GET', path: volumeGet(), skip: 5, times: 1 }], [], 'password');
    expect(r.code, r.stderr).toBe(0);
    oncePerVolume(ids, [1, 1, 1, 1]);
    judge(cloud, SUITE, 'token expiry', r, { exit: 0 });
  });

  it('--json under faults: the stream ends with the summary event, every line JSON', async () => {
    const { ids, r } = await evacuate(() => [post({ kind: 'reset-after', times: 1 }), { kind: 'html', method: 'GET', path: volumeGet(), skip: 4, times: 2 }], ['--json']);
    expect(r.code, r.stderr).toBe(0);
    const events = lines(r.stdout).map((l) => JSON.parse(l) as { event: string; end?: string; volumes?: { volume_id: string; result: string }[] });
    const last = events.at(-1)!;
    expect(last.event).toBe('summary');
    expect(last.end).toBe('completed');
    expect(new Map(last.volumes!.map((v) => [v.volume_id, v.result]))).toEqual(new Map(ids.map((id) => [id, 'moved'])));
    oncePerVolume(ids, [1, 1, 1, 1]);
    judge(cloud, SUITE, '--json under faults', r, { exit: 0 });
  });
});
