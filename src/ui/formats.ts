/**
 * `-f/--format`, `-c/--column` and `--no-headers`, as the openstack CLI (cliff 4.0) prints them, for `list`,
 * `show`, `pools` and `history`:
 *
 * - table: volmig's own aligned table (a header, then a line per row); `show`'s `key: value` view.
 * - value: the values of each row separated by one space, one row per line, nothing else (cliff's ValueFormatter):
 *   a missing value is `None`, a boolean `True`/`False`, a list or mapping its Python repr, as cliff prints them.
 * - csv: a header row, then one row per line, every text quoted (`"` doubled, `\` escaped), numbers and booleans
 *   not, a missing value `""` (cliff's CSVLister, Python's csv.QUOTE_NONNUMERIC with escapechar `\`).
 * - json / yaml: without -c the API's own objects (what `--json` has always printed); with -c one object per row
 *   whose keys are the chosen column headers, as `openstack ... -f json -c ID` prints. YAML is written for YAML 1.1
 *   readers (PyYAML): `no`, `on`, `3.60` or a timestamp-like text stay quoted text.
 *
 * Column names are the headers the table shows, matched without regard to case; the output keeps the table's
 * column order whatever the order of -c (as cliff does). Memory stays flat: every format but table writes each
 * row as it comes, and the table keeps only its first page to fix the widths (StreamingTable).
 */
import { UsageError } from '../errors.js';
import type { OutputFormat } from '../model/output-format.js';
import { StreamingJsonArray, StreamingTable, renderTable, type Column } from './table.js';

/** A column as the table shows it (`value`, `color`), and as the machine formats print it (`raw`). */
export interface FieldColumn<R> extends Column<R> {
  /** The machine-readable value: the API's own value (a number stays a number, a missing value null). */
  raw: (row: R) => unknown;
}

/** What the operator asked for on the command line (and the settings file), resolved. */
export interface FormatRequest {
  format: OutputFormat;
  /** `-c` values as typed; empty means the command's default columns. */
  columns: readonly string[];
  /** `--no-headers`: no header line in table and csv. */
  noHeaders: boolean;
}

/**
 * The columns `-c` names, in the table's order (`all` is that order), or `defaults` when -c is not given. A name
 * that is no column is a usage error naming every valid one.
 */
export function selectColumns<R>(all: readonly FieldColumn<R>[], defaults: readonly FieldColumn<R>[], requested: readonly string[], command: string): FieldColumn<R>[] {
  if (requested.length === 0) return [...defaults];
  const wanted = new Set(requested.map((name) => name.trim().toLowerCase()));
  const unknown = [...new Set(requested.filter((name) => !all.some((c) => c.header.toLowerCase() === name.trim().toLowerCase())))];
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown column${unknown.length > 1 ? 's' : ''} for -c: ${unknown.map((n) => `'${n}'`).join(', ')} (the columns of volmig ${command}: ${all.map((c) => c.header).join(', ')})`,
    );
  }
  return all.filter((c) => wanted.has(c.header.toLowerCase()));
}

/** One row's text in `-f value`: cliff's `' '.join(str(c) for c in row)`. */
export function valueLine(values: readonly unknown[]): string {
  return values.map(pythonStr).join(' ');
}

/** One row in `-f csv`: Python's csv writer with QUOTE_NONNUMERIC and escapechar `\`, as cliff configures it. */
export function csvLine(values: readonly unknown[]): string {
  return values.map(csvField).join(',');
}

function csvField(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return pythonStr(value);
  if (typeof value === 'boolean') return pythonStr(value);
  const text = value === null || value === undefined ? '' : pythonStr(value);
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '""')}"`;
}

/** Python's str() of a JSON value: what cliff prints for a cell in `-f value`. */
export function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value;
  return pythonRepr(value);
}

/** Python's repr() of a JSON value (None, True, '...', [...], {...}): cliff prints lists and mappings this way. */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  if (typeof value === 'string') return pythonStringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pythonStringRepr(k)}: ${pythonRepr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

function pythonStringRepr(text: string): string {
  // Python quotes with ' unless the text has a ' and no ".
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') body += '\\\\';
    else if (ch === quote) body += `\\${quote}`;
    else if (ch === '\n') body += '\\n';
    else if (ch === '\r') body += '\\r';
    else if (ch === '\t') body += '\\t';
    else if (code < 0x20 || code === 0x7f) body += `\\x${code.toString(16).padStart(2, '0')}`;
    else body += ch;
  }
  return `${quote}${body}${quote}`;
}

/** The object `-f json`/`-f yaml` print for one row when -c is given: the chosen headers and their raw values. */
export function columnObject<R>(columns: readonly FieldColumn<R>[], row: R): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const c of columns) object[c.header] = normalizeRaw(c.raw(row));
  return object;
}

function normalizeRaw(value: unknown): unknown {
  return value === undefined ? null : value;
}

type Yaml = typeof import('yaml');
let yamlModule: Promise<Yaml> | undefined;

/** The yaml package costs ~90 ms to load: only for -f yaml. */
function loadYaml(): Promise<Yaml> {
  return (yamlModule ??= import('yaml'));
}

/** PyYAML's safe_dump(default_flow_style=False) layout, read back by YAML 1.1 readers as what it was. */
const YAML_OPTIONS = { version: '1.1', indentSeq: false, singleQuote: true, lineWidth: 0 } as const;

