/**
 * The Cinder (Block Storage v3) wire model: resource shapes and the helpers that read them (host, migration status,
 * `target:` records, labels). Shared by every layer: the client (src/api), the sandbox server (src/sandbox), the
 * domain (src/migration) and the presenters (src/ui). Field names are the API's own; the recorded answers of a real
 * Cinder are in test/conformance/fixtures.
 */

export const MIGRATION_STATUSES = ['none', 'starting', 'migrating', 'completing', 'success', 'error', 'deleting'] as const;
/** Stored values; `null` is "never migrated" and `target:<source id>` marks a temporary destination volume. */
type MigrationStatus = (typeof MIGRATION_STATUSES)[number] | `target:${string}` | null;

export interface Link {
  rel: string;
  href: string;
  type?: string;
}

interface VolumeAttachment {
  id?: string;
  attachment_id: string;
  volume_id: string;
  server_id?: string | null;
  host_name?: string | null;
  device?: string | null;
  attached_at?: string | null;
}

/** A volume as GET /volumes/{id} and /volumes/detail return it (admin-only keys are optional). */
export interface Volume {
  id: string;
  name: string | null;
  status: string;
  size: number;
  availability_zone?: string | null;
  created_at: string;
  updated_at: string | null;
  description?: string | null;
  volume_type: string | null;
  volume_type_id?: string;
  snapshot_id?: string | null;
  source_volid?: string | null;
  metadata: Record<string, string>;
  links?: Link[];
  user_id?: string;
  bootable?: string;
  encrypted?: boolean;
  replication_status: string | null;
  consistencygroup_id?: string | null;
  multiattach?: boolean;
  attachments: VolumeAttachment[];
  migration_status?: MigrationStatus | string | null;
  group_id?: string | null;
  provider_id?: string | null;
  shared_targets?: boolean;
  service_uuid?: string | null;
  cluster_name?: string | null;
  'os-vol-tenant-attr:tenant_id'?: string;
  'os-vol-mig-status-attr:migstat'?: string | null;
  'os-vol-mig-status-attr:name_id'?: string | null;
  'os-vol-host-attr:host'?: string | null;
  /** Progress contract (microversion >= 3.72, admin only, present while migrating): "42" or a non-numeric word. */
  migration_progress?: string;
  [key: string]: unknown;
}

/** A user message (GET /v3/{project_id}/messages, 3.3+): what Cinder tells users about an asynchronous failure. */
export interface UserMessage {
  id: string;
  event_id: string;
  user_message: string;
  message_level?: string;
  created_at: string;
  guaranteed_until?: string | null;
  request_id?: string | null;
  resource_type?: string;
  resource_uuid?: string;
  [key: string]: unknown;
}

export interface Snapshot {
  id: string;
  volume_id: string;
  name: string | null;
  status: string;
  size: number;
  created_at: string;
  updated_at?: string | null;
  description?: string | null;
  metadata?: Record<string, string>;
  [key: string]: unknown;
}

export interface VolumeType {
  id: string;
  name: string;
  description?: string | null;
  is_public?: boolean;
  extra_specs?: Record<string, string>;
  [key: string]: unknown;
}

export interface PoolCapabilities {
  volume_backend_name?: string;
  vendor_name?: string;
  driver_version?: string;
  storage_protocol?: string;
  total_capacity_gb?: number | string;
  free_capacity_gb?: number | string;
  allocated_capacity_gb?: number;
  reserved_percentage?: number;
  backend_state?: string;
  location_info?: string;
  /** volmig progress contract capability (the seed spec); upstream Cinder does not report it. */
  migration_progress_report?: boolean;
  migration_progress_report_interval?: number;
  [key: string]: unknown;
}

export interface Pool {
  name: string;
  capabilities?: PoolCapabilities;
}

export interface Service {
  id?: number;
  binary: string;
  host: string;
  zone?: string;
  status: 'enabled' | 'disabled' | string;
  state: 'up' | 'down' | string;
  updated_at?: string | null;
  cluster?: string | null;
  disabled_reason?: string | null;
  backend_state?: string;
  replication_status?: string;
  [key: string]: unknown;
}

export interface VersionInfo {
  id: string;
  status: string;
  version: string;
  min_version: string;
  updated?: string;
  links?: Link[];
  'media-types'?: { base: string; type: string }[];
}

/** `{"<faultName>": {"code": N, "message": "..."}}` */
export type FaultBody = Record<string, { code: number; message: string; retryAfter?: string }>;

const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export function faultNameFor(status: number): string {
  return FAULT_NAMES[status] ?? 'computeFault';
}

/** The highest microversion volmig speaks (the sandbox serves the progress contract at this version). */
export const VOLMIG_MAX_MICROVERSION = '3.72';
/** The microversion at which the sandbox's progress contract (migration_progress) is served. */
export const PROGRESS_MICROVERSION = '3.72';

/** Host and migration status as volmig reads them, admin keys first. */
export function volumeHost(v: Volume): string | null {
  return (v['os-vol-host-attr:host'] as string | null | undefined) ?? null;
}

export function volumeMigrationStatus(v: Volume): string | null {
  const s = v['os-vol-mig-status-attr:migstat'] ?? v.migration_status;
  return s === undefined ? null : (s as string | null);
}

export const IN_FLIGHT_STATUSES: ReadonlySet<string> = new Set(['starting', 'migrating', 'completing']);

/** Cinder reports "never migrated" as null, "None", "none" or (briefly, between completing and success) "". */
export function normalizedMigrationStatus(v: Volume): string | null {
  const raw = volumeMigrationStatus(v);
  if (raw === null || raw === undefined) return null;
  const s = String(raw).trim();
  if (s === '' || s.toLowerCase() === 'none') return null;
  return s;
}

/** starting, migrating or completing: a migration of this volume is under way. */
export function isInFlight(v: Volume): boolean {
  const s = normalizedMigrationStatus(v);
  return s !== null && IN_FLIGHT_STATUSES.has(s);
}

/** A temporary destination volume of a generic migration (`migration_status` `target:<source id>`). */
export function isMigrationTarget(v: Volume): boolean {
  return migrationSourceId(v) !== undefined;
}

/** The source id a `target:<id>` volume is the temporary destination for. */
export function migrationSourceId(v: Volume): string | undefined {
  const status = volumeMigrationStatus(v);
  return typeof status === 'string' && status.startsWith('target:') ? status.slice('target:'.length) : undefined;
}

/**
 * The `migration_progress` contract (microversion 3.72): an integer percent while a host-assisted copy runs,
 * anything else (absent, a word) means "indeterminate" and is never read as 0%.
 */
export function numericProgress(v: Volume): number | null {
  const raw = v.migration_progress;
  if (typeof raw === 'number') return Number.isFinite(raw) ? clampPercent(raw) : null;
  if (typeof raw !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(raw);
  return m ? clampPercent(Number(m[1])) : null;
}

function clampPercent(n: number): number {
  return Math.min(100, Math.max(0, n));
}

/** `name (id)`, or the id alone for an unnamed volume: how messages name a volume. */
export function volumeLabel(v: Pick<Volume, 'id' | 'name'>): string {
  return v.name && v.name.trim() ? `${v.name} (${v.id})` : v.id;
}

/** `host@backend#pool` → `host@backend`: the cinder-volume service that owns a pool. */
export function backendOf(host: string): string {
  return host.split('#')[0]!;
}
