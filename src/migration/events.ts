/**
 * What the migration domain tells the operator, as typed events; presenters in src/ui/ turn them into JSON lines,
 * plain lines or a terminal display. The domain never writes to a stream itself. The JSON form of every event is
 * documented in docs/json-output.md and described by a JSON Schema in schemas/events/.
 *
 * The events of a watch (progress, notice, result) go through the ProgressSink of src/migration/progress.ts; these
 * are the events of the request around it (migrate, retype).
 */
import type { CheckResult } from './preflight.js';
import type { MoveForecast } from './move-forecast.js';

export type RequestAction = 'migration' | 'retype';

/** The API's own answer to a refused request, as cinderclient users know it. */
export interface ApiRefusal {
  httpStatus: number;
  fault: string | null;
  message: string;
  requestId: string | null;
  /** A policy refusal: these credentials lack the admin role most of volmig's calls need. */
  needsAdmin: boolean;
}

/**
 * A request that was not carried out: the volume (or type) could not be found, volmig's pre-flight checks refused
 * it, or the API did. Each reason is one "Your … request failed to process: …" line.
 */
export interface RejectedEvent {
  type: 'rejected';
  action: RequestAction;
  /** The volume as the operator named it. */
  volumeRef: string;
  /** Set once the volume was found (pre-flight refusals); null when the lookup itself failed or for the API's. */
  volumeId: string | null;
  name: string | null;
  /** Migration: the destination host, or `cluster NAME`. */
  destination: string | null;
  /** Retype: the requested type. */
  newType: string | null;
  /** volmig's pre-flight, the API, or (null) the lookup of the volume or type. */
  by: 'volmig' | 'api' | null;
  reasons: string[];
  /** The pre-flight checks, when they refused. */
  checks: CheckResult[] | null;
  exitCode: number;
  api: ApiRefusal | null;
}

/** A pre-flight remark that refuses nothing (e.g. an attached volume that a retype may migrate). */
export interface WarningEvent {
  type: 'warning';
  message: string;
}

/** `--dry-run`: every check passed, nothing was sent. */
export interface CheckedEvent {
  type: 'checked';
  action: RequestAction;
  volumeId: string;
  name: string | null;
  /** `name (id)` for sentences. */
  label: string;
  destination: string | null;
  newType: string | null;
  checks: CheckResult[];
  /** Driver-assisted or generic, and where progress will come from (absent when no forecaster was wired). */
  forecast?: MoveForecast;
}

/** `--dry-run --skip-checks`: nothing checked, nothing sent. */
export interface UncheckedDryRunEvent {
  type: 'dry-run-unchecked';
  action: RequestAction;
}

/** The request may have reached the server but its answer was lost; volmig reads the volume back, never resends. */
export interface AnswerLostEvent {
  type: 'answer-lost';
  action: RequestAction;
  volumeId: string;
  /** Why the answer was lost, without the "may or may not" boilerplate. */
  reason: string;
}

/** What the read-back after a lost answer showed (see src/migration/reconcile.ts). */
export interface ReconciledEvent {
  type: 'reconciled';
  action: RequestAction;
  volumeId: string;
  verdict: 'moved' | 'started' | 'not-started' | 'unknown';
  status: string | null;
  migrationStatus: string | null;
  host: string | null;
  volumeType: string | null;
  /** Why the state is unknown (the read-back failed). */
  error: string | null;
}

/** The request was accepted (202), or its answer was lost and the read-back shows it was carried out. */
export interface AcceptedEvent {
  type: 'accepted';
  action: RequestAction;
  at: number;
  volumeId: string;
  name: string | null;
  sourceHost: string | null;
  /** Migration */
  destination: string | null;
  cluster: string | null;
  forceHostCopy: boolean;
  lockVolume: boolean;
  /** Retype */
  previousType: string | null;
  newType: string | null;
  migrationPolicy: 'never' | 'on-demand' | null;
  requestId: string | null;
  /** `read`: a 2xx whose body was fine; `unreadable`: a 2xx whose body could not be read; `reconciled`: lost, read back. */
  answer: 'read' | 'unreadable' | 'reconciled';
  /** The command that follows it. */
  next: string;
  /** volmig goes on to watch it (--wait). */
  waiting: boolean;
}

export type RequestEvent =
  | RejectedEvent
  | WarningEvent
  | CheckedEvent
  | UncheckedDryRunEvent
  | AnswerLostEvent
  | ReconciledEvent
  | AcceptedEvent;

/** Where the request events go; src/ui/request-presenter.ts implements it. */
export type RequestEvents = (event: RequestEvent) => void;
