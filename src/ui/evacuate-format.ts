import { formatClock, formatBytesAsGiB, formatRate } from '../model/duration.js';
import type { AggregateProgress, EvacuationOutcome, EvacuationPlan, MoveState } from '../migration/evacuate/index.js';
import type { Volume } from '../model/cinder.js';
import { volumeHost } from '../model/cinder.js';
import { renderTable, type Column } from './table.js';
import type { MoveForecast } from '../migration/move-forecast.js';
import { forecastLines } from './request-presenter.js';

/** What a person calls a volume in a line: its name, else its id. */
export function volumeLabel(v: Volume): string {
  return v.name && v.name.trim() ? v.name : v.id;
}

const RESULT_WORDS: Record<MoveState['result'], string> = {
  moved: 'moved',
  'already-there': 'already there',
  failed: 'failed',
  rejected: 'rejected',
  unknown: 'unknown',
  running: 'still running',
  'not-started': 'not started',
  refused: 'refused',
  queued: 'queued',
  active: 'running',
};

/** `3/10 volumes  12.0/40.0 GiB  120 MiB/s  eta 4:10` (plus failures when there are any). */
export function aggregateText(a: AggregateProgress): string {
  const parts = [`${a.done}/${a.total} volumes`];
  if (a.failed) parts.push(`${a.failed} failed`);
  parts.push(`${formatBytesAsGiB(a.bytesDone)}/${formatBytesAsGiB(a.totalBytes)} GiB`);
  if (a.rateBytesPerSecond !== null && a.rateBytesPerSecond > 0) parts.push(formatRate(a.rateBytesPerSecond));
  if (a.etaMs !== null && a.done + a.failed < a.total) parts.push(`eta ${formatClock(a.etaMs)}`);
  parts.push(`elapsed ${formatClock(a.elapsedMs)}`);
  return parts.join('  ');
}

/** A move's duration: from its request (this run's, or an earlier run's from the journal), else from when it was watched. */
export function durationOf(s: MoveState): number | null {
  if (s.endedAt === null) return null;
  const from = s.action === 'follow' && s.move.requestedAt !== undefined ? s.move.requestedAt : s.startedAt;
  return from === null ? null : s.endedAt - from;
}

/** The duration counts from the migration's start (false: a migration volmig joined, timed from when it looked). */
function durationKnown(s: MoveState): boolean {
  return s.action === 'migrate' || s.move.requestedAt !== undefined;
}

function durationText(s: MoveState, d: number): string {
  return durationKnown(s) ? formatClock(d) : `watched ${formatClock(d)}`;
}

/** One line for a finished move: `moved vol-a to h@b#p in 0:12` / `failed vol-a: <reason>`. */
export function finishedLine(s: MoveState): string {
  const name = volumeLabel(s.move.volume);
  const d = durationOf(s);
  switch (s.result) {
    case 'moved':
      return `moved ${name} to ${s.destination ?? volumeHost(s.move.volume) ?? '?'}${d === null ? '' : durationKnown(s) ? ` in ${formatClock(d)}` : ` (watched for ${formatClock(d)})`}`;
    case 'already-there':
      return `skipped ${name}: already on ${s.destination}`;
    default:
      return `${RESULT_WORDS[s.result]} ${name}${s.reason ? `: ${s.reason}` : ''}`;
  }
}

export function startedLine(s: MoveState): string {
  const verb = s.action === 'follow' ? 'following' : 'started';
  const to = s.destination ? ` -> ${s.destination}` : '';
  const what = s.action === 'follow' ? ' (migration already in flight, not sent again)' : '';
  return `${verb} ${volumeLabel(s.move.volume)} (${s.move.volume.size} GiB) ${volumeHost(s.move.volume) ?? '?'}${to}${what}`;
}

const ORDER_WORDS = { size: 'largest first', created: 'oldest first' } as const;

/** The plan as people read it (the result of --dry-run, and what is shown before the confirmation). */
export function renderPlan(
  plan: EvacuationPlan,
  limits: { concurrency: number; maxPerDestination: number },
  forecasts?: ReadonlyMap<string, MoveForecast>,
): string[] {
  const r = plan.request;
  const follows = plan.moves.filter((m) => m.action === 'follow');
  const migrates = plan.moves.filter((m) => m.action === 'migrate');
  const migrateBytes = migrates.reduce((t, m) => t + m.volume.size, 0);
  const lines: string[] = [];
  lines.push(`Evacuation plan: ${r.from} -> ${r.to.join(', ')}`);
  const counts = [
    `${plan.selectedCount} volume${plan.selectedCount === 1 ? '' : 's'} on the source`,
    `${migrates.length} to migrate (${migrateBytes} GiB)`,
  ];
  if (follows.length) counts.push(`${follows.length} already migrating (followed, not sent again)`);
  counts.push(`${plan.refusals.length} refused`);
  if (plan.alreadyMoved.length) counts.push(`${plan.alreadyMoved.length} moved by an earlier run`);
  lines.push(counts.join(', '));
  const opts = [ORDER_WORDS[r.order], `at most ${limits.concurrency} at once`, `${limits.maxPerDestination} per destination`];
  if (r.force) opts.push('locked (maintenance)');
  if (r.forceHostCopy) opts.push('generic host copy');
  lines.push(`Order and limits: ${opts.join(', ')}`);
  if (plan.moves.length) {
    lines.push('', 'Moves:');
    const cols: Column<EvacuationPlan['moves'][number]>[] = [
      { header: 'ID', value: (m) => m.volume.id },
      { header: 'Name', value: (m) => m.volume.name ?? '-' },
      { header: 'Size', value: (m) => `${m.volume.size} GiB`, align: 'right' },
      { header: 'From', value: (m) => volumeHost(m.volume) ?? '-' },
      { header: 'To', value: (m) => m.destination ?? '(as requested earlier)' },
      { header: 'Action', value: (m) => (m.action === 'follow' ? 'follow (in flight)' : 'migrate') },
    ];
    if (forecasts) {
      cols.push(
        { header: 'Kind', value: (m) => forecasts.get(m.volume.id)?.kind ?? '-' },
        { header: 'Progress', value: (m) => forecasts.get(m.volume.id)?.progress ?? '-' },
      );
    }
    lines.push(...renderTable(cols, plan.moves).map((l) => '  ' + l));
    if (forecasts && forecasts.size > 0) lines.push(...forecastGroups(plan, forecasts));
  }
  if (plan.refusals.length) {
    lines.push('', 'Refused (will not be moved):');
    const cols: Column<EvacuationPlan['refusals'][number]>[] = [
      { header: 'ID', value: (x) => x.volume.id },
      { header: 'Name', value: (x) => x.volume.name ?? '-' },
      { header: 'Reason', value: (x) => x.reason },
    ];
    lines.push(...renderTable(cols, plan.refusals).map((l) => '  ' + l));
  }
  if (plan.alreadyMoved.length) {
    lines.push('', 'Moved by an earlier run of this evacuation (skipped):');
    for (const a of plan.alreadyMoved) lines.push(`  ${a.volume_id}  ${a.volume_name ?? '-'}  -> ${a.destination ?? '?'}  (${a.time})`);
  }
  return lines;
}

