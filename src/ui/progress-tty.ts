import type { MultiBar, SingleBar } from 'cli-progress';
import type { Ora } from 'ora';
import type { ProgressSink, ProgressSnapshot, WatchResult } from '../migration/progress.js';
import { formatClock, formatBytesAsGiB, formatRate } from '../model/duration.js';
import type { Output } from './output.js';
import { displayName, phaseLabel, printResultText } from './progress-format.js';

type CliProgress = typeof import('cli-progress');
type OraFactory = typeof import('ora').default;

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * On a terminal: one cli-progress bar per volume (name, phase, percent, copied/total, smoothed rate, ETA, elapsed)
 * while the server gives a number; an ora spinner with phase and elapsed time while it does not (a lone volume), or
 * a spinner row inside the bars (several volumes). Never a fake 0%: an indeterminate row has no bar at all.
 */
export class TtyProgressSink implements ProgressSink {
  private multibar: MultiBar | null = null;
  private readonly bars = new Map<string, SingleBar>();
  private readonly latest = new Map<string, ProgressSnapshot>();
  private spinner: Ora | null = null;
  private spinnerFor: string | null = null;
  private frame = 0;
  private ticker: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly deferred: WatchResult[] = [];

  constructor(
    private readonly out: Output,
    private readonly cliProgress: CliProgress,
    private readonly ora: OraFactory,
    private readonly expectedVolumes: number,
    private readonly now: () => number,
  ) {}

  static async create(out: Output, expectedVolumes: number, now: () => number): Promise<TtyProgressSink> {
    const [cliProgress, ora] = await Promise.all([import('cli-progress'), import('ora')]);
    return new TtyProgressSink(out, cliProgress.default ?? cliProgress, ora.default, expectedVolumes, now);
  }

  update(s: ProgressSnapshot): void {
    if (this.stopped) return;
    this.latest.set(s.volumeId, s);
    const single = this.expectedVolumes <= 1 && this.latest.size <= 1;
    if (single && s.percent === null) {
      this.showSpinner(s);
      return;
    }
    if (this.spinner && this.spinnerFor === s.volumeId) this.clearSpinner();
    this.showRow(s);
  }

  notice(message: string): void {
    if (this.stopped) return;
    if (this.spinner) {
      this.spinner.clear();
      this.out.info(message);
      this.spinner.render();
    } else if (this.multibar) {
      this.multibar.log(message + '\n');
    } else {
      this.out.info(message);
    }
  }

