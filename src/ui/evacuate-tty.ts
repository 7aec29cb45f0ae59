import type { MultiBar, SingleBar } from 'cli-progress';
import type { AggregateProgress, EvacuationRenderer, MoveState } from '../migration/evacuate/index.js';
import { formatClock, formatBytesAsGiB, formatRate } from '../model/duration.js';
import type { Output } from './output.js';
import { aggregateText, finishedLine, volumeLabel } from './evacuate-format.js';
import { phaseLabel } from './progress-format.js';

type CliProgress = typeof import('cli-progress');

const BAR_WIDTH = 24;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * On a terminal: an aggregate bar (volumes done of total, bytes, rate, ETA) above one row per running volume; a
 * finished volume's row leaves and its result line is printed above the bars. A volume without a numeric
 * progress gets a spinner row, never a fake 0%.
 */
export class TtyEvacuationRenderer implements EvacuationRenderer {
  private multibar: MultiBar | null = null;
  private total: SingleBar | null = null;
  private readonly rows = new Map<MoveState, SingleBar>();
  private lastAggregate: AggregateProgress | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private frame = 0;
  private stopped = false;

  constructor(
    private readonly out: Output,
    private readonly cliProgress: CliProgress,
    private readonly title: string,
    private readonly now: () => number,
  ) {}

  static async create(out: Output, title: string, now: () => number): Promise<TtyEvacuationRenderer> {
    const mod = await import('cli-progress');
    return new TtyEvacuationRenderer(out, (mod.default ?? mod) as CliProgress, title, now);
  }

  started(s: MoveState, a: AggregateProgress): void {
    this.ensure(a);
    this.rows.set(s, this.multibar!.create(100, 0, { line: this.rowText(s) }));
    this.updateAggregate(a);
  }

  progress(s: MoveState, a: AggregateProgress): void {
    this.rows.get(s)?.update(s.snapshot?.percent ?? 0, { line: this.rowText(s) });
    this.updateAggregate(a);
  }

  finished(s: MoveState, a: AggregateProgress): void {
    this.ensure(a);
    const row = this.rows.get(s);
    if (row) {
      this.multibar!.remove(row);
      this.rows.delete(s);
    }
    const ok = s.result === 'moved' || s.result === 'already-there';
    const mark = ok ? this.out.stderrStyle.green('✔') : this.out.stderrStyle.red('✖');
    this.multibar!.log(`${mark} ${finishedLine(s)}\n`);
    this.updateAggregate(a);
  }

  notice(line: string): void {
    if (this.multibar && !this.stopped) this.multibar.log(line + '\n');
    else this.out.info(line);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    if (this.lastAggregate) this.total?.update(this.lastAggregate.done, { line: this.aggregateRow(this.lastAggregate) });
    // Lines logged since the last redraw (the last volume's result) are only written by a redraw.
    this.multibar?.update();
    this.multibar?.stop();
    this.multibar = null;
  }

  private ensure(a: AggregateProgress): void {
    if (this.multibar || this.stopped) return;
    this.multibar = new this.cliProgress.MultiBar({
      stream: this.out.io.stderr as NodeJS.WritableStream,
      format: (_o, _p, payload: { line?: string }) => payload.line ?? '',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      linewrap: false,
      // volmig handles Ctrl-C itself (through io.signals) and stops the bars on its way out.
      gracefulExit: false,
      fps: 10,
      autopadding: false,
    });
    this.total = this.multibar.create(Math.max(1, a.total), a.done, { line: this.aggregateRow(a) });
    // Elapsed time and spinners move between polls.
    this.ticker = setInterval(() => {
      this.frame = (this.frame + 1) % SPINNER.length;
      for (const [s, bar] of this.rows) bar.update(s.snapshot?.percent ?? 0, { line: this.rowText(s) });
      if (this.lastAggregate) {
        const live = { ...this.lastAggregate, elapsedMs: this.lastAggregate.elapsedMs };
        this.total?.update(live.done, { line: this.aggregateRow(live) });
      }
    }, 250);
    this.ticker.unref?.();
  }

  private updateAggregate(a: AggregateProgress): void {
    this.lastAggregate = a;
    this.total?.update(a.done, { line: this.aggregateRow(a) });
  }

  private aggregateRow(a: AggregateProgress): string {
    const c = this.out.stderrStyle;
    const share = a.totalBytes > 0 ? a.bytesDone / a.totalBytes : a.total > 0 ? a.done / a.total : 1;
    const filled = Math.max(0, Math.min(BAR_WIDTH, Math.round(share * BAR_WIDTH)));
    const bar = c.green('█'.repeat(filled)) + c.dim('░'.repeat(BAR_WIDTH - filled));
    return `${c.bold(this.title)} ${bar} ${aggregateText(a)}`;
  }

  private rowText(s: MoveState): string {
    const c = this.out.stderrStyle;
    const name = volumeLabel(s.move.volume).padEnd(16);
    const snap = s.snapshot;
    const elapsed = formatClock(s.startedAt === null ? 0 : this.now() - s.startedAt);
    if (!snap) return `  ${SPINNER[this.frame]} ${name} ${'requested'.padEnd(12)} ${c.dim('waiting for the server')}  elapsed ${elapsed}`;
    const phase = phaseLabel(snap).padEnd(12);
    if (snap.percent === null || snap.bytesCopied === null) {
      const extra = snap.serverProgress ? ` (${snap.serverProgress})` : '';
      return `  ${SPINNER[this.frame]} ${name} ${phase} ${c.dim('progress indeterminate' + extra)}  elapsed ${elapsed}`;
    }
    const filled = Math.round((snap.percent / 100) * BAR_WIDTH);
    const bar = c.cyan('█'.repeat(filled)) + c.dim('░'.repeat(BAR_WIDTH - filled));
    const rate = snap.rateBytesPerSecond ? formatRate(snap.rateBytesPerSecond) : '-';
    const eta = snap.etaMs !== null ? formatClock(snap.etaMs) : '-';
    return `    ${name} ${phase} ${bar} ${`${snap.percent}%`.padStart(4)} ${formatBytesAsGiB(snap.bytesCopied)}/${formatBytesAsGiB(snap.totalBytes)} GiB  ${rate}  eta ${eta}  elapsed ${elapsed}`;
  }
}
