// Help text that fits the width it is printed at: the footers of command help, the help topics and (through
// src/help/manpage.ts) the man page share these blocks, so each text is written once and laid out per output.
// Loaded by every `--help`: it imports nothing.

/** A paragraph, reflowed to the width. */
export interface TextBlock {
  kind: 'text';
  text: string;
}

/** A titled list of term/description pairs (exit codes, settings keys, variables), descriptions aligned. */
export interface ListBlock {
  kind: 'list';
  title?: string;
  items: readonly (readonly [term: string, description: string])[];
}

/** Shell command lines; a line too long for the width continues on the next with a backslash. */
export interface ExamplesBlock {
  kind: 'examples';
  title: string;
  lines: readonly string[];
}

export type HelpBlock = TextBlock | ListBlock | ExamplesBlock;

export const para = (...sentences: string[]): TextBlock => ({ kind: 'text', text: sentences.join(' ') });
export const list = (title: string | undefined, items: ListBlock['items']): ListBlock => ({ kind: 'list', title, items });
export const examples = (...lines: string[]): ExamplesBlock => ({ kind: 'examples', title: 'Examples:', lines });
export const titledExamples = (title: string, ...lines: string[]): ExamplesBlock => ({ kind: 'examples', title, lines });

/** Help is wrapped to the terminal, or to 80 columns when piped (`volmig help migrate | less` reads well). */
export function helpWidthFor(stream: { isTTY?: boolean; columns?: number }): number {
  return stream.isTTY && stream.columns && stream.columns > 0 ? stream.columns : 80;
}

// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[\d;]*m/g;

/** Columns a line takes: characters (code points), not bytes or UTF-16 units, colour codes left out. */
export function displayWidth(text: string): number {
  // Printable ASCII (nearly all help text) is one column a character; only the rest needs the slower count.
  if (!/[^\x20-\x7e]/.test(text)) return text.length;
  return [...text.replace(SGR, '')].length;
}

/**
 * Greedy word wrap to `width` columns. Explicit newlines are kept; a word longer than the width stays whole on its
 * own line (the help tests catch such a word).
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const words = raw.split(' ').filter((w) => w !== '');
    if (words.length === 0) {
      lines.push('');
      continue;
    }
    let line = words[0]!;
    let used = displayWidth(line);
    for (const word of words.slice(1)) {
      const w = displayWidth(word);
      if (used + 1 + w <= width) {
        line += ` ${word}`;
        used += 1 + w;
      } else {
        lines.push(line);
        line = word;
        used = w;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** Splits a shell line at spaces outside quotes, so that a wrap never breaks `jq -r '.[] | .id'`. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const ch of line) {
    if (quote) {
      current += ch;
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      current += ch;
      quote = ch;
    } else if (ch === ' ') {
      if (current !== '') words.push(current);
      current = '';
    } else current += ch;
  }
  if (current !== '') words.push(current);
  return words;
}

/** A shell command in `width` columns: continued lines end in ` \` and are indented four more columns. */
export function wrapShell(command: string, width: number, indent: string): string[] {
  if (displayWidth(indent + command) <= width) return [indent + command];
  // An option and its value stay together: `--order created` is one unit of wrapping.
  const words: string[] = [];
  for (const word of shellWords(command)) {
    const previous = words.at(-1);
    if (previous !== undefined && /^--?[a-z]/i.test(previous) && !previous.includes('=') && !previous.includes(' ') && !word.startsWith('-')) {
      words[words.length - 1] = `${previous} ${word}`;
    } else words.push(word);
  }
  const next = indent + '    ';
  const lines: string[] = [];
  let line = indent + words[0]!;
  for (let i = 1; i < words.length; i += 1) {
    const rest = words.slice(i).join(' ');
    if (displayWidth(`${line} ${rest}`) <= width) {
      line += ` ${rest}`;
      break;
    }
    if (displayWidth(`${line} ${words[i]} \\`) <= width) line += ` ${words[i]}`;
    else {
      lines.push(`${line} \\`);
      line = next + words[i]!;
    }
  }
  lines.push(line);
  return lines;
}

