import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadPyJson, loadPyYaml, pyStr, pyTypeName, pythonFloatRepr } from '../../src/config/pyyaml.js';

/**
 * What PyYAML 6.0 (python3-yaml, Debian bookworm: the one openstacksdk 0.101 runs with) gives for `k: <text>`:
 * the Python type and str() of yaml.safe_load(...)['k'], printed by
 *   python3 -c "import yaml; v = yaml.safe_load('k: ' + text)['k']; print(type(v).__name__, str(v))"
 */
const PYYAML_6_0: [text: string, type: string, str: string][] = [
  ['no', 'bool', 'False'], ['No', 'bool', 'False'], ['NO', 'bool', 'False'], ['yes', 'bool', 'True'], ['on', 'bool', 'True'],
  ['OFF', 'bool', 'False'], ['y', 'str', 'y'], ['n', 'str', 'n'], ['true', 'bool', 'True'], ['True', 'bool', 'True'],
  ['1e3', 'str', '1e3'], ['1.0e3', 'str', '1.0e3'], ['1.0e+3', 'float', '1000.0'], ['6.8523015e+5', 'float', '685230.15'],
  ['685.230_15e+03', 'float', '685230.15'], ['12345678901234567890', 'int', '12345678901234567890'],
  ['-12345678901234567890', 'int', '-12345678901234567890'], ['0x1f', 'int', '31'], ['0x_1F', 'int', '31'], ['017', 'int', '15'],
  ['0_17', 'int', '15'], ['0o17', 'str', '0o17'], ['08', 'str', '08'], ['0b101', 'int', '5'], ['1_000', 'int', '1000'],
  ['+12', 'int', '12'], ['-0', 'int', '0'], ['00', 'int', '0'], ['1:20', 'int', '80'], ['190:20:30', 'int', '685230'],
  ['-1:30', 'int', '-90'], ['1:30.5', 'float', '90.5'], ['1.5', 'float', '1.5'], ['3.60', 'float', '3.6'], ['3.0', 'float', '3.0'],
  ['.5', 'float', '0.5'], ['1.', 'float', '1.0'], ['.inf', 'float', 'inf'], ['-.Inf', 'float', '-inf'], ['.NaN', 'float', 'nan'],
  ['1e16', 'str', '1e16'], ['1.0e16', 'str', '1.0e16'], ['1.0e+16', 'float', '1e+16'], ['1.0e-5', 'float', '1e-05'],
  ['0.0001', 'float', '0.0001'], ['0.00001', 'float', '1e-05'], ['123456789012345678901234567890.5', 'float', '1.2345678901234568e+29'],
  ['1.0e+15', 'float', '1000000000000000.0'], ['2001-01-01', 'date', '2001-01-01'], ['2001-1-1 1:02:03', 'datetime', '2001-01-01 01:02:03'],
  ['2001-12-14t21:59:43.10-05:00', 'datetime', '2001-12-14 21:59:43.100000-05:00'],
  ['2001-12-14 21:59:43.10 Z', 'datetime', '2001-12-14 21:59:43.100000+00:00'], ['2001-12-14 21:59:43', 'datetime', '2001-12-14 21:59:43'],
  ['~', 'NoneType', 'None'], ['null', 'NoneType', 'None'], ['Null', 'NoneType', 'None'], ['', 'NoneType', 'None'], ['abc', 'str', 'abc'],
  ['<<x', 'str', '<<x'], ['0.1', 'float', '0.1'], ['100.0', 'float', '100.0'], ['-0.0', 'float', '-0.0'],
  ['0.30000000000000004', 'float', '0.30000000000000004'], ['1e400', 'str', '1e400'],
];

const PY_TO_OURS: Record<string, string> = {
  bool: 'boolean', int: 'integer', float: 'float', date: 'timestamp', datetime: 'timestamp', NoneType: 'null', str: 'string',
};

