import type { ProgressSink, ProgressSnapshot, WatchOutcome, WatchResult } from '../migration/progress.js';
import { LiveRegion, type RegionStream } from './live-region.js';
import type { Output } from './output.js';
import { printResultText } from './progress-format.js';
import { layoutVolumeRows, loadGlyphs, snapshotCells, type RowEnd, type TtyGlyphs } from './tty-rows.js';

interface Row {
  snapshot: ProgressSnapshot;
  end: RowEnd | null;
}

function rowEnd(outcome: WatchOutcome): RowEnd {
  return outcome === 'success' ? 'success' : outcome === 'error' ? 'error' : 'other';
}

/**
 * On a terminal: one live row per volume, by name, with its phase; where the server gives a number, a bar (cli-progress's
 * formatter), the percentage, copied/total, rate, ETA and elapsed time on that row; where it gives none, an ora spinner
 * frame, the phase and the elapsed time, never a percentage. The rows are drawn by one LiveRegion on stderr; notices
 * scroll above them. A finished row keeps its last values with ✔/✖; once every row has finished the region stops with
 * its last frame on the screen and the summaries print below it (on stdout for a success, as off a terminal).
 */
export class TtyProgressSink implements ProgressSink {
  private region: LiveRegion | null = null;
  private readonly rows = new Map<string, Row>();
  private readonly deferred: WatchResult[] = [];
  private stopped = false;

  constructor(
    private readonly out: Output,
    private readonly glyphs: TtyGlyphs,
    private readonly expectedVolumes: number,
    private readonly now: () => number,
  ) {}

  static async create(out: Output, expectedVolumes: number, now: () => number): Promise<TtyProgressSink> {
    return new TtyProgressSink(out, await loadGlyphs(out.stderrStyle), expectedVolumes, now);
  }

  update(s: ProgressSnapshot): void {
    if (this.stopped) return;
    const row = this.rows.get(s.volumeId);
    if (row?.end) return;
    this.rows.set(s.volumeId, { snapshot: s, end: null });
    this.liveRegion().refresh();
  }

  notice(message: string): void {
    if (this.stopped) return;
    if (this.region) this.region.log(message);
    else this.out.info(message);
  }

  result(r: WatchResult): void {
    if (this.stopped || !this.region) {
      // Nothing is live on the screen (the volume ended before its first observation): the summary alone.
      this.rows.delete(r.volumeId);
      printResultText(this.out, r);
      return;
    }
    // The last frame shows what the watch last reported through update() (for a retype that is the settled volume
    // read as success); the result's own snapshot is the migration tracker's, which can lag behind it.
    const snapshot = this.rows.get(r.volumeId)?.snapshot ?? r.snapshot;
    if (snapshot) this.rows.set(r.volumeId, { snapshot, end: rowEnd(r.outcome) });
    else this.rows.delete(r.volumeId);
    // Writing to the terminal under the live rows would garble them: the summary waits until they stop.
    this.deferred.push(r);
    const allEnded = [...this.rows.values()].every((x) => x.end !== null);
    if (allEnded && this.deferred.length >= this.expectedVolumes) this.finish();
    else this.region.refresh();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.finish();
  }

  private liveRegion(): LiveRegion {
    this.region ??= new LiveRegion(this.out.io.stderr as RegionStream, (width) => this.frame(width));
    return this.region;
  }

  private frame(width: number): string[] {
    const now = this.now();
    const glyph = this.glyphs.spinner();
    const cells = [...this.rows.values()].map((r) => snapshotCells(r.snapshot, now, glyph, this.out.stderrStyle, r.end));
    return layoutVolumeRows(cells, width, this.glyphs, this.out.stderrStyle.dim);
  }

  /** The last frame stays on the screen; what was waiting for the region prints below it. */
  private finish(): void {
    this.region?.stop('keep');
    this.region = null;
    this.rows.clear();
    for (const r of this.deferred.splice(0)) printResultText(this.out, r);
  }
}
