/**
 * A recording fake Keystone v3 + Block Storage on loopback, for running volmig and the `openstack` CLI on the same
 * configuration and comparing what each sent: every token request body, and which Block Storage endpoint it used.
 * Keystone accepts any request (the point is what is asked, not whether it is right). The catalog has
 * `block-storage` and `volumev3` in RegionOne, RegionTwo and RegionThree, each interface at its own path
 * (/cinder/<type>/<region>/<interface>/v3/<project>); /override/... answers as an endpoint override.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export const FAKE_PROJECT = '0c5f5a3b8f7d4c8e9a1b2c3d4e5f6a7b';

export interface Recorded {
  method: string;
  path: string;
  client: 'volmig' | 'openstack';
  microversion?: string;
  body?: unknown;
}

export interface RecordingCloud {
  url: string;
  authUrl: string;
  records: Recorded[];
  clear(): void;
  /** Token request bodies of one client, in order. */
  tokenBodies(client: Recorded['client']): unknown[];
  /** Where one client's Block Storage calls went: `RegionTwo/internal`, or the override path, or undefined. */
  blockStorageChoice(client: Recorded['client']): string | undefined;
  microversions(client: Recorded['client']): string[];
  close(): Promise<void>;
}

const VERSION_V3 = (base: string) => ({
  id: 'v3.14',
  status: 'stable',
  updated: '2020-04-07T00:00:00Z',
  links: [{ rel: 'self', href: `${base}/identity/v3/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
});

/** `tls`: serve HTTPS with this key and certificate instead of HTTP. */
export async function startRecordingCloud(tls?: { key: string; cert: string }): Promise<RecordingCloud> {
  const records: Recorded[] = [];
  let base = '';
  const catalog = () => {
    const services: unknown[] = [
      {
        type: 'identity',
        id: 'identity',
        name: 'keystone',
        endpoints: ['public', 'internal', 'admin'].map((i) => ({ id: `id-${i}`, interface: i, region_id: 'RegionOne', region: 'RegionOne', url: `${base}/identity/v3/` })),
      },
    ];
    for (const type of ['block-storage', 'volumev3']) {
      const endpoints = [];
      for (const region of ['RegionOne', 'RegionTwo', 'RegionThree']) {
        for (const i of ['public', 'internal', 'admin']) {
          endpoints.push({ id: `${type}-${region}-${i}`, interface: i, region_id: region, region, url: `${base}/cinder/${type}/${region}/${i}/v3/${FAKE_PROJECT}` });
        }
      }
      services.push({ type, id: type, name: 'cinder', endpoints });
    }
    return services;
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0]!;
      const ua = String(req.headers['user-agent'] ?? '');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const mv = req.headers['openstack-api-version'];
      records.push({ method: req.method ?? 'GET', path, client: ua.startsWith('volmig') ? 'volmig' : 'openstack', microversion: typeof mv === 'string' ? mv : undefined, body });
      const send = (status: number, obj: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'Content-Type': 'application/json', Connection: 'close', ...headers });
        res.end(JSON.stringify(obj));
      };
      if (path === '/identity' || path === '/identity/') return send(300, { versions: { values: [VERSION_V3(base)] } });
      if (path === '/identity/v3' || path === '/identity/v3/') return send(200, { version: VERSION_V3(base) });
      if (path === '/identity/v3/auth/tokens' && req.method === 'POST') {
        return send(
          201,
          {
            token: {
              methods: ['password'],
              user: { id: 'u1', name: 'admin', domain: { id: 'default', name: 'Default' } },
              project: { id: FAKE_PROJECT, name: 'admin', domain: { id: 'default', name: 'Default' } },
              roles: [{ id: 'r', name: 'admin' }],
              expires_at: '2099-01-01T00:00:00.000000Z',
              issued_at: '2020-01-01T00:00:00.000000Z',
              catalog: catalog(),
            },
          },
          { 'X-Subject-Token': `tok-${records.length}` },
        );
      }
      const m = /^(\/cinder\/[^/]+\/[^/]+\/[^/]+|\/override[^/]*)(\/.*)?$/.exec(path);
      if (m) {
        const rest = m[2] ?? '/';
        if (rest === '/' || /^\/v3\/?$/.test(rest)) {
          return send(300, {
            versions: [{ id: 'v3.0', status: 'CURRENT', version: '3.70', min_version: '3.0', updated: '2016-02-08T12:20:21Z', links: [{ rel: 'self', href: `${base}${m[1]}/v3/` }] }],
          });
        }
        if (/\/volumes\/detail$/.test(rest)) return send(200, { volumes: [] });
        if (/\/scheduler-stats\/get_pools$/.test(rest)) return send(200, { pools: [] });
        return send(200, {});
      }
      send(404, { error: { code: 404, message: `not served by the recording cloud: ${path}` } });
    });
  };
  const server = tls ? createTlsServer(tls, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const ofClient = (client: Recorded['client']) => records.filter((r) => r.client === client);
  return {
    url: base,
    authUrl: `${base}/identity/v3`,
    records,
    clear: () => void records.splice(0),
    tokenBodies: (client) => ofClient(client).filter((r) => r.method === 'POST' && r.path.endsWith('/auth/tokens')).map((r) => r.body),
    blockStorageChoice: (client) => {
      const call = ofClient(client).find((r) => /\/(volumes\/detail|scheduler-stats\/get_pools)$/.test(r.path));
      if (!call) return undefined;
      const c = /^\/cinder\/[^/]+\/([^/]+)\/([^/]+)\//.exec(call.path);
      return c ? `${c[1]}/${c[2]}` : call.path.replace(/\/(volumes\/detail|scheduler-stats\/get_pools)$/, '');
    },
    microversions: (client) =>
      ofClient(client)
        .filter((r) => /\/(volumes\/detail|scheduler-stats\/get_pools)$/.test(r.path))
        .map((r) => r.microversion ?? '-'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
