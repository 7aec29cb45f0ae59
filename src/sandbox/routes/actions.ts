/**
 * `POST /volumes/{id}/action`: one route for every volume action, dispatched on the body's single key. The actions
 * that start migrations are in ./migration-actions.ts.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { ApiFault, badRequest, checkAdditional, checkEnum, invalidInput, invalidVolume, policyForbids, pyRepr, schemaError } from '../faults.js';
import type { ApiResponse } from '../http.js';
import { MIGRATION_FAILURE } from '../messages.js';
import { apiTimestamp } from '../state.js';
import { migrate, retype } from './migration-actions.js';
import { ACCEPTED, requestBody, visibleVolume, type Caller, type RouteHandler, type RouteServices } from './route.js';

const RESET_MIGRATION_STATUSES = ['migrating', 'error', 'success', 'completing', 'none', 'starting'];
const RESET_STATUSES = [
  'available', 'creating', 'deleting', 'error', 'error_deleting', 'error_managing', 'managing', 'attaching', 'in-use',
  'detaching', 'maintenance', 'reserved', 'backing-up', 'restoring-backup', 'error_restoring', 'error_extending',
  'downloading', 'uploading', 'retyping', 'extending',
];

type Action = (s: RouteServices, c: Caller, id: string) => ApiResponse;

const ACTIONS: Record<string, Action> = {
  'os-migrate_volume': migrate,
  'os-retype': retype,
  'os-reset_status': resetStatus,
  'os-attach': attach,
  'os-detach': detach,
  'os-extend': extend,
};

export const volumeAction: RouteHandler = (s, c, { id }) => {
  const body = c.request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length === 0) {
    throw badRequest('Malformed request body');
  }
  const name = Object.keys(body)[0]!;
  const action = Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
  if (!action) throw badRequest(`There is no such action: ${name}`);
  return action(s, c, id!);
};

function resetStatus(s: RouteServices, c: Caller, id: string): ApiResponse {
  const params = requestBody(c, 'os-reset_status');
  checkAdditional('os-reset_status', params, ['status', 'attach_status', 'migration_status']);
  if (params.status !== undefined) checkEnum('status', params.status, RESET_STATUSES);
  if (params.attach_status !== undefined) checkEnum('attach_status', params.attach_status, ['detached', 'attached']);
  if (params.migration_status !== undefined) checkEnum('migration_status', params.migration_status, RESET_MIGRATION_STATUSES);
  if (params.status === undefined && params.attach_status === undefined && params.migration_status === undefined) {
    throw invalidInput("Must specify 'status', 'attach_status' or 'migration_status' for update.");
  }
  const v = visibleVolume(s, c, id);
  if (!c.isAdmin) throw policyForbids('volume_extension:volume_admin_actions:reset_status');
  // Cinder has no cancel API; an operator resetting an in-flight migration means to end it, so the copy stops.
  if (params.migration_status !== undefined && s.store.state.migrations[id]) {
    s.engine.fail(id, `migration_status reset to ${params.migration_status as string} by an administrator`, MIGRATION_FAILURE.reset);
  }
  s.store.update(() => {
    if (params.status !== undefined) v.status = params.status as string;
    if (params.attach_status !== undefined) v.attach_status = params.attach_status as 'attached' | 'detached';
    if (params.migration_status !== undefined) v.migration_status = params.migration_status === 'none' ? null : (params.migration_status as string);
    v.updated_at = apiTimestamp();
  });
  s.log.info(`Volume ${id} reset by ${c.userId}: ${JSON.stringify(params)}`);
  return ACCEPTED;
}

function attach(s: RouteServices, c: Caller, id: string): ApiResponse {
  const params = requestBody(c, 'os-attach');
  checkAdditional('os-attach', params, ['instance_uuid', 'mountpoint', 'host_name', 'mode']);
  if (typeof params.mountpoint !== 'string') throw schemaError('os-attach', params, "'mountpoint' is a required property");
  if (params.instance_uuid === undefined && params.host_name === undefined) {
    throw invalidInput('Invalid request to attach volume to an invalid target');
  }
  const v = visibleVolume(s, c, id);
  if (v.status === 'maintenance') throw invalidVolume('The volume cannot be attached in maintenance mode.');
  const allowed = v.multiattach ? ['available', 'in-use'] : ['available'];
  if (!allowed.includes(v.status)) {
    throw invalidVolume(`Volume status must be ${allowed.join(' or ')} to reserve, but the status is ${v.status}.`);
  }
  const attachmentId = randomUUID();
  if (s.store.state.migrations[id] && !s.store.state.migrations[id]!.lockVolume) {
    s.engine.abort(id, `aborted: volume attached during migration (attachment ${attachmentId})`, MIGRATION_FAILURE.attached);
  }
  s.store.update(() => {
    v.attachments.push({
      attachment_id: attachmentId,
      server_id: typeof params.instance_uuid === 'string' ? params.instance_uuid : null,
      host_name: typeof params.host_name === 'string' ? params.host_name : null,
      device: params.mountpoint as string,
      attached_at: apiTimestamp(),
    });
    v.status = 'in-use';
    v.attach_status = 'attached';
    v.updated_at = apiTimestamp();
  });
  return ACCEPTED;
}

function detach(s: RouteServices, c: Caller, id: string): ApiResponse {
  const params = requestBody(c, 'os-detach');
  checkAdditional('os-detach', params, ['attachment_id']);
  const v = visibleVolume(s, c, id);
  if (v.status === 'maintenance') throw invalidVolume('The volume cannot be detached in maintenance mode.');
  if (v.status !== 'in-use' || v.attach_status !== 'attached' || v.attachments.length === 0) {
    throw invalidVolume("Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.");
  }
  const attachmentId = typeof params.attachment_id === 'string' ? params.attachment_id : undefined;
  if (attachmentId !== undefined && !v.attachments.some((a) => a.attachment_id === attachmentId)) {
    throw new ApiFault(404, `Volume attachment could not be found with filter: attachment_id = ${attachmentId}.`);
  }
  if (s.store.state.migrations[id] && !s.store.state.migrations[id]!.lockVolume) {
    s.engine.abort(id, 'aborted: volume detached during migration', MIGRATION_FAILURE.detached);
  }
  s.store.update(() => {
    v.attachments = attachmentId === undefined ? [] : v.attachments.filter((a) => a.attachment_id !== attachmentId);
    if (v.attachments.length === 0) {
      v.status = 'available';
      v.attach_status = 'detached';
    }
    v.updated_at = apiTimestamp();
  });
  return ACCEPTED;
}

function extend(s: RouteServices, c: Caller, id: string): ApiResponse {
  const params = requestBody(c, 'os-extend');
  checkAdditional('os-extend', params, ['new_size']);
  const newSize = typeof params.new_size === 'string' && /^\d+$/.test(params.new_size) ? Number(params.new_size) : params.new_size;
  if (typeof newSize !== 'number' || !Number.isInteger(newSize) || newSize < 1) {
    throw schemaError('new_size', params.new_size, `${pyRepr(params.new_size)} is not of type 'integer', 'string'`);
  }
  const v = visibleVolume(s, c, id);
  if (v.status !== 'available' || s.store.state.migrations[id]) {
    throw invalidVolume(`Volume ${id} status must be '{'status': 'available'}' to extend, currently ${v.status}.`);
  }
  if (newSize <= v.size) {
    throw invalidInput(`New size for extend must be greater than current size. (current: ${v.size}, extended: ${newSize}).`);
  }
  if (v.host) {
    const fd = openSync(s.storage.fileFor(v.host, v.name_id ?? v.id), 'r+');
    try {
      ftruncateSync(fd, s.storage.volumeBytes(newSize));
    } finally {
      closeSync(fd);
    }
  }
  s.store.update(() => {
    v.size = newSize;
    v.updated_at = apiTimestamp();
  });
  return ACCEPTED;
}

// ---- snapshots ----------------------------------------------------------------------------------------------
