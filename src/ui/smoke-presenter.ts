import type { SmokeCaseResult, SmokeEvents, SmokeRun } from '../migration/smoke/index.js';
import { formatClock } from '../model/duration.js';
import type { Output } from './output.js';

/** What `volmig smoke` prints as it goes: a line per pair and step on stderr, a PASS/FAIL line per case on stdout. */
export function smokeEvents(out: Output): SmokeEvents {
  return {
    begin: (pair, i, total) => out.info(`[${i + 1}/${total}] ${pair.source} -> ${pair.destination}${pair.locked ? ' (locked)' : ''}`),
    step: (_pair, text) => out.info(`  ${text}`),
    warn: (line) => out.warn(line),
    result: (r) => {
      if (out.json) {
        out.resultJson(caseJson(r), { lines: true });
        return;
      }
      const c = out.stdoutStyle;
      const took = formatClock(r.durationMs);
      if (r.skipped) out.result(`SKIP  ${r.name}  (interrupted)`);
      else if (r.passed) out.result(`${c.green('PASS')}  ${r.name}  (${took})`);
      else {
        out.result(`${c.red('FAIL')}  ${r.name}  (${took}): ${r.failure!.message}`);
        for (const d of r.failure!.details) out.info(`      ${d}`);
      }
    },
  };
}

function caseJson(r: SmokeCaseResult): Record<string, unknown> {
  return {
    event: 'case',
    name: r.name,
    source: r.pair.source,
    destination: r.pair.destination,
    locked: r.pair.locked,
    result: r.skipped ? 'skipped' : r.passed ? 'pass' : 'fail',
    duration_seconds: Math.round(r.durationMs / 100) / 10,
    volume_id: r.volumeId,
    failure: r.failure ?? null,
  };
}

/** The end of a smoke run: the summary line (and JSON), the JUnit path, anything left behind. */
export function printSmokeSummary(out: Output, run: SmokeRun, exitCode: number, junitPath: string | undefined): void {
  const passed = run.cases.filter((x) => x.passed).length;
  const failed = run.cases.filter((x) => !x.passed && !x.skipped).length;
  const skipped = run.cases.filter((x) => x.skipped).length;
  const kept = run.cases.filter((x) => x.leftBehind).map((x) => x.leftBehind!);
  if (out.json) {
    out.resultJson(
      { event: 'summary', passed, failed, skipped, total: run.cases.length, pools: run.pools, volume_type: run.volumeType, junit: junitPath ?? null, left_behind: [...run.leftovers, ...kept], exit_code: exitCode },
      { lines: true },
    );
  }
  const parts = [`${passed} passed`, `${failed} failed`];
  if (skipped) parts.push(`${skipped} not run`);
  const line = `Smoke ${run.interrupted ? 'interrupted' : 'finished'}: ${parts.join(', ')} of ${run.cases.length} (pools ${run.pools.join(', ')}; type ${run.volumeType}; ${formatClock(run.endedAt - run.startedAt)}).`;
  if (exitCode === 0) out.success(line);
  else out.error(line);
  if (junitPath) out.info(`JUnit report: ${junitPath}`);
  if (run.leftovers.length) out.error(`Could not delete these test volumes: ${run.leftovers.join(' ')} (delete them by hand; volmig recover helps with a stuck migration).`);
  if (kept.length) out.info(`Kept (--keep): ${kept.join(' ')}`);
}
