import { describe, expect, it } from 'vitest';
import { connect } from '../../src/api/connect.js';
import { BodyTooLargeError } from '../../src/api/errors.js';
import { HttpTransport } from '../../src/api/http.js';
import { loadUndiciRequest } from '../../src/api/undici-request.js';
import { UnavailableError } from '../../src/errors.js';
import { nock, testIo, useNock, versionsDocument } from '../helpers/nock.js';
import { runVolmig } from '../helpers/run.js';
import { CINDER, KEYSTONE, NOAUTH_ENV, PROJECT, cloudFromEnv, tokenBody, volume } from './fixtures.js';

useNock();

const VOL = '70629f0c-4fed-442b-925c-50e1c3515330';
const BASE = '/v3/admin';

async function transport(maxBodyBytes: number) {
  return new HttpTransport({
    request: await loadUndiciRequest(),
    sleep: async () => {},
    now: Date.now,
    requestTimeoutMs: 5000,
    maxBodyBytes,
  });
}

describe('bodies are capped', () => {
  it('a body past the cap stops the read with a clear error, and is not asked for again', async () => {
    const t = await transport(1000);
    // chunked (no Content-Length): the read stops at the cap
    nock(CINDER).get('/big').reply(200, () => 'x'.repeat(5000), { 'x-openstack-request-id': 'req-big' });
    const err = await t.send({ method: 'GET', url: `${CINDER}/big` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BodyTooLargeError);
    expect((err as BodyTooLargeError).exitCode).toBe(6);
    expect((err as Error).message).toBe(`the server's answer to GET ${CINDER}/big (HTTP 200) is larger than 1000 bytes; volmig stopped reading it (request id req-big)`);
  });

  it('a Content-Length past the cap is refused before the body is read; one at the cap is read', async () => {
    const t = await transport(1000);
    nock(CINDER).get('/declared').reply(200, 'y'.repeat(1001), { 'Content-Length': '1001' });
    await expect(t.send({ method: 'GET', url: `${CINDER}/declared` })).rejects.toBeInstanceOf(BodyTooLargeError);
    nock(CINDER).get('/fits').reply(200, 'z'.repeat(1000), { 'Content-Length': '1000' });
    expect((await t.send({ method: 'GET', url: `${CINDER}/fits` })).text).toBe('z'.repeat(1000));
  });

  it('multi-byte characters split across chunks are decoded whole', async () => {
    const t = await transport(1_000_000);
    const text = JSON.stringify({ name: 'é'.repeat(70_000) + '✓' });
    nock(CINDER).get('/utf8').reply(200, text);
    expect((await t.send({ method: 'GET', url: `${CINDER}/utf8` })).text).toBe(text);
  });

  it('a 2xx to an action past the cap was still accepted (its body is unreadable, not lost)', async () => {
    const t = await transport(100);
    nock(CINDER).post('/action').reply(202, 'x'.repeat(500));
    const res = await t.send({ method: 'POST', url: `${CINDER}/action`, body: {} });
    expect(res.status).toBe(202);
    expect(res.bodyLost).toBe(true);
  });
});

describe('a failing versions document is asked for again, then said in one line', () => {
  it('a 500 on both documents, then the answer: negotiated as usual, nothing said', async () => {
    nock(CINDER).get('/').reply(500, { computeFault: { code: 500, message: 'boom' } });
    nock(CINDER).get('/v3/').reply(500, { computeFault: { code: 500, message: 'boom' } });
    nock(CINDER).get('/').reply(300, versionsDocument('3.72'));
    const io = testIo({ env: NOAUTH_ENV });
    const warnings: string[] = [];
    const c = await connect(await cloudFromEnv(io), io, { warn: (line) => warnings.push(line) });
    expect(c.microversion).toBe('3.72');
    expect(warnings).toEqual([]);
    expect(io.sleeps).toEqual([500]);
  });

  it('a versions document that stays malformed: 3 attempts, then 3.0 and one visible line', async () => {
    for (let i = 0; i < 3; i++) {
      nock(CINDER).get('/').reply(300, { versions: 'soon' }, { 'x-openstack-request-id': `req-v${i}` });
      nock(CINDER).get('/v3/').reply(503, '');
    }
    nock(CINDER).get(`${BASE}/volumes/${VOL}`).matchHeader('openstack-api-version', 'volume 3.0').reply(200, { volume: volume(VOL) });
    const r = await runVolmig(['show', VOL], { env: NOAUTH_ENV, sleep: async () => {} });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `Warning: could not read the Block Storage versions document at ${CINDER}/ (HTTP 300, request id req-v2, malformed: versions is a string, not a list, 3 attempts); ` +
        'using microversion 3.0, which reports no migration progress (pin a version with --os-volume-api-version)\n',
    );
  });

  it('with a pinned version nothing is lost: no warning', async () => {
    for (let i = 0; i < 3; i++) {
      nock(CINDER).get('/').reply(502, '<html><title>502 Bad Gateway</title></html>');
      nock(CINDER).get('/v3/').reply(502, '<html><title>502 Bad Gateway</title></html>');
    }
    nock(CINDER).get(`${BASE}/volumes/${VOL}`).matchHeader('openstack-api-version', 'volume 3.60').reply(200, { volume: volume(VOL) });
    const r = await runVolmig(['show', VOL, '--os-volume-api-version', '3.60'], { env: NOAUTH_ENV, sleep: async () => {} });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('an endpoint that cannot be reached at all is the error, not a missing document', async () => {
    for (let i = 0; i < 3; i++) nock(CINDER).get('/').replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    const io = testIo({ env: NOAUTH_ENV });
    const err = await connect(await cloudFromEnv(io), io, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toBe(`cannot reach ${CINDER}/: connection refused (ECONNREFUSED)`);
  });
});

describe('secrets a server echoes back are never printed', () => {
  const PASSWORD = 'pw-Echo-3b9f-"quoted"';
  const AC_SECRET = 'acs-Echo-71c2d';
  const TOKEN = 'gAAAAABecho-token-55aa66bb77cc';
  // What volmig sends for each method (nock matches it), and Keystone's 400 quoting it back: as JSON, and as the
  // Python repr of jsonschema's "On instance" text (nock 15.0.0 cannot build a reply from the request under undici).
  const scope = { project: { name: 'admin', domain: { name: 'Default' } } };
  const cases: [string, Record<string, string>, string, unknown][] = [
    [
      'password',
      { OS_USERNAME: 'admin', OS_PASSWORD: PASSWORD, OS_PROJECT_NAME: 'admin', OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default' },
      PASSWORD,
      { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: PASSWORD } } }, scope } },
    ],
    [
      'application credential',
      { OS_APPLICATION_CREDENTIAL_ID: 'ac-1', OS_APPLICATION_CREDENTIAL_SECRET: AC_SECRET },
      AC_SECRET,
      { auth: { identity: { methods: ['application_credential'], application_credential: { secret: AC_SECRET, id: 'ac-1' } } } },
    ],
    [
      'token',
      { OS_TOKEN: TOKEN, OS_PROJECT_ID: PROJECT },
      TOKEN,
      { auth: { identity: { methods: ['token'], token: { id: TOKEN } }, scope: { project: { id: PROJECT } } } },
    ],
  ];
  const pyRepr = (v: unknown): string =>
    typeof v === 'string' ? `'${v.replace(/'/g, "\\'")}'` : Array.isArray(v) ? `[${v.map(pyRepr).join(', ')}]` : `{${Object.entries(v as object).map(([k, x]) => `'${k}': ${pyRepr(x)}`).join(', ')}}`;
  for (const [method, env, secret, sent] of cases) {
    for (const [style, debug] of [['JSON', false], ['JSON', true], ['Python repr', false]] as const) {
      it(`Keystone's 400 quoting the ${method} request as ${style}${debug ? ' (--debug)' : ''}`, async () => {
        const quoted = style === 'JSON' ? JSON.stringify(sent) : `On instance['auth']: ${pyRepr((sent as { auth: unknown }).auth)}`;
        nock(KEYSTONE)
          .post('/v3/auth/tokens', sent as nock.RequestBodyMatcher)
          .reply(400, { error: { code: 400, title: 'Bad Request', message: `Invalid input for field 'identity': ${quoted} is not valid under any of the given schemas` } });
        const r = await runVolmig(['pools', ...(debug ? ['--debug'] : [])], { env: { OS_AUTH_URL: `${KEYSTONE}/v3`, ...env } });
        expect(r.code).toBe(4);
        expect(r.stdout + r.stderr).not.toContain(secret);
        expect(r.stdout + r.stderr).not.toContain(JSON.stringify(secret).slice(1, -1));
        const errors = r.stderr.split('\n').filter((l) => l.startsWith('Error:'));
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(new RegExp(`^Error: Keystone refused the ${method} \\(HTTP 400\\): Invalid input for field 'identity': .*\\*\\*\\*.* is not valid under any of the given schemas$`));
        if (!debug) expect(r.stderr).not.toMatch(/^\s+at /m);
        else expect(r.stderr).toMatch(/^\s+at /m);
      });
    }
  }

  it('the Block Storage API quoting the issued token in a fault, with --debug', async () => {
    const issued = 'gAAAAABissued-by-keystone-0099887766';
    nock(KEYSTONE).post('/v3/auth/tokens').reply(201, tokenBody(), { 'X-Subject-Token': issued });
    nock(CINDER).get('/').reply(300, versionsDocument('3.70'));
    nock(CINDER)
      .get(`/v3/${PROJECT}/volumes/${VOL}`)
      .reply(400, { badRequest: { code: 400, message: `Invalid header X-Auth-Token: ${issued}` } }, { 'x-openstack-request-id': 'req-echo' });
    const r = await runVolmig(['show', VOL, '--debug'], {
      env: { OS_AUTH_URL: `${KEYSTONE}/v3`, OS_USERNAME: 'admin', OS_PASSWORD: PASSWORD, OS_PROJECT_NAME: 'admin', OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default' },
    });
    expect(r.code).toBe(5);
    expect(r.stdout + r.stderr).not.toContain(issued);
    expect(r.stderr).toContain('Error: Invalid header X-Auth-Token: ***\n');
  });
});
