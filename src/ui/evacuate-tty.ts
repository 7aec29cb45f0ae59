import type { AggregateProgress, EvacuationRenderer, MoveState } from '../migration/evacuate/index.js';
import { formatBytesAsGiB, formatClock, formatRate } from '../model/duration.js';
import { finishedLine, volumeLabel } from './evacuate-format.js';
import { LiveRegion, type RegionStream } from './live-region.js';
import type { Output } from './output.js';
import { layoutVolumeRows, loadGlyphs, snapshotCells, type TtyGlyphs, type VolumeRowCells } from './tty-rows.js';
import { fitToWidth, visibleWidth } from './tty-text.js';

/** The aggregate bar may be narrower than a volume's: at 60 columns the amount moved matters more. */
const BAR_MIN = 8;
const BAR_MAX = 24;
/** Volume rows sit under the aggregate row, indented by this much. */
const INDENT = '  ';

/**
 * On a terminal: an aggregate row (bar of bytes moved, volumes done of total, bytes, rate, ETA, elapsed) above one
 * row per running volume, in one LiveRegion on stderr. The volume rows are laid out like `migrate --wait`'s (bar,
 * percentage, amount, rate, ETA where the server gives a number; a spinner, the phase and elapsed time, never a
 * percentage, where it does not). A finished volume's row leaves and its result line scrolls above the region; at
 * the end the last frame stays and the summary table prints below it.
 */
export class TtyEvacuationRenderer implements EvacuationRenderer {
  private readonly region: LiveRegion;
  private readonly running = new Set<MoveState>();
  private aggregate: { value: AggregateProgress; at: number } | null = null;

  constructor(
    private readonly out: Output,
    private readonly glyphs: TtyGlyphs,
    private readonly title: string,
    private readonly now: () => number,
  ) {
    this.region = new LiveRegion(out.io.stderr as RegionStream, (width) => this.frame(width));
  }

  static async create(out: Output, title: string, now: () => number): Promise<TtyEvacuationRenderer> {
    return new TtyEvacuationRenderer(out, await loadGlyphs(out.stderrStyle), title, now);
  }

  started(s: MoveState, a: AggregateProgress): void {
    this.running.add(s);
    this.setAggregate(a);
  }

  progress(_s: MoveState, a: AggregateProgress): void {
    this.setAggregate(a);
  }

  finished(s: MoveState, a: AggregateProgress): void {
    this.running.delete(s);
    this.aggregate = { value: a, at: this.now() };
    const ok = s.result === 'moved' || s.result === 'already-there';
    const mark = ok ? this.out.stderrStyle.green('✔') : this.out.stderrStyle.red('✖');
    // Logged above the live rows, which are redrawn below it without this volume.
    this.region.log(`${mark} ${finishedLine(s)}`);
    this.region.refresh();
  }

  notice(line: string): void {
    if (this.region.active) this.region.log(line);
    else this.out.info(line);
  }

  stop(): void {
    this.region.stop('keep');
  }

  private setAggregate(a: AggregateProgress): void {
    this.aggregate = { value: a, at: this.now() };
    this.region.refresh();
  }

  private frame(width: number): string[] {
    if (!this.aggregate) return [];
    const now = this.now();
    const glyph = this.glyphs.spinner();
    const cells = [...this.running].map((s): VolumeRowCells => {
      if (s.snapshot) return snapshotCells(s.snapshot, now, glyph, this.out.stderrStyle);
      const elapsed = `elapsed ${formatClock(s.startedAt === null ? 0 : now - s.startedAt)}`;
      return { mark: glyph, name: volumeLabel(s.move.volume), phase: 'requested', numbers: null, note: 'waiting for the server', elapsed, live: true };
    });
    const rows = layoutVolumeRows(cells, width - INDENT.length, this.glyphs, this.out.stderrStyle.dim).map((r) => INDENT + r);
    return [this.aggregateRow(width), ...rows];
  }

  /** `Evacuating h@b ████░░░ 1/3 volumes  1.0/4.0 GiB  64 MiB/s  eta 0:48  elapsed 0:16`, fitted like the rows. */
  private aggregateRow(width: number): string {
    const { value: a, at } = this.aggregate!;
    const c = this.out.stderrStyle;
    const finished = a.done + a.failed >= a.total;
    const elapsedMs = finished ? a.elapsedMs : a.elapsedMs + Math.max(0, this.now() - at);
    const parts: { key: 'volumes' | 'failed' | 'amount' | 'rate' | 'eta' | 'elapsed'; text: string }[] = [
      { key: 'volumes', text: `${a.done}/${a.total} volumes` },
    ];
    if (a.failed) parts.push({ key: 'failed', text: `${a.failed} failed` });
    parts.push({ key: 'amount', text: `${formatBytesAsGiB(a.bytesDone)}/${formatBytesAsGiB(a.totalBytes)} GiB` });
    if (a.rateBytesPerSecond !== null && a.rateBytesPerSecond > 0 && !finished) parts.push({ key: 'rate', text: formatRate(a.rateBytesPerSecond) });
    if (a.etaMs !== null && !finished) parts.push({ key: 'eta', text: `eta ${formatClock(a.etaMs)}` });
    parts.push({ key: 'elapsed', text: `elapsed ${formatClock(elapsedMs)}` });

    const room = width - 1;
    let title = this.title;
    const details = () => parts.map((p) => p.text).join('  ');
    const barRoom = () => room - visibleWidth(title) - 2 - visibleWidth(details());
    for (const key of ['elapsed', 'rate', 'eta', 'amount'] as const) {
      if (barRoom() >= BAR_MIN) break;
      const i = parts.findIndex((p) => p.key === key);
      if (i >= 0) parts.splice(i, 1);
    }
    if (barRoom() < BAR_MIN) title = fitToWidth(title, Math.max(8, visibleWidth(title) - (BAR_MIN - barRoom())));
    const barWidth = Math.max(3, Math.min(BAR_MAX, barRoom()));
    const share = a.totalBytes > 0 ? a.bytesDone / a.totalBytes : a.total > 0 ? (a.done + a.failed) / a.total : 1;
    return `${c.bold(title)} ${this.glyphs.bar(share, barWidth)} ${details()}`;
  }
}
