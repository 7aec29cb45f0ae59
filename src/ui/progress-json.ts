import type { NoticeKind, ProgressSink, ProgressSnapshot, WatchResult } from '../migration/progress.js';
import type { Output } from './output.js';
import { progressEvent, resultEvent } from './progress-format.js';

/** `--json`: one JSON object per line on stdout, one event per change, and a final `result` line per volume. */
export class JsonLinesProgressSink implements ProgressSink {
  constructor(
    private readonly out: Output,
    private readonly now: () => number,
  ) {}

  update(s: ProgressSnapshot): void {
    if (!s.changed) return;
    this.out.resultJson(progressEvent(s), { lines: true });
  }

  notice(message: string, volumeId?: string, kind?: NoticeKind): void {
    // Every progress event names its source: the line that says it once in words is for people.
    if (kind === 'source') return;
    this.out.resultJson({ event: 'notice', time: new Date(this.now()).toISOString(), volume_id: volumeId ?? null, message }, { lines: true });
  }

  result(r: WatchResult): void {
    this.out.resultJson(resultEvent(r, this.now()), { lines: true });
  }

  stop(): void {}
}
