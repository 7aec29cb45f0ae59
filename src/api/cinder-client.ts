import { NotFoundError, UsageError } from '../errors.js';
import type {
  ActionResult,
  BlockStorageClient,
  CreateVolumeRequest,
  MigrateRequest,
  RawResponse,
  ResetStatusRequest,
  VolumeListQuery,
} from './block-storage.js';
import type { AuthResult, AuthSession } from './auth.js';
import { AmbiguousVolumeError, CinderApiError, MalformedBodyError, RequestOutcomeUnknownError, describeNonJson, parseCinderFault } from './errors.js';
import { header, type HttpResponse, type HttpTransport } from './http.js';
import { compareMicroversions } from './microversion.js';
import { rebaseLink } from './endpoint.js';
import { scanCollectionPage } from './json-page.js';
import { pageShape, poolsBody, servicesBody, snapshotShape, userMessageShape, volumeBody, volumeShape, volumeTypeBody, volumeTypesBody } from './shapes.js';
import type { Shape } from './validate.js';
import type { Link, Pool, Service, Snapshot, UserMessage, Volume, VolumeType } from '../model/cinder.js';
import { isMigrationTarget } from '../model/cinder.js';

export interface CinderClientOptions {
  transport: HttpTransport;
  session: AuthSession;
  /** `.../v3/{project_id}` */
  endpoint: string;
  projectId: string;
  microversion: string;
  /** Stops every request of this client (the run's interruption, or a deadline: see withSignal). */
  signal?: AbortSignal;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Upper bound on pages one listing follows, so a server that loops its `next` links cannot hang volmig. */
const MAX_PAGES = 10_000;

const SERVICE = 'the Block Storage API';

/**
 * BlockStorageClient on undici. Every request carries `OpenStack-API-Version: volume X.Y` and the token; a 401 gets
 * one re-authentication and one resend (Cinder did not process it); GETs are retried by the transport; a
 * state-changing request answered 5xx is reported as RequestOutcomeUnknownError, never resent.
 */
export class CinderClient implements BlockStorageClient {
  readonly microversion: string;
  readonly endpoint: string;
  readonly projectId: string;
  private readonly transport: HttpTransport;
  private readonly session: AuthSession;
  private readonly signal?: AbortSignal;

  constructor(private readonly options: CinderClientOptions) {
    this.transport = options.transport;
    this.session = options.session;
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.projectId = options.projectId;
    this.microversion = options.microversion;
    this.signal = options.signal;
  }

  withSignal(signal: AbortSignal): BlockStorageClient {
    const combined = this.signal ? AbortSignal.any([this.signal, signal]) : signal;
    return new CinderClient({ ...this.options, signal: combined });
  }

  outlivingInterruption(signal: AbortSignal): BlockStorageClient {
    return new CinderClient({ ...this.options, signal });
  }

  /** True when the negotiated microversion is at least `version` (e.g. "3.16"). */
  supports(version: string): boolean {
    return compareMicroversions(this.microversion, version) >= 0;
  }

