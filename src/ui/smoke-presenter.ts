import type { SmokeCaseResult, SmokeEvents, SmokePlan, SmokeRun } from '../migration/smoke/index.js';
import { formatClock } from '../model/duration.js';
import type { Output } from './output.js';
import { renderTable, type Column } from './table.js';

/**
 * What `volmig smoke` prints as it goes: a line per pair and step on stderr, a PASS/FAIL line per case on stdout.
 * With several pairs at once each step line names its pair (`[3/12] migrating to ...`), as lines interleave.
 */
export function smokeEvents(out: Output, options: { concurrency?: number } = {}): SmokeEvents {
  const parallel = (options.concurrency ?? 1) > 1;
  return {
    begin: (pair, i, total) => out.info(`[${i + 1}/${total}] ${pair.source} -> ${pair.destination}${pair.locked ? ' (locked)' : ''}`),
    step: (_pair, text, i, total) => out.info(parallel ? `[${i + 1}/${total}]   ${text}` : `  ${text}`),
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

/**
 * What a smoke run will do, before anything is created: the pairs and the volume each creates. The result of
 * --dry-run (stdout; one `plan` JSON line with --json), and what the confirmation on a terminal asks about (stderr).
 */
export function printSmokePlan(out: Output, plan: SmokePlan, options: { concurrency: number; lock: boolean; keep: boolean; dryRun: boolean }): void {
  const n = plan.pairs.length;
  if (out.json) {
    if (!options.dryRun) return;
    out.resultJson(
      {
        event: 'plan',
        dry_run: true,
        pools: plan.pools,
        volume_type: plan.volumeType,
        size_gib: plan.sizeGiB,
        lock: options.lock,
        concurrency: options.concurrency,
        keep: options.keep,
        pairs: plan.pairs.map((p) => ({ name: p.name, source: p.pair.source, destination: p.pair.destination, locked: p.pair.locked, volume_name: p.volumeName })),
      },
      { lines: true },
    );
    return;
  }
  const print = options.dryRun ? (line: string) => out.result(line) : (line: string) => out.info(line);
  print(`Smoke plan: ${n} pair${n === 1 ? '' : 's'} between ${plan.pools.length} pools, ${options.concurrency === 1 ? 'one at a time' : `${Math.min(options.concurrency, n)} at a time`}`);
  print(
    `Each pair creates one ${plan.sizeGiB} GiB volume of type ${plan.volumeType}, moves it onto the source pool if the scheduler put it elsewhere, migrates it${options.lock ? ' (locked pairs: with lock_volume)' : ''}, checks it and ${options.keep ? 'keeps it (--keep)' : 'deletes it'}.`,
  );
  const rows = plan.pairs.map((p, i) => ({ n: `${i + 1}`, name: p.name, volume: p.volumeName }));
  const cols: Column<(typeof rows)[number]>[] = [
    { header: '#', value: (r) => r.n, align: 'right' },
    { header: 'Pair', value: (r) => r.name },
    { header: 'Volume it creates', value: (r) => r.volume },
  ];
  for (const line of renderTable(cols, rows)) print(`  ${line}`);
  if (options.dryRun) print('Dry run: nothing was created and nothing was sent.');
}
