import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { createRowWriter, csvLine, pythonRepr, renderRows, renderSingle, selectColumns, valueLine, type FieldColumn, type FormatRequest } from '../../src/ui/formats.js';

interface Row {
  id: string;
  name: string | null;
  size: number;
  attached: string[];
  flag: boolean | null;
}

const columns: FieldColumn<Row>[] = [
  { header: 'ID', value: (r) => r.id, raw: (r) => r.id },
  { header: 'Name', value: (r) => r.name ?? '-', raw: (r) => r.name },
  { header: 'Size', value: (r) => `${r.size} GiB`, raw: (r) => r.size, align: 'right' },
  { header: 'Attached to', value: (r) => r.attached.join(', ') || '-', raw: (r) => r.attached },
  { header: 'Bootable', value: (r) => String(r.flag), raw: (r) => r.flag },
];

/** Awkward values: None, quotes, a backslash, a comma, a newline, an empty list, a float. */
const rows: Row[] = [
  { id: 'a1', name: null, size: 1, attached: ['x', 'y'], flag: false },
  { id: 'b"2', name: 'with space, comma', size: 2.5, attached: [], flag: true },
  { id: 'c\\3', name: "it's", size: 0, attached: ['q"t'], flag: null },
];

const request = (format: FormatRequest['format'], extra: Partial<FormatRequest> = {}): FormatRequest => ({ format, columns: [], noHeaders: false, ...extra });

async function listed(format: FormatRequest['format'], extra: Partial<FormatRequest> = {}, input: Row[] = rows): Promise<string> {
  let text = '';
  const req = request(format, extra);
  const chosen = selectColumns(columns, columns, req.columns, 'test');
  const writer = await createRowWriter({ request: req, columns: chosen, write: (t) => (text += t), document: (r) => ({ whole: r.id }) });
  for (const row of input) writer.push(row);
  expect(writer.end()).toBe(input.length);
  return text;
}

describe('-f value and -f csv print what cliff 4.0 (openstack 6.0) prints', () => {
  // The expected texts were produced by cliff's own ValueFormatter and CSVLister (python3-cliff 4.0) on these rows.
  test('value: one row per line, one space between values, None, True/False, Python reprs of lists', async () => {
    expect(await listed('value')).toBe(
      ["a1 None 1 ['x', 'y'] False", 'b"2 with space, comma 2.5 [] True', `c\\3 it's 0 ['q"t'] None`, ''].join('\n'),
    );
  });

  test('csv: quoted texts ("" doubled, \\ escaped), bare numbers and booleans, None as ""', async () => {
    expect(await listed('csv')).toBe(
      [
        '"ID","Name","Size","Attached to","Bootable"',
        '"a1","",1,"[\'x\', \'y\']",False',
        '"b""2","with space, comma",2.5,"[]",True',
        '"c\\\\3","it\'s",0,"[\'q""t\']",""',
        '',
      ].join('\n'),
    );
    expect(await listed('csv', { noHeaders: true })).toBe((await listed('csv')).split('\n').slice(1).join('\n'));
  });

  test('an empty listing: nothing in value and table, the header alone in csv, [] in json and yaml', async () => {
    expect(await listed('value', {}, [])).toBe('');
    expect(await listed('table', {}, [])).toBe('');
    expect(await listed('csv', {}, [])).toBe('"ID","Name","Size","Attached to","Bootable"\n');
    expect(await listed('csv', { noHeaders: true }, [])).toBe('');
    expect(await listed('json', {}, [])).toBe('[]\n');
    expect(await listed('yaml', {}, [])).toBe('[]\n');
  });

  test('Python reprs: quotes chosen as Python chooses them, escapes, nested mappings', () => {
    expect(pythonRepr(["it's", 'a"b', null, true, 1.5, { k: [1] }, 'tab\there\n'])).toBe(`["it's", 'a"b', None, True, 1.5, {'k': [1]}, 'tab\\there\\n']`);
    expect(valueLine(['plain', null, false])).toBe('plain None False');
    expect(csvLine(['a', 1, null, true])).toBe('"a",1,"",True');
  });

  const cliff = spawnSync('/usr/bin/python3', ['-c', 'import cliff.formatters.value, cliff.formatters.commaseparated'], { encoding: 'utf8' });
  test.skipIf(cliff.status !== 0)('the same rows through the real cliff formatters give the same bytes (skipped without python3-cliff)', async () => {
    const script = `
import sys, json, argparse
from cliff.formatters import commaseparated, value
cols = ('ID', 'Name', 'Size', 'Attached to', 'Bootable')
rows = [tuple(r) for r in json.loads(sys.argv[1])]
ns = argparse.Namespace(quote_mode='nonnumeric')
value.ValueFormatter().emit_list(cols, rows, sys.stdout, ns)
sys.stdout.write('---\\n')
commaseparated.CSVLister().emit_list(cols, rows, sys.stdout, ns)
`;
    const input = JSON.stringify(rows.map((r) => [r.id, r.name, r.size, r.attached, r.flag]));
    const run = spawnSync('/usr/bin/python3', ['-c', script, input], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`${await listed('value')}---\n${await listed('csv')}`);
  });
});

