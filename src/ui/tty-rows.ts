import type { ChalkInstance } from 'chalk';
import type { ProgressSnapshot } from '../migration/progress.js';
import { formatBytesAsGiB, formatClock, formatRate } from '../model/duration.js';
import { displayName, elapsedText, phaseLabel } from './progress-format.js';
import { padStartToWidth, padToWidth, visibleWidth } from './tty-text.js';

/**
 * The glyphs of the live display, from the user's stack: the bar is cli-progress's bar formatter, the spinner is
 * ora's frame sequence. Neither library gets a stream: the live region is the only writer to the terminal.
 */
export interface TtyGlyphs {
  /** A bar `width` columns wide, `fraction` of it filled (rounded down: a 99% bar never looks full). */
  bar(fraction: number, width: number): string;
  /** The spinner's current frame; advances with time (ora's own frame interval). */
  spinner(): string;
}

/** Loads cli-progress and ora: only the terminal path calls this, so `volmig --help` and pipes never load them. */
export async function loadGlyphs(c: ChalkInstance): Promise<TtyGlyphs> {
  const [cliProgressModule, oraModule] = await Promise.all([import('cli-progress'), import('ora')]);
  const cliProgress = (cliProgressModule.default ?? cliProgressModule) as typeof import('cli-progress');
  // A spinner that never starts: no timer, no cursor hiding, no hook on process.stdout/stderr. Only its frames
  // are used. Colour is volmig's decision (chalk's own detection ignores NO_COLOR), so ora gets none.
  const spinner = oraModule.default({
    isEnabled: false,
    color: false,
    discardStdin: false,
    hideCursor: false,
    stream: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream,
  });
  const GLUE = '\u0000';
  return {
    bar(fraction, width) {
      const filled = Math.floor(Math.max(0, Math.min(1, fraction)) * width);
      const text = cliProgress.Format.BarFormat(filled / width, {
        barsize: width,
        barCompleteString: '█'.repeat(width + 1),
        barIncompleteString: '░'.repeat(width + 1),
        barGlue: GLUE,
      } as import('cli-progress').Options);
      const [done = '', todo = ''] = text.split(GLUE);
      return (done ? c.cyan(done) : '') + (todo ? c.dim(todo) : '');
    },
    spinner() {
      return c.cyan(spinner.frame().trim());
    },
  };
}

/** What one volume's row says, before layout. */
export interface VolumeRowCells {
  /** One column: spinner frame, ✔, ✖, ■ or a space (already coloured). */
  mark: string;
  name: string;
  phase: string;
  /** Present only when the server gave a number: no bar and no percentage otherwise. */
  numbers: { percent: number; amount: string; rate: string | null; eta: string | null } | null;
  /** Said instead of a bar when there is no number (`progress indeterminate`, the server's own word). */
  note: string | null;
  elapsed: string;
  /** The migration is still in flight (the layout keeps room for rate and ETA that may appear). */
  live: boolean;
}

export type RowEnd = 'success' | 'error' | 'other';

/**
 * The cells of a volume's row. While the migration runs, elapsed time moves on from the snapshot's (`now`); a
 * finished row keeps its last values. A spinner marks a running row that has no number; a running row with a
 * number has its bar instead.
 */
export function snapshotCells(s: ProgressSnapshot, now: number, glyph: string, c: ChalkInstance, end: RowEnd | null = null): VolumeRowCells {
  const elapsedMs = end === null ? s.elapsedMs + Math.max(0, now - s.at) : s.elapsedMs;
  const elapsed = elapsedText({ elapsedMs, startKnown: s.startKnown });
  const hasNumber = s.percent !== null && s.bytesCopied !== null;
  let mark = hasNumber ? ' ' : glyph;
  if (end === 'success') mark = c.green('✔');
  else if (end === 'error') mark = c.red('✖');
  else if (end === 'other') mark = c.yellow('■');
  const live = end === null && s.phase !== 'success' && s.phase !== 'error';
  const base = { mark, name: displayName(s), phase: phaseLabel(s), elapsed, live };
  if (hasNumber) {
    // Rate and ETA describe the copy; once it is over (completing, success) they would only decay.
    const copying = s.phase === 'migrating' && end === null;
    return {
      ...base,
      numbers: {
        percent: s.percent!,
        amount: amountText(s.bytesCopied!, s.totalBytes),
        rate: copying && s.rateBytesPerSecond !== null && s.rateBytesPerSecond > 0 ? formatRate(s.rateBytesPerSecond) : null,
        eta: copying && s.etaMs !== null ? `eta ${formatClock(s.etaMs)}` : null,
      },
      note: null,
    };
  }
  // Only a copy has a number to miss; `starting`, `completing` or `success` say enough by themselves.
  const note = s.phase === 'migrating' ? (s.serverProgress ? `(${s.serverProgress})` : 'progress indeterminate') : null;
  return { ...base, numbers: null, note };
}

