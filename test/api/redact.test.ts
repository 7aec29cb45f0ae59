import { describe, expect, it } from 'vitest';
import { connect } from '../../src/api/connect.js';
import { isSecretHeader, KnownSecrets, redactEchoedSecrets, redactJson, redactText, redactUrl } from '../../src/api/redact.js';
import { nock, testIo, useNock, versionsDocument } from '../helpers/nock.js';
import { runVolmig } from '../helpers/run.js';
import { CINDER, KEYSTONE, NOAUTH_ENV, PROJECT, cloudFromEnv, tokenBody, volume } from './fixtures.js';

useNock();

const VOL = '70629f0c-4fed-442b-925c-50e1c3515330';
const PASSWORD = 'pw-Very-S3cret-9';
/** Password authentication against Keystone, the secret every redaction test must never see printed. */
const PASSWORD_ENV = {
  OS_AUTH_URL: `${KEYSTONE}/v3`,
  OS_USERNAME: 'admin',
  OS_PASSWORD: PASSWORD,
  OS_PROJECT_NAME: 'admin',
  OS_USER_DOMAIN_NAME: 'Default',
  OS_PROJECT_DOMAIN_NAME: 'Default',
};
const TOKEN_1 = 'gAAAAABtoken-number-one-0123456789';
const TOKEN_2 = 'gAAAAABtoken-number-two-9876543210';
const AC_SECRET = 'appcred-secret-Zx81-qq';

function debugLines() {
  const lines: string[] = [];
  return { lines, debug: (line: string) => lines.push(line) };
}

describe('--debug lines', () => {
  it('password auth, a 401 re-auth and a POST: method, URL, status, duration and request id, with no secret anywhere', async () => {
    nock(KEYSTONE).post('/v3/auth/tokens').reply(201, tokenBody(), { 'X-Subject-Token': TOKEN_1, 'x-openstack-request-id': 'req-ks1' });
    nock(CINDER).get('/').reply(300, versionsDocument('3.71'));
    nock(CINDER).post(`/v3/${PROJECT}/volumes/${VOL}/action`).reply(401, { error: { code: 401, message: 'expired' } });
    nock(KEYSTONE).post('/v3/auth/tokens').reply(201, tokenBody(), { 'X-Subject-Token': TOKEN_2 });
    nock(CINDER).post(`/v3/${PROJECT}/volumes/${VOL}/action`).reply(202, '', { 'x-openstack-request-id': 'req-a4088782' });
    const io = testIo({ env: PASSWORD_ENV });
    const { lines, debug } = debugLines();
    const client = await connect(await cloudFromEnv(io), io, { debug });
    await client.migrateVolume(VOL, { host: 'realcinder@ceph-b#ceph-b' });
    const text = lines.join('\n');
    for (const secret of [PASSWORD, TOKEN_1, TOKEN_2]) expect(text).not.toContain(secret);
    expect(lines).toContain(
      `> POST ${KEYSTONE}/v3/auth/tokens {"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"***"}}},"scope":{"project":{"name":"admin","domain":{"name":"Default"}}}}}`,
    );
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^< 201 POST ${KEYSTONE}/v3/auth/tokens \\d+ ms req-ks1 \\[X-Subject-Token: \\*\\*\\*\\]$`)));
    expect(lines).toContain(
      `> POST ${CINDER}/v3/${PROJECT}/volumes/${VOL}/action [X-Auth-Token: ***; OpenStack-API-Version: volume 3.71] {"os-migrate_volume":{"host":"realcinder@ceph-b#ceph-b","force_host_copy":false,"lock_volume":false}}`,
    );
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^< 202 POST ${CINDER}/v3/${PROJECT}/volumes/${VOL}/action \\d+ ms req-a4088782$`)));
    expect(lines).toContainEqual(expect.stringMatching(/^< 401 POST /));
  });

  it('application credential secret and a validated token never appear', async () => {
    nock(KEYSTONE).post('/v3/auth/tokens').reply(201, tokenBody(), { 'X-Subject-Token': TOKEN_1 });
    nock(CINDER).get('/').reply(300, versionsDocument('3.71'));
    const io = testIo({
      env: { OS_AUTH_URL: KEYSTONE, OS_APPLICATION_CREDENTIAL_ID: 'ac-id-1', OS_APPLICATION_CREDENTIAL_SECRET: AC_SECRET },
    });
    const a = debugLines();
    await connect(await cloudFromEnv(io), io, { debug: a.debug });
    expect(a.lines.join('\n')).not.toContain(AC_SECRET);
    expect(a.lines.join('\n')).toContain('"application_credential":{"secret":"***","id":"ac-id-1"}');

    nock(KEYSTONE).get('/v3/auth/tokens').reply(200, tokenBody(), { 'X-Subject-Token': TOKEN_2 });
    nock(CINDER).get('/').reply(300, versionsDocument('3.71'));
    const io2 = testIo({ env: { OS_AUTH_URL: KEYSTONE, OS_TOKEN: TOKEN_2 } });
    const b = debugLines();
    await connect(await cloudFromEnv(io2), io2, { debug: b.debug });
    expect(b.lines.join('\n')).not.toContain(TOKEN_2);
    expect(b.lines).toContain(`> GET ${KEYSTONE}/v3/auth/tokens [X-Auth-Token: ***; X-Subject-Token: ***]`);
  });

  it('token method body: the token id is redacted', async () => {
    nock(KEYSTONE).post('/v3/auth/tokens').reply(201, tokenBody(), { 'X-Subject-Token': TOKEN_2 });
    nock(CINDER).get('/').reply(300, versionsDocument('3.71'));
    const io = testIo({ env: { OS_AUTH_URL: KEYSTONE, OS_TOKEN: TOKEN_1, OS_PROJECT_ID: PROJECT } });
    const { lines, debug } = debugLines();
    await connect(await cloudFromEnv(io), io, { debug });
    expect(lines.join('\n')).not.toContain(TOKEN_1);
    expect(lines).toContain(
      `> POST ${KEYSTONE}/v3/auth/tokens {"auth":{"identity":{"methods":["token"],"token":{"id":"***"}},"scope":{"project":{"id":"${PROJECT}"}}}}`,
    );
  });

  it('noauth: the user:project token header is redacted too; retries are logged', async () => {
    nock(CINDER).get('/').reply(300, versionsDocument('3.70'));
    nock(CINDER).get(`/v3/proj7/volumes/${VOL}`).reply(503, '', { 'Retry-After': '2' });
    nock(CINDER).get(`/v3/proj7/volumes/${VOL}`).reply(200, { volume: volume(VOL) });
    const io = testIo({ env: { ...NOAUTH_ENV, OS_USER_ID: 'operator7', OS_PROJECT_ID: 'proj7' } });
    const { lines, debug } = debugLines();
    const client = await connect(await cloudFromEnv(io), io, { debug });
    await client.getVolume(VOL);
    expect(lines.join('\n')).not.toContain('operator7:proj7');
    expect(lines).toContain(`retrying GET ${CINDER}/v3/proj7/volumes/${VOL} in 2.0 s (attempt 2 of 4)`);
  });
});

