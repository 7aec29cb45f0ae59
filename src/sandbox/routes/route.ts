/**
 * What a route is (`[method, pattern, handler]`), what its handler is given, and the request helpers every route
 * module shares.
 */
import type { Storage } from '../backends.js';
import type { MigrationEngine } from '../engine.js';
import { ApiFault, badRequest, checkObject, pyRepr, schemaError, volumeNotFound } from '../faults.js';
import type { ApiRequest, ApiResponse } from '../http.js';
import type { SandboxLog } from '../log.js';
import type { UserMessages } from '../messages.js';
import type { Provisioning } from '../provisioning.js';
import type { StateStore, VolumeRecord, VolumeTypeRecord } from '../state.js';
import type { ViewContext } from '../views.js';

/** The sandbox's parts a route may use. */
export interface RouteServices {
  store: StateStore;
  storage: Storage;
  engine: MigrationEngine;
  provisioning: Provisioning;
  messages: UserMessages;
  log: SandboxLog;
  adminProjects: string[];
  internalProject: string;
  phaseDelayMs: number;
}

/** The authenticated caller of one request. */
export interface Caller extends ViewContext {
  userId: string;
  request: ApiRequest;
}

/** Values of a pattern's `:name` segments. */
export type RouteParams = Readonly<Record<string, string>>;

export type RouteHandler = (s: RouteServices, c: Caller, params: RouteParams) => ApiResponse;

/** `[method, pattern, handler]`; a pattern is the path after `/v3/{project_id}`, e.g. `/volumes/:id/action`. */
export type Route = readonly [method: string, pattern: string, handler: RouteHandler];

export const ACCEPTED: ApiResponse = { status: 202 };

/** migration_status values that let a volume be migrated, retyped, snapshotted or deleted (no migration in flight). */
export const AVAILABLE_MIGRATION_STATUS: (string | null)[] = [null, 'deleting', 'error', 'success'];

/** The object under `key` in the request body, with Cinder's messages when it is missing or not an object. */
export function requestBody(c: Caller, key: string): Record<string, unknown> {
  const body = c.request.body;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`Missing required element '${key}' in request body.`);
  }
  const value = (body as Record<string, unknown>)[key];
  if (value === undefined) throw schemaError(undefined, body, `${pyRepr(key)} is a required property`);
  return checkObject(key, value);
}

/** A volume the caller may see (admins see every project's), else Cinder's 404. */
export function visibleVolume(s: RouteServices, c: Caller, id: string): VolumeRecord {
  const v = s.store.state.volumes[id];
  if (!v || (!c.isAdmin && v.project_id !== c.projectId)) throw volumeNotFound(id);
  return v;
}

/** A volume type by id or by name, with Cinder's two 404 messages. */
export function findType(s: RouteServices, ref: string): VolumeTypeRecord {
  if (isUuidLike(ref)) {
    const t = s.store.state.volumeTypes[ref];
    if (!t) throw new ApiFault(404, `Volume type ${ref} could not be found.`);
    return t;
  }
  const t = Object.values(s.store.state.volumeTypes).find((x) => x.name === ref);
  if (!t) throw new ApiFault(404, `Volume type with name ${ref} could not be found.`);
  return t;
}

/** oslo's bool_from_string for query parameters: only these spellings are true. */
export function isTrue(value: string | null): boolean {
  return value !== null && ['1', 't', 'true', 'on', 'y', 'yes'].includes(value.toLowerCase());
}

function isUuidLike(value: string): boolean {
  return /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(value);
}

