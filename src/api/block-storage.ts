import type { Pool, Service, Snapshot, UserMessage, Volume, VolumeType } from '../model/cinder.js';

/**
 * What the rest of volmig may ask of a Block Storage v3 endpoint. Implemented on undici by CinderClient
 * (src/api/cinder-client.ts). Faults are thrown as CinderApiError (src/api/errors.ts); a request that may have
 * reached the server but whose answer was lost is thrown as RequestOutcomeUnknownError, and is never resent.
 */
export interface VolumeListQuery {
  /** Server-side exact filters (`migration_status`, `status`, `name`, `host`, ...). */
  filters?: Record<string, string>;
  allProjects?: boolean;
  /** Page size sent as `limit`; pagination follows `volumes_links` until done. */
  pageSize?: number;
  /** Stop after this many volumes in total. */
  max?: number;
  /**
   * Ask for the next page while this one is consumed (default). False for a caller that may stop before the end
   * without saying how far it goes (`list --limit`, which skips hidden rows), so no page is asked for in vain.
   */
  prefetch?: boolean;
}

export interface MigrateRequest {
  host?: string;
  cluster?: string;
  forceHostCopy?: boolean;
  lockVolume?: boolean;
}

export interface ActionResult {
  status: number;
  requestId?: string;
  /** The server accepted (2xx) but its answer's body could not be read. */
  unreadableBody?: boolean;
}

export interface ResetStatusRequest {
  status?: string;
  migration_status?: string;
  attach_status?: string;
}

export interface CreateVolumeRequest {
  size: number;
  name?: string;
  description?: string;
  volume_type?: string;
  metadata?: Record<string, string>;
}

export interface RawResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  requestId?: string;
}

export interface BlockStorageClient {
  /** Negotiated microversion, e.g. "3.70" against Cinder 21.3 or "3.72" against the sandbox. */
  readonly microversion: string;
  /** Base URL including the project id, e.g. http://127.0.0.1:8776/v3/admin */
  readonly endpoint: string;
  readonly projectId: string;

  /**
   * The same client, whose requests also stop when `signal` aborts (a deadline of the command: --timeout,
   * --stall-timeout). An aborted GET throws RequestAbortedError; a POST that may have been sent throws
   * RequestOutcomeUnknownError (with `aborted`), never resent.
   */
  withSignal(signal: AbortSignal): BlockStorageClient;

  /**
   * The same client, whose requests go on after the run's first interruption and stop only when `signal` aborts:
   * for work that must finish after a first Ctrl-C (smoke deletes the volumes it created).
   */
  outlivingInterruption(signal: AbortSignal): BlockStorageClient;

  /** Streams /volumes/detail page by page (never holds every page). */
  listVolumes(query?: VolumeListQuery): AsyncIterable<Volume>;
  getVolume(id: string): Promise<Volume>;
  /** Exact id, else a unique name (NotFoundError / AmbiguousVolumeError, both exit 3). */
  findVolume(ref: string, options?: { allProjects?: boolean }): Promise<Volume>;
  createVolume(request: CreateVolumeRequest): Promise<Volume>;
  deleteVolume(id: string): Promise<ActionResult>;

  listSnapshots(query?: { volumeId?: string; allProjects?: boolean }): Promise<Snapshot[]>;
  getPools(): Promise<Pool[]>;
  listServices(query?: { binary?: string; host?: string }): Promise<Service[]>;
  listVolumeTypes(): Promise<VolumeType[]>;
  /** By id or name; NotFoundError when neither matches. */
  findVolumeType(ref: string): Promise<VolumeType>;
  /**
   * User messages about one resource, newest first (GET /messages, from 3.3; filtered on the server from 3.5).
   * Empty below 3.3, where the API has none.
   */
  listMessages(query: { resourceUuid: string }): Promise<UserMessage[]>;

  /** POST os-migrate_volume; 202 or throws. Never retried. */
  migrateVolume(id: string, request: MigrateRequest): Promise<ActionResult>;
  /** POST os-retype; 202 or throws. Never retried. */
  retypeVolume(id: string, newType: string, migrationPolicy: 'never' | 'on-demand'): Promise<ActionResult>;
  resetStatus(id: string, request: ResetStatusRequest): Promise<ActionResult>;
  attachVolume(id: string, request: { instance_uuid?: string; host_name?: string; mountpoint: string }): Promise<ActionResult>;
  detachVolume(id: string, attachmentId?: string): Promise<ActionResult>;

  /** Escape hatch for callers that need an exact path (the conformance suite, the recorder). */
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<RawResponse<T>>;
}
