import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * The fault suite's proxy: a node:http server on loopback in front of the sandbox, which injects faults per request
 * or per pattern. It also plays a small Keystone (`/identity/v3/auth/tokens`) whose tokens it maps onto the sandbox's
 * noauth admin, so that token expiry and Keystone's echoes can be injected too.
 *
 * What the proxy counts is what it did; what reached the sandbox is counted at the sandbox (see sandbox-count.ts).
 */
export type FaultKind =
  /** Answers a 5xx itself (the request does not reach the sandbox). */
  | '5xx'
  /** Drops the connection before forwarding. */
  | 'reset-before'
  /** Forwards, lets the sandbox answer, then drops the connection: the request was carried out, the answer is lost. */
  | 'reset-after'
  /** Never answers (optionally after forwarding). */
  | 'stall'
  /** Forwards, then answers the sandbox's status with an HTML page. */
  | 'html'
  /** Forwards, then sends the sandbox's status and half of its body, and drops the connection. */
  | 'truncated'
  /** Forwards, then answers the sandbox's status with a body of the wrong shape (a transform of the real one). */
  | 'shape'
  /** Answers 200 with a body of `bytes` bytes, streamed. */
  | 'huge'
  /** Answers 401 and expires the token (Keystone tokens only). */
  | 'token-expiry'
  /** Answers 400 quoting the request (its body and its token) back, as Keystone does with a bad body. */
  | 'echo';

export const FAULT_KINDS: readonly FaultKind[] = ['5xx', 'reset-before', 'reset-after', 'stall', 'html', 'truncated', 'shape', 'huge', 'token-expiry', 'echo'];

export interface FaultRule {
  kind: FaultKind;
  method?: string;
  /** Matched against the path and query (`/v3/admin/volumes/detail?limit=2`). */
  path: RegExp;
  /** Matched against the request body (`/os-migrate_volume/`). */
  body?: RegExp;
  /** How many matching requests get the fault (default: all of them). */
  times?: number;
  /** Matching requests let through untouched before the fault starts. */
  skip?: number;
  /** 5xx: the status (default 503; a 404 is answered as Cinder's itemNotFound). */
  status?: number;
  /** 5xx, stall and huge: forward the request first (the sandbox acts; its answer is replaced or never comes). */
  forward?: boolean;
  /** reset-after: how long the answer is held before the connection drops (the sandbox goes on meanwhile). */
  delayMs?: number;
  /** huge: no Content-Length (chunked), so the reader only finds out by reading. */
  chunked?: boolean;
  /** shape: the body to send, from the sandbox's JSON answer. */
  transform?: (json: any) => unknown;
  /** huge: the body's size in bytes. */
  bytes?: number;
  /**
   * huge: the body around its padding: `{"volume": {...,"description": "<padding>"}}`; with `unit`, the padding is
   * that text repeated, comma-separated (a page of volumes: `{"volumes": [<unit>,<unit>,...]}`).
   */
  wrap?: { before: string; after: string; unit?: string };
}

export interface KeystoneUsers {
  password?: string;
  username?: string;
  applicationCredentialId?: string;
  applicationCredentialSecret?: string;
}

interface LiveRule extends FaultRule {
  seen: number;
  used: number;
}

const HTML_PAGE =
  '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>' +
  '<p>The proxy server received an invalid response from an upstream server.</p></body></html>\n';

export class FaultProxy {
  readonly injected = new Map<FaultKind, number>();
  /** When (Date.now()) each kind was first injected since the counters were last taken. */
  readonly firstAt = new Map<FaultKind, number>();
  /** Tokens issued by the fake Keystone, and which are expired. */
  readonly issuedTokens = new Set<string>();
  private readonly expired = new Set<string>();
  private rules: LiveRule[] = [];
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  url = '';
  /** POST /identity/v3/auth/tokens requests received (each authentication). */
  tokenRequests = 0;

