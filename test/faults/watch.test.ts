import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Volume } from '../../src/model/cinder.js';
import { host, judge, lines, otherPool, settle, startFaultCloud, volumeGet, type Auth, type FaultCloud } from './harness.js';
import type { FaultRule } from './proxy.js';

/**
 * progress --watch under faults (the README's table "When a poll fails"): retry what may pass (no answer, resets,
 * 5xx, bodies that cannot be read or do not fit), read a 404 again before "gone", stop at once on 401/403 (exit 4)
 * and other 4xx (exit 5), and end within about a second of --timeout / --stall-timeout whatever the server does.
 * The migration is started on the sandbox directly, so only the watch goes through the proxy.
 */
const SUITE = 'watch';
let cloud: FaultCloud;
let n = 0;

beforeAll(async () => {
  cloud = await startFaultCloud();
});
beforeEach(() => cloud.beginCase());
afterAll(async () => cloud?.stop());

/** A 4 GiB volume migrating (about 2 s of copy at the suite's rate), started behind volmig's back. */
async function migrating(): Promise<{ v: Volume; to: string }> {
  const v = await cloud.createVolume({ size: 4, name: `watch-${++n}` });
  const to = otherPool(v);
  const r = await cloud.api('POST', `/volumes/${v.id}/action`, { 'os-migrate_volume': { host: to, force_host_copy: false, lock_volume: false } });
  expect(r.status).toBe(202);
  return { v, to };
}

const RETRYING = (what: string) => new RegExp(`^Could not read volume [0-9a-f-]+: ${what}; retrying\\.$`, 'm');

interface WatchCase {
  name: string;
  rules: (v: Volume) => FaultRule[];
  args?: string[];
  auth?: Auth;
  exit: number;
  deadlineMs?: number;
  stall?: boolean;
  check?: (stdout: string, stderr: string, v: Volume, to: string) => void;
}

/** Faults from the watch's second read on: the command's lookup and the first poll see the migration in flight. */
const get = (v: Volume, kind: FaultRule['kind'], extra: Partial<FaultRule> = {}): FaultRule => ({ kind, method: 'GET', path: volumeGet(v.id), skip: 2, ...extra });
const SUCCESS = (v: Volume, to: string) => new RegExp(`^${v.name}: migrated ${host(v)!.replace(/[#@]/g, '\\$&')} → ${to.replace(/[#@]/g, '\\$&')} \\(4\\.0 GiB[ ;]`, 'm');

