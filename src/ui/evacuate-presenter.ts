import type { EvacuationOutcome, EvacuationPlan, EvacuationRenderer } from '../migration/evacuate/index.js';
import { nowFor } from '../io.js';
import * as fmt from './evacuate-format.js';
import * as json from './evacuate-json.js';
import type { MoveForecast } from '../migration/move-forecast.js';
import type { Output } from './output.js';

/**
 * The plan before anything is sent: its warnings, then the plan itself (on stdout for --dry-run, where it is the
 * result; on stderr otherwise, where it precedes the confirmation).
 */
export function printPlan(
  out: Output,
  plan: EvacuationPlan,
  limits: { concurrency: number; maxPerDestination: number },
  dryRun: boolean,
  forecasts?: ReadonlyMap<string, MoveForecast>,
): void {
  for (const w of plan.warnings) out.warn(w);
  if (out.json) {
    out.resultJson(json.planJson(plan, dryRun, limits, forecasts), { lines: true });
    return;
  }
  for (const line of fmt.renderPlan(plan, limits, forecasts)) (dryRun ? out.result.bind(out) : out.info.bind(out))(line);
}

/** JSON lines with --json, bars on an interactive terminal, plain lines otherwise. */
export async function createEvacuationRenderer(out: Output, title: string): Promise<EvacuationRenderer> {
  const now = nowFor(out.io);
  if (out.json) return new json.JsonEvacuationRenderer(out, now);
  if (out.interactive) {
    const { TtyEvacuationRenderer } = await import('./evacuate-tty.js');
    return TtyEvacuationRenderer.create(out, title, now);
  }
  const { PlainEvacuationRenderer } = await import('./evacuate-plain.js');
  return new PlainEvacuationRenderer(out, now);
}

/** The end of the run: the summary (table or JSON), the closing line, and how to follow or resume. */
export function printOutcome(out: Output, plan: EvacuationPlan, outcome: EvacuationOutcome): void {
  if (out.json) out.resultJson(json.summaryJson(plan, outcome, nowFor(out.io)()), { lines: true });
  else for (const line of fmt.renderSummaryTable(fmt.summaryRows(plan, outcome))) out.result(line);
  const closing = fmt.closingLine(plan, outcome);
  if (outcome.exitCode === 0) out.success(closing);
  else out.error(closing);

  const running = outcome.states.filter((s) => s.result === 'running').map((s) => s.move.volume.id);
  const unknown = outcome.states.filter((s) => s.result === 'unknown').map((s) => s.move.volume.id);
  if (running.length) out.info(`Still migrating on the server: ${running.join(' ')}`);
  if (unknown.length) out.info(`State unknown (volmig could not read it back): ${unknown.join(' ')}`);
  if (running.length || unknown.length) out.info(`Follow them with: volmig progress ${[...running, ...unknown].join(' ')} --watch`);
  if (outcome.end !== 'completed' || outcome.states.some((s) => s.result === 'not-started')) {
    out.info('Run the same evacuate command again to resume: moved volumes are skipped, running ones followed, none sent twice.');
  }
}
