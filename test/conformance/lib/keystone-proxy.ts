/**
 * A loopback pass-through in front of Keystone that remembers every token Keystone issues (X-Subject-Token of
 * POST /v3/auth/tokens). The Keystone scenarios point volmig's auth_url at it so the suite knows each token
 * volmig holds: to revoke it mid-run, and to check that none of them ever appears in volmig's output.
 * Nothing is changed on the way through.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KeystoneProxy {
  url: string;
  /** every token issued through the proxy, oldest first */
  readonly tokens: string[];
  /** one entry per POST /v3/auth/tokens: status and the auth methods asked for */
  readonly authRequests: { status: number; methods: string[] }[];
  close(): Promise<void>;
}

export async function startKeystoneProxy(upstream: string): Promise<KeystoneProxy> {
  const up = new URL(upstream);
  const tokens: string[] = [];
  const authRequests: { status: number; methods: string[] }[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers, host: up.host };
      const out = request(
        { hostname: up.hostname, port: up.port, path: req.url, method: req.method, headers },
        (upRes) => {
          if (req.method === 'POST' && /\/auth\/tokens\/?$/.test(req.url ?? '')) {
            let methods: string[] = [];
            try {
              methods = JSON.parse(body.toString('utf8')).auth.identity.methods;
            } catch {}
            authRequests.push({ status: upRes.statusCode ?? 0, methods });
            const t = upRes.headers['x-subject-token'];
            if (typeof t === 'string' && t) tokens.push(t);
          }
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      out.on('error', (e) => {
        res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end(`proxy: ${e.message}`);
      });
      out.end(body);
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    tokens,
    authRequests,
    close: () => new Promise<void>((res) => server.close(() => res())),
  };
}
