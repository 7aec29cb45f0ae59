import { EventEmitter } from 'node:events';
import xterm from '@xterm/headless';
import type { Io } from '../../src/io.js';

const { Terminal } = xterm;

/** What a person sees on the terminal at one moment. */
export interface Screen {
  /** The visible lines, top to bottom, without trailing spaces. */
  lines: string[];
  /** The visible lines with the empty ones at the bottom removed, joined by newlines. */
  text: string;
  cursorVisible: boolean;
  cursor: { x: number; y: number };
}

/**
 * A headless xterm.js terminal fed with the exact bytes a program writes: the screen tests read back what is
 * visible (after cursor moves, erases, wraps and scrolling), never which bytes were written.
 */
export class HeadlessTerminal {
  private readonly term: InstanceType<typeof Terminal>;
  private cursorVisible = true;
  /** Every byte written, for diagnosis when an assertion fails. */
  raw = '';
  writes = 0;

  constructor(cols: number, rows: number) {
    // convertEol: a terminal's line discipline (onlcr) turns every \n a program writes into \r\n.
    this.term = new Terminal({ cols, rows, scrollback: 1000, allowProposedApi: true, convertEol: true });
    // DECTCEM (CSI ? 25 h / l): the public API has no cursor-visibility getter, so the parser reports it.
    const track = (visible: boolean) => (params: (number | number[])[]) => {
      if (params.includes(25)) this.cursorVisible = visible;
      return false; // let xterm handle the sequence as usual
    };
    this.term.parser.registerCsiHandler({ prefix: '?', final: 'h' }, track(true));
    this.term.parser.registerCsiHandler({ prefix: '?', final: 'l' }, track(false));
  }

  get cols(): number {
    return this.term.cols;
  }

  get rows(): number {
    return this.term.rows;
  }

  write(bytes: string): void {
    this.raw += bytes;
    this.writes += 1;
    this.term.write(bytes);
  }

  resize(cols: number, rows: number = this.term.rows): void {
    this.term.resize(cols, rows);
  }

  /** The screen once every byte written so far has been parsed. */
  async screen(): Promise<Screen> {
    await new Promise<void>((resolve) => this.term.write('', resolve));
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < this.term.rows; y++) lines.push((buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '').trimEnd());
    const shown = [...lines];
    while (shown.length && shown[shown.length - 1] === '') shown.pop();
    return { lines, text: shown.join('\n'), cursorVisible: this.cursorVisible, cursor: { x: buffer.cursorX, y: buffer.cursorY } };
  }

  /**
   * Scrollback and screen together as logical lines: a line the terminal wrapped is joined back into one (so a
   * summary longer than the width reads as written), empty lines at the bottom removed.
   */
  async history(): Promise<string[]> {
    await this.screen();
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < buffer.length; y++) {
      const line = buffer.getLine(y);
      if (!line) continue;
      const next = buffer.getLine(y + 1);
      const text = next?.isWrapped ? line.translateToString(false) : line.translateToString(true).trimEnd();
      if (line.isWrapped && lines.length) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    while (lines.length && lines[lines.length - 1] === '') lines.pop();
    return lines;
  }

  dispose(): void {
    this.term.dispose();
  }
}

/** A terminal stream as Node's tty.WriteStream looks to volmig: isTTY, columns, rows, 'resize' events. */
export interface TerminalStream extends EventEmitter {
  isTTY: true;
  columns: number;
  rows: number;
  write(chunk: string): boolean;
}

function terminalStream(term: HeadlessTerminal): TerminalStream {
  const stream = new EventEmitter() as TerminalStream;
  stream.isTTY = true;
  stream.columns = term.cols;
  stream.rows = term.rows;
  stream.write = (chunk: string) => {
    term.write(chunk);
    return true;
  };
  return stream;
}

export interface TerminalIo {
  io: Io;
  term: HeadlessTerminal;
  stdout: TerminalStream;
  stderr: TerminalStream;
  /** Resizes the terminal and tells the streams, as SIGWINCH does. */
  resize(cols: number, rows?: number): void;
}

/**
 * An Io whose stdout and stderr are one terminal of cols × rows, as when volmig runs in an interactive shell:
 * what both streams write lands on the same screen, interleaved in the order it was written.
 */
export function terminalIo(cols: number, rows: number, env: Record<string, string> = {}): TerminalIo {
  const term = new HeadlessTerminal(cols, rows);
  const stdout = terminalStream(term);
  const stderr = terminalStream(term);
  return {
    term,
    stdout,
    stderr,
    io: { stdout, stderr, env: { TERM: 'xterm-256color', ...env }, isTTY: true, cwd: '/' },
    resize(c: number, r: number = term.rows) {
      term.resize(c, r);
      for (const s of [stdout, stderr]) {
        s.columns = c;
        s.rows = r;
        s.emit('resize');
      }
    },
  };
}