  constructor(
    private readonly upstream: URL,
    private readonly users: KeystoneUsers = {},
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The Block Storage endpoint through the proxy (`.../v3`), as OS_ENDPOINT takes it. */
  get endpoint(): string {
    return `${this.url}/v3`;
  }

  get authUrl(): string {
    return `${this.url}/identity/v3`;
  }

  /** Replaces the rules (and drops stalled connections of the previous case). */
  set(...rules: FaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r, seen: 0, used: 0 }));
  }

  add(...rules: FaultRule[]): void {
    this.rules.push(...rules.map((r) => ({ ...r, seen: 0, used: 0 })));
  }

  clear(): void {
    this.rules = [];
    for (const socket of this.sockets) socket.destroy();
  }

  /** Faults injected since the counters were last taken. */
  takeInjected(): Record<string, number> {
    const out = Object.fromEntries(this.injected);
    this.injected.clear();
    this.firstAt.clear();
    return out;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pick(method: string, path: string, body: string): LiveRule | undefined {
    for (const rule of this.rules) {
      if (rule.method && rule.method !== method) continue;
      if (!rule.path.test(path)) continue;
      if (rule.body && !rule.body.test(body)) continue;
      rule.seen++;
      if (rule.seen <= (rule.skip ?? 0)) continue;
      if (rule.used >= (rule.times ?? Infinity)) continue;
      rule.used++;
      return rule;
    }
    return undefined;
  }

  private count(kind: FaultKind): void {
    if (!this.injected.has(kind)) this.firstAt.set(kind, Date.now());
    this.injected.set(kind, (this.injected.get(kind) ?? 0) + 1);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const rule = this.pick(method, path, body);
    if (rule) this.count(rule.kind);
    const socket = req.socket;

    if (path.startsWith('/identity/')) return this.keystone(req, res, method, path, body, rule);

    // Keystone tokens stand for the sandbox's noauth admin; a token volmig brings itself goes through unchanged.
    const token = header(req, 'x-auth-token');
    const headers = { ...req.headers };
    if (token && (this.issuedTokens.has(token) || this.expired.has(token))) {
      if (this.expired.has(token)) return json(res, 401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
      headers['x-auth-token'] = 'admin:admin';
    }

    switch (rule?.kind) {
      case '5xx': {
        if (rule.forward) await this.forward(method, path, headers, body).catch(() => undefined);
        const status = rule.status ?? 503;
        const fault =
          status === 404
            ? { itemNotFound: { code: 404, message: 'The resource could not be found.' } }
            : { computeFault: { code: status, message: 'The server has either erred or is incapable of performing the requested operation.' } };
        return json(res, status, fault, { 'x-openstack-request-id': `req-${randomUUID()}` });
      }
      case 'reset-before':
        socket.destroy();
        return;
      case 'stall':
        if (rule.forward) await this.forward(method, path, headers, body).catch(() => undefined);
        return; // the socket stays open until the client gives up or the case ends
      case 'huge':
        if (rule.forward) await this.forward(method, path, headers, body).catch(() => undefined);
        return this.huge(res, rule);
      case 'token-expiry':
        // a Keystone token stays expired; any other (noauth's user:project) is refused this once
        if (token && this.issuedTokens.has(token)) {
          this.issuedTokens.delete(token);
          this.expired.add(token);
        }
        return json(res, 401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
      case 'echo':
        return json(res, 400, { badRequest: { code: 400, message: `Invalid request: ${body || '(no body)'} with X-Auth-Token ${token ?? '-'}` } });
      default:
        break;
    }

    let upstream: { status: number; headers: IncomingMessage['headers']; body: Buffer };
    try {
      upstream = await this.forward(method, path, headers, body);
    } catch {
      socket.destroy();
      return;
    }
    const out = { ...upstream.headers };
    delete out['content-length'];
    delete out['transfer-encoding'];
    delete out.connection;
    switch (rule?.kind) {
      case 'reset-after':
        if (rule.delayMs) await new Promise((resolve) => setTimeout(resolve, rule.delayMs));
        socket.destroy();
        return;
      case 'html':
        res.writeHead(upstream.status, { ...out, 'content-type': 'text/html', 'content-length': String(Buffer.byteLength(HTML_PAGE)) });
        res.end(HTML_PAGE);
        return;
      case 'truncated': {
        const full = upstream.body.length > 0 ? upstream.body : Buffer.from('{"volume": {"id": "0000"}}');
        res.writeHead(upstream.status, { ...out, 'content-type': 'application/json', 'content-length': String(full.length) });
        res.write(full.subarray(0, Math.floor(full.length / 2)));
        // Let the half reach the client before the connection drops.
        setTimeout(() => socket.destroy(), 20);
        return;
      }
      case 'shape': {
        let parsed: unknown;
        try {
          parsed = JSON.parse(upstream.body.toString('utf8'));
        } catch {
          parsed = undefined;
        }
        // undefined (no body at all) is sent as an empty body
        const text = JSON.stringify(rule.transform ? rule.transform(parsed) : parsed) ?? '';
        res.writeHead(upstream.status === 300 ? 300 : upstream.status, { ...out, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
        return;
      }
      default:
        res.writeHead(upstream.status, { ...out, 'content-length': String(upstream.body.length) });
        res.end(upstream.body);
    }
  }

  private forward(method: string, path: string, headers: IncomingMessage['headers'], body: string): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const forwarded = { ...headers };
      delete forwarded['content-length'];
      delete forwarded.connection;
      const req = httpRequest(
        {
          host: this.upstream.hostname,
          port: this.upstream.port,
          method,
          path,
          headers: { ...forwarded, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
          agent: false,
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(parts) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body || undefined);
    });
  }

  /** A body of about `bytes` bytes, written in 1 MiB chunks as the client reads them (never built whole). */
  private huge(res: ServerResponse, rule: FaultRule): void {
    const bytes = rule.bytes ?? 50 * 1000 * 1000;
    const before = rule.wrap?.before ?? '{"padding": "';
    const after = rule.wrap?.after ?? '"}';
    const room = bytes - Buffer.byteLength(before) - Buffer.byteLength(after);
    let chunk: Buffer;
    let count: number;
    if (rule.wrap?.unit) {
      // whole units only (the first without its comma), so the body stays valid JSON
      const unit = Buffer.from(`,${rule.wrap.unit}`);
      const perChunk = Math.max(1, Math.floor((1024 * 1024) / unit.length));
      chunk = Buffer.concat(Array.from({ length: perChunk }, () => unit));
      count = Math.floor(room / chunk.length);
    } else {
      chunk = Buffer.alloc(1024 * 1024, 'x');
      count = Math.ceil(room / chunk.length);
    }
    const last = rule.wrap?.unit ? chunk.length : room - (count - 1) * chunk.length;
    const total = Buffer.byteLength(before) + Buffer.byteLength(after) + (count - 1) * chunk.length + last - (rule.wrap?.unit ? 1 : 0);
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(rule.chunked ? {} : { 'content-length': String(total) }),
      'x-openstack-request-id': `req-${randomUUID()}`,
    });
    res.write(before);
    let i = 0;
    let closed = false;
    res.on('close', () => (closed = true));
    const pump = () => {
      while (i < count && !closed) {
        let part = i === count - 1 ? chunk.subarray(0, last) : chunk;
        if (i === 0 && rule.wrap?.unit) part = part.subarray(1);
        i++;
        if (!res.write(part)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!closed) res.end(after);
    };
    pump();
  }

  /** The fake Keystone: password, application credential and token methods; a fault rule applies to it too. */
  private keystone(req: IncomingMessage, res: ServerResponse, method: string, path: string, body: string, rule: LiveRule | undefined): void {
    if (!/\/identity\/v3\/auth\/tokens$/.test(path.split('?')[0]!)) return json(res, 404, { error: { code: 404, title: 'Not Found', message: 'The resource could not be found.' } });
    if (rule?.kind === 'echo') {
      // Keystone 22 answers a body it cannot validate by quoting it (the password included).
      return json(res, 400, { error: { code: 400, title: 'Bad Request', message: `Invalid input for field 'identity': ${body} is not valid under any of the given schemas` } });
    }
    if (rule?.kind === '5xx') return json(res, rule.status ?? 503, { error: { code: rule.status ?? 503, title: 'Service Unavailable', message: 'Keystone is busy' } });
    if (rule?.kind === 'reset-before') return void req.socket.destroy();
    if (method === 'GET') {
      const subject = header(req, 'x-subject-token');
      if (!subject || !this.issuedTokens.has(subject)) return json(res, 404, { error: { code: 404, title: 'Not Found', message: `Could not find token: ${subject}.` } });
      return this.tokenAnswer(res, subject, 200);
    }
    this.tokenRequests++;
    let parsed: any;
    try {
      parsed = JSON.parse(body);
    } catch {
      return json(res, 400, { error: { code: 400, title: 'Bad Request', message: 'Malformed request body' } });
    }
    const identity = parsed?.auth?.identity ?? {};
    const methods: string[] = identity.methods ?? [];
    let ok = false;
    if (methods.includes('password')) ok = identity.password?.user?.password === this.users.password;
    else if (methods.includes('application_credential')) ok = identity.application_credential?.secret === this.users.applicationCredentialSecret;
    else if (methods.includes('token')) ok = this.issuedTokens.has(identity.token?.id);
    if (!ok) return json(res, 401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    const token = `gAAAAAB${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}`;
    this.issuedTokens.add(token);
    return this.tokenAnswer(res, token, 201);
  }

  private tokenAnswer(res: ServerResponse, token: string, status: number): void {
    const catalog = [{ type: 'block-storage', name: 'cinder', id: 'c1', endpoints: [{ id: 'e1', interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: `${this.url}/v3/admin` }] }];
    const expires = new Date(Date.now() + 3600_000).toISOString();
    json(res, status, { token: { methods: ['password'], project: { id: 'admin', name: 'admin', domain: { id: 'default', name: 'Default' } }, catalog, expires_at: expires, issued_at: new Date().toISOString() } }, { 'x-subject-token': token });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}
