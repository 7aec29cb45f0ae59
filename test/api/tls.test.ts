import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/api/connect.js';
import { UnavailableError, UsageError } from '../../src/errors.js';
import { testIo, versionsDocument } from '../helpers/nock.js';
import { resolveCloudConfig } from '../../src/config/cloud.js';
import { cloudFromEnv } from './fixtures.js';

// A real TLS server on loopback (port 0): connect() builds its own undici Agent for a CA bundle, --insecure or a
// connect timeout, so these requests do not go through nock.
const certFile = fileURLToPath(new URL('./tls/server-cert.pem', import.meta.url));
const keyFile = fileURLToPath(new URL('./tls/server-key.pem', import.meta.url));
let server: Server;
let base: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['x-auth-token']}`);
    res.setHeader('Content-Type', 'application/json');
    if (req.url === '/') {
      res.statusCode = 300;
      res.end(JSON.stringify(versionsDocument('3.71')));
    } else {
      res.end(JSON.stringify({ services: [{ binary: 'cinder-volume', host: 'tls@b', status: 'enabled', state: 'up' }] }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function env(extra: Record<string, string> = {}) {
  return { OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: `${base}/v3`, OS_PROJECT_ID: 'admin', OS_USER_ID: 'admin', ...extra };
}

describe('TLS', () => {
  it('a self-signed server without a CA bundle: UnavailableError (exit 6) with the URL and a hint', async () => {
    const io = testIo({ env: env() });
    const cloud = { ...(await cloudFromEnv(io)), connectTimeoutMs: 5000 };
    const err = (await connect(cloud, io, {}).catch((e: unknown) => e)) as UnavailableError;
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.exitCode).toBe(6);
    expect(err.message).toMatch(new RegExp(`^cannot reach ${base}/: TLS error: .*\\((SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\\)`));
    expect(err.hint).toBe('Give the CA bundle with --os-cacert (OS_CACERT, clouds.yaml cacert), or --insecure to skip verification.');
  });

  it('--os-cacert with the server’s certificate verifies it', async () => {
    const io = testIo({ env: env({ OS_CACERT: certFile }) });
    const client = await connect(await cloudFromEnv(io), io, {});
    expect(client.microversion).toBe('3.71');
    expect((await client.listServices())[0]!.host).toBe('tls@b');
    expect(seen).toContain('GET /v3/admin/os-services admin:admin');
  });

  it('--insecure skips verification', async () => {
    const io = testIo({ env: env() });
    const client = await connect(await cloudFromEnv(io, { insecure: true }), io, {});
    expect(client.microversion).toBe('3.71');
  });

  it('an unreadable CA bundle is a usage error', async () => {
    const io = testIo({ env: env({ OS_CACERT: '/nonexistent/ca.pem' }) });
    const err = await connect(await cloudFromEnv(io), io, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^cannot read the CA bundle \/nonexistent\/ca.pem/);
  });
});

describe('TLS settings as the openstack CLI reads them (issue 15, case 7)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'volmig-tls-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function connectCloud(extra: string, env: Record<string, string> = {}) {
    writeFileSync(
      join(dir, 'clouds.yaml'),
      `clouds:\n  t:\n    auth_type: noauth\n    auth: {project_id: admin, user_id: admin}\n    block_storage_endpoint_override: ${base}/v3\n${extra}\n`,
    );
    const io = testIo({ env: { OS_CLOUD: 't', ...env }, cwd: dir });
    const cloud = { ...(await resolveCloudConfig({}, io, {})), connectTimeoutMs: 5000 };
    return connect(cloud, io, {});
  }

  it('OS_INSECURE=true does not turn verification off (the openstack CLI ignores it): exit 6, and the hint says why', async () => {
    const io = testIo({ env: env({ OS_INSECURE: 'true' }) });
    const cloud = { ...(await cloudFromEnv(io)), connectTimeoutMs: 5000 };
    const err = (await connect(cloud, io, {}).catch((e: unknown) => e)) as UnavailableError;
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.exitCode).toBe(6);
    expect(err.message).toMatch(/TLS error/);
    expect(err.hint).toBe(
      'Give the CA bundle with --os-cacert (OS_CACERT, clouds.yaml cacert), or --insecure to skip verification. ' +
        'OS_INSECURE is ignored, as by the openstack CLI: use --insecure, or insecure: true in clouds.yaml.',
    );
  });

  it.each([['    insecure: true'], ['    verify: false'], [`    verify: ${certFile}`], [`    cacert: ${certFile}`]])('%s connects', async (extra) => {
    const client = await connectCloud(extra);
    expect((await client.listServices())[0]!.host).toBe('tls@b');
  });

  it("insecure: 'yes' (text, not the YAML boolean) keeps verifying, as openstacksdk's get_boolean", async () => {
    const err = await connectCloud("    insecure: 'yes'").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/TLS error/);
  });
});
