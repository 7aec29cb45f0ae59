import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Volume } from '../../src/model/cinder.js';
import { errorLines, judge, lines, paddedVolume, startFaultCloud, volumeGet, type FaultCloud } from './harness.js';
import type { FaultRule } from './proxy.js';

/**
 * list, show and pools under every fault the proxy injects: what a bad answer does to a command that only reads.
 * A transient fault is ridden out (the transport retries reads); a body that cannot be used is exit 6 in one line
 * that names what was wrong and the request id; nothing malformed ever reaches stdout.
 */
const SUITE = 'reads';
let cloud: FaultCloud;
const vols: Volume[] = [];

beforeAll(async () => {
  cloud = await startFaultCloud();
  for (let i = 0; i < 5; i++) vols.push(await cloud.createVolume({ size: 1, name: `read-${i}` }));
});
beforeEach(() => cloud.beginCase());
afterAll(async () => cloud?.stop());

const LIST = /\/volumes\/detail/;
const POOLS = /get_pools/;
const MALFORMED = (what: string) => new RegExp(`^Error: the Block Storage API answered GET \\S+ with a malformed body: ${what} \\(request id req-[0-9a-f-]+\\)$`);

function oneError(stderr: string): string {
  const errors = errorLines(stderr);
  expect(errors, stderr).toHaveLength(1);
  return errors[0]!;
}

describe('transient faults are ridden out', () => {
  const transient: [string, FaultRule][] = [
    ['a burst of two 503s', { kind: '5xx', status: 503, method: 'GET', path: /./, times: 2 }],
    ['a connection reset before forwarding', { kind: 'reset-before', method: 'GET', path: /./, times: 1 }],
    ['an answer lost after forwarding', { kind: 'reset-after', method: 'GET', path: /./, times: 1 }],
    ['a body cut short', { kind: 'truncated', method: 'GET', path: /\/v3\/admin\//, times: 1 }],
  ];
  for (const [label, rule] of transient) {
    it(`list, show, pools --json after ${label}`, async () => {
      const results = [];
      cloud.reset({ ...rule });
      const list = await cloud.run(['list']);
      results.push(list);
      expect(list.code, list.stderr).toBe(0);
      for (const v of vols) expect(list.stdout).toContain(v.id);
      cloud.reset({ ...rule });
      const show = await cloud.run(['show', vols[0]!.id]);
      results.push(show);
      expect(show.code, show.stderr).toBe(0);
      expect(show.stdout).toMatch(new RegExp(`^id: +${vols[0]!.id}$`, 'm'));
      cloud.reset({ ...rule });
      const pools = await cloud.run(['pools', '--json']);
      results.push(pools);
      expect(pools.code, pools.stderr).toBe(0);
      expect((JSON.parse(pools.stdout) as { name: string }[]).map((p) => p.name)).toContain('sandbox@vendor#pool-a');
      for (const r of results) expect(r.stderr, label).toBe('');
      judge(cloud, SUITE, `reads after ${label}`, results, { exit: 0 });
    });
  }

  it('a stalled answer is given up after --http-timeout and asked again', async () => {
    cloud.reset({ kind: 'stall', method: 'GET', path: volumeGet(vols[1]!.id), times: 1 });
    const r = await cloud.run(['show', vols[1]!.id, '--http-timeout', '1s']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^name: +read-1$/m);
    expect(r.ms).toBeLessThan(4000);
    judge(cloud, SUITE, 'show after a stall', r, { exit: 0 });
  });
});

describe('faults that last: exit 6 in one line', () => {
  it('503 on every try: the transport gives up after its attempts', async () => {
    cloud.reset({ kind: '5xx', status: 503, method: 'GET', path: volumeGet() });
    const r = await cloud.run(['show', vols[0]!.id]);
    expect(r.code).toBe(6);
    expect(oneError(r.stderr)).toMatch(/^Error: The server has either erred or is incapable of performing the requested operation\.$/);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^Error: /), expect.stringMatching(/^\(HTTP 503 computeFault, request id req-[0-9a-f-]+; GET \S+\)$/)]);
    expect(r.stdout).toBe('');
    judge(cloud, SUITE, 'show under lasting 503', r, { exit: 6 });
  });

  it('a reset on every try', async () => {
    cloud.reset({ kind: 'reset-before', method: 'GET', path: LIST });
    const r = await cloud.run(['list', '--json']);
    expect(r.code).toBe(6);
    expect(oneError(r.stderr)).toMatch(/^Error: cannot reach http:\/\/127\.0\.0\.1:\d+\/v3\/admin\/volumes\/detail: other side closed \(UND_ERR_SOCKET\) \(4 attempts\)$/);
    expect(r.stdout).toBe('');
    judge(cloud, SUITE, 'list under lasting resets', r, { exit: 6 });
  });

  it('an HTML page instead of JSON', async () => {
    const results = [];
    for (const [args, path] of [
      [['list', '--json'], LIST],
      [['show', vols[2]!.id], volumeGet()],
      [['pools', '--json'], POOLS],
    ] as const) {
      cloud.reset({ kind: 'html', method: 'GET', path });
      const r = await cloud.run([...args]);
      results.push(r);
      expect(r.code).toBe(6);
      expect(oneError(r.stderr)).toMatch(MALFORMED('an HTML page instead of JSON: "502 Bad Gateway" \\(a proxy or a wrong endpoint\\?\\)'));
      expect(r.stdout).toBe('');
    }
    judge(cloud, SUITE, 'HTML bodies', results, { exit: 6 });
  });

  it('a body past the 64 MiB cap, with and without Content-Length', async () => {
    const results = [];
    for (const chunked of [false, true]) {
      cloud.reset({ kind: 'huge', method: 'GET', path: volumeGet(), bytes: 65 * 1024 * 1024, chunked, times: 1 });
      const r = await cloud.run(['show', vols[3]!.id]);
      results.push(r);
      expect(r.code).toBe(6);
      expect(oneError(r.stderr)).toMatch(
        /^Error: the server's answer to GET http:\/\/127\.0\.0\.1:\d+\/v3\/admin\/volumes\/[0-9a-f-]{36} \(HTTP 200\) is larger than 64 MiB; volmig stopped reading it \(request id req-[0-9a-f-]+\)$/,
      );
      expect(r.stdout).toBe('');
      // one request only: an oversized answer is not asked for again
      expect(cloud.proxy.injected.get('huge')).toBe(chunked ? 2 : 1);
    }
    judge(cloud, SUITE, 'bodies past the cap', results, { exit: 6 });
  });

  it('a 50 MB body under the cap is read and used', async () => {
    const v = await cloud.volume(vols[4]!.id);
    cloud.reset({ kind: 'huge', method: 'GET', path: volumeGet(v.id), bytes: 50 * 1000 * 1000, wrap: paddedVolume(v), times: 1 });
    const r = await cloud.run(['show', v.id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^name: +read-4$/m);
    judge(cloud, SUITE, '50 MB volume body', r, { exit: 0 });
  });
});

