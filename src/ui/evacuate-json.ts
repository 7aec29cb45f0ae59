import { volumeHost } from '../model/cinder.js';
import type { AggregateProgress, EvacuationOutcome, EvacuationPlan, EvacuationRenderer, MoveState } from '../migration/evacuate/index.js';
import type { MoveForecast } from '../migration/move-forecast.js';
import type { Output } from './output.js';
import { forecastJson } from './request-presenter.js';
import { durationOf } from './evacuate-format.js';
import { progressEvent } from './progress-format.js';

function aggregateJson(a: AggregateProgress): Record<string, unknown> {
  return {
    done: a.done,
    failed: a.failed,
    running: a.running,
    total: a.total,
    bytes_done: Math.round(a.bytesDone),
    total_bytes: a.totalBytes,
    rate_bytes_per_second: a.rateBytesPerSecond === null ? null : Math.round(a.rateBytesPerSecond),
    eta_seconds: a.etaMs === null ? null : Math.round(a.etaMs / 1000),
    elapsed_seconds: Math.round(a.elapsedMs / 1000),
  };
}

export function planJson(
  plan: EvacuationPlan,
  dryRun: boolean,
  limits: { concurrency: number; maxPerDestination: number },
  forecasts?: ReadonlyMap<string, MoveForecast>,
): Record<string, unknown> {
  return {
    event: 'plan',
    dry_run: dryRun,
    from: plan.request.from,
    to: plan.request.to,
    order: plan.request.order,
    concurrency: limits.concurrency,
    max_per_destination: limits.maxPerDestination,
    selected: plan.selectedCount,
    total_bytes: plan.totalBytes,
    moves: plan.moves.map((m) => ({
      volume_id: m.volume.id,
      name: m.volume.name ?? null,
      size: m.volume.size,
      source_host: volumeHost(m.volume),
      destination: m.destination,
      action: m.action,
      ...forecastJson(forecasts?.get(m.volume.id)),
    })),
    refusals: plan.refusals.map((r) => ({ volume_id: r.volume.id, name: r.volume.name ?? null, size: r.volume.size, reason: r.reason })),
    already_moved: plan.alreadyMoved,
  };
}

export function summaryJson(plan: EvacuationPlan, outcome: EvacuationOutcome, at: number): Record<string, unknown> {
  return {
    event: 'summary',
    time: new Date(at).toISOString(),
    end: outcome.end,
    exit_code: outcome.exitCode,
    ...aggregateJson(outcome.aggregate),
    // Machine words (the table's are for people): moved, already-there, failed, rejected, running, not-started,
    // refused, moved-earlier.
    volumes: [
      ...outcome.states.map((s) => {
        const d = durationOf(s);
        return {
          volume_id: s.move.volume.id,
          name: s.move.volume.name ?? null,
          result: s.result,
          destination: s.destination,
          duration_seconds: d === null ? null : Math.round(d / 1000),
          reason: s.reason ?? null,
        };
      }),
      ...plan.refusals.map((r) => ({ volume_id: r.volume.id, name: r.volume.name ?? null, result: 'refused', destination: null, duration_seconds: null, reason: r.reason })),
      ...plan.alreadyMoved.map((a) => ({ volume_id: a.volume_id, name: a.volume_name, result: 'moved-earlier', destination: a.destination, duration_seconds: null, reason: null })),
    ],
  };
}

/** --json: one JSON object per line on stdout (plan, start, progress, end, notice, summary). */
export class JsonEvacuationRenderer implements EvacuationRenderer {
  constructor(
    private readonly out: Output,
    private readonly now: () => number,
  ) {}

  private emit(value: Record<string, unknown>): void {
    this.out.resultJson({ time: new Date(this.now()).toISOString(), ...value }, { lines: true });
  }

  started(s: MoveState, a: AggregateProgress): void {
    this.emit({
      event: 'start',
      volume_id: s.move.volume.id,
      name: s.move.volume.name ?? null,
      size: s.move.volume.size,
      source_host: volumeHost(s.move.volume),
      destination: s.destination,
      action: s.action,
      request_id: s.requestId ?? null,
      aggregate: aggregateJson(a),
    });
  }

  progress(s: MoveState, a: AggregateProgress): void {
    if (!s.snapshot) return;
    this.emit({ ...progressEvent(s.snapshot), aggregate: aggregateJson(a) });
  }

  finished(s: MoveState, a: AggregateProgress): void {
    const d = durationOf(s);
    this.emit({
      event: 'end',
      volume_id: s.move.volume.id,
      name: s.move.volume.name ?? null,
      result: s.result,
      destination: s.destination,
      host: s.snapshot?.host ?? null,
      duration_seconds: d === null ? null : Math.round(d / 1000),
      reason: s.reason ?? null,
      aggregate: aggregateJson(a),
    });
  }

  notice(line: string): void {
    this.emit({ event: 'notice', message: line });
  }

  stop(): void {}
}
