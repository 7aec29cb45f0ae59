import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertFitsSchema, SCHEMA_NAMES, schemaFile } from '../helpers/json-events.js';

// docs/json-output.md is the operator's reference for the --json streams: every example must fit its schema, every
// schema must have an example, and each "Fields:" list must be exactly the schema's properties.
const DOC = readFileSync(new URL('../../docs/json-output.md', import.meta.url), 'utf8');

describe('docs/json-output.md against schemas/events/', () => {
  const examples = [...DOC.matchAll(/<!-- example: ([\w.]+) -->\n```json\n([\s\S]*?)\n```/g)].map((m) => ({ schema: m[1]!, value: JSON.parse(m[2]!) as unknown }));

  it('every example fits the schema it names', () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const e of examples) assertFitsSchema(e.schema, e.value);
  });

  it('every schema has at least one example', () => {
    const shown = new Set(examples.map((e) => e.schema));
    expect(SCHEMA_NAMES.filter((n) => !shown.has(n))).toEqual([]);
  });

  it('each section lists exactly its schema\'s fields', () => {
    const sections = [...DOC.matchAll(/Schema: `([\w.]+)`\.\n\nFields: ([^\n]+)/g)];
    expect(new Set(sections.map((s) => s[1])).size).toBe(SCHEMA_NAMES.length);
    for (const [, name, list] of sections) {
      const documented = [...list!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).sort();
      const properties = Object.keys((schemaFile(name!) as { properties: Record<string, unknown> }).properties).sort();
      expect(documented, name).toEqual(properties);
    }
  });
});