/** A YAML document for one value (a mapping, or a list written whole). */
export async function yamlDocument(value: unknown): Promise<string> {
  const { stringify } = await loadYaml();
  return stringify(value, YAML_OPTIONS);
}

/** A sequence written item by item: the concatenation is the YAML of the whole list. */
export class StreamingYamlList {
  private count = 0;

  private constructor(
    private readonly stringify: Yaml['stringify'],
    private readonly write: (text: string) => void,
  ) {}

  static async create(write: (text: string) => void): Promise<StreamingYamlList> {
    return new StreamingYamlList((await loadYaml()).stringify, write);
  }

  push(value: unknown): void {
    this.write(this.stringify([value], YAML_OPTIONS));
    this.count += 1;
  }

  end(): number {
    if (this.count === 0) this.write('[]\n');
    return this.count;
  }
}

/** Rows in, formatted text out, in bounded memory. `end()` returns the number of rows. */
export interface RowWriter<R> {
  push(row: R): void;
  end(): number;
}

export interface RowWriterOptions<R> {
  request: FormatRequest;
  columns: readonly FieldColumn<R>[];
  /** Writes a piece of stdout (BatchedWriter.text in a streamed listing). */
  write: (text: string) => void;
  /** json/yaml without -c: the object printed for a row (the API's own object). */
  document: (row: R) => unknown;
  /** Rows the table buffers to fix its column widths (StreamingTable's default: a Cinder page). */
  bufferRows?: number;
}

/**
 * A writer for a listing in the requested format. Nothing is written before the first row or the end: a listing
 * that fails before its first page prints nothing on stdout, one with no rows prints nothing in table and value,
 * the header in csv (as cliff) and `[]` in json and yaml, and a failure halfway leaves a JSON array unclosed
 * rather than complete-looking.
 */
export async function createRowWriter<R>(options: RowWriterOptions<R>): Promise<RowWriter<R>> {
  const { request, columns, write } = options;
  const byColumns = request.columns.length > 0;
  switch (request.format) {
    case 'table': {
      const table = new StreamingTable<R>([...columns], (line) => write(`${line}\n`), options.bufferRows, { headers: !request.noHeaders });
      return { push: (row) => table.push(row), end: () => table.end() };
    }
    case 'value': {
      let count = 0;
      return {
        push: (row) => {
          count += 1;
          write(`${valueLine(columns.map((c) => c.raw(row)))}\n`);
        },
        end: () => count,
      };
    }
    case 'csv': {
      // The header comes with the first row, or at the end of an empty listing (cliff prints it for no rows too),
      // never before an error that stops the listing before its first page.
      let count = 0;
      const header = () => {
        if (!request.noHeaders) write(`${csvLine(columns.map((c) => c.header))}\n`);
      };
      return {
        push: (row) => {
          if (count === 0) header();
          count += 1;
          write(`${csvLine(columns.map((c) => c.raw(row)))}\n`);
        },
        end: () => {
          if (count === 0) header();
          return count;
        },
      };
    }
    case 'json': {
      const array = new StreamingJsonArray(write);
      return { push: (row) => array.push(byColumns ? columnObject(columns, row) : options.document(row)), end: () => array.end() };
    }
    case 'yaml': {
      const list = await StreamingYamlList.create(write);
      return { push: (row) => list.push(byColumns ? columnObject(columns, row) : options.document(row)), end: () => list.end() };
    }
  }
}

/** A whole, already read list in the requested format (pools, history): the same output a RowWriter gives. */
export async function renderRows<R>(options: Omit<RowWriterOptions<R>, 'write'>, rows: readonly R[]): Promise<string> {
  if (options.request.format === 'table') {
    // The widths of every row, not only of a first page: the list is in memory anyway. No rows: no header either.
    if (rows.length === 0) return '';
    return renderTable([...options.columns], [...rows], { headers: !options.request.noHeaders }).map((l) => `${l}\n`).join('');
  }
  let text = '';
  const writer = await createRowWriter({ ...options, write: (t) => (text += t) });
  for (const row of rows) writer.push(row);
  writer.end();
  return text;
}

export interface SingleOptions<R> {
  request: FormatRequest;
  /** The fields in their view order. */
  columns: readonly FieldColumn<R>[];
  /** json/yaml without -c: the whole document. */
  document: () => unknown;
  /** table: the readable view of the chosen fields. */
  table: (columns: readonly FieldColumn<R>[]) => string[];
}

/**
 * One object (`show`) in the requested format: the readable view; one value per line (cliff's ShowOne with
 * `-f value`); a csv header row and one row; the document, or the chosen fields, as JSON or YAML.
 */
export async function renderSingle<R>(options: SingleOptions<R>, row: R): Promise<string> {
  const { request, columns } = options;
  const byColumns = request.columns.length > 0;
  switch (request.format) {
    case 'table':
      return options.table(columns).map((l) => `${l}\n`).join('');
    case 'value':
      return columns.map((c) => `${pythonStr(c.raw(row))}\n`).join('');
    case 'csv':
      return `${request.noHeaders ? '' : `${csvLine(columns.map((c) => c.header))}\n`}${csvLine(columns.map((c) => c.raw(row)))}\n`;
    case 'json':
      return `${JSON.stringify(byColumns ? columnObject(columns, row) : options.document(), null, 2)}\n`;
    case 'yaml':
      return yamlDocument(byColumns ? columnObject(columns, row) : options.document());
  }
}