describe('bodies of the wrong shape: exit 6 naming the field, never "not found", never JSON output', () => {
  const listShapes: [string, (j: any) => unknown, string][] = [
    ['"volumes": "none"', (j) => ({ ...j, volumes: 'none' }), 'volumes is a string, not a list'],
    ['"volumes": {}', (j) => ({ ...j, volumes: {} }), 'volumes is an object, not a list'],
    ['"volumes": null', (j) => ({ ...j, volumes: null }), 'volumes is null, not a list'],
    ['"volumes": [null]', (j) => ({ ...j, volumes: [null] }), 'volumes\\[0\\] is null, not an object'],
    ['a status that is a number', (j) => ({ ...j, volumes: j.volumes.map((v: any, i: number) => (i === 3 ? { ...v, status: 42 } : v)) }), 'volumes\\[3\\]\\.status is a number, not a string'],
    ['a size that is a string', (j) => ({ ...j, volumes: j.volumes.map((v: any, i: number) => (i === 1 ? { ...v, size: '1' } : v)) }), 'volumes\\[1\\]\\.size is a string, not a number'],
    ['a host that is an object', (j) => ({ ...j, volumes: j.volumes.map((v: any) => ({ ...v, 'os-vol-host-attr:host': {} })) }), 'volumes\\[0\\]\\["os-vol-host-attr:host"\\] is an object, not a string or null'],
    ['links that are not links', (j) => ({ ...j, volumes_links: 'next' }), 'volumes_links is a string, not a list or null'],
    ['no collection at all', () => ({}), 'volumes is missing'],
    ['a list instead of an object', (j) => j.volumes, 'the body is a list, not an object'],
  ];
  for (const [label, transform, field] of listShapes) {
    it(`list and list --json: ${label}`, async () => {
      const results = [];
      for (const json of [false, true]) {
        cloud.reset({ kind: 'shape', method: 'GET', path: LIST, transform });
        const r = await cloud.run(['list', ...(json ? ['--json'] : [])]);
        results.push(r);
        expect(r.code).toBe(6);
        expect(oneError(r.stderr)).toMatch(MALFORMED(field));
        if (json) {
          // never a complete JSON document: nothing, or an array that is not closed
          expect(r.stdout.trimEnd().endsWith(']')).toBe(false);
          expect(() => JSON.parse(r.stdout)).toThrow();
        }
      }
      judge(cloud, SUITE, `list: ${label}`, results, { exit: 6 });
    });
  }

  it('show <name> over a listing whose volumes is "none": the server is at fault, the volume is not said to be gone', async () => {
    cloud.reset({ kind: 'shape', method: 'GET', path: LIST, transform: (j) => ({ ...j, volumes: 'none' }) });
    const r = await cloud.run(['show', 'read-0']);
    expect(r.code).toBe(6);
    expect(oneError(r.stderr)).toMatch(MALFORMED('volumes is a string, not a list'));
    expect(r.stderr).not.toMatch(/No volume/);
    expect(r.stdout).toBe('');
    judge(cloud, SUITE, 'show <name>: volumes "none"', r, { exit: 6 });
  });

  it('show <id> and show --json: the volume is null, or its attachments are not a list', async () => {
    const results = [];
    for (const [transform, field] of [
      [() => ({ volume: null }), 'volume is null, not an object'],
      [(j: any) => ({ volume: { ...j.volume, attachments: 'none' } }), 'volume\\.attachments is a string, not a list or null'],
      [(j: any) => ({ volume: { ...j.volume, id: undefined } }), 'volume\\.id is missing'],
    ] as const) {
      for (const json of [false, true]) {
        cloud.reset({ kind: 'shape', method: 'GET', path: volumeGet(vols[0]!.id), transform });
        const r = await cloud.run(['show', vols[0]!.id, ...(json ? ['--json'] : [])]);
        results.push(r);
        expect(r.code).toBe(6);
        expect(oneError(r.stderr)).toMatch(MALFORMED(field));
        expect(r.stdout).toBe('');
      }
    }
    judge(cloud, SUITE, 'show <id>: malformed volume', results, { exit: 6 });
  });

  it('pools and pools --json: [null], {}, capabilities that are a string, a name that is a number', async () => {
    const results = [];
    for (const [transform, field] of [
      [() => ({ pools: [null] }), 'pools\\[0\\] is null, not an object'],
      [() => ({ pools: {} }), 'pools is an object, not a list'],
      [(j: any) => ({ pools: j.pools.map((p: any) => ({ ...p, capabilities: 'full' })) }), 'pools\\[0\\]\\.capabilities is a string, not an object or null'],
      [(j: any) => ({ pools: j.pools.map((p: any, i: number) => (i === 2 ? { ...p, name: 7 } : p)) }), 'pools\\[2\\]\\.name is a number, not a string'],
    ] as const) {
      for (const json of [false, true]) {
        cloud.reset({ kind: 'shape', method: 'GET', path: POOLS, transform });
        const r = await cloud.run(['pools', ...(json ? ['--json'] : [])]);
        results.push(r);
        expect(r.code).toBe(6);
        expect(oneError(r.stderr)).toMatch(MALFORMED(field));
        expect(r.stdout).toBe('');
      }
    }
    judge(cloud, SUITE, 'pools: malformed', results, { exit: 6 });
  });
});

