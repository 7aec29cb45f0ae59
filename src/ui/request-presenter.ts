import type { MoveForecast } from '../migration/move-forecast.js';
import type { AcceptedEvent, CheckedEvent, ReconciledEvent, RejectedEvent, RequestEvent, RequestEvents } from '../migration/events.js';
import { ADMIN_ROLE_HINT } from '../errors.js';
import type { Output } from './output.js';

/** The seed's words for an accepted request (cinderclient's "has been accepted" made honest). */
const ACCEPTED_MESSAGE =
  'Your migration request has been received. Please check migration status and the server log to see more information.';
const RETYPE_ACCEPTED_MESSAGE =
  'Your retype request has been received. Please check the volume status, migration status and the server log to see more information.';

/** The seed's words for a refusal, followed by the cause. */
function refusalLine(action: 'migration' | 'retype', reason: string): string {
  return `Your ${action} request failed to process: ${reason}`;
}

/**
 * The presenter of the request part of `migrate` and `retype` (the watch after it has its own, src/ui/progress-*):
 * lines on stderr in every mode (the refusal is never lost, even with --quiet), plus one JSON line per event on
 * stdout with --json. The JSON shapes are documented in docs/json-output.md.
 */
export function createRequestPresenter(out: Output): RequestEvents {
  return (event: RequestEvent) => {
    const json = requestEventJson(event);
    switch (event.type) {
      case 'rejected':
        for (const reason of event.reasons) out.error(refusalLine(event.action, reason));
        if (event.api?.needsAdmin) out.error(ADMIN_ROLE_HINT);
        break;
      case 'warning':
        out.warn(event.message);
        break;
      case 'checked':
        if (!out.json) {
          for (const c of event.checks) out.info(`  ok  ${c.check}${c.detail ? `: ${c.detail}` : ''}`);
          out.result(dryRunLine(event));
          if (event.forecast) for (const line of forecastLines(event.forecast)) out.result(line);
        }
        break;
      case 'dry-run-unchecked':
        if (!out.json) out.result('Dry run with --skip-checks: nothing was checked and nothing was sent.');
        break;
      case 'answer-lost':
        out.warn(`the answer to the ${event.action} request was lost (${event.reason}). volmig does not send it again; reading the volume back.`);
        break;
      case 'reconciled':
        reconciledLine(out, event);
        break;
      case 'accepted':
        out.success(event.action === 'retype' ? RETYPE_ACCEPTED_MESSAGE : ACCEPTED_MESSAGE);
        if (event.answer === 'unreadable') {
          out.warn('the server accepted the request (HTTP 2xx) but its answer could not be read; volmig treats it as accepted.');
        }
        if (!event.waiting) out.info(`Next: ${event.next}${event.action === 'retype' && event.migrationPolicy === 'on-demand' ? ` (and volmig progress ${event.volumeId} --watch if it migrates)` : ''}`);
        break;
    }
    if (out.json && json) out.resultJson(json, { lines: true });
  };
}

/** A dry run's forecast in two lines: how the data will move, and where progress will come from. */
export function forecastLines(f: MoveForecast): string[] {
  const kind = f.kind === 'none' ? 'no migration' : f.kind === 'unknown' ? 'driver-assisted or generic' : f.kind;
  const move = `Move: ${kind}: ${f.kindReason}.`;
  if (!f.copiesData) return [move, 'Progress: none needed (no data moves).'];
  const progress = f.progress === 'none' ? 'Progress: no source gives numbers (phase and elapsed time only)' : `Progress: from ${f.progress === 'server' ? 'the server' : f.progress}`;
  return [move, f.progressReason ? `${progress}: ${f.progressReason}.` : `${progress}.`];
}

/** The forecast's JSON fields (`checked`, and each move of evacuate's `plan`). */
export function forecastJson(f: MoveForecast | undefined): Record<string, unknown> {
  if (!f) return {};
  return { kind: f.kind, kind_reason: f.kindReason, progress_source: f.progress, progress_reason: f.progressReason };
}

