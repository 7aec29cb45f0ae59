import type { OutStream } from '../io.js';
import { fitToWidth, visibleWidth } from './tty-text.js';

const CSI = '\x1b[';
const HIDE_CURSOR = `${CSI}?25l`;
const SHOW_CURSOR = `${CSI}?25h`;
/** Erase from the cursor to the end of the screen. */
const ERASE_DOWN = `${CSI}J`;
/** Erase from the cursor to the end of the line. */
const ERASE_LINE_END = `${CSI}K`;

/** A terminal stream as the live region uses it: `process.stderr` in production, a screen emulator in tests. */
export interface RegionStream extends OutStream {
  rows?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

export interface LiveRegionOptions {
  /** Redraws per second at most (also the rate of the spinner and the elapsed clocks). */
  fps?: number;
  /** Clock for the frame-rate bound; tests use fake timers, which replace it too. */
  now?: () => number;
}

/**
 * The only thing that writes to the terminal while progress is live: a block of N rows at the bottom of the output,
 * redrawn in place. The cursor is hidden while it runs and parked at the start of the line below the block, so
 * a redraw is: carriage return, cursor up N, each row followed by erase-to-end-of-line, then erase-to-end-of-screen
 * (which also wipes a `^C` the terminal echoed there). Lines written with `log` scroll away above the block without
 * garbling it. Every row is cut to the terminal width minus one column, so no row ever wraps.
 *
 * Frames come from a callback (`frame(width)`): the renderer decides the rows, the region decides when to draw them.
 * At most `fps` frames per second are drawn, and nothing is written when a frame equals the one on the screen.
 */
export class LiveRegion {
  /** The rows on the screen now, as written (already cut to `drawnWidth`). */
  private drawn: string[] = [];
  private drawnWidth = 0;
  private cursorHidden = false;
  private stopped = false;
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private ticker: NodeJS.Timeout | null = null;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly onResize = () => this.draw(true);

  constructor(
    private readonly stream: RegionStream,
    private readonly frame: (width: number) => string[],
    options: LiveRegionOptions = {},
  ) {
    this.intervalMs = Math.round(1000 / (options.fps ?? 10));
    this.now = options.now ?? Date.now;
  }

  /** The terminal width; a terminal whose size is unknown reports 0 (under `script`, some CI ptys): 80 then. */
  get width(): number {
    const columns = this.stream.columns;
    return typeof columns === 'number' && columns > 0 ? columns : 80;
  }

  get active(): boolean {
    return !this.stopped;
  }

  /** The frame changed: drawn now when the last draw is old enough, else at the next tick (≤ 1/fps later). */
  refresh(): void {
    if (this.stopped) return;
    this.startTicker();
    if (this.now() - this.lastDrawAt >= this.intervalMs) this.draw(false);
  }

  /** Text that scrolls away above the live rows (notices); ends with a newline whether given one or not. */
  log(text: string): void {
    if (this.stopped || !this.cursorHidden) {
      this.stream.write(text.endsWith('\n') ? text : text + '\n');
      return;
    }
    this.draw(true, text.endsWith('\n') ? text : text + '\n');
  }

  /**
   * Ends the live display: the last frame stays on the screen (`keep`) or is erased (`clear`), the cursor is
   * shown again and parked below, where whatever follows (the summary) prints. Safe to call more than once.
   */
  stop(mode: 'keep' | 'clear' = 'keep'): void {
    if (this.stopped) return;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.stream.off?.('resize', this.onResize);
    if (this.cursorHidden) {
      if (mode === 'keep') {
        this.draw(true);
      } else {
        this.stream.write(this.toTop() + ERASE_DOWN);
        this.drawn = [];
      }
      this.stream.write(SHOW_CURSOR);
      this.cursorHidden = false;
    }
    this.stopped = true;
  }

  private startTicker(): void {
    if (this.ticker || this.stopped) return;
    this.ticker = setInterval(() => this.draw(false), this.intervalMs);
    this.ticker.unref?.();
    this.stream.on?.('resize', this.onResize);
  }

  private draw(force: boolean, above = ''): void {
    if (this.stopped) return;
    const width = this.width;
    const rows = this.fitHeight(this.frame(width).map((row) => fitToWidth(row, width - 1)));
    if (!force && width === this.drawnWidth && sameRows(rows, this.drawn)) return;
    let out = '';
    if (!this.cursorHidden) {
      out += HIDE_CURSOR;
      this.cursorHidden = true;
    }
    out += this.toTop() + ERASE_DOWN + above;
    for (const row of rows) out += row + ERASE_LINE_END + '\n';
    this.stream.write(out);
    this.drawn = rows;
    this.drawnWidth = width;
    this.lastDrawAt = this.now();
  }

  /**
   * From the parked cursor to the first column of the first live row. After a resize the rows drawn at the old
   * width take more lines if the terminal re-wrapped them (xterm.js, tmux, VTE, kitty, iTerm2 do); a terminal
   * that cuts them instead keeps one line each, and then the region starts a little higher (erasing a line or
   * two of scrollback), which is the lesser harm than leaving stale copies of the rows on the screen.
   */
  private toTop(): string {
    const width = this.width;
    let lines = 0;
    for (const row of this.drawn) {
      lines += width >= this.drawnWidth ? 1 : Math.max(1, Math.ceil(visibleWidth(row) / width));
    }
    return '\r' + (lines > 0 ? `${CSI}${lines}A` : '');
  }

  /** More rows than the terminal has lines cannot be redrawn in place: the rest is counted on the last line. */
  private fitHeight(rows: string[]): string[] {
    const height = this.stream.rows;
    if (typeof height !== 'number' || height < 2 || rows.length <= height - 1) return rows;
    const shown = rows.slice(0, height - 2);
    shown.push(`… and ${rows.length - shown.length} more`);
    return shown;
  }
}

function sameRows(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((row, i) => row === b[i]);
}