  url(path: string): string {
    if (/^https?:\/\//i.test(path)) return path;
    return `${this.endpoint}${path.startsWith('/') ? '' : '/'}${path}`;
  }

  /** Sends with the current token; on 401, renews the token once (when the auth method can) and sends again. */
  private async exchange(method: string, url: string, body?: unknown): Promise<HttpResponse> {
    let auth: AuthResult = await this.session.get();
    const signal = this.signal;
    let res = await this.transport.send({ method, url, body, headers: this.headers(auth), signal });
    if (res.status === 401 && this.session.renewable) {
      this.transport.debug(`401 from ${method} ${url}: authenticating again and resending once`);
      auth = await this.session.renew(auth);
      res = await this.transport.send({ method, url, body, headers: this.headers(auth), signal });
    }
    return res;
  }

  private headers(auth: AuthResult): Record<string, string> {
    return { 'X-Auth-Token': auth.token, 'OpenStack-API-Version': `volume ${this.microversion}` };
  }

  /**
   * A call that must succeed: status >= 400 becomes a typed error, and the body must be JSON of `shape` (else
   * MalformedBodyError, exit 6, naming the field and the request id).
   */
  private async call<T>(method: string, path: string, shape: Shape, body?: unknown): Promise<T> {
    const upper = method.toUpperCase();
    const url = this.url(path);
    const res = await this.exchange(upper, url, body);
    if (res.status >= 400) throw this.failure(upper, url, res);
    return this.validated<T>(upper, url, res, shape);
  }

  /** The JSON body of a successful answer, checked against `shape`. */
  private validated<T>(method: string, url: string, res: HttpResponse, shape: Shape): T {
    const json = this.parsed(method, url, res);
    const problem = shape.check(json, '');
    if (problem) throw this.malformed(method, url, res, problem);
    return json as T;
  }

  /** The body as JSON; one that is not JSON (an HTML page from a proxy, a body cut short) is MalformedBodyError. */
  private parsed(method: string, url: string, res: HttpResponse): unknown {
    try {
      return JSON.parse(res.text);
    } catch {
      // Only the start says what it is (a 50 MB page must not be copied to be described).
      throw this.malformed(method, url, res, describeNonJson(this.transport.redact(res.text.slice(0, 4096)), header(res.headers, 'content-type')));
    }
  }

  private malformed(method: string, url: string, res: HttpResponse, problem: string): MalformedBodyError {
    return new MalformedBodyError({ service: SERVICE, method, url, problem, requestId: res.requestId });
  }

  private failure(method: string, url: string, res: HttpResponse): Error {
    const fault = parseCinderFault(res.status, res.text, header(res.headers, 'content-type'), this.transport.secrets);
    if (res.status >= 500 && method !== 'GET' && method !== 'HEAD') {
      return new RequestOutcomeUnknownError({
        method,
        url,
        status: res.status,
        requestId: res.requestId,
        reason: `the server failed with HTTP ${res.status}${res.requestId ? ` (request id ${res.requestId})` : ''}: ${fault.message}`,
      });
    }
    return new CinderApiError({
      status: res.status,
      message: fault.message,
      faultName: fault.faultName,
      requestId: res.requestId,
      method,
      url,
      retryAfter: fault.retryAfter ?? header(res.headers, 'retry-after'),
    });
  }

  /**
   * A volume action. Cinder answers 202 with an empty body; a 2xx whose body cannot be read (HTML from a proxy, a
   * body cut short) was still accepted, and says so in `unreadableBody` instead of failing.
   */
  private async action(id: string, body: Record<string, unknown>): Promise<ActionResult> {
    const url = this.url(`/volumes/${encodeURIComponent(id)}/action`);
    const res = await this.exchange('POST', url, body);
    if (res.status >= 400) throw this.failure('POST', url, res);
    let unreadableBody = res.bodyLost === true;
    if (!unreadableBody && res.text.trim() !== '') {
      try {
        JSON.parse(res.text);
      } catch {
        unreadableBody = true;
      }
    }
    return { status: res.status, requestId: res.requestId, ...(unreadableBody ? { unreadableBody } : {}) };
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<RawResponse<T>> {
    const res = await this.exchange(method.toUpperCase(), this.url(path), body);
    let parsed: unknown = res.text;
    if (res.text.trim() === '') parsed = undefined;
    else {
      try {
        parsed = JSON.parse(res.text);
      } catch {
        // not JSON: the caller gets the text
      }
    }
    return { status: res.status, headers: res.headers, body: parsed as T, requestId: res.requestId };
  }

  async *listVolumes(query: VolumeListQuery = {}): AsyncIterable<Volume> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query.filters ?? {})) params.set(key, value);
    if (query.allProjects) params.set('all_tenants', '1');
    const limit = query.pageSize ?? query.max;
    if (limit !== undefined) params.set('limit', String(limit));
    const qs = params.toString();
    yield* this.paginate<Volume>(`/volumes/detail${qs ? `?${qs}` : ''}`, 'volumes', volumeShape, query.max, query.prefetch ?? true);
  }