/** Descriptions get at least this many columns beside their term; a longer term goes on a line of its own. */
const MIN_DESCRIPTION_WIDTH = 28;

/** The description column for terms up to `longest` wide: as wide as they are, but leaving the description room. */
export function termColumn(longest: number, width: number, indent = 2): number {
  return Math.max(1, Math.min(longest, width - indent - 2 - MIN_DESCRIPTION_WIDTH));
}

/**
 * One term/description row: the term indented by `indent`, the description at `column` past the indent and wrapped
 * below itself. A term wider than the column puts its description on the lines below.
 */
export function formatRow(term: string, description: string, column: number, width: number, indent = 2): string[] {
  const lead = ' '.repeat(indent) + term;
  if (!description) return [lead];
  const pad = ' '.repeat(indent + column + 2);
  const longestWord = Math.max(...description.split(/[ \n]/).map(displayWidth));
  if (longestWord > width - pad.length) {
    // A word such as migration_progress_report_interval does not fit the column: the description goes below the
    // term, indented less, rather than past the right edge.
    const below = ' '.repeat(indent + 4);
    return [lead, ...wrapWords(description, Math.max(1, width - below.length)).map((line) => below + line)];
  }
  const wrapped = wrapWords(description, width - pad.length);
  if (displayWidth(term) > column) return [lead, ...wrapped.map((line) => pad + line)];
  return [lead + ' '.repeat(column - displayWidth(term) + 2) + wrapped[0], ...wrapped.slice(1).map((line) => pad + line)];
}

/** Term/description rows with their descriptions aligned in one column. */
function formatRows(rows: readonly (readonly [string, string])[], width: number, indent = 2): string[] {
  const column = termColumn(Math.max(0, ...rows.map(([term]) => displayWidth(term))), width, indent);
  return rows.flatMap(([term, description]) => formatRow(term, description, column, width, indent));
}

/** Blocks as plain text lines at `width`, separated by blank lines. */
export function renderBlocks(blocks: readonly HelpBlock[], width: number): string[] {
  const out: string[] = [];
  for (const block of blocks) {
    if (out.length > 0) out.push('');
    if (block.kind === 'text') out.push(...wrapWords(block.text, width));
    else if (block.kind === 'list') {
      if (block.title) out.push(...wrapWords(block.title, width));
      out.push(...formatRows(block.items, width));
    } else {
      out.push(block.title);
      for (const line of block.lines) out.push(...wrapShell(line, width, '  '));
    }
  }
  return out;
}

/** The blocks each command registered as its help footer, for the man page (see `helpFooter`). */
const FOOTERS = new WeakMap<object, readonly HelpBlock[]>();

/** What commander's `addHelpText` passes a function: the command whose help is printed, and where to. */
interface HelpTextContext {
  error: boolean;
  command: { configureOutput(): { getOutHelpWidth?(): number | undefined; getErrHelpWidth?(): number | undefined } };
}

/**
 * A footer for `.addHelpText('after', ...)`: the blocks laid out at the width commander uses for the rest of that
 * help (the terminal's, or 80 when piped), so a footer never runs wider than its options.
 */
export function helpFooter(...blocks: HelpBlock[]): (context: HelpTextContext) => string {
  return (context) => {
    FOOTERS.set(context.command, blocks);
    const output = context.command.configureOutput();
    const width = (context.error ? output.getErrHelpWidth?.() : output.getOutHelpWidth?.()) ?? 80;
    return '\n' + renderBlocks(blocks, width).join('\n');
  };
}

/**
 * The footer blocks of `command`, read by asking it for its footer once (commander keeps the function only inside
 * its event listener). Empty when the command has none.
 */
export function footerBlocks(command: object): readonly HelpBlock[] {
  // A commander Command is an EventEmitter at run time, though its types do not say so.
  (command as { emit(event: string, context: unknown): boolean }).emit('afterHelp', { error: false, command, write: () => true });
  return FOOTERS.get(command) ?? [];
}

/** `word` as a shell would need it typed in a suggested command: as is when safe, else in single quotes. */
export function shellWord(word: string): string {
  return /^[\w@#%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
