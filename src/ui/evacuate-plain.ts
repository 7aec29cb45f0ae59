import type { AggregateProgress, EvacuationRenderer, MoveState } from '../migration/evacuate/index.js';
import type { Output } from './output.js';
import { aggregateText, finishedLine, startedLine } from './evacuate-format.js';
import { plainProgressLine } from './progress-format.js';

/**
 * Off a TTY: one line per start, per visible change and per end, and the aggregate after every end and at least
 * every `heartbeatMs`, so a log of a long window shows it is alive. No escape codes.
 */
export class PlainEvacuationRenderer implements EvacuationRenderer {
  private lastAggregateAt = 0;

  constructor(
    private readonly out: Output,
    private readonly now: () => number,
    private readonly heartbeatMs = 30_000,
  ) {
    this.lastAggregateAt = now();
  }

  started(state: MoveState, aggregate: AggregateProgress): void {
    this.out.info(startedLine(state));
    this.maybeAggregate(aggregate);
  }

  progress(state: MoveState, aggregate: AggregateProgress): void {
    if (state.snapshot) this.out.info(plainProgressLine(state.snapshot));
    this.maybeAggregate(aggregate);
  }

  finished(state: MoveState, aggregate: AggregateProgress): void {
    const line = finishedLine(state);
    if (state.result === 'failed' || state.result === 'rejected') this.out.error(line);
    else this.out.info(line);
    this.aggregate(aggregate);
  }

  notice(line: string): void {
    this.out.info(line);
  }

  stop(): void {}

  private maybeAggregate(a: AggregateProgress): void {
    if (this.now() - this.lastAggregateAt >= this.heartbeatMs) this.aggregate(a);
  }

  private aggregate(a: AggregateProgress): void {
    this.lastAggregateAt = this.now();
    this.out.info(`evacuate: ${aggregateText(a)}`);
  }
}
