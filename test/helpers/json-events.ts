import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/** The JSON Schemas of every event a `--json` command emits (schemas/events/), compiled once. */
const DIR = fileURLToPath(new URL('../../schemas/events/', import.meta.url));
const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
const ajv = new Ajv({ allErrors: true, strict: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);

export const SCHEMA_NAMES = readdirSync(DIR)
  .filter((f) => f.endsWith('.schema.json'))
  .map((f) => f.replace(/\.schema\.json$/, ''))
  .sort();

const validators = new Map<string, ValidateFunction>();
export function schemaFile(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${DIR}${name}.schema.json`, 'utf8')) as Record<string, unknown>;
}
function validator(name: string): ValidateFunction {
  let v = validators.get(name);
  if (!v) {
    v = ajv.compile(schemaFile(name));
    validators.set(name, v);
  }
  return v;
}

export type JsonCommand = 'migrate' | 'retype' | 'progress' | 'evacuate' | 'smoke';

/** Which schema an event of a command follows (`summary` means one thing for evacuate and another for smoke). */
export function schemaNameFor(command: JsonCommand, event: string): string {
  if (event === 'summary' || (command === 'smoke' && event === 'plan')) return `${command}.${event}`;
  return event;
}

/** Throws, naming the event and what is wrong, unless `value` fits schema `name`. */
export function assertFitsSchema(name: string, value: unknown): void {
  if (!SCHEMA_NAMES.includes(name)) throw new Error(`no schema ${name} in schemas/events/ for ${JSON.stringify(value)}`);
  const v = validator(name);
  if (!v(value)) throw new Error(`${name} event does not fit its schema: ${ajv.errorsText(v.errors)}\n${JSON.stringify(value)}`);
}

/** Every line of a --json command's stdout, parsed and validated against its event's schema. */
export function validatedEvents(command: JsonCommand, stdout: string): Record<string, unknown>[] {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  return lines.map((line) => {
    const value = JSON.parse(line) as Record<string, unknown>;
    assertFitsSchema(schemaNameFor(command, String(value.event)), value);
    return value;
  });
}
