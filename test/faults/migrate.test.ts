import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Volume } from '../../src/model/cinder.js';
import { ACTION, host, judge, lines, MIGRATE_BODY, otherPool, otherType, RETYPE_BODY, settle, startFaultCloud, volumeGet, type Auth, type CaseResult, type FaultCloud } from './harness.js';
import type { FaultRule } from './proxy.js';

/**
 * migrate and retype under faults on the request itself and on the watch that follows it. What must hold in
 * every case: the request reaches the sandbox at most once (counted at the sandbox); a lost answer is reconciled
 * by reading the volume back, never by sending again; an accepted request is followed; the exit code says what
 * happened; a deadline ends the command within about a second.
 */
const SUITE = 'migrate';
let cloud: FaultCloud;
let n = 0;

beforeAll(async () => {
  cloud = await startFaultCloud();
});
beforeEach(() => cloud.beginCase());
afterAll(async () => cloud?.stop());

async function fresh(prefix: string): Promise<Volume> {
  return cloud.createVolume({ size: 1, name: `${prefix}-${++n}` });
}

const WAIT = ['--wait', '--interval', '0.5'];
const LOST = /^Warning: the answer to the (migration|retype) request was lost \(POST \S+: .+\)\. volmig does not send it again; reading the volume back\.$/;
const NOT_CARRIED_OUT = (id: string, what: string) =>
  new RegExp(
    `^Your ${what} request failed to process: the answer was lost and volume ${id} shows no ${what} \\(status available, migration_status none\\): the request was probably not carried out\\. volmig did not resend it; check with volmig show ${id} and run the command again if needed\\.$`,
  );
const MIGRATED = (v: Volume, to: string) => new RegExp(`^${v.name}: migrated ${host(v)!.replace(/[#@]/g, '\\$&')} → ${to.replace(/[#@]/g, '\\$&')} \\(1\\.0 GiB in \\d+:\\d\\d`);

interface MigrateCase {
  name: string;
  rules: (v: Volume) => FaultRule[];
  args?: string[];
  auth?: Auth;
  exit: number;
  /** migrate actions that reach the sandbox */
  reached: 0 | 1;
  /** the volume ends on the destination */
  moved: boolean;
  deadlineMs?: number;
  check?: (r: CaseResult, v: Volume, to: string) => void;
}

const onPost = (kind: FaultRule['kind'], extra: Partial<FaultRule> = {}): FaultRule => ({ kind, method: 'POST', path: ACTION, body: MIGRATE_BODY, ...extra });
const onWatch = (v: Volume, kind: FaultRule['kind'], extra: Partial<FaultRule> = {}): FaultRule => ({ kind, method: 'GET', path: volumeGet(v.id), skip: 2, ...extra });

