import { expect, test } from 'vitest';
import { Chalk } from 'chalk';
import { BatchedWriter, StreamingJsonArray, StreamingTable, renderKeyValue, renderTable, type Column } from '../../src/ui/table.js';

interface Row {
  id: string;
  size: number;
}
const columns: Column<Row>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'Size', value: (r) => String(r.size), align: 'right' },
  { header: 'Note', value: (r) => (r.size > 10 ? 'big' : '-') },
];

test('renderTable pads to the widest cell, right-aligns numbers, leaves no trailing blanks', () => {
  expect(renderTable(columns, [{ id: 'a', size: 1 }, { id: 'longer-id', size: 120 }])).toEqual([
    'ID         Size  Note',
    'a             1  -',
    'longer-id   120  big',
  ]);
});

test('colour codes do not count towards column widths', () => {
  const c = new Chalk({ level: 1 });
  const coloured: Column<Row>[] = [{ ...columns[0]!, color: (t) => c.green(t) }, columns[1]!];
  const lines = renderTable(coloured, [{ id: 'a', size: 1 }, { id: 'bb', size: 22 }]);
  expect(lines[1]).toBe(`${c.green('a ')}     1`);
  const strip = (l: string) => l.replace(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g'), '');
  expect(lines.map(strip)).toEqual(['ID  Size', 'a      1', 'bb    22']);
});

test('StreamingTable prints nothing for no rows and fixes widths from the first rows', () => {
  const empty: string[] = [];
  expect(new StreamingTable(columns, (l) => empty.push(l)).end()).toBe(0);
  expect(empty).toEqual([]);

  const lines: string[] = [];
  const table = new StreamingTable(columns, (l) => lines.push(l), 2);
  table.push({ id: 'a', size: 1 });
  expect(lines).toEqual([]); // still buffering
  table.push({ id: 'bb', size: 2 });
  expect(lines).toEqual(['ID  Size  Note', 'a      1  -', 'bb     2  -']);
  // Wider than the first rows: only its own line is pushed right, and the next padding takes it back.
  table.push({ id: 'ccc', size: 33 });
  table.push({ id: 'dddddddd', size: 4 });
  table.push({ id: 'e', size: 5 });
  expect(table.end()).toBe(5);
  expect(lines.slice(3)).toEqual(['ccc   33  big', 'dddddddd  4  -', 'e      5  -']);
});

test('StreamingTable buffers a whole Cinder page (1000 rows) by default before fixing the widths', () => {
  const lines: string[] = [];
  const table = new StreamingTable(columns, (l) => lines.push(l));
  for (let i = 0; i < 999; i++) table.push({ id: 'a', size: 1 });
  expect(lines).toEqual([]);
  table.push({ id: 'a-wide-one', size: 1 });
  expect(lines[0]).toBe('ID          Size  Note');
  expect(lines).toHaveLength(1001);
});

test('a table of one page is the same streamed or rendered at once', () => {
  const rows = Array.from({ length: 50 }, (_, i) => ({ id: 'x'.repeat(i % 7), size: i * 37 }));
  const lines: string[] = [];
  const table = new StreamingTable(columns, (l) => lines.push(l));
  rows.forEach((r) => table.push(r));
  table.end();
  expect(lines).toEqual(renderTable(columns, rows));
});

test('StreamingJsonArray is byte-identical to JSON.stringify(array, null, 2)', () => {
  for (const values of [[], [{ a: 1 }], [{ a: 1, b: [1, 2], c: { d: null } }, { e: 'x' }, 3]]) {
    let text = '';
    const array = new StreamingJsonArray((t) => (text += t));
    values.forEach((v) => array.push(v));
    expect(array.end()).toBe(values.length);
    expect(text).toBe(JSON.stringify(values, null, 2) + '\n');
  }
});

test('renderKeyValue aligns values and indents continuation lines', () => {
  expect(renderKeyValue([['id', 'x'], ['attachments', 'one\ntwo'], ['empty', '']])).toEqual([
    'id:           x',
    'attachments:  one',
    '              two',
    'empty:',
  ]);
});

test('BatchedWriter: lines of one turn leave in one write, at the next turn or when maxBytes is reached', async () => {
  const writes: string[] = [];
  const batch = new BatchedWriter((t) => writes.push(t), 10);
  batch.line('a');
  batch.line('b\n');
  expect(writes).toEqual([]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(writes).toEqual(['a\nb\n']);
  batch.text('0123456789ab');
  expect(writes).toEqual(['a\nb\n', '0123456789ab']);
  batch.line('tail');
  batch.flush();
  batch.flush();
  expect(writes).toEqual(['a\nb\n', '0123456789ab', 'tail\n']);
});