describe('volmig --debug end to end', () => {
  it('pools --debug with password auth: request lines on stderr, no password or token anywhere in the output', async () => {
    nock(KEYSTONE).post('/v3/auth/tokens').reply(201, tokenBody(), { 'X-Subject-Token': TOKEN_1 });
    nock(CINDER).get('/').reply(300, versionsDocument('3.71'));
    nock(CINDER)
      .get(`/v3/${PROJECT}/scheduler-stats/get_pools`)
      .query({ detail: 'true' })
      .reply(200, { pools: [{ name: 'realcinder@ceph-a#ceph-a', capabilities: { volume_backend_name: 'ceph-a' } }] }, { 'x-openstack-request-id': 'req-p1' });
    const result = await runVolmig(['pools', '--debug'], { env: PASSWORD_ENV });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('realcinder@ceph-a#ceph-a');
    for (const secret of [PASSWORD, TOKEN_1]) {
      expect(result.stderr).not.toContain(secret);
      expect(result.stdout).not.toContain(secret);
    }
    expect(result.stderr).toMatch(new RegExp(`< 200 GET ${CINDER}/v3/${PROJECT}/scheduler-stats/get_pools\\?detail=true \\d+ ms req-p1`));
  });
});

describe('redaction helpers', () => {
  it('redactJson replaces every secret-named string field, at any depth', () => {
    expect(
      redactJson({
        auth: { password: 'p', application_credential_secret: 's', nested: [{ secret: 'x', token: 't', name: 'keep' }] },
        token: { id: 'tid', other: 'keep' },
        subject_token: 'st',
      }),
    ).toEqual({
      auth: { password: '***', application_credential_secret: '***', nested: [{ secret: '***', token: '***', name: 'keep' }] },
      token: { id: '***', other: 'keep' },
      subject_token: '***',
    });
  });

  it('isSecretHeader, redactUrl and redactText', () => {
    expect(['X-Auth-Token', 'x-subject-token', 'Authorization', 'Accept'].map(isSecretHeader)).toEqual([true, true, true, false]);
    expect(redactUrl('https://user:hunter22@keystone.test/v3?token=abc&limit=2')).toBe('https://user:***@keystone.test/v3?token=***&limit=2');
    expect(redactText(`failed with ${PASSWORD} in it`, [PASSWORD, undefined, 'ab'])).toBe('failed with *** in it');
  });

  it('redactEchoedSecrets: a value under a secret key, in JSON or in Python repr, whatever it is', () => {
    expect(redactEchoedSecrets('{"user": {"name": "admin", "password": "a\\"b"}, "application_credential": {"secret": "s1", "id": "keep"}}')).toBe(
      '{"user": {"name": "admin", "password": "***"}, "application_credential": {"secret": "***", "id": "keep"}}',
    );
    expect(redactEchoedSecrets("On instance: {'token': {'id': 'gAAAAB1'}, 'methods': ['token'], 'x_subject_token': 'z'}")).toBe(
      "On instance: {'token': {'id': '***'}, 'methods': ['token'], 'x_subject_token': '***'}",
    );
    expect(redactEchoedSecrets('no secrets here: {"name": "password-rotation"}')).toBe('no secrets here: {"name": "password-rotation"}');
  });

  it('KnownSecrets: each secret raw, JSON-escaped and percent-encoded; from the environment by name', () => {
    const secrets = new KnownSecrets();
    secrets.add('p@ss "word"', undefined, '');
    secrets.addFromEnv({ OS_PASSWORD: 'envpass1', OS_USERNAME: 'admin', OS_APPLICATION_CREDENTIAL_SECRET: 'acsecret1', OS_TOKEN: 'tok12345' });
    expect(secrets.redact('a p@ss "word" b p@ss \\"word\\" c p%40ss%20%22word%22 d')).toBe('a *** b *** c *** d');
    expect(secrets.redact('envpass1 admin acsecret1 tok12345')).toBe('*** admin *** ***');
  });
});
