/**
 * The suite's raw request/answer pairs: requests whose answers (status code and fault body) real Cinder defines
 * and the sandbox must reproduce. With VOLMIG_RECORD=1 on VOLMIG_TARGET=realcinder they are recorded into
 * test/conformance/fixtures/<name>.json; everywhere else the target's answers are compared with those files
 * (scenarios/04-api-answers.test.ts on every target, test/sandbox-conformance/fixtures.test.ts in `npm test`).
 *
 * Values that differ per run or per target are placeholders: {volume_id}, {current_host}, {other_host},
 * {unpinned_type}, {other_type}, {max_version} (the sandbox's maximum microversion is 3.72 by design).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sleep, type RawApi, type RawResponse } from './api.js';

export const FIXTURES_DIR = resolve(import.meta.dirname, '../fixtures');

export type Setup = 'movable' | 'error-status' | 'snapshot' | 'none' | 'in-flight';

export interface ApiCase {
  name: string;
  description: string;
  setup: Setup;
  request: { method: string; path: string; microversion?: string; body?: unknown };
}

export interface Fixture extends ApiCase {
  response: { status: number; body: unknown };
  recorded_from: string;
}

const UNKNOWN = '00000000-0000-0000-0000-000000000000';
const migrate = (extra: Record<string, unknown>) => ({ 'os-migrate_volume': extra });
const action = (body: unknown) => ({ method: 'POST', path: '/volumes/{volume_id}/action', body });

export const API_CASES: ApiCase[] = [
  { name: 'migrate-bogus-host', description: 'destination host that no service has', setup: 'movable',
    request: action(migrate({ host: 'bogus-host@nowhere#pool', force_host_copy: false, lock_volume: false })) },
  { name: 'migrate-bogus-host-no-backend', description: 'destination without @backend#pool', setup: 'movable',
    request: action(migrate({ host: 'bogus', force_host_copy: false, lock_volume: false })) },
  { name: 'migrate-same-host', description: 'destination equal to the current host: the generic 400', setup: 'movable',
    request: action(migrate({ host: '{current_host}', force_host_copy: false, lock_volume: false })) },
  { name: 'migrate-unknown-volume', description: 'os-migrate_volume on a volume id that does not exist', setup: 'none',
    request: { method: 'POST', path: `/volumes/${UNKNOWN}/action`, body: migrate({ host: '{other_host}' }) } },
  { name: 'get-unknown-volume', description: 'GET of a volume id that does not exist', setup: 'none',
    request: { method: 'GET', path: `/volumes/${UNKNOWN}` } },
  { name: 'migrate-no-host-no-cluster', description: 'neither host nor cluster', setup: 'movable',
    request: action(migrate({ force_host_copy: false })) },
  { name: 'migrate-host-and-cluster', description: 'both host and cluster (3.16+)', setup: 'movable',
    request: action(migrate({ host: '{other_host}', cluster: 'c1' })) },
  { name: 'migrate-lock-volume-not-boolean', description: 'lock_volume "maybe" fails the schema', setup: 'movable',
    request: action(migrate({ host: '{other_host}', lock_volume: 'maybe' })) },
  { name: 'migrate-force-host-copy-null', description: 'null is not a boolean', setup: 'movable',
    request: action(migrate({ host: '{other_host}', force_host_copy: null })) },
  { name: 'migrate-unknown-key', description: 'additional properties are refused', setup: 'movable',
    request: action(migrate({ host: '{other_host}', hurry: true })) },
  { name: 'migrate-volume-in-error', description: 'status error: the generic 400', setup: 'error-status',
    request: action(migrate({ host: '{other_host}', force_host_copy: false, lock_volume: false })) },
  { name: 'migrate-volume-with-snapshot', description: 'a volume with a snapshot: the generic 400', setup: 'snapshot',
    request: action(migrate({ host: '{other_host}', force_host_copy: false, lock_volume: false })) },
  { name: 'retype-unknown-type', description: 'os-retype to a type that does not exist', setup: 'movable',
    request: action({ 'os-retype': { new_type: 'no-such-type', migration_policy: 'never' } }) },
  { name: 'retype-same-type', description: 'os-retype to the type the volume has', setup: 'movable',
    request: action({ 'os-retype': { new_type: '{unpinned_type}', migration_policy: 'on-demand' } }) },
  { name: 'retype-bad-policy', description: 'migration_policy outside never/on-demand', setup: 'movable',
    request: action({ 'os-retype': { new_type: '{other_type}', migration_policy: 'sometimes' } }) },
  { name: 'microversion-too-high', description: 'OpenStack-API-Version above the maximum: 406', setup: 'none',
    request: { method: 'GET', path: '/volumes', microversion: '3.99' } },
  { name: 'migrate-accepted', description: 'a valid generic migration: 202 with an empty body', setup: 'in-flight',
    request: action(migrate({ host: '{other_host}', force_host_copy: true, lock_volume: false })) },
  { name: 'migrate-while-migrating', description: 'a second request while the first copies: the generic 400', setup: 'in-flight',
    request: action(migrate({ host: '{other_host}', force_host_copy: false, lock_volume: false })) },
];

export interface CaseContext {
  volume_id: string;
  current_host: string;
  other_host: string;
  unpinned_type: string;
  other_type: string;
}

function fill(value: unknown, ctx: Partial<CaseContext>): unknown {
  const text = JSON.stringify(value);
  return JSON.parse(text.replace(/\{(volume_id|current_host|other_host|unpinned_type|other_type)\}/g, (m, k: string) => (ctx as any)[k] ?? m));
}

/** The answer with run-specific values put back into placeholders. */
export function normalize(r: RawResponse, ctx: Partial<CaseContext>): { status: number; body: unknown } {
  if (!r.text) return { status: r.status, body: null };
  let text = r.text;
  const pairs = Object.entries(ctx).filter(([, v]) => v) as [string, string][];
  // longest first: a host name may contain a shorter value
  pairs.sort((a, b) => b[1].length - a[1].length);
  for (const [k, v] of pairs) text = text.split(v).join(`{${k}}`);
  text = text.replace(/maximum is \d+\.\d+/g, 'maximum is {max_version}');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { non_json_body: text.slice(0, 300) };
  }
  return { status: r.status, body };
}

