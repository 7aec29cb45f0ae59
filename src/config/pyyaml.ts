/**
 * clouds.yaml scalars as openstacksdk sees them. openstacksdk reads clouds.yaml with PyYAML's safe_load (YAML 1.1
 * with PyYAML's own implicit resolvers), then turns values into text with Python's str(). Neither the `yaml`
 * package's YAML 1.1 schema nor JavaScript's String() gives the same text: `1e3` is a string for PyYAML (its float
 * pattern needs a dot) but a number for `yaml`; a 20-digit id is an exact Python int but loses digits as a JS
 * number; `1.0e+3` is the Python float 1000.0, which str() writes `1000.0`, not `1000`.
 *
 * So plain scalars are resolved here with PyYAML's patterns and construction rules (the same order: bool, float,
 * int, null, timestamp), and the results keep their Python type: boolean, bigint (int), PyFloat, null, PyTimestamp
 * or string. pyStr() is Python's str() of such a value.
 */
import type { ScalarTag } from 'yaml';

/** A Python float: the number, written as Python writes it. */
export class PyFloat {
  constructor(readonly value: number) {}
  toString(): string {
    return pythonFloatRepr(this.value);
  }
}

/** A Python datetime.date or datetime.datetime: PyYAML's timestamp, kept as the text str() gives. */
export class PyTimestamp {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What PyYAML's safe_load can give for a scalar. */
export type PyScalar = string | boolean | bigint | PyFloat | PyTimestamp | null;

/** Python's str() of a loaded value (bool → True/False, None → None, floats in Python's repr). */
export function pyStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pythonFloatRepr(value);
  return String(value);
}

/** The Python type name of a loaded value, for messages ("the YAML boolean false"). */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'bigint') return 'integer';
  if (value instanceof PyFloat || typeof value === 'number') return 'float';
  if (value instanceof PyTimestamp) return 'timestamp';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return 'list';
  return 'mapping';
}

/**
 * Python's repr(float) (what str() gives since Python 3): the shortest digits that round-trip (the same digits as
 * JavaScript's shortest form), in fixed notation for exponents -4..15 (with `.0` when integral), else as `1e+16`.
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    return `${sign}${intPart}.${frac === '' ? '0' : frac}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
}

// PyYAML 6.0 yaml/resolver.py, implicit resolvers, in its order.
const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;
const TIMESTAMP_PARTS =
  /^([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?$/;

/** PyYAML construct_yaml_bool. */
function constructBool(text: string): boolean {
  return ['yes', 'true', 'on'].includes(text.toLowerCase());
}

/** PyYAML construct_yaml_int: underscores dropped, 0b, 0x, leading-0 octal, base-60 with colons. */
function constructInt(text: string): bigint {
  let value = text.replace(/_/g, '');
  let sign = 1n;
  if (value[0] === '-') sign = -1n;
  if (value[0] === '+' || value[0] === '-') value = value.slice(1);
  if (value === '0') return 0n;
  if (value.startsWith('0b')) return sign * BigInt(`0b${value.slice(2) || '0'}`);
  if (value.startsWith('0x')) return sign * BigInt(`0x${value.slice(2) || '0'}`);
  if (value[0] === '0') return sign * BigInt(`0o${value}`);
  if (value.includes(':')) {
    let total = 0n;
    for (const part of value.split(':')) total = total * 60n + BigInt(part);
    return sign * total;
  }
  return sign * BigInt(value);
}

/** PyYAML construct_yaml_float. */
function constructFloat(text: string): PyFloat {
  let value = text.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (value[0] === '-') sign = -1;
  if (value[0] === '+' || value[0] === '-') value = value.slice(1);
  if (value === '.inf') return new PyFloat(sign * Infinity);
  if (value === '.nan') return new PyFloat(NaN);
  if (value.includes(':')) {
    let total = 0;
    for (const part of value.split(':')) total = total * 60 + Number(part);
    return new PyFloat(sign * total);
  }
  return new PyFloat(sign * Number(value));
}

const pad = (n: string | number, width = 2) => String(n).padStart(width, '0');

/** PyYAML construct_yaml_timestamp, then str() of the date or datetime. */
function constructTimestamp(text: string): PyTimestamp {
  const m = TIMESTAMP_PARTS.exec(text);
  if (!m) return new PyTimestamp(text);
  const [, year, month, day, hour, minute, second, fraction, tz, tzSign, tzHour, tzMinute] = m;
  const date = `${pad(year!, 4)}-${pad(month!)}-${pad(day!)}`;
  if (hour === undefined) return new PyTimestamp(date);
  let out = `${date} ${pad(hour)}:${minute}:${second}`;
  if (fraction) {
    const micro = fraction.slice(0, 6).padEnd(6, '0');
    if (Number(micro) !== 0) out += `.${micro}`;
  }
  if (tzSign) {
    const h = Number(tzHour);
    const mm = Number(tzMinute ?? 0);
    out += `${tzSign}${pad(h)}:${pad(mm)}`;
  } else if (tz) out += '+00:00';
  return new PyTimestamp(out);
}

const identifyNever = () => false;

/** The PyYAML resolvers as `yaml` scalar tags; `default: true` makes them implicit for plain scalars. */
const PYYAML_TAGS: ScalarTag[] = [
  { tag: 'tag:yaml.org,2002:bool', default: true, test: BOOL, resolve: constructBool, identify: identifyNever },
  { tag: 'tag:yaml.org,2002:float', default: true, test: FLOAT, resolve: constructFloat, identify: identifyNever },
  { tag: 'tag:yaml.org,2002:int', default: true, test: INT, resolve: constructInt, identify: identifyNever },
  { tag: 'tag:yaml.org,2002:null', default: true, test: NULL, resolve: () => null, identify: identifyNever },
  { tag: 'tag:yaml.org,2002:timestamp', default: true, test: TIMESTAMP, resolve: constructTimestamp, identify: identifyNever },
];

/** safe_load as PyYAML does it: plain scalars typed by PyYAML's rules, `<<` merge keys, aliases expanded. */
export async function loadPyYaml(text: string): Promise<unknown> {
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text, { schema: 'failsafe', customTags: PYYAML_TAGS, merge: true, uniqueKeys: false });
  if (doc.errors.length > 0) throw doc.errors[0]!;
  return fromYamlJs(doc.toJS({ maxAliasCount: -1 }));
}

/** Mapping keys become text (Python str of the key) because JavaScript objects only have string keys. */
function fromYamlJs(value: unknown): unknown {
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[pyStr(k)] = fromYamlJs(v);
    return out;
  }
  if (Array.isArray(value)) return value.map(fromYamlJs);
  if (value && typeof value === 'object' && !(value instanceof PyFloat) && !(value instanceof PyTimestamp)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromYamlJs(v);
    return out;
  }
  return value;
}

/** json.load as Python does it: integers exact (bigint), other numbers Python floats. */
export async function loadPyJson(text: string): Promise<unknown> {
  const { parseDocument } = await import('yaml');
  JSON.parse(text); // Python's json module is strict where YAML is lenient: the same errors, the same refusals
  const doc = parseDocument(text, { schema: 'json', intAsBigInt: true, uniqueKeys: false });
  if (doc.errors.length > 0) throw doc.errors[0]!;
  const wrapFloats = (v: unknown): unknown => {
    if (typeof v === 'number') return new PyFloat(v);
    if (Array.isArray(v)) return v.map(wrapFloats);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, wrapFloats(x)]));
    return v;
  };
  return wrapFloats(doc.toJS());
}
