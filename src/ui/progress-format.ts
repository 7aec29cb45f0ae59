import type { ProgressSnapshot, WatchResult } from '../migration/progress.js';
import { formatClock, formatBytesAsGiB, formatRate } from '../model/duration.js';
import type { Output } from './output.js';

/** The name a person recognises: the volume name, else its id. */
export function displayName(s: { name: string | null; volumeId: string }): string {
  return s.name && s.name.trim() ? s.name : s.volumeId;
}

/** The phase word; a locked volume says so because attach and detach are refused meanwhile. */
export function phaseLabel(s: ProgressSnapshot): string {
  const phase = s.phase === 'pending' ? 'waiting' : s.phase;
  const locked = s.status === 'maintenance' || (s.status === 'retyping' && s.phase !== 'retyping');
  return locked ? `${phase} (${s.status})` : phase;
}

/**
 * Time on a row: `elapsed 0:12` since the migration started, or `watched 0:12` when volmig joined a migration whose
 * start it does not know (the watch's own time, never passed off as the migration's).
 */
export function elapsedText(s: Pick<ProgressSnapshot, 'elapsedMs' | 'startKnown'>): string {
  return `${s.startKnown ? 'elapsed' : 'watched'} ${formatClock(s.elapsedMs)}`;
}

/**
 * One plain progress line, no escape codes:
 * `vol-1 migrating 43% 4.3/10.0 GiB 120 MiB/s eta 0:50`, or for an indeterminate migration
 * `vol-1 migrating progress indeterminate elapsed 0:12`.
 */
export function plainProgressLine(s: ProgressSnapshot): string {
  const parts = [displayName(s), phaseLabel(s)];
  if (s.percent !== null && s.bytesCopied !== null) {
    parts.push(`${s.percent}%`, `${formatBytesAsGiB(Math.min(s.bytesCopied, s.percent === 100 ? s.totalBytes : s.bytesCopied))}/${formatBytesAsGiB(s.totalBytes)} GiB`);
    // Rate and ETA describe the copy; once it is over (completing, success) they would only decay.
    if (s.phase === 'migrating') {
      if (s.rateBytesPerSecond !== null && s.rateBytesPerSecond > 0) parts.push(formatRate(s.rateBytesPerSecond));
      if (s.etaMs !== null) parts.push(`eta ${formatClock(s.etaMs)}`);
    }
  } else if (s.phase === 'starting' || s.phase === 'migrating' || s.phase === 'completing') {
    parts.push(s.serverProgress ? `progress indeterminate (${s.serverProgress})` : 'progress indeterminate');
    parts.push(elapsedText(s));
  } else {
    parts.push(elapsedText(s));
  }
  return parts.join(' ');
}

/** The end of a watch in words: the summary on stdout for a success (it is the result), everything else on stderr. */
export function printResultText(out: Output, r: WatchResult): void {
  // Ctrl-C has its own one message for all volumes (how to resume), printed by the watch.
  if (r.outcome === 'interrupted') return;
  if (r.outcome === 'success' || r.outcome === 'idle') {
    out.result(r.summary);
    for (const line of r.details) out.info(`  ${line}`);
    return;
  }
  // The explanation belongs to the error: --quiet keeps it.
  out.error(r.summary);
  for (const line of r.details) out.stderrWrite(`  ${line}\n`);
}

/** The JSON-lines event for one observation. */
export function progressEvent(s: ProgressSnapshot): Record<string, unknown> {
  return {
    event: 'progress',
    time: new Date(s.at).toISOString(),
    volume_id: s.volumeId,
    name: s.name,
    status: s.status,
    migration_status: s.migrationStatus,
    phase: s.phase,
    progress: s.percent,
    indeterminate: s.indeterminate,
    source: s.source,
    server_progress: s.serverProgress,
    bytes_copied: s.bytesCopied === null ? null : Math.round(s.bytesCopied),
    total_bytes: s.totalBytes,
    rate_bytes_per_second: s.rateBytesPerSecond === null ? null : Math.round(s.rateBytesPerSecond),
    eta_seconds: s.etaMs === null ? null : Math.round(s.etaMs / 1000),
    elapsed_seconds: Math.round(s.elapsedMs / 1000),
    elapsed_from: s.startKnown ? 'start' : 'watch',
    host: s.host,
    source_host: s.sourceHost,
    destination: s.destination,
  };
}

export function resultEvent(r: WatchResult, at: number): Record<string, unknown> {
  return {
    event: 'result',
    time: new Date(at).toISOString(),
    volume_id: r.volumeId,
    name: r.name,
    kind: r.kind,
    result: r.outcome,
    exit_code: r.exitCode,
    summary: r.summary,
    details: r.details,
    source_host: r.sourceHost,
    destination_host: r.destinationHost,
    host: r.snapshot?.host ?? null,
    status: r.statusAfter ?? r.snapshot?.status ?? null,
    migration_status: r.snapshot?.migrationStatus ?? null,
    volume_type: r.volumeType ?? null,
    progress: r.snapshot?.percent ?? null,
    duration_seconds: Math.round(r.durationMs / 1000),
    duration_from: r.durationFrom,
    source: r.source,
    average_rate_bytes_per_second: r.averageBytesPerSecond === null ? null : Math.round(r.averageBytesPerSecond),
    leftover_target: r.leftoverTarget ?? null,
  };
}

/** `progress` without --watch: the phase line plus where the volume is and where it is going. */
export function oneShotLine(s: ProgressSnapshot): string {
  if (s.phase === 'idle') {
    const last = s.lastResult ? `; last migration: ${s.lastResult}` : '';
    return `${displayName(s)} no migration in flight${last} (host ${s.host ?? 'unknown'}, status ${s.status})`;
  }
  const dest = s.destination ? ` → ${s.destination}` : '';
  return `${plainProgressLine(s).replace(/ (elapsed|watched) \d+:\d+(:\d+)?$/, '')} (host ${s.host ?? 'unknown'}${dest})`;
}