async function scalar(text: string): Promise<unknown> {
  return ((await loadPyYaml(`k: ${text}`)) as { k: unknown }).k;
}

describe('clouds.yaml scalars as PyYAML reads them', () => {
  it.each(PYYAML_6_0)('k: %s → %s %s', async (text, type, str) => {
    const v = await scalar(text);
    expect(pyTypeName(v)).toBe(PY_TO_OURS[type]);
    expect(pyStr(v)).toBe(str);
  });

  it('quoted scalars stay strings; explicit tags are honoured', async () => {
    const doc = (await loadPyYaml("a: 'no'\nb: \"1.0e+3\"\nc: !!str 017\nd: !!int '42'\ne: |\n  yes\n")) as Record<string, unknown>;
    expect(doc).toEqual({ a: 'no', b: '1.0e+3', c: '017', d: 42n, e: 'yes\n' });
  });

  it('merge keys and aliases, as PyYAML’s SafeLoader', async () => {
    const doc = (await loadPyYaml('base: &b\n  region_name: R1\n  interface: internal\nclouds:\n  c:\n    <<: *b\n    interface: admin\n')) as any;
    expect(doc.clouds.c).toEqual({ region_name: 'R1', interface: 'admin' });
  });

  it('a syntax error is thrown', async () => {
    await expect(loadPyYaml('clouds:\n  c: [unclosed\n')).rejects.toThrow();
  });
});

describe('clouds.json as Python’s json module reads it', () => {
  it('integers exact, other numbers Python floats, strings as written', async () => {
    const doc = (await loadPyJson('{"a": 12345678901234567890, "b": 1e3, "c": 3.60, "d": "no", "e": false, "f": null}')) as any;
    expect([pyStr(doc.a), pyStr(doc.b), pyStr(doc.c), doc.d, doc.e, doc.f]).toEqual(['12345678901234567890', '1000.0', '3.6', 'no', false, null]);
  });

  it('JSON that is only valid YAML is refused', async () => {
    await expect(loadPyJson("{'a': 1}")).rejects.toThrow();
  });
});

describe('pythonFloatRepr', () => {
  it.each([
    [1000, '1000.0'], [0.5, '0.5'], [1e16, '1e+16'], [1.5e16, '1.5e+16'], [9999999999999998, '9999999999999998.0'],
    [1e-5, '1e-05'], [1.25e-7, '1.25e-07'], [-2.5, '-2.5'], [1e300 * 1e10, 'inf'], [123e100, '1.23e+102'],
  ])('%d → %s', (n, text) => {
    expect(pythonFloatRepr(n)).toBe(text);
  });
});

function pythonYaml(): boolean {
  try {
    execFileSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Where python3-yaml is installed (the conformance machines), the table above is checked against it, and so are
// scalars the table does not list.
describe.runIf(pythonYaml())('against the installed PyYAML', () => {
  it('same type and str() for the table and further scalars', async () => {
    const texts = [...PYYAML_6_0.map(([t]) => t), '0b_', '1__2', '0x', '12:61', '2001-02-30', '+.inf', '._5', '1e+3', '0.5e-10', 'Yes'];
    const script =
      'import sys, json, yaml\n' +
      'out = []\n' +
      'for t in json.loads(sys.stdin.read()):\n' +
      '  try:\n' +
      '    v = yaml.safe_load("k: " + t)["k"]; out.append([type(v).__name__, str(v)])\n' +
      '  except Exception as e:\n' +
      '    out.append(["error", ""])\n' +
      'print(json.dumps(out))\n';
    const theirs = JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8' })) as [string, string][];
    for (const [i, text] of texts.entries()) {
      const [type, str] = theirs[i]!;
      if (type === 'error') continue; // PyYAML itself fails on these (e.g. 2001-02-30); nothing to agree with
      const v = await scalar(text);
      expect([text, pyTypeName(v), pyStr(v)]).toEqual([text, PY_TO_OURS[type] ?? type, str]);
    }
  });
});
