import { getGlobalDispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { connect } from '../../src/api/connect.js';
import { CinderApiError } from '../../src/api/errors.js';
import { AuthError, UsageError } from '../../src/errors.js';
import { nock, testIo, useNock, versionsDocument } from '../helpers/nock.js';
import {
  CINDER,
  DEFAULT_CATALOG,
  KEYSTONE,
  KEYSTONE_401,
  NOAUTH_ENV,
  PROJECT,
  cloudFromEnv,
  tokenBody,
  volume,
  type CatalogRow,
} from './fixtures.js';

useNock();

const VOL = '70629f0c-4fed-442b-925c-50e1c3515330';

function cinderRoot(max = '3.70') {
  return nock(CINDER).get('/').reply(300, versionsDocument(max));
}

async function connectEnv(env: Record<string, string>) {
  const io = testIo({ env });
  return connect(await cloudFromEnv(io), io, {});
}

describe('nock interception guard', () => {
  it('undici global dispatcher is nock’s agent, so no test can reach a real server', () => {
    expect(getGlobalDispatcher().constructor.name).toBe('NockAgent');
  });
});

describe('noauth', () => {
  it('sends X-Auth-Token user:project and appends the project id to an endpoint ending in /v3', async () => {
    cinderRoot('3.70');
    nock(CINDER)
      .get(`/v3/admin/volumes/${VOL}`)
      .matchHeader('x-auth-token', 'admin:admin')
      .matchHeader('openstack-api-version', 'volume 3.70')
      .matchHeader('accept', 'application/json')
      .reply(200, { volume: volume(VOL) });
    const client = await connectEnv(NOAUTH_ENV);
    expect(client.endpoint).toBe(`${CINDER}/v3/admin`);
    expect(client.projectId).toBe('admin');
    expect(client.microversion).toBe('3.70');
    expect((await client.getVolume(VOL)).id).toBe(VOL);
  });

  it('uses an endpoint that already names the project as is (CINDER_ENDPOINT, no OS_PROJECT_ID)', async () => {
    cinderRoot();
    nock(CINDER).get('/v3/proj1/os-services').matchHeader('x-auth-token', 'ops:proj1').reply(200, { services: [] });
    const client = await connectEnv({ OS_AUTH_TYPE: 'noauth', CINDER_ENDPOINT: `${CINDER}/v3/proj1`, OS_USER_ID: 'ops' });
    expect(client.endpoint).toBe(`${CINDER}/v3/proj1`);
    expect(await client.listServices()).toEqual([]);
  });

  it('a 401 is not retried (no credentials to renew) and exits 4', async () => {
    cinderRoot();
    nock(CINDER).get(`/v3/admin/volumes/${VOL}`).once().reply(401, { error: { code: 401, message: 'Unauthorized' } });
    const client = await connectEnv(NOAUTH_ENV);
    const err = await client.getVolume(VOL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CinderApiError);
    expect((err as CinderApiError).exitCode).toBe(4);
  });

  it('without a project id anywhere is a usage error', async () => {
    const err = await connectEnv({ OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: `${CINDER}/v3` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/project/);
  });
});

const PASSWORD_ENV = {
  OS_AUTH_URL: `${KEYSTONE}/v3`,
  OS_USERNAME: 'admin',
  OS_PASSWORD: 'pw-s3cret-123',
  OS_PROJECT_NAME: 'admin',
  OS_USER_DOMAIN_NAME: 'Default',
  OS_PROJECT_DOMAIN_NAME: 'Default',
};

function keystone(body: unknown, token = 'tok-1', rows: CatalogRow[] = DEFAULT_CATALOG) {
  return nock(KEYSTONE).post('/v3/auth/tokens', body as nock.RequestBodyMatcher).reply(201, tokenBody(rows), { 'X-Subject-Token': token });
}

describe('Keystone v3 password', () => {
  it('user and project by name with domains, endpoint from the catalog (block-storage, public)', async () => {
    keystone({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'pw-s3cret-123' } } },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    });
    cinderRoot('3.71');
    nock(CINDER)
      .get(`/v3/${PROJECT}/volumes/${VOL}`)
      .matchHeader('x-auth-token', 'tok-1')
      .matchHeader('openstack-api-version', 'volume 3.71')
      .reply(200, { volume: volume(VOL) });
    const client = await connectEnv(PASSWORD_ENV);
    expect(client.endpoint).toBe(`${CINDER}/v3/${PROJECT}`);
    expect(client.projectId).toBe(PROJECT);
    await client.getVolume(VOL);
  });

  it('user and project by id, domain ids', async () => {
    keystone({
      auth: {
        identity: { methods: ['password'], password: { user: { id: 'u-admin', password: 'pw' } } },
        scope: { project: { id: PROJECT } },
      },
    });
    cinderRoot();
    const client = await connectEnv({ OS_AUTH_URL: KEYSTONE, OS_USER_ID: 'u-admin', OS_PASSWORD: 'pw', OS_PROJECT_ID: PROJECT });
    expect(client.projectId).toBe(PROJECT);
  });

  it('a wrong password is an AuthError (exit 4) carrying Keystone’s message', async () => {
    nock(KEYSTONE).post('/v3/auth/tokens').reply(401, KEYSTONE_401, { 'WWW-Authenticate': 'Keystone uri="http://keystone.test:5000"' });
    const err = await connectEnv({ ...PASSWORD_ENV, OS_PASSWORD: 'wrong-password' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).exitCode).toBe(4);
    expect((err as Error).message).toBe('Keystone refused the password (HTTP 401): The request you have made requires authentication.');
  });

  it('re-authenticates once on a 401 and resends the GET', async () => {
    keystone(undefined, 'tok-1');
    cinderRoot();
    nock(CINDER).get(`/v3/${PROJECT}/volumes/${VOL}`).matchHeader('x-auth-token', 'tok-1').reply(401, KEYSTONE_401);
    keystone(undefined, 'tok-2');
    nock(CINDER).get(`/v3/${PROJECT}/volumes/${VOL}`).matchHeader('x-auth-token', 'tok-2').reply(200, { volume: volume(VOL) });
    const client = await connectEnv(PASSWORD_ENV);
    expect((await client.getVolume(VOL)).id).toBe(VOL);
  });

  it('re-authenticates once on a 401 and resends the POST (a 401 was not processed)', async () => {
    keystone(undefined, 'tok-1');
    cinderRoot();
    const body = { 'os-migrate_volume': { host: 'realcinder@ceph-b#ceph-b', force_host_copy: false, lock_volume: false } };
    nock(CINDER).post(`/v3/${PROJECT}/volumes/${VOL}/action`, body).matchHeader('x-auth-token', 'tok-1').reply(401, KEYSTONE_401);
    keystone(undefined, 'tok-2');
    nock(CINDER)
      .post(`/v3/${PROJECT}/volumes/${VOL}/action`, body)
      .matchHeader('x-auth-token', 'tok-2')
      .reply(202, '', { 'x-openstack-request-id': 'req-2' });
    const client = await connectEnv(PASSWORD_ENV);
    expect(await client.migrateVolume(VOL, { host: 'realcinder@ceph-b#ceph-b' })).toEqual({ status: 202, requestId: 'req-2' });
  });

  it('requests failing together with the same expired token share one re-authentication', async () => {
    keystone(undefined, 'tok-1');
    cinderRoot();
    const A = '59021996-dd19-4a82-aba2-238a4e05d824';
    // both 401s are answered only once both requests have arrived, so both see the same expired token
    let arrived = 0;
    let release!: () => void;
    const bothArrived = new Promise<void>((resolve) => (release = resolve));
    for (const id of [VOL, A]) {
      nock(CINDER)
        .get(`/v3/${PROJECT}/volumes/${id}`)
        .matchHeader('x-auth-token', 'tok-1')
        .reply(async () => {
          if (++arrived === 2) release();
          await bothArrived;
          return [401, KEYSTONE_401];
        });
      nock(CINDER).get(`/v3/${PROJECT}/volumes/${id}`).matchHeader('x-auth-token', 'tok-2').reply(200, { volume: volume(id) });
    }
    // exactly one more token request: a second one would find no mock and fail the test
    keystone(undefined, 'tok-2');
    const client = await connectEnv(PASSWORD_ENV);
    const [a, b] = await Promise.all([client.getVolume(VOL), client.getVolume(A)]);
    expect([a.id, b.id]).toEqual([VOL, A]);
  });

  it('a second 401 after re-authenticating is reported (exit 4), not looped', async () => {
    keystone(undefined, 'tok-1');
    cinderRoot();
    nock(CINDER).get(`/v3/${PROJECT}/types`).reply(401, KEYSTONE_401);
    keystone(undefined, 'tok-2');
    nock(CINDER).get(`/v3/${PROJECT}/types`).reply(401, KEYSTONE_401);
    const client = await connectEnv(PASSWORD_ENV);
    const err = await client.listVolumeTypes().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CinderApiError);
    expect((err as CinderApiError).status).toBe(401);
    expect((err as CinderApiError).exitCode).toBe(4);
  });
});