export async function sendCase(api: RawApi, c: ApiCase, ctx: Partial<CaseContext>): Promise<RawResponse> {
  const path = (fill(c.request.path, ctx) as string);
  const body = c.request.body === undefined ? undefined : fill(c.request.body, ctx);
  const extra: Record<string, string> = c.request.microversion ? { 'OpenStack-API-Version': `volume ${c.request.microversion}` } : {};
  return api.call(c.request.method, path, body, extra);
}

export function fixturePath(name: string): string {
  return join(FIXTURES_DIR, `${name}.json`);
}

export function readFixture(name: string): Fixture | undefined {
  const p = fixturePath(name);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Fixture) : undefined;
}

export function writeFixture(f: Fixture): void {
  mkdirSync(FIXTURES_DIR, { recursive: true });
  writeFileSync(fixturePath(f.name), `${JSON.stringify(f, null, 2)}\n`);
}

/** Waits until a snapshot is available. */
export async function snapshotOf(api: RawApi, volumeId: string, name: string): Promise<string> {
  const s = await api.call('POST', '/snapshots', { snapshot: { volume_id: volumeId, name } });
  if (s.status !== 202) throw new Error(`snapshot: HTTP ${s.status} ${s.text}`);
  for (let i = 0; i < 100; i++) {
    const g = await api.call('GET', `/snapshots/${s.body.snapshot.id}`);
    if (g.body?.snapshot?.status === 'available') return s.body.snapshot.id;
    await sleep(300);
  }
  throw new Error(`snapshot ${s.body.snapshot.id} never became available`);
}

/** Where a case's volume comes from: the target's "movable" volume (hostA, unpinned type) factory. */
export interface CaseLayout {
  hostA: string;
  hostB: string;
  unpinned: string;
  pinnedB: string;
}

/**
 * Runs the cases in order against one target, preparing the volume state each needs (shared where a case
 * does not change it). `movable(name)` creates an available volume on hostA with the unpinned type.
 */
export class CaseRunner {
  private shared?: any;
  private inFlight?: any;

  constructor(
    private readonly api: RawApi,
    private readonly layout: CaseLayout,
    private readonly movable: (what: string) => Promise<any>,
  ) {}

  private ctxFor(v: any | undefined): Partial<CaseContext> {
    const current = v?.['os-vol-host-attr:host'] as string | undefined;
    return {
      volume_id: v?.id,
      current_host: current,
      other_host: current === this.layout.hostB ? this.layout.hostA : this.layout.hostB,
      unpinned_type: this.layout.unpinned,
      other_type: this.layout.pinnedB,
    };
  }

  async run(c: ApiCase): Promise<{ ctx: Partial<CaseContext>; response: RawResponse; normalized: { status: number; body: unknown } }> {
    let v: any;
    switch (c.setup) {
      case 'none':
        break;
      case 'movable':
        this.shared ??= await this.movable('api-shared');
        v = this.shared;
        break;
      case 'error-status': {
        v = await this.movable('api-error');
        const r = await this.api.action(v.id, { 'os-reset_status': { status: 'error' } });
        if (r.status !== 202) throw new Error(`reset_status: HTTP ${r.status} ${r.text}`);
        await this.api.waitVolume(v.id, () => true);
        break;
      }
      case 'snapshot':
        v = await this.movable('api-snap');
        await snapshotOf(this.api, v.id, `api-snap-of-${v.id.slice(0, 8)}`);
        break;
      case 'in-flight':
        this.inFlight ??= await this.movable('api-inflight');
        v = this.inFlight;
        break;
    }
    const ctx = this.ctxFor(v);
    if (c.setup === 'none') {
      // hosts still mean something in request bodies (e.g. a destination for an unknown volume)
      ctx.current_host = this.layout.hostA;
      ctx.other_host = this.layout.hostB;
    }
    const response = await sendCase(this.api, c, ctx);
    return { ctx, response, normalized: normalize(response, ctx) };
  }
}
