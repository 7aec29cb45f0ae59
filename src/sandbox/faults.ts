import { faultNameFor, type FaultBody } from '../model/cinder.js';

/** An API error answered as Cinder answers it: `{"<faultName>": {"code": N, "message": "..."}}`. */
export class ApiFault extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }

  body(): FaultBody {
    return { [faultNameFor(this.status)]: { code: this.status, message: this.message } };
  }
}

export const notFound = (message = 'The resource could not be found.') => new ApiFault(404, message);
export const badRequest = (message: string) => new ApiFault(400, message);
export const volumeNotFound = (id: string) => new ApiFault(404, `Volume ${id} could not be found.`);
export const invalidVolume = (reason: string) => new ApiFault(400, `Invalid volume: ${reason}`);
export const invalidInput = (reason: string) => new ApiFault(400, `Invalid input received: ${reason}`);
export const policyForbids = (action: string) => new ApiFault(403, `Policy doesn't allow ${action} to be performed.`);

/** The one message Cinder gives for all six reasons a migration is refused (its volume API's migrate_volume). */
export function migrateRefused(volumeId: string): ApiFault {
  return invalidVolume(
    `Volume ${volumeId} status must be available or in-use, must not be migrating, have snapshots, be replicated, ` +
      'be part of a group and destination host/cluster must be different than the current one',
  );
}

export const RETYPE_REFUSED =
  'Retype needs volume to be in available or in-use state, not be part of an active migration or a consistency ' +
  'group, requested type has to be different that the one from the volume, and for in-use volumes front-end qos ' +
  'specs cannot change.';

export const DELETE_REFUSED =
  'Volume status must be available or error or error_restoring or error_extending or error_managing and must not ' +
  'be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from ' +
  'snapshots after volume transfer.';

/** Python's repr, as jsonschema prints values in Cinder's validation messages. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** Python's str(): what Cinder prints after "Value:". */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** `Invalid input for field/attribute <field>. Value: <value>. <message>`: Cinder's JSON-schema validation message. */
export function schemaError(field: string | undefined, value: unknown, message: string): ApiFault {
  if (field === undefined) return badRequest(message);
  return badRequest(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${message}`);
}

/** The values Cinder's `parameter_types.boolean` accepts, in its order (the message lists them). */
const BOOLEAN_VALUES: unknown[] = [
  true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't',
  false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f',
];

export function parseBoolean(field: string, value: unknown): boolean {
  // parameter_types.boolean is {'type': ['boolean', 'string'], 'enum': [...]}: jsonschema reports the type first.
  if (typeof value !== 'boolean' && typeof value !== 'string') {
    throw schemaError(field, value, `${pyRepr(value)} is not of type 'boolean', 'string'`);
  }
  const index = BOOLEAN_VALUES.findIndex((candidate) => candidate === value);
  if (index < 0) throw schemaError(field, value, `${pyRepr(value)} is not one of ${pyRepr(BOOLEAN_VALUES)}`);
  return index < 13;
}

export function checkEnum(field: string, value: unknown, allowed: readonly unknown[]): void {
  if (!allowed.includes(value)) throw schemaError(field, value, `${pyRepr(value)} is not one of ${pyRepr(allowed)}`);
}

export function checkAdditional(field: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  const extra = Object.keys(value).filter((k) => !allowed.includes(k));
  if (extra.length > 0) {
    const list = extra.map(pyRepr).join(', ');
    throw schemaError(field, value, `Additional properties are not allowed (${list} ${extra.length === 1 ? 'was' : 'were'} unexpected)`);
  }
}

export function checkObject(field: string | undefined, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw schemaError(field, value, `${pyRepr(value)} is not of type 'object'`);
  }
  return value as Record<string, unknown>;
}