describe('application credentials and tokens', () => {
  it('v3applicationcredential by id + secret sends no scope, even with OS_PROJECT_NAME set (Keystone refuses one)', async () => {
    keystone({ auth: { identity: { methods: ['application_credential'], application_credential: { id: 'ac-1', secret: 'ac-secret' } } } });
    cinderRoot();
    const client = await connectEnv({
      OS_AUTH_TYPE: 'v3applicationcredential',
      OS_AUTH_URL: `${KEYSTONE}/v3/`,
      OS_APPLICATION_CREDENTIAL_ID: 'ac-1',
      OS_APPLICATION_CREDENTIAL_SECRET: 'ac-secret',
      OS_PROJECT_NAME: 'admin',
      OS_PROJECT_DOMAIN_NAME: 'Default',
    });
    expect(client.endpoint).toBe(`${CINDER}/v3/${PROJECT}`);
  });

  it('v3applicationcredential by name + user + secret', async () => {
    keystone({
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { secret: 'ac-secret', name: 'nightly', user: { name: 'admin', domain: { name: 'Default' } } },
        },
      },
    });
    cinderRoot();
    await connectEnv({
      OS_AUTH_URL: KEYSTONE,
      OS_APPLICATION_CREDENTIAL_NAME: 'nightly',
      OS_APPLICATION_CREDENTIAL_SECRET: 'ac-secret',
      OS_USERNAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
    });
  });

  it('a pre-issued token without a project is validated (GET /v3/auth/tokens) and keeps its own scope', async () => {
    nock(KEYSTONE)
      .get('/v3/auth/tokens')
      .matchHeader('x-auth-token', 'pre-issued-token')
      .matchHeader('x-subject-token', 'pre-issued-token')
      .reply(200, tokenBody(), { 'X-Subject-Token': 'pre-issued-token' });
    cinderRoot();
    nock(CINDER).get(`/v3/${PROJECT}/os-services`).matchHeader('x-auth-token', 'pre-issued-token').reply(200, { services: [] });
    const client = await connectEnv({ OS_AUTH_URL: KEYSTONE, OS_TOKEN: 'pre-issued-token' });
    await client.listServices();
  });

  it('a token with a project asks Keystone for a token scoped to it (method token)', async () => {
    keystone({ auth: { identity: { methods: ['token'], token: { id: 'pre-issued-token' } }, scope: { project: { id: PROJECT } } } }, 'scoped');
    cinderRoot();
    await connectEnv({ OS_AUTH_TYPE: 'v3token', OS_AUTH_URL: KEYSTONE, OS_TOKEN: 'pre-issued-token', OS_PROJECT_ID: PROJECT });
  });

  it('a token with an endpoint and no auth URL is used directly, with no Keystone call', async () => {
    cinderRoot();
    nock(CINDER).get('/v3/p9/os-services').matchHeader('x-auth-token', 'pre-issued-token').reply(200, { services: [] });
    const client = await connectEnv({ OS_TOKEN: 'pre-issued-token', OS_ENDPOINT: `${CINDER}/v3`, OS_PROJECT_ID: 'p9' });
    await client.listServices();
  });
});