const CASES: WatchCase[] = [
  { name: 'a burst of 503s: retried with back-off, exit 0', rules: (v) => [get(v, '5xx', { times: 4 })], exit: 0, check: (o, e, v, to) => (expect(e).toMatch(RETRYING('The server has either erred or is incapable of performing the requested operation\\. \\(HTTP 503, request id req-[0-9a-f-]+\\)')), expect(o).toMatch(SUCCESS(v, to))) },
  { name: 'a status that is a number: a malformed body is a server fault, retried, exit 0', rules: (v) => [get(v, 'shape', { times: 2, transform: (j) => ({ volume: { ...j.volume, status: 42 } }) })], exit: 0, check: (_o, e) => expect(e).toMatch(RETRYING('the Block Storage API answered GET \\S+ with a malformed body: volume\\.status is a number, not a string \\(request id req-[0-9a-f-]+\\)')) },
  { name: 'a volume that is a list, then an empty body: retried, exit 0', rules: (v) => [get(v, 'shape', { times: 1, transform: () => ({ volume: [] }) }), get(v, 'shape', { skip: 3, times: 1, transform: () => undefined })], exit: 0 },
  { name: 'HTML pages and bodies cut short: retried, exit 0', rules: (v) => [get(v, 'html', { times: 2 }), get(v, 'truncated', { skip: 4, times: 2 })], exit: 0, check: (_o, e) => expect(e).toMatch(RETRYING('the Block Storage API answered GET \\S+ with a malformed body: an HTML page instead of JSON: "502 Bad Gateway" \\(a proxy or a wrong endpoint\\?\\) \\(request id req-[0-9a-f-]+\\)')) },
  { name: 'connections reset before and after forwarding: retried, exit 0', rules: (v) => [get(v, 'reset-before', { times: 3 }), get(v, 'reset-after', { skip: 5, times: 2 })], exit: 0 },
  { name: 'a body past the cap: not read, retried, exit 0', rules: (v) => [get(v, 'huge', { times: 1, bytes: 65 * 1024 * 1024, chunked: true })], exit: 0, check: (_o, e) => expect(e).toMatch(RETRYING("the server's answer to GET \\S+ \\(HTTP 200\\) is larger than 64 MiB; volmig stopped reading it \\(request id req-[0-9a-f-]+\\)")) },
  { name: 'one 404: read again, exit 0', rules: (v) => [get(v, '5xx', { status: 404, times: 1 })], exit: 0, check: (_o, e) => expect(e).not.toMatch(/no longer exists/) },
  { name: '404s that last: gone after two reads, exit 3', rules: (v) => [get(v, '5xx', { status: 404 })], exit: 3, check: (_o, e) => expect(e).toMatch(/no longer exists/) },
  { name: 'a 401 after re-authentication (Keystone): exit 4 at once', rules: (v) => [get(v, 'token-expiry')], auth: 'password', exit: 4 },
  { name: 'a 403: exit 4 at once', rules: (v) => [get(v, '5xx', { status: 403 })], exit: 4, check: (_o, e) => expect(e).toMatch(/admin role/) },
  { name: 'a 400: exit 5 at once', rules: (v) => [get(v, '5xx', { status: 400 })], exit: 5 },
  { name: 'a token that expires once (Keystone): authenticated again, exit 0', rules: (v) => [get(v, 'token-expiry', { times: 1 })], auth: 'appcred', exit: 0 },
  { name: 'reads that never answer, --timeout 2s: exit 7 at the deadline', rules: (v) => [get(v, 'stall')], args: ['--timeout', '2s'], exit: 7, deadlineMs: 2000, check: (_o, e, v) => expect(e).toContain(`Resume watching with: volmig progress ${v.id} --watch`) },
  { name: 'reads that never answer, --stall-timeout 2s: exit 7 two seconds after the last change', rules: (v) => [get(v, 'stall')], args: ['--stall-timeout', '2s'], exit: 7, stall: true },
  { name: 'a burst of 503s and --json: every line is JSON, the last a success result', rules: (v) => [get(v, '5xx', { times: 3 })], args: ['--json'], exit: 0, check: (o) => {
    const events = lines(o).map((l) => JSON.parse(l) as { event: string; result?: string });
    expect(events.at(-1)).toMatchObject({ event: 'result', result: 'success' });
  } },
];

describe('progress --watch under faults', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const { v, to } = await migrating();
      cloud.reset(...c.rules(v));
      const started = Date.now();
      const r = await cloud.run(['progress', v.id, '--watch', '--interval', '0.5', ...(c.args ?? [])], { auth: c.auth });
      c.check?.(r.stdout, r.stderr, v, to);
      const stallAt = cloud.proxy.firstAt.get('stall');
      cloud.reset();
      await settle(cloud, v.id);
      const deadlineMs = c.stall && stallAt ? stallAt - started + 2000 : c.deadlineMs;
      if (c.stall) expect(stallAt).toBeDefined();
      judge(cloud, SUITE, `progress --watch: ${c.name}`, r, { exit: c.exit, deadlineMs });
    });
  }

  it('progress --all --watch: a malformed listing and 503s on it are retried, exit 0', async () => {
    const a = await migrating();
    const b = await migrating();
    cloud.reset(
      { kind: 'shape', method: 'GET', path: /\/volumes\/detail/, skip: 1, times: 1, transform: (j) => ({ ...j, volumes: j.volumes.map((x: unknown) => (x ? 7 : x)) }) },
      { kind: '5xx', method: 'GET', path: /\/volumes\/detail/, skip: 2, times: 3 },
    );
    const r = await cloud.run(['progress', '--all', '--watch', '--interval', '0.5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(SUCCESS(a.v, a.to));
    expect(r.stdout).toMatch(SUCCESS(b.v, b.to));
    cloud.reset();
    await settle(cloud, a.v.id);
    await settle(cloud, b.v.id);
    judge(cloud, SUITE, 'progress --all --watch under faults', r, { exit: 0 });
  });
});
