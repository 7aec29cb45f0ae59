/**
 * A small validator for the bodies volmig reads (issue 12): each shape checks only what volmig needs of a resource
 * and says where a body departs from it, in words an operator can act on: `volumes[3].status is a number, not a
 * string`. Hand-written rather than a JSON Schema library so that starting volmig costs nothing; the shapes
 * themselves are in src/api/shapes.ts. Fields a shape does not name are not looked at: servers add fields.
 */
export interface Shape {
  /** What a value of this shape is, as a noun phrase ("a string", "a list"). */
  readonly expected: string;
  /** The first problem found in `value`, or undefined when it fits. `path` names the value in the message. */
  check(value: unknown, path: string): string | undefined;
  /** A scalar shape's quick yes/no, so that a listing checks 1000 volumes without building a path per field. */
  readonly test?: (value: unknown) => boolean;
}

/** How a value is described when it does not fit: what it is, never what it contains (it may be large). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return value === '' ? 'an empty string' : 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

function leaf(expected: string, fits: (value: unknown) => boolean): Shape {
  return {
    expected,
    test: fits,
    check: (value, path) => (fits(value) ? undefined : `${path} is ${describeValue(value)}, not ${expected}`),
  };
}

export const string: Shape = leaf('a string', (v) => typeof v === 'string');
export const number: Shape = leaf('a number', (v) => typeof v === 'number' && Number.isFinite(v));
export const boolean: Shape = leaf('true or false', (v) => typeof v === 'boolean');
/** Anything at all (a field volmig passes through without reading). */
export const any: Shape = { expected: 'anything', check: () => undefined };

/** One of several shapes; the message lists them all. */
export function oneOf(...shapes: Shape[]): Shape {
  const expected = shapes.map((s) => s.expected).join(' or ');
  const tests = shapes.map((s) => s.test);
  const test = tests.every((t) => t !== undefined) ? (value: unknown) => tests.some((t) => t!(value)) : undefined;
  return {
    expected,
    test,
    check(value, path) {
      if (test) return test(value) ? undefined : `${path} is ${describeValue(value)}, not ${expected}`;
      const problems: string[] = [];
      for (const shape of shapes) {
        const problem = shape.check(value, path);
        if (problem === undefined) return undefined;
        problems.push(problem);
      }
      // A value of the right kind with a wrong part (a list with a bad element) is told by that part.
      const deeper = problems.find((p) => !p.startsWith(`${path} is `));
      return deeper ?? `${path} is ${describeValue(value)}, not ${expected}`;
    },
  };
}

const nullShape: Shape = leaf('null', (v) => v === null);

export function nullable(shape: Shape): Shape {
  return oneOf(shape, nullShape);
}

export function list(item: Shape): Shape {
  return {
    expected: 'a list',
    check(value, path) {
      if (!Array.isArray(value)) return `${path} is ${describeValue(value)}, not a list`;
      for (let i = 0; i < value.length; i++) {
        const problem = item.check(value[i], `${path}[${i}]`);
        if (problem) return problem;
      }
      return undefined;
    },
  };
}

const OPTIONAL = Symbol('optional');
interface OptionalShape extends Shape {
  readonly [OPTIONAL]: true;
}

/** A field that may be absent; when present it must fit. */
export function optional(shape: Shape): OptionalShape {
  return { expected: shape.expected, test: shape.test, check: (value, path) => shape.check(value, path), [OPTIONAL]: true };
}

function isOptional(shape: Shape): boolean {
  return (shape as Partial<OptionalShape>)[OPTIONAL] === true;
}

/** `a.b`, or `a["os-vol-host-attr:host"]` for a key that is not an identifier. */
export function fieldPath(path: string, key: string): string {
  const name = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return path === '' ? name.replace(/^\./, '') : `${path}${name}`;
}

/** An object with these fields (others allowed). A required field that is absent is "missing". */
export function object(fields: Record<string, Shape>): Shape {
  const entries = Object.entries(fields);
  return {
    expected: 'an object',
    check(value, path) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${path || 'the body'} is ${describeValue(value)}, not an object`;
      const record = value as Record<string, unknown>;
      for (const [key, shape] of entries) {
        const field = record[key];
        if (field === undefined) {
          if (isOptional(shape)) continue;
          return `${fieldPath(path, key)} is missing`;
        }
        // The path is only built for a field that does not fit, or one with parts of its own.
        if (shape.test?.(field)) continue;
        const problem = shape.check(field, fieldPath(path, key));
        if (problem) return problem;
      }
      return undefined;
    },
  };
}

/** An object whose every value fits `shape` (metadata, extra specs). */
export function record(shape: Shape): Shape {
  return {
    expected: 'an object',
    check(value, path) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${path} is ${describeValue(value)}, not an object`;
      for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
        const problem = shape.check(field, fieldPath(path, key));
        if (problem) return problem;
      }
      return undefined;
    },
  };
}