  /**
   * Follows `{key}_links` page by page. Each page's elements are parsed as they are consumed (scanCollectionPage),
   * so one page of text and one element are alive at a time, never a page of objects. The next page is asked for
   * as soon as this one has arrived, so the server prepares it while this one is printed (two pages of text alive
   * at most); `prefetch: false` for a caller that may stop early.
   */
  private async *paginate<T>(firstPath: string, key: string, element: Shape, max?: number, prefetch = true): AsyncIterable<T> {
    const seen = new Set<string>();
    let count = 0;
    let url: string | undefined = this.url(firstPath);
    let pending: Promise<HttpResponse> | undefined = this.exchange('GET', url);
    for (let page = 0; url !== undefined && pending !== undefined && page < MAX_PAGES; page++) {
      seen.add(url);
      const pageUrl: string = url;
      const res: HttpResponse = await pending;
      pending = undefined;
      if (res.status >= 400) throw this.failure('GET', pageUrl, res);
      const { length, item, links } = this.readPage<T>(res, key, element, pageUrl);
      const wantsMore = length > 0 && (max === undefined || count + length < max);
      const href = wantsMore && Array.isArray(links) ? links.find((l) => l?.rel === 'next')?.href : undefined;
      let next = typeof href === 'string' && href ? rebaseLink(href, this.endpoint, this.projectId) : undefined;
      if (next !== undefined && seen.has(next)) next = undefined;
      const fetchNext = () => {
        pending = this.exchange('GET', next!);
        // Awaited on the next turn of the loop; a consumer that stops first must not leave a rejection unhandled.
        pending.catch(() => {});
      };
      if (next !== undefined && prefetch) fetchNext();
      for (let index = 0; index < length; index++) {
        if (max !== undefined && count >= max) return;
        count++;
        yield item(index);
      }
      if (next !== undefined && !prefetch) fetchNext();
      url = next;
    }
  }

  /**
   * One page's elements, parsed and checked against `element` as the listing reaches them (a malformed element
   * fails the listing there, naming it: `volumes[3].status`); the page itself is checked first. A body not shaped
   * like a page is parsed whole, so that its message says what it is instead.
   */
  private readPage<T>(res: HttpResponse, key: string, element: Shape, url: string): { length: number; item: (index: number) => T; links: Link[] | undefined } {
    const check = (value: unknown, index: number): T => {
      const problem = element.check(value, `${key}[${index}]`);
      if (problem) throw this.malformed('GET', url, res, problem);
      return value as T;
    };
    const scanned = scanCollectionPage(res.text, key);
    if (scanned) {
      const problem = pageShape(key).check({ ...scanned.members, [key]: [] }, '');
      if (problem) throw this.malformed('GET', url, res, problem);
      return {
        length: scanned.length,
        item: (index) => {
          let value: unknown;
          try {
            value = JSON.parse(scanned.element(index));
          } catch {
            throw this.malformed('GET', url, res, `${key}[${index}] is not valid JSON`);
          }
          return check(value, index);
        },
        links: scanned.members[`${key}_links`] as Link[] | undefined,
      };
    }
    const whole = this.validated<Record<string, unknown>>('GET', url, res, pageShape(key));
    const items = whole[key] as unknown[];
    return { length: items.length, item: (index) => check(items[index], index), links: whole[`${key}_links`] as Link[] | undefined };
  }

  async getVolume(id: string): Promise<Volume> {
    return (await this.call<{ volume: Volume }>('GET', `/volumes/${encodeURIComponent(id)}`, volumeBody)).volume;
  }