const MIGRATE_CASES: MigrateCase[] = [
  {
    name: '503 answered by the proxy (never reached): read back, not carried out, exit 6',
    rules: () => [onPost('5xx')],
    exit: 6,
    reached: 0,
    moved: false,
    check: (r, v) => {
      expect(lines(r.stderr)[0]).toMatch(LOST);
      expect(lines(r.stderr)).toContainEqual(expect.stringMatching(NOT_CARRIED_OUT(v.id, 'migration')));
    },
  },
  {
    name: '500 after the sandbox acted: read back, started, followed to the end, exit 0',
    rules: () => [onPost('5xx', { status: 500, forward: true })],
    args: WAIT,
    exit: 0,
    reached: 1,
    moved: true,
    check: (r, v, to) => {
      expect(lines(r.stderr)[0]).toMatch(LOST);
      expect(r.stderr).toMatch(/^The volume shows the migration (started|was carried out) \(/m);
      expect(r.stdout).toMatch(MIGRATED(v, to));
    },
  },
  {
    name: 'connection reset before forwarding: exit 6, nothing reached',
    rules: () => [onPost('reset-before')],
    args: WAIT,
    exit: 6,
    reached: 0,
    moved: false,
    check: (r, v) => expect(lines(r.stderr)).toContainEqual(expect.stringMatching(NOT_CARRIED_OUT(v.id, 'migration'))),
  },
  {
    name: 'answer lost after forwarding, without --wait: read back, accepted, exit 0',
    rules: () => [onPost('reset-after')],
    exit: 0,
    reached: 1,
    moved: true,
    check: (r, v) => {
      expect(lines(r.stderr)).toEqual([
        expect.stringMatching(LOST),
        expect.stringMatching(/^The volume shows the migration (started|was carried out) \(/),
        'Your migration request has been received. Please check migration status and the server log to see more information.',
        `Next: volmig progress ${v.id} --watch`,
      ]);
    },
  },
  {
    name: 'answer lost after forwarding, --wait: followed to the end, exit 0',
    rules: () => [onPost('reset-after')],
    args: WAIT,
    exit: 0,
    reached: 1,
    moved: true,
    check: (r, v, to) => expect(r.stdout).toMatch(MIGRATED(v, to)),
  },
  {
    name: 'the copy finished before its answer was lost: read back, "carried out", exit 0',
    rules: () => [onPost('reset-after', { delayMs: 2500 })],
    args: WAIT,
    exit: 0,
    reached: 1,
    moved: true,
    check: (r, v, to) => {
      expect(r.stderr).toMatch(/^The volume shows the migration was carried out \(host /m);
      expect(r.stdout).toMatch(MIGRATED(v, to));
    },
  },
  {
    name: 'HTML page on the 202: accepted, said, followed, exit 0',
    rules: () => [onPost('html')],
    args: WAIT,
    exit: 0,
    reached: 1,
    moved: true,
    check: (r, v, to) => {
      expect(r.stderr).toContain('Warning: the server accepted the request (HTTP 2xx) but its answer could not be read; volmig treats it as accepted.\n');
      expect(r.stdout).toMatch(MIGRATED(v, to));
    },
  },
  {
    name: 'a 202 whose body is cut short: accepted, followed, exit 0',
    rules: () => [onPost('truncated')],
    args: WAIT,
    exit: 0,
    reached: 1,
    moved: true,
    check: (r) => expect(r.stderr).toContain('its answer could not be read; volmig treats it as accepted.'),
  },
  {
    name: 'a 202 with a body past the cap: accepted, followed, exit 0',
    rules: () => [{ kind: 'huge', method: 'POST', path: ACTION, bytes: 65 * 1024 * 1024, forward: true }],
    args: WAIT,
    exit: 0,
    reached: 1,
    moved: true,
    check: (r) => expect(r.stderr).toContain('its answer could not be read; volmig treats it as accepted.'),
  },
  {
    name: 'a stalled request that never reached the sandbox, --timeout 2s: ends at the deadline, exit 6',
    rules: () => [onPost('stall')],
    args: [...WAIT, '--timeout', '2s'],
    exit: 6,
    reached: 0,
    moved: false,
    deadlineMs: 2000,
    check: (r, v) => {
      expect(lines(r.stderr)[0]).toMatch(/no answer before volmig stopped waiting \(the --timeout passed\)/);
      expect(lines(r.stderr)).toContainEqual(expect.stringMatching(NOT_CARRIED_OUT(v.id, 'migration')));
    },
  },
  {
    name: 'a stalled request the sandbox carried out, --timeout 3s: read back, finished, exit 0 at the deadline',
    rules: () => [onPost('stall', { forward: true })],
    args: [...WAIT, '--timeout', '3s'],
    exit: 0,
    reached: 1,
    moved: true,
    deadlineMs: 3000,
    check: (r, v, to) => {
      expect(r.stderr).toMatch(/^The volume shows the migration was carried out \(/m);
      expect(r.stdout).toMatch(MIGRATED(v, to));
    },
  },
  {
    name: 'a burst of 503s while watching: ridden out, exit 0',
    rules: (v) => [onWatch(v, '5xx', { times: 5 })],
    args: WAIT,
    exit: 0,
    reached: 1,
    moved: true,
    check: (r) => expect(r.stderr).toMatch(/^Could not read volume [0-9a-f-]+: The server has either erred .*\(HTTP 503, request id req-[0-9a-f-]+\); retrying\.$/m),
  },
  {
    name: 'a malformed volume while watching: a server fault, retried, exit 0',
    rules: (v) => [onWatch(v, 'shape', { times: 2, transform: (j) => ({ volume: { ...j.volume, status: 42 } }) })],
    args: WAIT,
    exit: 0,
    reached: 1,
    moved: true,
    check: (r) => expect(r.stderr).toMatch(/^Could not read volume [0-9a-f-]+: the Block Storage API answered GET \S+ with a malformed body: volume\.status is a number, not a string \(request id req-[0-9a-f-]+\); retrying\.$/m),
  },
  {
    name: 'HTML pages and a body past the cap while watching: retried, exit 0',
    rules: (v) => [onWatch(v, 'html', { times: 2 }), { kind: 'huge', method: 'GET', path: volumeGet(v.id), skip: 4, times: 1, bytes: 65 * 1024 * 1024 }],
    args: WAIT,
    exit: 0,
    reached: 1,
    moved: true,
  },
  {
    name: 'one 404 while watching: read again, not "gone", exit 0',
    rules: (v) => [onWatch(v, '5xx', { status: 404, times: 1 })],
    args: WAIT,
    exit: 0,
    reached: 1,
    moved: true,
    check: (r) => {
      expect(r.stderr).toMatch(/reading it again before concluding it is gone\.$/m);
      expect(r.stderr).not.toMatch(/no longer exists/);
    },
  },
  {
    name: '404s that last while watching: gone after two reads, exit 3',
    rules: (v) => [onWatch(v, '5xx', { status: 404 })],
    args: WAIT,
    exit: 3,
    reached: 1,
    moved: true,
    check: (r) => expect(r.stderr).toMatch(/no longer exists/),
  },
  {
    name: 'reads that stall while watching, --timeout 3s: exit 7 at the deadline',
    rules: (v) => [onWatch(v, 'stall')],
    args: [...WAIT, '--timeout', '3s'],
    exit: 7,
    reached: 1,
    moved: true,
    deadlineMs: 3000,
    check: (r, v) => expect(r.stderr).toContain(`Resume watching with: volmig progress ${v.id} --watch`),
  },
  {
    name: 'a token that expires mid-watch (Keystone): authenticated again, exit 0',
    rules: (v) => [onWatch(v, 'token-expiry', { times: 1 })],
    args: WAIT,
    auth: 'password',
    exit: 0,
    reached: 1,
    moved: true,
  },
  {
    name: 'a token that expired before the request: Cinder refused it, volmig authenticates again and sends it the one time it reaches Cinder',
    rules: () => [onPost('token-expiry', { times: 1 })],
    args: WAIT,
    auth: 'appcred',
    exit: 0,
    reached: 1,
    moved: true,
  },
  {
    name: 'the versions document fails twice: asked again, progress still negotiated, exit 0',
    rules: () => [{ kind: '5xx', status: 500, method: 'GET', path: /^\/(v3\/)?$/, times: 2 }],
    args: WAIT,
    exit: 0,
    reached: 1,
    moved: true,
    check: (r) => {
      expect(r.stderr).not.toMatch(/Warning/);
      expect(r.stderr).toMatch(/ 100% 1\.0\/1\.0 GiB$/m);
    },
  },
  {
    name: 'the versions document stays malformed: one warning line, 3.0, no progress, exit 0',
    rules: () => [{ kind: 'shape', method: 'GET', path: /^\/(v3\/)?$/, transform: () => ({ versions: {} }) }],
    args: WAIT,
    exit: 0,
    reached: 1,
    moved: true,
    check: (r) => {
      expect(lines(r.stderr).filter((l) => l.startsWith('Warning:'))).toEqual([
        expect.stringMatching(/^Warning: could not read the Block Storage versions document at \S+ \(HTTP 300, request id req-[0-9a-f-]+, malformed: versions is an object, not a list, 3 attempts\); using microversion 3\.0, which reports no migration progress \(pin a version with --os-volume-api-version\)$/),
      ]);
      expect(r.stderr).not.toMatch(/\d+%/);
    },
  },
];

describe('migrate under faults', () => {
  for (const c of MIGRATE_CASES) {
    it(c.name, async () => {
      const v = await fresh('mig');
      const to = otherPool(v);
      cloud.reset(...c.rules(v));
      const r = await cloud.run(['migrate', v.id, to, ...(c.args ?? [])], { auth: c.auth });
      c.check?.(r, v, to);
      cloud.reset();
      const after = await settle(cloud, v.id);
      expect(cloud.counter.actions('os-migrate_volume', v.id), 'migrate requests that reached the sandbox').toBe(c.reached);
      expect(host(after), 'where the volume is').toBe(c.moved ? to : host(v));
      judge(cloud, SUITE, `migrate: ${c.name}`, r, { exit: c.exit, deadlineMs: c.deadlineMs });
    });
  }

  it('a read-back that fails too: the state is unknown, said with the command that checks it, exit 6', async () => {
    const v = await fresh('mig');
    const to = otherPool(v);
    cloud.reset(onPost('reset-after'), { kind: '5xx', status: 503, method: 'GET', path: volumeGet(v.id), skip: 1 });
    const r = await cloud.run(['migrate', v.id, to, '--wait', '--timeout', '2s']);
    expect(lines(r.stderr)[0]).toMatch(LOST);
    expect(r.stderr).toContain(`volmig show ${v.id}`);
    cloud.reset();
    await settle(cloud, v.id);
    expect(cloud.counter.actions('os-migrate_volume', v.id)).toBe(1);
    judge(cloud, SUITE, 'migrate: read-back fails', r, { exit: 6, deadlineMs: 2000 });
  });
});

interface RetypeCase extends Omit<MigrateCase, 'check'> {
  check?: (r: CaseResult, v: Volume, type: string) => void;
}

const onRetype = (kind: FaultRule['kind'], extra: Partial<FaultRule> = {}): FaultRule => ({ kind, method: 'POST', path: ACTION, body: RETYPE_BODY, ...extra });

const RETYPE_CASES: RetypeCase[] = [
  { name: '503 answered by the proxy: read back, not carried out, exit 6', rules: () => [onRetype('5xx')], exit: 6, reached: 0, moved: false, check: (r, v) => expect(lines(r.stderr)).toContainEqual(expect.stringMatching(NOT_CARRIED_OUT(v.id, 'retype'))) },
  { name: 'connection reset before forwarding: exit 6', rules: () => [onRetype('reset-before')], args: WAIT, exit: 6, reached: 0, moved: false },
  {
    name: 'answer lost after forwarding, --wait: read back (type, status), followed, exit 0',
    rules: () => [onRetype('reset-after')],
    args: WAIT,
    exit: 0,
    reached: 1,
    moved: true,
    check: (r, v, type) => {
      expect(lines(r.stderr)[0]).toMatch(LOST);
      expect(r.stdout).toMatch(new RegExp(`^${v.name}: retyped to ${type} and migrated `, 'm'));
    },
  },
  { name: 'HTML page on the 202: accepted, followed, exit 0', rules: () => [onRetype('html')], args: WAIT, exit: 0, reached: 1, moved: true, check: (r) => expect(r.stderr).toContain('its answer could not be read; volmig treats it as accepted.') },
  { name: 'a 202 cut short: accepted, followed, exit 0', rules: () => [onRetype('truncated')], args: WAIT, exit: 0, reached: 1, moved: true },
  { name: 'a stalled request never forwarded, --timeout 2s: exit 6 at the deadline', rules: () => [onRetype('stall')], args: [...WAIT, '--timeout', '2s'], exit: 6, reached: 0, moved: false, deadlineMs: 2000 },
  {
    name: 'a stalled request the sandbox carried out, --timeout 3s: read back, finished, exit 0 at the deadline',
    rules: () => [onRetype('stall', { forward: true })],
    args: [...WAIT, '--timeout', '3s'],
    exit: 0,
    reached: 1,
    moved: true,
    deadlineMs: 3000,
    check: (r, v, type) => expect(r.stdout).toMatch(new RegExp(`^${v.name}: retyped to ${type}`, 'm')),
  },
  { name: 'a burst of 503s and a malformed body while watching: exit 0', rules: (v) => [onWatch(v, '5xx', { times: 3 }), onWatch(v, 'shape', { skip: 6, times: 1, transform: () => ({ volume: [] }) })], args: WAIT, exit: 0, reached: 1, moved: true },
  { name: 'reads that stall while watching, --stall-timeout 2s: exit 7', rules: (v) => [onWatch(v, 'stall')], args: [...WAIT, '--stall-timeout', '2s'], exit: 7, reached: 1, moved: true },
  { name: 'a token refused on the request (Keystone): authenticated again, the one request reaches Cinder, exit 0', rules: () => [onRetype('token-expiry', { times: 1 })], args: WAIT, auth: 'password', exit: 0, reached: 1, moved: true },
];

describe('retype --migration-policy on-demand under faults', () => {
  for (const c of RETYPE_CASES) {
    it(c.name, async () => {
      const v = await fresh('rt');
      const type = otherType(v);
      cloud.reset(...c.rules(v));
      const started = Date.now();
      const r = await cloud.run(['retype', v.id, type, '--migration-policy', 'on-demand', ...(c.args ?? [])], { auth: c.auth });
      c.check?.(r, v, type);
      const stallAt = cloud.proxy.firstAt.get('stall');
      cloud.reset();
      const after = await settle(cloud, v.id);
      expect(cloud.counter.actions('os-retype', v.id), 'retype requests that reached the sandbox').toBe(c.reached);
      expect(after.volume_type, 'the volume type').toBe(c.moved ? type : v.volume_type);
      // --stall-timeout: no change since the first stalled read at the latest, so the end is 2 s after it at most
      const deadlineMs = c.args?.includes('--stall-timeout') && stallAt ? stallAt - started + 2000 : c.deadlineMs;
      judge(cloud, SUITE, `retype: ${c.name}`, r, { exit: c.exit, deadlineMs });
    });
  }
});
