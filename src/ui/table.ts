import { visibleLength } from './format.js';

export interface Column<R> {
  header: string;
  /** Plain text of the cell; widths are computed on it. */
  value: (row: R) => string;
  align?: 'left' | 'right';
  /** Colours the already padded cell (so ANSI codes never count towards the width). */
  color?: (padded: string, row: R) => string;
}

const GAP = '  ';

/** Column widths from the header and the given rows' plain text. */
export function columnWidths<R>(columns: Column<R>[], rows: R[]): number[] {
  return columns.map((col) => rows.reduce((w, row) => Math.max(w, visibleLength(col.value(row))), col.header.length));
}

function formatLine<R>(columns: Column<R>[], widths: number[], cells: string[], row?: R): string {
  const parts = cells.map((text, i) => {
    const col = columns[i]!;
    const last = i === cells.length - 1;
    const fill = Math.max(0, widths[i]! - visibleLength(text));
    // The last left-aligned column is not padded: no trailing blanks for `grep`/`awk` users.
    const padded = col.align === 'right' ? ' '.repeat(fill) + text : last ? text : text + ' '.repeat(fill);
    return row !== undefined && col.color ? col.color(padded, row) : padded;
  });
  return parts.join(GAP);
}

function headerLine<R>(columns: Column<R>[], widths: number[]): string {
  return formatLine(
    columns,
    widths,
    columns.map((c) => c.header),
  );
}

/** A whole table as lines: a header, then one line per row. */
export function renderTable<R>(columns: Column<R>[], rows: R[]): string[] {
  const widths = columnWidths(columns, rows);
  return [headerLine(columns, widths), ...rows.map((row) => formatLine(columns, widths, columns.map((c) => c.value(row)), row))];
}

/**
 * A table printed while rows still arrive (a listing that follows pages): the first `bufferRows` rows fix the
 * column widths; a later, wider cell widens its column from that row on instead of holding every row in memory.
 */
export class StreamingTable<R> {
  private buffered: R[] = [];
  private widths: number[] | undefined;
  private count = 0;

  constructor(
    private readonly columns: Column<R>[],
    private readonly writeLine: (line: string) => void,
    private readonly bufferRows = 100,
  ) {}

  push(row: R): void {
    this.count += 1;
    if (this.widths === undefined) {
      this.buffered.push(row);
      if (this.buffered.length >= this.bufferRows) this.flush();
      return;
    }
    const cells = this.columns.map((c) => c.value(row));
    cells.forEach((text, i) => {
      this.widths![i] = Math.max(this.widths![i]!, visibleLength(text));
    });
    this.writeLine(formatLine(this.columns, this.widths, cells, row));
  }

  private flush(): void {
    this.widths = columnWidths(this.columns, this.buffered);
    this.writeLine(headerLine(this.columns, this.widths));
    for (const row of this.buffered) {
      this.writeLine(formatLine(this.columns, this.widths, this.columns.map((c) => c.value(row)), row));
    }
    this.buffered = [];
  }

  /** Prints what is still buffered; returns the number of rows (0: nothing, not even a header, was printed). */
  end(): number {
    if (this.widths === undefined && this.buffered.length > 0) this.flush();
    return this.count;
  }
}

/** `key: value` lines with the values aligned; multi-line values are indented under the first line. */
export function renderKeyValue(pairs: [string, string][], minKeyWidth = 0): string[] {
  const width = pairs.reduce((w, [k]) => Math.max(w, k.length + 1), minKeyWidth);
  const lines: string[] = [];
  for (const [key, value] of pairs) {
    const [first = '', ...rest] = value.split('\n');
    lines.push(`${(key + ':').padEnd(width)}  ${first}`.trimEnd());
    for (const line of rest) lines.push(`${' '.repeat(width)}  ${line}`.trimEnd());
  }
  return lines;
}

/**
 * A JSON array written element by element, byte-identical to `JSON.stringify(array, null, 2)`, so a listing
 * that follows pages can print `--json` without holding every page.
 */
export class StreamingJsonArray {
  private count = 0;

  constructor(private readonly write: (text: string) => void) {}

  push(value: unknown): void {
    const body = JSON.stringify(value, null, 2)
      .split('\n')
      .map((line) => '  ' + line)
      .join('\n');
    this.write((this.count === 0 ? '[\n' : ',\n') + body);
    this.count += 1;
  }

  end(): number {
    this.write(this.count === 0 ? '[]\n' : '\n]\n');
    return this.count;
  }
}