/** The forecasts' reasons, once for each group of moves that share them (an evacuation usually has one or two). */
function forecastGroups(plan: EvacuationPlan, forecasts: ReadonlyMap<string, MoveForecast>): string[] {
  const groups = new Map<string, { forecast: MoveForecast; names: string[] }>();
  for (const m of plan.moves) {
    const f = forecasts.get(m.volume.id);
    if (!f) continue;
    const key = `${f.kind}|${f.kindReason}|${f.progress}|${f.progressReason}`;
    const group = groups.get(key) ?? { forecast: f, names: [] };
    group.names.push(m.volume.name ?? m.volume.id);
    groups.set(key, group);
  }
  const lines = ['', 'How they will move:'];
  for (const { forecast, names } of groups.values()) {
    const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
    lines.push(`  ${shown}:`, ...forecastLines(forecast).map((l) => `    ${l}`));
  }
  return lines;
}

export interface SummaryRow {
  id: string;
  name: string | null;
  result: string;
  duration: string;
  reason: string;
}

export function summaryRows(plan: EvacuationPlan, outcome: EvacuationOutcome): SummaryRow[] {
  const rows: SummaryRow[] = outcome.states.map((s) => {
    const d = durationOf(s);
    return {
      id: s.move.volume.id,
      name: s.move.volume.name ?? null,
      result: RESULT_WORDS[s.result],
      duration: d === null ? '-' : durationText(s, d),
      reason: s.reason ?? (s.result === 'moved' ? `now on ${s.destination ?? '?'}` : ''),
    };
  });
  for (const r of plan.refusals) {
    rows.push({ id: r.volume.id, name: r.volume.name ?? null, result: 'refused', duration: '-', reason: r.reason });
  }
  for (const a of plan.alreadyMoved) {
    rows.push({ id: a.volume_id, name: a.volume_name, result: 'moved earlier', duration: '-', reason: `moved to ${a.destination ?? '?'} at ${a.time}` });
  }
  return rows;
}

/** The closing table on stdout: volume, result, duration, reason. */
export function renderSummaryTable(rows: SummaryRow[]): string[] {
  if (!rows.length) return ['No volumes to evacuate.'];
  const cols: Column<SummaryRow>[] = [
    { header: 'ID', value: (r) => r.id },
    { header: 'Name', value: (r) => r.name ?? '-' },
    { header: 'Result', value: (r) => r.result },
    { header: 'Duration', value: (r) => r.duration, align: 'right' },
    { header: 'Reason', value: (r) => r.reason || '-' },
  ];
  return renderTable(cols, rows);
}

/** One closing sentence on stderr. */
export function closingLine(plan: EvacuationPlan, outcome: EvacuationOutcome): string {
  const count = (r: MoveState['result']) => outcome.states.filter((s) => s.result === r).length;
  const moved = count('moved') + count('already-there');
  const failed = count('failed') + count('rejected');
  const parts = [`${moved} of ${outcome.states.length} moved`];
  if (failed) parts.push(`${failed} failed`);
  if (count('unknown')) parts.push(`${count('unknown')} unknown`);
  if (count('running')) parts.push(`${count('running')} still running on the server`);
  if (count('not-started')) parts.push(`${count('not-started')} not started`);
  if (plan.refusals.length) parts.push(`${plan.refusals.length} refused`);
  if (plan.alreadyMoved.length) parts.push(`${plan.alreadyMoved.length} moved by an earlier run`);
  const head =
    outcome.end === 'interrupted'
      ? 'Evacuation interrupted'
      : outcome.end === 'timeout'
        ? 'Evacuation timed out'
        : outcome.end === 'denied'
          ? 'Evacuation stopped (not allowed to read volumes)'
          : outcome.end === 'unavailable'
            ? 'Evacuation stopped (the API kept failing)'
            : outcome.exitCode === 0
          ? 'Evacuation complete'
          : 'Evacuation finished with problems';
  return `${head}: ${parts.join(', ')} (${formatClock(outcome.aggregate.elapsedMs)}).`;
}
