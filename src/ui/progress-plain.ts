import type { ProgressSink, ProgressSnapshot, WatchResult } from '../migration/progress.js';
import type { Output } from './output.js';
import { plainProgressLine, printResultText } from './progress-format.js';

/**
 * Off a TTY (logs, CI, pipes): one line per visible change, plus a heartbeat when nothing changed for a while, so
 * a log shows the watch is alive. No escape codes.
 */
export class PlainProgressSink implements ProgressSink {
  private readonly lastLineAt = new Map<string, number>();
  private readonly lastLine = new Map<string, string>();

  constructor(
    private readonly out: Output,
    private readonly heartbeatMs = 30_000,
  ) {}

  update(s: ProgressSnapshot): void {
    const line = plainProgressLine(s);
    const lastAt = this.lastLineAt.get(s.volumeId);
    const due = lastAt === undefined || s.at - lastAt >= this.heartbeatMs;
    const differs = this.lastLine.get(s.volumeId) !== line;
    if (!(s.changed && differs) && !due) return;
    this.lastLineAt.set(s.volumeId, s.at);
    this.lastLine.set(s.volumeId, line);
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