function dryRunLine(e: CheckedEvent): string {
  return e.action === 'retype'
    ? `Dry run: every pre-flight check passed; volume ${e.label} can be retyped to ${e.newType}. Nothing was sent.`
    : `Dry run: every pre-flight check passed; volume ${e.label} can be migrated to ${e.destination}. Nothing was sent.`;
}

function reconciledLine(out: Output, e: ReconciledEvent): void {
  const what = e.action === 'retype' ? 'retype' : 'migration';
  const ms = e.migrationStatus ?? 'none';
  switch (e.verdict) {
    case 'moved':
      out.info(
        e.action === 'retype'
          ? `The volume shows the retype was carried out (type ${e.volumeType ?? 'unknown'}, host ${e.host ?? 'unknown'}).`
          : `The volume shows the migration was carried out (host ${e.host ?? 'unknown'}, migration_status ${ms}).`,
      );
      break;
    case 'started':
      out.info(
        e.action === 'retype'
          ? `The volume shows the retype started (status ${e.status ?? 'unknown'}, migration_status ${ms}, host ${e.host ?? 'unknown'}).`
          : `The volume shows the migration started (migration_status ${ms}, host ${e.host ?? 'unknown'}).`,
      );
      break;
    case 'not-started':
      out.error(
        refusalLine(
          e.action,
          `the answer was lost and volume ${e.volumeId} shows no ${what} (status ${e.status ?? 'unknown'}, migration_status ${ms}): the request was probably not carried out. volmig did not resend it; check with volmig show ${e.volumeId} and run the command again if needed.`,
        ),
      );
      break;
    case 'unknown':
      out.error(
        refusalLine(
          e.action,
          `the answer was lost and the volume could not be read back (${e.error ?? 'no answer'}); whether the ${what} started is unknown. Check with: volmig show ${e.volumeId}`,
        ),
      );
      break;
  }
}

/** The JSON line of a request event (null: the event is only said in words). */
function requestEventJson(e: RequestEvent): Record<string, unknown> | null {
  switch (e.type) {
    case 'rejected':
      return rejectedJson(e);
    case 'checked':
      return {
        event: 'checked',
        volume_id: e.volumeId,
        name: e.name,
        ...(e.action === 'retype' ? { new_type: e.newType } : { destination: e.destination }),
        checks: e.checks,
        would_send: true,
        ...forecastJson(e.forecast),
      };
    case 'dry-run-unchecked':
      return { event: 'checked', volume_id: null, checks: [], would_send: true, unchecked: true };
    case 'reconciled':
      return {
        event: 'reconciled',
        volume_id: e.volumeId,
        verdict: e.verdict,
        status: e.status,
        migration_status: e.migrationStatus,
        host: e.host,
        volume_type: e.volumeType,
        error: e.error,
      };
    case 'accepted':
      return acceptedJson(e);
    default:
      return null;
  }
}

function rejectedJson(e: RejectedEvent): Record<string, unknown> {
  const target = e.action === 'retype' ? { new_type: e.newType } : { destination: e.destination };
  if (e.by === 'volmig') {
    return { event: 'rejected', volume_id: e.volumeId, name: e.name, ...target, by: 'volmig', checks: e.checks, exit_code: e.exitCode };
  }
  return {
    event: 'rejected',
    volume: e.volumeRef,
    ...target,
    reason: e.reasons.join('; '),
    exit_code: e.exitCode,
    ...(e.by ? { by: e.by } : {}),
    ...(e.api ? { http_status: e.api.httpStatus, fault: e.api.fault, message: e.api.message, request_id: e.api.requestId } : {}),
  };
}

function acceptedJson(e: AcceptedEvent): Record<string, unknown> {
  const common = { event: 'accepted', time: new Date(e.at).toISOString(), volume_id: e.volumeId, name: e.name };
  const tail = { request_id: e.requestId, answer: e.answer, next: e.next };
  if (e.action === 'retype') {
    return { ...common, previous_type: e.previousType, new_type: e.newType, migration_policy: e.migrationPolicy, ...tail };
  }
  return {
    ...common,
    source_host: e.sourceHost,
    destination: e.destination,
    cluster: e.cluster,
    force_host_copy: e.forceHostCopy,
    lock_volume: e.lockVolume,
    ...tail,
  };
}
