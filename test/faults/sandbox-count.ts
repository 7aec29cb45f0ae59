import dc from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What reached the sandbox, counted at the sandbox's own HTTP server (node's `http.server.request.start` channel,
 * which fires for every request a server in this process receives), not at the proxy: a request the proxy dropped
 * before forwarding is not counted, one whose answer the proxy lost after forwarding is.
 */
export interface ReachedRequest {
  method: string;
  path: string;
  /** `os-migrate_volume`, `os-retype`, ... for POST .../action. */
  action?: string;
  volumeId?: string;
}

export class SandboxCounter {
  readonly requests: ReachedRequest[] = [];
  private readonly listener: (message: unknown) => void;

  constructor(private readonly port: number) {
    this.listener = (message) => {
      const { request, server } = message as { request: IncomingMessage; server: Server };
      const address = server.address() as AddressInfo | null;
      if (!address || address.port !== this.port) return;
      const path = request.url ?? '/';
      const entry: ReachedRequest = { method: request.method ?? 'GET', path };
      this.requests.push(entry);
      const action = /\/volumes\/([^/]+)\/action$/.exec(path.split('?')[0]!);
      if (request.method !== 'POST' || !action) return;
      entry.volumeId = decodeURIComponent(action[1]!);
      // The sandbox reads the body in the same tick (its 'data' listener is attached synchronously), so both see it.
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        try {
          entry.action = Object.keys(JSON.parse(Buffer.concat(chunks).toString('utf8')))[0];
        } catch {
          entry.action = '(unreadable)';
        }
      });
    };
    dc.subscribe('http.server.request.start', this.listener);
  }

  /** Migrate and retype actions that reached the sandbox, per volume. */
  actions(kind: 'os-migrate_volume' | 'os-retype', volumeId?: string): number {
    return this.requests.filter((r) => r.action === kind && (volumeId === undefined || r.volumeId === volumeId)).length;
  }

  /** The most migrate (or retype) requests any one volume received. */
  maxPerVolume(): number {
    const counts = new Map<string, number>();
    for (const r of this.requests) {
      if (r.action !== 'os-migrate_volume' && r.action !== 'os-retype') continue;
      const key = `${r.action} ${r.volumeId}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return Math.max(0, ...counts.values());
  }

  reset(): void {
    this.requests.length = 0;
  }

  close(): void {
    dc.unsubscribe('http.server.request.start', this.listener);
  }
}
