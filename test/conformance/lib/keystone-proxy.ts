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
  /** one entry per POST /v3/auth/tokens: status, the auth methods asked for, and who and what scope (no secrets) */
  readonly authRequests: AuthRequest[];
  close(): Promise<void>;
}

export interface AuthRequest {
  status: number;
  methods: string[];
  /** identity.password.user or identity.application_credential without password / secret */
  user?: Record<string, unknown>;
  scope?: Record<string, unknown>;
}

export async function startKeystoneProxy(upstream: string): Promise<KeystoneProxy> {
  const up = new URL(upstream);
  const tokens: string[] = [];
  const authRequests: AuthRequest[] = [];
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
            let user: Record<string, unknown> | undefined;
            let scope: Record<string, unknown> | undefined;
            try {
              const auth = JSON.parse(body.toString('utf8')).auth;
              methods = auth.identity.methods;
              scope = auth.scope;
              const who = auth.identity.password?.user ?? auth.identity.application_credential;
              if (who) {
                const { password: _p, secret: _s, ...rest } = who;
                user = rest;
              }
            } catch {}
            authRequests.push({ status: upRes.statusCode ?? 0, methods, user, scope });
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