  result(r: WatchResult): void {
    const s = r.snapshot;
    const bar = this.bars.get(r.volumeId);
    if (s && bar) bar.update(s.percent ?? 0, { line: this.rowText(s, r.outcome === 'success' ? '✔' : '✖') });
    if (this.spinner && this.spinnerFor === r.volumeId) {
      const text = s ? this.spinnerText(s) : displayName(r);
      if (r.outcome === 'success') this.spinner.succeed(text);
      else if (r.outcome === 'error') this.spinner.fail(text);
      else this.spinner.stop();
      this.spinner = null;
      this.spinnerFor = null;
    }
    this.latest.delete(r.volumeId);
    this.bars.delete(r.volumeId);
    if (this.multibar) {
      // Writing to the terminal under live bars would be overwritten by the next redraw: the finished row shows
      // its mark now, and the summary follows once the bars stop.
      this.deferred.push(r);
      if (this.latest.size === 0) this.stopBars();
    } else {
      printResultText(this.out, r);
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearSpinner();
    this.stopBars();
  }

  private showSpinner(s: ProgressSnapshot): void {
    if (!this.spinner) {
      this.spinner = this.ora({
        text: this.spinnerText(s),
        stream: withSaneColumns(this.out.io.stderr) as NodeJS.WritableStream,
        isEnabled: true,
        discardStdin: false,
        color: this.out.stderrColor ? 'cyan' : false,
      }).start();
      this.spinnerFor = s.volumeId;
      this.startTicker();
    } else {
      this.spinner.text = this.spinnerText(s);
    }
  }

  private clearSpinner(): void {
    if (this.spinner) {
      this.spinner.stop();
      this.spinner = null;
      this.spinnerFor = null;
    }
  }

  private showRow(s: ProgressSnapshot): void {
    if (!this.multibar) {
      this.multibar = new this.cliProgress.MultiBar({
        stream: this.out.io.stderr as NodeJS.WritableStream,
        format: (_options, _params, payload: { line?: string }) => payload.line ?? '',
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        linewrap: false,
        fps: 10,
        autopadding: false,
      });
      this.startTicker();
    }
    const line = this.rowText(s);
    const existing = this.bars.get(s.volumeId);
    if (existing) existing.update(s.percent ?? 0, { line });
    else this.bars.set(s.volumeId, this.multibar.create(100, s.percent ?? 0, { line }));
  }

  private stopBars(): void {
    if (this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
    if (this.multibar) {
      this.multibar.stop();
      this.multibar = null;
    }
    for (const r of this.deferred.splice(0)) printResultText(this.out, r);
  }

  /** Elapsed time and the spinner frame move between polls. */
  private startTicker(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => {
      this.frame = (this.frame + 1) % SPINNER_FRAMES.length;
      const now = this.now();
      for (const [id, s] of this.latest) {
        const live = { ...s, elapsedMs: s.elapsedMs + Math.max(0, now - s.at) };
        if (this.spinner && this.spinnerFor === id) this.spinner.text = this.spinnerText(live);
        const bar = this.bars.get(id);
        if (bar) bar.update(s.percent ?? 0, { line: this.rowText(live) });
      }
    }, 250);
    this.ticker.unref?.();
  }

  private spinnerText(s: ProgressSnapshot): string {
    const extra = s.serverProgress && s.percent === null ? ` (${s.serverProgress})` : '';
    return `${displayName(s)} ${phaseLabel(s)}${extra}  elapsed ${formatClock(s.elapsedMs)}`;
  }

  private rowText(s: ProgressSnapshot, mark?: string): string {
    const c = this.out.stderrStyle;
    const columns = (this.out.io.stderr.columns || 80) - 1;
    const names = [...this.latest.values()].map((x) => displayName(x).length);
    const nameWidth = Math.min(24, Math.max(displayName(s).length, ...names));
    const head = `${mark ?? ' '} ${displayName(s).padEnd(nameWidth)} ${phaseLabel(s).padEnd(this.latest.size > 1 ? 10 : 0)} `;
    if (s.percent === null || s.bytesCopied === null) {
      const spin = mark ?? SPINNER_FRAMES[this.frame]!;
      const elapsed = ` elapsed ${formatClock(s.elapsedMs)}`;
      // Once the migration has ended the phase word is the whole story: no "indeterminate" beside "success".
      const word = s.phase === 'success' || s.phase === 'error' ? '' : 'progress indeterminate';
      const fits = head.length + word.length + elapsed.length <= columns;
      return `${spin}${head.slice(1)}${c.dim(word)}${fits ? elapsed : ''}`;
    }
    const copying = s.phase === 'migrating';
    const tail = [
      `${s.percent}%`.padStart(4),
      `${formatBytesAsGiB(s.bytesCopied)}/${formatBytesAsGiB(s.totalBytes)} GiB`,
      copying && s.rateBytesPerSecond !== null && s.rateBytesPerSecond > 0 ? formatRate(s.rateBytesPerSecond) : '-',
      `eta ${copying && s.etaMs !== null ? formatClock(s.etaMs) : '-'}`,
      `elapsed ${formatClock(s.elapsedMs)}`,
    ];
    // cli-progress cuts the final redraw at the terminal width counting colour codes too: budget for them. On a
    // narrow terminal the details give way before the bar disappears: elapsed, then rate, then ETA.
    const invisible = c.cyan('x').length - 1 + (c.dim('x').length - 1);
    const room = () => columns - head.length - tail.join(' ').length - 1 - invisible;
    for (const drop of [4, 2, 2]) {
      if (room() >= 10 || tail.length <= 2) break;
      tail.splice(drop, 1);
    }
    const width = Math.max(3, Math.min(30, room()));
    const filled = Math.round((s.percent / 100) * width);
    const bar = c.cyan('█'.repeat(filled)) + c.dim('░'.repeat(width - filled));
    return `${head}${bar} ${tail.join(' ')}`;
  }
}

/**
 * A terminal whose size is unknown reports `columns` 0 (under `script`, some CI ptys); ora divides by it and then
 * clears lines forever, so such a stream gets the usual 80 columns. Streams that are not tty.WriteStream (a wrapped
 * or captured stderr) get the cursor methods ora calls, as plain ANSI sequences.
 */
function withSaneColumns<T extends object>(stream: T): T {
  const write = (target: T, text: string) => (target as unknown as { write(s: string): unknown }).write(text);
  const fallbacks: Record<string, (target: T) => (...a: number[]) => boolean> = {
    cursorTo: (t) => (x: number) => (write(t, `\x1b[${x + 1}G`), true),
    clearLine: (t) => (dir: number) => (write(t, dir === -1 ? '\x1b[1K' : dir === 1 ? '\x1b[0K' : '\x1b[2K'), true),
    moveCursor: (t) => (dx: number, dy: number) => {
      let seq = '';
      if (dx) seq += dx > 0 ? `\x1b[${dx}C` : `\x1b[${-dx}D`;
      if (dy) seq += dy > 0 ? `\x1b[${dy}B` : `\x1b[${-dy}A`;
      if (seq) write(t, seq);
      return true;
    },
  };
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === 'columns') return (target as { columns?: number }).columns || 80;
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value === 'function') return (value as (...a: unknown[]) => unknown).bind(target);
      if (value === undefined && typeof prop === 'string' && fallbacks[prop]) return fallbacks[prop]!(target);
      return value;
    },
  });
}
