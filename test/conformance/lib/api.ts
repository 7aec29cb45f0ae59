/**
 * Raw Block Storage calls of the suite itself (setup, observation, and the recorded request/answer pairs).
 * Plain fetch on loopback: these are the ground truth the volmig subprocess is checked against, so they go
 * through none of volmig's code.
 */
export interface RawResponse {
  status: number;
  /** Parsed JSON body, or null for an empty/non-JSON body. */
  body: any;
  text: string;
  headers: Headers;
}

export type HeaderSource = () => Promise<Record<string, string>>;

export class RawApi {
  constructor(
    /** e.g. http://127.0.0.1:8776/v3/admin (project id included) */
    readonly base: string,
    private readonly authHeaders: HeaderSource,
    readonly microversion = '3.60',
  ) {}

  async call(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<RawResponse> {
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'OpenStack-API-Version': `volume ${this.microversion}`,
      ...(await this.authHeaders()),
      ...extraHeaders,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: any = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  }

  async volume(id: string): Promise<any> {
    const r = await this.call('GET', `/volumes/${id}`);
    if (r.status !== 200) throw new Error(`GET volume ${id}: HTTP ${r.status} ${r.text}`);
    return r.body.volume;
  }

  async pools(): Promise<any[]> {
    const r = await this.call('GET', '/scheduler-stats/get_pools?detail=true');
    if (r.status !== 200) throw new Error(`get_pools: HTTP ${r.status} ${r.text}`);
    return r.body.pools;
  }

  async types(): Promise<any[]> {
    const r = await this.call('GET', '/types');
    if (r.status !== 200) throw new Error(`types: HTTP ${r.status} ${r.text}`);
    return r.body.volume_types;
  }

  async action(id: string, body: unknown): Promise<RawResponse> {
    return this.call('POST', `/volumes/${id}/action`, body);
  }

  /** POST /volumes and wait for `available`; returns the volume object. */
  async createVolume(name: string, type: string, sizeGb = 1, timeoutMs = 120_000): Promise<any> {
    const r = await this.call('POST', '/volumes', { volume: { size: sizeGb, name, volume_type: type } });
    if (r.status !== 202) throw new Error(`create volume ${name}: HTTP ${r.status} ${r.text}`);
    return this.waitVolume(r.body.volume.id, (v) => v.status === 'available', timeoutMs, `${name} available`);
  }

  async waitVolume(id: string, done: (v: any) => boolean, timeoutMs = 120_000, what = 'condition'): Promise<any> {
    const t0 = Date.now();
    let v: any;
    for (;;) {
      v = await this.volume(id);
      if (done(v)) return v;
      if (v.status === 'error') throw new Error(`volume ${id} went to status error while waiting for ${what}`);
      if (Date.now() - t0 > timeoutMs) {
        throw new Error(`volume ${id}: ${what} not reached in ${timeoutMs} ms (status ${v.status}, migstat ${migstat(v)})`);
      }
      await sleep(300);
    }
  }

  /** Best-effort cleanup: reset any state that blocks deletion, delete snapshots, then the volume. */
  async destroyVolume(id: string): Promise<void> {
    try {
      const snaps = await this.call('GET', `/snapshots?volume_id=${id}`);
      for (const s of snaps.body?.snapshots ?? []) {
        await this.call('DELETE', `/snapshots/${s.id}`);
      }
      if (snaps.body?.snapshots?.length) {
        const t0 = Date.now();
        while (Date.now() - t0 < 30_000) {
          const left = await this.call('GET', `/snapshots?volume_id=${id}`);
          if (!left.body?.snapshots?.length) break;
          await sleep(300);
        }
      }
      const v = await this.call('GET', `/volumes/${id}`);
      if (v.status === 404) return;
      const vol = v.body.volume;
      for (const a of vol.attachments ?? []) {
        await this.action(id, { 'os-detach': { attachment_id: a.attachment_id ?? a.id } });
      }
      if (vol.attachments?.length) await this.waitVolume(id, (x) => !x.attachments?.length, 20_000, 'detached').catch(() => {});
      if (!['available', 'error'].includes(vol.status) || !['success', 'error', null, undefined].includes(migstat(vol))) {
        await this.action(id, { 'os-reset_status': { status: 'available', attach_status: 'detached', migration_status: 'none' } });
      }
      await this.call('DELETE', `/volumes/${id}`);
    } catch {
      // cleanup must never hide the scenario's own result
    }
  }
}

export function migstat(v: any): string | null {
  return v['os-vol-mig-status-attr:migstat'] ?? v.migration_status ?? null;
}

export function hostOf(v: any): string {
  return v['os-vol-host-attr:host'];
}

export function nameIdOf(v: any): string | null {
  return v['os-vol-mig-status-attr:name_id'] ?? null;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fault body shape check: {"<faultName>": {"code": N, "message": "..."}} */
export function faultOf(r: RawResponse): { name: string; code: number; message: string } | null {
  if (!r.body || typeof r.body !== 'object') return null;
  const keys = Object.keys(r.body);
  if (keys.length !== 1) return null;
  const inner = r.body[keys[0]!];
  if (!inner || typeof inner.message !== 'string') return null;
  return { name: keys[0]!, code: inner.code, message: inner.message };
}
