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

/** Column widths from the header (unless it is not printed) and the given rows' plain text. */
export function columnWidths<R>(columns: Column<R>[], rows: R[], headers = true): number[] {
  return columns.map((col) => rows.reduce((w, row) => Math.max(w, visibleLength(col.value(row))), headers ? col.header.length : 0));
}

/**
 * One line. A cell wider than its column (a streamed table keeps the widths of its first page) pushes what follows
 * to the right, and the padding of the next cells takes the excess back, so the line rejoins the header's columns
 * as soon as it can. Cells are always at least GAP apart, for `awk`.
 */
function formatLine<R>(columns: Column<R>[], widths: number[], cells: string[], row?: R): string {
  let line = '';
  let at = 0; // visible length of `line`
  let columnEnd = 0; // where the current column ends when every cell fits
  cells.forEach((text, i) => {
    const col = columns[i]!;
    const last = i === cells.length - 1;
    if (i > 0) {
      line += GAP;
      at += GAP.length;
      columnEnd += GAP.length;
    }
    columnEnd += widths[i]!;
    const length = visibleLength(text);
    const fill = Math.max(0, columnEnd - at - length);
    // The last left-aligned column is not padded: no trailing blanks for `grep`/`awk` users.
    const padded = col.align === 'right' ? ' '.repeat(fill) + text : last ? text : text + ' '.repeat(fill);
    line += row !== undefined && col.color ? col.color(padded, row) : padded;
    at += last && col.align !== 'right' ? length : fill + length;
  });
  return line;
}

function headerLine<R>(columns: Column<R>[], widths: number[]): string {
  return formatLine(
    columns,
    widths,
    columns.map((c) => c.header),
  );
}

export interface TableOptions {
  /** Print the header line (default); `--no-headers` turns it off. */
  headers?: boolean;
}

/** A whole table as lines: a header (unless turned off), then one line per row. */
export function renderTable<R>(columns: Column<R>[], rows: R[], options: TableOptions = {}): string[] {
  const headers = options.headers ?? true;
  const widths = columnWidths(columns, rows, headers);
  const body = rows.map((row) => formatLine(columns, widths, columns.map((c) => c.value(row)), row));
  return headers ? [headerLine(columns, widths), ...body] : body;
}

/**
 * A table printed while rows still arrive (a listing that follows pages), in bounded memory. The first
 * `bufferRows` rows (1000: Cinder's page size, so the whole first page) fix the column widths and are printed
 * together; later rows are printed as they come, with those widths. A later cell that is wider does not move the
 * header or any other line: it pushes the rest of its own line to the right (formatLine).
 */
export class StreamingTable<R> {
  private buffered: R[] = [];
  private widths: number[] | undefined;
  private count = 0;

  private readonly headers: boolean;

  constructor(
    private readonly columns: Column<R>[],
    private readonly writeLine: (line: string) => void,
    private readonly bufferRows = 1000,
    options: TableOptions = {},
  ) {
    this.headers = options.headers ?? true;
  }

  push(row: R): void {
    this.count += 1;
    if (this.widths === undefined) {
      this.buffered.push(row);
      if (this.buffered.length >= this.bufferRows) this.flush();
      return;
    }
    this.writeLine(formatLine(this.columns, this.widths, this.columns.map((c) => c.value(row)), row));
  }

  private flush(): void {
    this.widths = columnWidths(this.columns, this.buffered, this.headers);
    if (this.headers) this.writeLine(headerLine(this.columns, this.widths));
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

/**
 * Lines gathered into one write per burst: the rows of one page are printed in the same turn of the event loop,
 * so they leave in one write (one system call for a page instead of one per row), flushed as soon as volmig
 * waits for anything (the next page), and at most `maxBytes` held. `flush()` before anything else is printed.
 */
export class BatchedWriter {
  private parts: string[] = [];
  private size = 0;
  private scheduled: ReturnType<typeof setImmediate> | undefined;

  constructor(
    private readonly write: (text: string) => void,
    private readonly maxBytes = 256 * 1024,
  ) {}

  text(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= this.maxBytes) this.flush();
    else this.scheduled ??= setImmediate(() => this.flush());
  }

  line(line: string): void {
    this.text(line.endsWith('\n') ? line : `${line}\n`);
  }

  flush(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    this.write(text);
  }
}