describe('catalog selection', () => {
  async function endpointFor(rows: CatalogRow[], env: Record<string, string> = {}) {
    keystone(undefined, 'tok', rows);
    const io = testIo({ env: { ...PASSWORD_ENV, ...env } });
    const cloud = await cloudFromEnv(io);
    return connect(cloud, io, {});
  }

  it('prefers block-storage over volumev3 and volume', async () => {
    nock('http://bs.test').get('/').reply(300, versionsDocument('3.71'));
    const client = await endpointFor([
      ['volume', 'public', 'RegionOne', `http://vol.test/v3/${PROJECT}`],
      ['volumev3', 'public', 'RegionOne', `http://v3.test/v3/${PROJECT}`],
      ['block-storage', 'public', 'RegionOne', `http://bs.test/v3/${PROJECT}`],
    ]);
    expect(client.endpoint).toBe(`http://bs.test/v3/${PROJECT}`);
  });

  it('falls back to volumev3, then volume (moving an old /v2 entry to /v3)', async () => {
    nock('http://v3.test').get('/').reply(300, versionsDocument('3.71'));
    const a = await endpointFor([
      ['volume', 'public', 'RegionOne', `http://vol.test/v2/${PROJECT}`],
      ['volumev3', 'public', 'RegionOne', `http://v3.test/v3/${PROJECT}`],
    ]);
    expect(a.endpoint).toBe(`http://v3.test/v3/${PROJECT}`);
    nock('http://vol.test').get('/').reply(300, versionsDocument('3.71'));
    const b = await endpointFor([['volume', 'public', 'RegionOne', `http://vol.test/v2/${PROJECT}`]]);
    expect(b.endpoint).toBe(`http://vol.test/v3/${PROJECT}`);
  });

  it('honours the interface (internal) and the region', async () => {
    nock('http://cinder-internal.test:8776').get('/').reply(300, versionsDocument('3.71'));
    const internal = await endpointFor(DEFAULT_CATALOG, { OS_INTERFACE: 'internal' });
    expect(internal.endpoint).toBe(`http://cinder-internal.test:8776/v3/${PROJECT}`);

    nock('http://two.test').get('/').reply(300, versionsDocument('3.71'));
    const two = await endpointFor(
      [
        ['block-storage', 'public', 'RegionOne', `http://one.test/v3/${PROJECT}`],
        ['block-storage', 'public', 'RegionTwo', `http://two.test/v3/${PROJECT}`],
      ],
      { OS_REGION_NAME: 'RegionTwo' },
    );
    expect(two.endpoint).toBe(`http://two.test/v3/${PROJECT}`);
  });

  it('appends the token’s project to a catalog URL without one (microversion >= 3.67 style)', async () => {
    nock('http://bs.test').get('/').reply(300, versionsDocument('3.71'));
    const client = await endpointFor([['block-storage', 'public', 'RegionOne', 'http://bs.test/v3']]);
    expect(client.endpoint).toBe(`http://bs.test/v3/${PROJECT}`);
  });

  it('no matching endpoint: a usage error listing what the catalog offers', async () => {
    const err = await endpointFor(DEFAULT_CATALOG, { OS_REGION_NAME: 'RegionNine' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      'no Block Storage endpoint in the service catalog for interface public, region RegionNine (service types block-storage, volumev3, volume); ' +
        'the catalog offers: block-storage public RegionOne; block-storage internal RegionOne; block-storage admin RegionOne; volumev3 public RegionOne',
    );
  });
});