test('value and csv write each row as it comes (a listing streams; memory stays flat), the table after its first page', async () => {
  for (const format of ['value', 'csv'] as const) {
    let text = '';
    const writer = await createRowWriter({ request: request(format), columns, write: (t) => (text += t), document: () => null });
    writer.push(rows[0]!);
    expect(text.trimEnd().split('\n').at(-1)).toBe(format === 'value' ? "a1 None 1 ['x', 'y'] False" : '"a1","",1,"[\'x\', \'y\']",False');
  }
  let table = '';
  const writer = await createRowWriter({ request: request('table'), columns, write: (t) => (table += t), document: () => null, bufferRows: 2 });
  writer.push(rows[0]!);
  expect(table).toBe('');
  writer.push(rows[1]!);
  expect(table.split('\n')).toHaveLength(4);
});

describe('-c', () => {
  test('names columns as the headers do, in any case; the table order is kept, as cliff keeps it', () => {
    expect(selectColumns(columns, columns, ['size', 'ID'], 'test').map((c) => c.header)).toEqual(['ID', 'Size']);
    expect(selectColumns(columns, columns, ['attached TO', 'Attached to'], 'test').map((c) => c.header)).toEqual(['Attached to']);
    expect(selectColumns(columns, columns.slice(0, 2), [], 'test').map((c) => c.header)).toEqual(['ID', 'Name']);
  });

  test('an unknown column is a usage error naming the valid ones', () => {
    const err = (() => {
      try {
        selectColumns(columns, columns, ['ID', 'Nmae', 'x'], 'list');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe("unknown columns for -c: 'Nmae', 'x' (the columns of volmig list: ID, Name, Size, Attached to, Bootable)");
  });

  test('json and yaml with -c: one object per row keyed by the chosen headers; without -c the documents', async () => {
    expect(JSON.parse(await listed('json', { columns: ['id', 'name'] }))).toEqual([
      { ID: 'a1', Name: null },
      { ID: 'b"2', Name: 'with space, comma' },
      { ID: 'c\\3', Name: "it's" },
    ]);
    expect(JSON.parse(await listed('json'))).toEqual([{ whole: 'a1' }, { whole: 'b"2' }, { whole: 'c\\3' }]);
    const chosen = selectColumns(columns, columns, ['ID', 'Attached to', 'Bootable'], 'test');
    let text = '';
    const writer = await createRowWriter({ request: request('yaml', { columns: ['x'] }), columns: chosen, write: (t) => (text += t), document: () => null });
    writer.push(rows[0]!);
    writer.push(rows[2]!);
    writer.end();
    // PyYAML's block layout (sequences not indented under their key); YAML 1.1 readers get the same values back.
    expect(text).toBe(["- ID: a1", '  Attached to:', '  - x', "  - 'y'", '  Bootable: false', '- ID: c\\3', '  Attached to:', '  - q"t', '  Bootable: null', ''].join('\n'));
  });
});

describe('one object (show)', () => {
  const single = (format: FormatRequest['format'], extra: Partial<FormatRequest> = {}) =>
    renderSingle({ request: request(format, extra), columns: columns.slice(0, 3), document: () => ({ doc: true }), table: (cs) => cs.map((c) => `${c.header}: ${c.value(rows[0]!)}`) }, rows[0]!);

  test('value: one value per line (cliff ShowOne); csv: a header row and one row; table: the view', async () => {
    expect(await single('value')).toBe('a1\nNone\n1\n');
    expect(await single('csv')).toBe('"ID","Name","Size"\n"a1","",1\n');
    expect(await single('csv', { noHeaders: true })).toBe('"a1","",1\n');
    expect(await single('table')).toBe('ID: a1\nName: -\nSize: 1 GiB\n');
  });

  test('json and yaml: the document without -c, the chosen fields with it', async () => {
    expect(JSON.parse(await single('json'))).toEqual({ doc: true });
    expect(JSON.parse(await single('json', { columns: ['id'] }))).toEqual({ ID: 'a1', Name: null, Size: 1 });
    expect(await single('yaml', { columns: ['id'] })).toBe('ID: a1\nName: null\nSize: 1\n');
  });

  test('renderRows: the table of a whole list takes every row into its widths; --no-headers drops the header', async () => {
    expect(await renderRows({ request: request('table'), columns: columns.slice(0, 3), document: () => null }, rows)).toBe(
      ['ID   Name                  Size', 'a1   -                    1 GiB', 'b"2  with space, comma  2.5 GiB', "c\\3  it's                 0 GiB", ''].join('\n'),
    );
    expect(await renderRows({ request: request('table', { noHeaders: true }), columns: columns.slice(0, 1), document: () => null }, rows)).toBe('a1\nb"2\nc\\3\n');
  });
});
