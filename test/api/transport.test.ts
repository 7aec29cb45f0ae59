import { describe, expect, it } from 'vitest';
import { connect } from '../../src/api/connect.js';
import { CinderApiError, RequestOutcomeUnknownError, parseCinderFault } from '../../src/api/errors.js';
import { UnavailableError, UsageError } from '../../src/errors.js';
import { nock, testIo, useNock, versionsDocument } from '../helpers/nock.js';
import { CINDER, NOAUTH_ENV, cloudFromEnv, volume } from './fixtures.js';

useNock();

const VOL = '70629f0c-4fed-442b-925c-50e1c3515330';
const BASE = '/v3/admin';

async function client(env: Record<string, string> = {}, max = '3.70') {
  nock(CINDER).get('/').reply(300, versionsDocument(max));
  const io = testIo({ env: { ...NOAUTH_ENV, ...env } });
  return { io, client: await connect(await cloudFromEnv(io), io, {}) };
}

describe('microversion negotiation', () => {
  it('reads the 300 answer of the service root and uses the server max when it is below volmig’s 3.72', async () => {
    const { client: c } = await client({}, '3.70');
    expect(c.microversion).toBe('3.70');
  });

  it('caps at volmig’s 3.72 against a newer server', async () => {
    const { client: c } = await client({}, '3.80');
    expect(c.microversion).toBe('3.72');
  });

  it('falls back to GET /v3/ when the root is not a versions document', async () => {
    nock(CINDER).get('/').reply(404, '<html><title>404 Not Found</title></html>', { 'Content-Type': 'text/html' });
    nock(CINDER).get('/v3/').reply(200, versionsDocument('3.71'));
    const io = testIo({ env: NOAUTH_ENV });
    const c = await connect(await cloudFromEnv(io), io, {});
    expect(c.microversion).toBe('3.71');
  });

  it('--os-volume-api-version pins it and every request says so', async () => {
    nock(CINDER).get('/').reply(300, versionsDocument('3.71'));
    nock(CINDER).get(`${BASE}/types`).matchHeader('openstack-api-version', 'volume 3.60').reply(200, { volume_types: [] });
    const io = testIo({ env: NOAUTH_ENV });
    const c = await connect(await cloudFromEnv(io, { osVolumeApiVersion: '3.60' }), io, {});
    expect(c.microversion).toBe('3.60');
    await c.listVolumeTypes();
  });

  it('OS_VOLUME_API_VERSION=3 (major only) negotiates instead of pinning', async () => {
    const { client: c } = await client({ OS_VOLUME_API_VERSION: '3' }, '3.71');
    expect(c.microversion).toBe('3.71');
  });

  it('a pin outside the server range is a usage error before any other call', async () => {
    nock(CINDER).get('/').reply(300, versionsDocument('3.70'));
    const io = testIo({ env: NOAUTH_ENV });
    const err = await connect(await cloudFromEnv(io, { osVolumeApiVersion: '3.72' }), io, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toBe('volume API version 3.72 is not supported by this server (it supports 3.0 to 3.70)');
  });

  it('a malformed pin is a usage error', async () => {
    const io = testIo({ env: { ...NOAUTH_ENV, OS_VOLUME_API_VERSION: 'three' } });
    const err = await connect(await cloudFromEnv(io), io, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/invalid volume API version 'three'/);
  });

  it('migrating to a cluster needs 3.16', async () => {
    nock(CINDER).get('/').reply(300, versionsDocument('3.70'));
    const io = testIo({ env: NOAUTH_ENV });
    const c = await connect(await cloudFromEnv(io, { osVolumeApiVersion: '3.15' }), io, {});
    const err = await c.migrateVolume(VOL, { cluster: 'c1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('migrating to a cluster needs volume API 3.16 or later; this connection uses 3.15');
  });
});

describe('faults', () => {
  it('a Cinder fault becomes a CinderApiError with status, fault name, Cinder’s message and request id (400 → exit 5)', async () => {
    const { client: c } = await client();
    nock(CINDER)
      .post(`${BASE}/volumes/${VOL}/action`)
      .reply(400, { badRequest: { code: 400, message: "Invalid host: No available service named 'bogus'" } }, {
        'x-openstack-request-id': 'req-e406dea2',
      });
    const err = (await c.migrateVolume(VOL, { host: 'bogus' }).catch((e: unknown) => e)) as CinderApiError;
    expect(err).toBeInstanceOf(CinderApiError);
    expect(err.status).toBe(400);
    expect(err.faultName).toBe('badRequest');
    expect(err.message).toBe("Invalid host: No available service named 'bogus'");
    expect(err.requestId).toBe('req-e406dea2');
    expect(err.exitCode).toBe(5);
    expect(err.hint).toBe(`(HTTP 400 badRequest, request id req-e406dea2; POST ${CINDER}${BASE}/volumes/${VOL}/action)`);
  });

  it.each([
    [404, 'itemNotFound', 3],
    [403, 'forbidden', 4],
    [401, 'unauthorized', 4],
    [409, 'conflictingRequest', 5],
    [406, 'computeFault', 5],
    [500, 'computeFault', 6],
  ])('HTTP %i %s → exit %i', async (status, faultName, exitCode) => {
    const { client: c } = await client();
    nock(CINDER)
      .get(`${BASE}/volumes/${VOL}`)
      .reply(status, { [faultName]: { code: status, message: `fault ${status}` } }, { 'x-compute-request-id': 'req-c' });
    const err = (await c.getVolume(VOL).catch((e: unknown) => e)) as CinderApiError;
    expect(err).toBeInstanceOf(CinderApiError);
    expect(err.exitCode).toBe(exitCode);
    expect(err.faultName).toBe(faultName);
    expect(err.message).toBe(`fault ${status}`);
    expect(err.requestId).toBe('req-c');
  });

  it('an HTML page from a proxy becomes a clear message with the status', async () => {
    const { client: c } = await client();
    nock(CINDER)
      .get(`${BASE}/volumes/${VOL}`)
      .reply(404, '<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>', {
        'Content-Type': 'text/html',
      });
    const err = (await c.getVolume(VOL).catch((e: unknown) => e)) as CinderApiError;
    expect(err).toBeInstanceOf(CinderApiError);
    expect(err.message).toBe('the server answered HTTP 404 with an HTML page instead of JSON: "404 Not Found" (a proxy or a wrong endpoint?)');
    expect(err.exitCode).toBe(3);
    expect(err.faultName).toBeUndefined();
  });

  it('an empty error body says so', async () => {
    const { client: c } = await client();
    nock(CINDER).delete(`${BASE}/volumes/${VOL}`).reply(409, '');
    const err = (await c.deleteVolume(VOL).catch((e: unknown) => e)) as CinderApiError;
    expect(err.message).toBe('the server answered HTTP 409 with an empty body');
    expect(err.exitCode).toBe(5);
  });

  it('a 200 that is not JSON is an UnavailableError, not a parse crash', async () => {
    const { client: c } = await client();
    nock(CINDER).get(`${BASE}/volumes/${VOL}`).reply(200, '<html><title>Login</title></html>', { 'Content-Type': 'text/html' });
    const err = await c.getVolume(VOL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toBe(
      `the Block Storage API answered GET ${CINDER}${BASE}/volumes/${VOL} with a malformed body: an HTML page instead of JSON: "Login" (a proxy or a wrong endpoint?)`,
    );
  });

  it('parseCinderFault reads Keystone errors, plain text and unexpected JSON without throwing', () => {
    expect(parseCinderFault(401, JSON.stringify({ error: { code: 401, message: 'Bad token', title: 'Unauthorized' } }))).toEqual({
      faultName: 'error',
      message: 'Bad token',
    });
    expect(parseCinderFault(413, JSON.stringify({ overLimit: { code: 413, message: 'Too many', retryAfter: '5' } }))).toEqual({
      faultName: 'overLimit',
      message: 'Too many',
      retryAfter: '5',
    });
    expect(parseCinderFault(502, 'Bad Gateway').message).toBe('the server answered HTTP 502 with a non-JSON body: Bad Gateway');
    expect(parseCinderFault(500, '[1,2]').message).toBe('the server answered HTTP 500 with an unexpected JSON body: [1,2]');
  });

  it('connection refused is an UnavailableError (exit 6) naming the URL, after bounded GET retries', async () => {
    const { client: c, io } = await client();
    nock(CINDER).get(`${BASE}/os-services`).times(4).replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:8776' });
    const err = await c.listServices().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).exitCode).toBe(6);
    expect((err as Error).message).toBe(`cannot reach ${CINDER}${BASE}/os-services: connection refused (ECONNREFUSED) (4 attempts)`);
    expect(io.sleeps).toHaveLength(3);
  });

  it('a TLS failure is an UnavailableError with a hint about --os-cacert / --insecure', async () => {
    const { client: c } = await client();
    // a certificate problem is not retried: a second attempt would hit no mock and report another error
    nock(CINDER).get(`${BASE}/os-services`).once().replyWithError({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'unable to verify the first certificate' });
    const err = (await c.listServices().catch((e: unknown) => e)) as UnavailableError;
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toMatch(/TLS error: unable to verify the first certificate \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/);
    expect(err.hint).toMatch(/--os-cacert/);
  });
});

describe('retries', () => {
  it('GET: retries 503 honouring Retry-After, then succeeds', async () => {
    const { client: c, io } = await client();
    nock(CINDER).get(`${BASE}/volumes/${VOL}`).reply(503, { serviceUnavailable: { code: 503, message: 'busy' } }, { 'Retry-After': '7' });
    nock(CINDER).get(`${BASE}/volumes/${VOL}`).reply(502, 'Bad Gateway');
    nock(CINDER).get(`${BASE}/volumes/${VOL}`).reply(200, { volume: volume(VOL) });
    expect((await c.getVolume(VOL)).id).toBe(VOL);
    expect(io.sleeps[0]).toBe(7000);
    // the second wait is exponential backoff with jitter: between half and all of 2 × 500 ms
    expect(io.sleeps[1]).toBeGreaterThanOrEqual(500);
    expect(io.sleeps[1]).toBeLessThanOrEqual(1000);
    expect(io.sleeps).toHaveLength(2);
  });

  it('GET: a Retry-After given as an HTTP date is honoured too', async () => {
    const { client: c, io } = await client();
    const now = io.now!();
    const at = new Date(now + 30_000).toUTCString();
    nock(CINDER).get(`${BASE}/types`).reply(504, '', { 'Retry-After': at });
    nock(CINDER).get(`${BASE}/types`).reply(200, { volume_types: [] });
    await c.listVolumeTypes();
    expect(io.sleeps[0]).toBeGreaterThan(28_000);
    expect(io.sleeps[0]).toBeLessThanOrEqual(30_000);
  });

  it('GET: bounded at 4 attempts; the last 503 is reported (exit 6)', async () => {
    const { client: c, io } = await client();
    nock(CINDER).get(`${BASE}/scheduler-stats/get_pools?detail=true`).times(4).reply(503, { serviceUnavailable: { code: 503, message: 'down' } });
    const err = (await c.getPools().catch((e: unknown) => e)) as CinderApiError;
    expect(err).toBeInstanceOf(CinderApiError);
    expect(err.status).toBe(503);
    expect(err.exitCode).toBe(6);
    expect(io.sleeps).toHaveLength(3);
    expect(Math.max(...io.sleeps)).toBeLessThanOrEqual(8000);
  });

  it('GET: a connection reset is retried', async () => {
    const { client: c } = await client();
    nock(CINDER).get(`${BASE}/volumes/${VOL}`).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    nock(CINDER).get(`${BASE}/volumes/${VOL}`).reply(200, { volume: volume(VOL) });
    expect((await c.getVolume(VOL)).id).toBe(VOL);
  });

  it('POST: a 503 is never resent and is reported as outcome unknown (exit 6)', async () => {
    const { client: c, io } = await client();
    nock(CINDER)
      .post(`${BASE}/volumes/${VOL}/action`)
      .once()
      .reply(503, { serviceUnavailable: { code: 503, message: 'try later' } }, { 'x-openstack-request-id': 'req-9', 'Retry-After': '1' });
    const err = (await c.migrateVolume(VOL, { host: 'h@b#p' }).catch((e: unknown) => e)) as RequestOutcomeUnknownError;
    expect(err).toBeInstanceOf(RequestOutcomeUnknownError);
    expect(err.exitCode).toBe(6);
    expect(err.status).toBe(503);
    expect(err.requestId).toBe('req-9');
    expect(err.message).toBe(
      `POST ${CINDER}${BASE}/volumes/${VOL}/action: the server failed with HTTP 503 (request id req-9): try later; ` +
        'the server may or may not have carried it out, and volmig did not send it again',
    );
    expect(io.sleeps).toEqual([]);
  });

  it('POST: a connection lost after sending is never resent (outcome unknown)', async () => {
    const { client: c } = await client();
    nock(CINDER).post(`${BASE}/volumes/${VOL}/action`).once().replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    const err = await c.retypeVolume(VOL, 'type-b', 'on-demand').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestOutcomeUnknownError);
    expect((err as Error).message).toMatch(/socket hang up \(ECONNRESET\)/);
    // a second POST mock would be left pending if volmig had resent; the afterEach check catches that
  });

  it('POST: a request timeout (--http-timeout) is outcome unknown, not resent', async () => {
    nock(CINDER).get('/').reply(300, versionsDocument('3.70'));
    const io = testIo({ env: NOAUTH_ENV });
    const fast = await connect(await cloudFromEnv(io, { httpTimeout: '1' }), io, {});
    // The status line itself comes late (a body cut short after a 2xx status would be an acceptance).
    nock(CINDER).post(`${BASE}/volumes/${VOL}/action`).once().reply(() => new Promise((resolve) => setTimeout(() => resolve([202, '']), 1500)));
    const err = await fast.resetStatus(VOL, { migration_status: 'none' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestOutcomeUnknownError);
    expect((err as Error).message).toBe(
      `POST ${CINDER}${BASE}/volumes/${VOL}/action: no answer within 1 s; the server may or may not have carried it out, and volmig did not send it again`,
    );
  });

  it('POST: connection refused (never sent) is UnavailableError, still not resent', async () => {
    const { client: c } = await client();
    nock(CINDER).post(`${BASE}/volumes`).once().replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    const err = await c.createVolume({ size: 1, name: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
  });
});