/** `0.9/2.0 GiB`; the copied part as wide as the total, so the row does not shift when 9.9 becomes 10.0. */
function amountText(copied: number, total: number): string {
  const t = formatBytesAsGiB(total);
  return `${formatBytesAsGiB(Math.min(copied, total)).padStart(t.length)}/${t} GiB`;
}

const NAME_MAX = 24;
const BAR_MIN = 10;
const BAR_MAX = 30;

type Detail = 'percent' | 'amount' | 'rate' | 'eta' | 'elapsed';
const SHOWN: Detail[] = ['percent', 'amount', 'rate', 'eta', 'elapsed'];
/**
 * On a narrow terminal the details give way before the bar does: elapsed first, then rate, then ETA; then long names
 * are cut to 16 columns, then the amount goes, then names are cut down to 8 columns (a number: cut names to it).
 */
const GIVE_WAY: (Detail | number)[] = ['elapsed', 'rate', 'eta', 16, 'amount', 8];
/**
 * Room kept for a detail while a copy runs, even before it has a value (a rate needs two samples): the bar keeps
 * its width from the first number to the end instead of shrinking when rate and ETA appear.
 */
const RESERVED: Record<Detail, number> = { percent: 4, amount: 0, rate: 9, eta: 8, elapsed: 12 };

function detailText(r: VolumeRowCells, d: Detail): string | null {
  const n = r.numbers;
  if (!n) return null;
  switch (d) {
    case 'percent':
      return `${n.percent}%`;
    case 'amount':
      return n.amount;
    case 'rate':
      return n.rate;
    case 'eta':
      return n.eta;
    case 'elapsed':
      return r.elapsed;
  }
}

/**
 * Lays out rows so that every column starts at the same place on every row (mark, name, phase, bar, percent,
 * amount, rate, ETA, elapsed) and the widest row fits `width - 1` columns (GIVE_WAY says what goes first); the bar
 * is 10 to 30 columns wide, the same on every row. While a copy
 * runs the columns keep their room, so the bar does not change width as rate and ETA come and go.
 */
export function layoutVolumeRows(rows: VolumeRowCells[], width: number, glyphs: Pick<TtyGlyphs, 'bar'>, dim: (s: string) => string): string[] {
  if (!rows.length) return [];
  const room = width - 1;
  let nameWidth = Math.min(NAME_MAX, Math.max(...rows.map((r) => visibleWidth(r.name))));
  const phaseWidth = Math.max(...rows.map((r) => visibleWidth(r.phase)));
  const numeric = rows.filter((r) => r.numbers);
  const live = numeric.some((r) => r.live);
  let details = SHOWN.filter((d) => live || numeric.some((r) => detailText(r, d) !== null));
  const columnWidth = (d: Detail) => Math.max(live ? RESERVED[d] : 0, ...numeric.map((r) => visibleWidth(detailText(r, d) ?? '')));
  const headWidth = () => 2 + nameWidth + 1 + phaseWidth + 1;
  const barRoom = () => room - headWidth() - details.reduce((t, d) => t + 1 + columnWidth(d), 0);
  const spinnerRowTooLong = () => rows.some((r) => !r.numbers && headWidth() + visibleWidth(r.elapsed) > room);

  const fits = () => (numeric.length === 0 || barRoom() >= BAR_MIN) && !spinnerRowTooLong();
  const shrinkName = (to: number) => {
    while (nameWidth > to && !fits()) nameWidth -= 1;
  };
  for (const step of GIVE_WAY) {
    if (fits()) break;
    if (typeof step === 'number') shrinkName(step);
    else details = details.filter((x) => x !== step);
  }
  const barWidth = Math.max(3, Math.min(BAR_MAX, barRoom()));

  return rows.map((r) => {
    const head = `${r.mark} ${padToWidth(r.name, nameWidth)} ${padToWidth(r.phase, phaseWidth)} `;
    if (r.numbers) {
      const cells = details.map((d) => {
        const text = detailText(r, d) ?? '';
        return d === 'percent' || d === 'rate' ? padStartToWidth(text, columnWidth(d)) : padToWidth(text, columnWidth(d));
      });
      return `${head}${glyphs.bar(r.numbers.percent / 100, barWidth)} ${cells.join(' ')}`.trimEnd();
    }
    const left = room - headWidth();
    const note = r.note && visibleWidth(r.note) + 2 + visibleWidth(r.elapsed) <= left ? `${dim(r.note)}  ` : '';
    return `${head}${note}${r.elapsed}`;
  });
}