describe('Keystone in front: token expiry and answers that quote the token', () => {
  it('a token that expires between two reads: volmig authenticates again once and carries on', async () => {
    cloud.reset({ kind: 'token-expiry', method: 'GET', path: POOLS, times: 1 });
    const before = cloud.proxy.tokenRequests;
    const r = await cloud.run(['pools'], { auth: 'password' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^sandbox@vendor#pool-a /m);
    expect(cloud.proxy.tokenRequests - before).toBe(2);
    judge(cloud, SUITE, 'token expiry on a read', r, { exit: 0 });
  });

  it('a 401 that lasts is exit 4 after one re-authentication', async () => {
    cloud.reset({ kind: 'token-expiry', method: 'GET', path: volumeGet() });
    const r = await cloud.run(['show', vols[0]!.id], { auth: 'appcred' });
    expect(r.code).toBe(4);
    expect(oneError(r.stderr)).toBe('Error: The request you have made requires authentication.');
    judge(cloud, SUITE, 'token refused twice', r, { exit: 4 });
  });

  for (const debug of [false, true]) {
    it(`a fault quoting the request and its token back: the token is not printed${debug ? ' (--debug)' : ''}`, async () => {
      const results = [];
      for (const auth of ['password', 'token', 'static-token'] as const) {
        cloud.reset({ kind: 'echo', method: 'GET', path: volumeGet() });
        const r = await cloud.run(['show', vols[0]!.id, ...(debug ? ['--debug'] : [])], { auth });
        results.push(r);
        expect(r.code).toBe(5);
        expect(oneError(r.stderr)).toBe('Error: Invalid request: (no body) with X-Auth-Token ***');
        for (const token of cloud.proxy.issuedTokens) expect(r.stdout + r.stderr).not.toContain(token);
      }
      judge(cloud, SUITE, `echoed token${debug ? ' (--debug)' : ''}`, results, { exit: 5, debug });
    });
  }
});
