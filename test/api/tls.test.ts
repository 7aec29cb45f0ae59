import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/api/connect.js';
import { UnavailableError, UsageError } from '../../src/errors.js';
import { testIo, versionsDocument } from '../helpers/nock.js';
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
