import type { ProgressSink, ProgressSnapshot, WatchResult } from '../migration/progress.js';
import type { Output } from './output.js';
import { plainProgressLine, printResultText } from './progress-format.js';

/**
 * Off a TTY (logs, CI, pipes): one line per visible change, plus a heartbeat when nothing changed for a while, so
 * a log shows the watch is alive. No escape codes.
 */
export class PlainProgressSink implements ProgressSink {
  private readonly lastLineAt = new Map<string, number>();
  /** What a line says apart from the moving numbers (rate, ETA, elapsed), to tell news from repetition. */
  private readonly lastKey = new Map<string, string>();

  constructor(
    private readonly out: Output,
    private readonly heartbeatMs = 30_000,
  ) {}

  update(s: ProgressSnapshot): void {
    const line = plainProgressLine(s);
    const lastAt = this.lastLineAt.get(s.volumeId);
    const due = lastAt === undefined || s.at - lastAt >= this.heartbeatMs;
    const key = `${s.phase}|${s.percent}|${s.status}`;
    const news = this.lastKey.get(s.volumeId) !== key;
    if (!news && !due) return;
    this.lastLineAt.set(s.volumeId, s.at);
    this.lastKey.set(s.volumeId, key);
    this.out.info(line);
  }

  notice(message: string): void {
    this.out.info(message);
  }

  result(r: WatchResult): void {
    printResultText(this.out, r);
  }

  stop(): void {}
}