  async findVolume(ref: string, options: { allProjects?: boolean } = {}): Promise<Volume> {
    if (UUID.test(ref)) {
      try {
        return await this.getVolume(ref);
      } catch (err) {
        if (!(err instanceof CinderApiError && err.status === 404)) throw err;
      }
    }
    const matches: Volume[] = [];
    for await (const v of this.listVolumes({ filters: { name: ref }, allProjects: options.allProjects })) {
      if (v.name === ref) matches.push(v);
    }
    // An admin also sees the temporary destination of a generic migration, which carries the source's name.
    const real = matches.filter((v) => !isMigrationTarget(v));
    const candidates = real.length > 0 ? real : matches;
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length > 1) throw new AmbiguousVolumeError(ref, candidates);
    throw new NotFoundError(`No volume with a name or ID of '${ref}' exists.`);
  }

  async createVolume(request: CreateVolumeRequest): Promise<Volume> {
    return (await this.call<{ volume: Volume }>('POST', '/volumes', volumeBody, { volume: request })).volume;
  }

  /** Cinder answers 202 with an empty body; like an action's, a 2xx whose body cannot be read was still accepted. */
  async deleteVolume(id: string): Promise<ActionResult> {
    const url = this.url(`/volumes/${encodeURIComponent(id)}`);
    const res = await this.exchange('DELETE', url);
    if (res.status >= 400) throw this.failure('DELETE', url, res);
    return { status: res.status, requestId: res.requestId };
  }

  async listSnapshots(query: { volumeId?: string; allProjects?: boolean } = {}): Promise<Snapshot[]> {
    const params = new URLSearchParams();
    if (query.volumeId) params.set('volume_id', query.volumeId);
    if (query.allProjects) params.set('all_tenants', '1');
    const qs = params.toString();
    const out: Snapshot[] = [];
    for await (const s of this.paginate<Snapshot>(`/snapshots/detail${qs ? `?${qs}` : ''}`, 'snapshots', snapshotShape)) out.push(s);
    return out;
  }

  async getPools(): Promise<Pool[]> {
    return (await this.call<{ pools: Pool[] }>('GET', '/scheduler-stats/get_pools?detail=true', poolsBody)).pools;
  }

  async listServices(query: { binary?: string; host?: string } = {}): Promise<Service[]> {
    const params = new URLSearchParams();
    if (query.binary) params.set('binary', query.binary);
    if (query.host) params.set('host', query.host);
    const qs = params.toString();
    return (await this.call<{ services: Service[] }>('GET', `/os-services${qs ? `?${qs}` : ''}`, servicesBody)).services;
  }

  async listVolumeTypes(): Promise<VolumeType[]> {
    return (await this.call<{ volume_types: VolumeType[] }>('GET', '/types', volumeTypesBody)).volume_types;
  }

  async findVolumeType(ref: string): Promise<VolumeType> {
    const types = await this.listVolumeTypes();
    const found = types.find((t) => t.id === ref) ?? types.find((t) => t.name === ref);
    if (found) return found;
    if (UUID.test(ref)) {
      // Private types are not in the list but can be read by id.
      try {
        return (await this.call<{ volume_type: VolumeType }>('GET', `/types/${encodeURIComponent(ref)}`, volumeTypeBody)).volume_type;
      } catch (err) {
        if (!(err instanceof CinderApiError && err.status === 404)) throw err;
      }
    }
    throw new NotFoundError(`No volume type with a name or ID of '${ref}' exists.`);
  }

  async listMessages(query: { resourceUuid: string }): Promise<UserMessage[]> {
    if (!this.supports('3.3')) return [];
    // Filters and pagination arrive with 3.5; before that the list is the project's whole (short-lived) list.
    const path = this.supports('3.5') ? `/messages?resource_uuid=${encodeURIComponent(query.resourceUuid)}` : '/messages';
    const out: UserMessage[] = [];
    for await (const m of this.paginate<UserMessage>(path, 'messages', userMessageShape)) if (m?.resource_uuid === query.resourceUuid) out.push(m);
    return out.sort((a, b) => ((a.created_at ?? '') < (b.created_at ?? '') ? 1 : (a.created_at ?? '') > (b.created_at ?? '') ? -1 : 0));
  }

  async migrateVolume(id: string, request: MigrateRequest): Promise<ActionResult> {
    const hasHost = request.host !== undefined && request.host !== '';
    const hasCluster = request.cluster !== undefined && request.cluster !== '';
    if (hasHost === hasCluster) throw new UsageError('give exactly one destination: a host (host@backend#pool) or a cluster');
    if (hasCluster && !this.supports('3.16')) {
      throw new UsageError(`migrating to a cluster needs volume API 3.16 or later; this connection uses ${this.microversion}`);
    }
    const body: Record<string, unknown> = hasHost ? { host: request.host } : { cluster: request.cluster };
    body.force_host_copy = Boolean(request.forceHostCopy);
    body.lock_volume = Boolean(request.lockVolume);
    return this.action(id, { 'os-migrate_volume': body });
  }

  async retypeVolume(id: string, newType: string, migrationPolicy: 'never' | 'on-demand'): Promise<ActionResult> {
    return this.action(id, { 'os-retype': { new_type: newType, migration_policy: migrationPolicy } });
  }

  async resetStatus(id: string, request: ResetStatusRequest): Promise<ActionResult> {
    return this.action(id, { 'os-reset_status': request });
  }

  async attachVolume(id: string, request: { instance_uuid?: string; host_name?: string; mountpoint: string }): Promise<ActionResult> {
    return this.action(id, { 'os-attach': request });
  }

  async detachVolume(id: string, attachmentId?: string): Promise<ActionResult> {
    return this.action(id, { 'os-detach': attachmentId ? { attachment_id: attachmentId } : {} });
  }
}
