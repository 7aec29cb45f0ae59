import { ADMIN_ROLE_HINT, ExitCode, UnavailableError, VolmigError, type ExitCode as ExitCodeValue } from '../errors.js';
import type { Volume } from '../model/cinder.js';
import { volumeHost } from '../model/cinder.js';
import { redactEchoedSecrets, type KnownSecrets } from './redact.js';

/** 401/403 → 4, 404 → 3, other 4xx → 5, 5xx → 6 (the documented exit-code table). */
function exitCodeForStatus(status: number): ExitCodeValue {
  if (status === 401 || status === 403) return ExitCode.AUTH;
  if (status === 404) return ExitCode.NOT_FOUND;
  if (status >= 400 && status < 500) return ExitCode.REJECTED;
  return ExitCode.UNAVAILABLE;
}

export interface ParsedFault {
  /** `badRequest`, `itemNotFound`, ... or undefined when the body was not a fault document. */
  faultName?: string;
  message: string;
  retryAfter?: string;
}

const MAX_SNIPPET = 200;
/** How much of an error body is read for its message. */
const MAX_FAULT_TEXT = 64 * 1024;

/**
 * Reads a Cinder fault body (`{"<faultName>": {"code": N, "message": "..."}}`), a Keystone/keystonemiddleware
 * error (`{"error": {"message": ...}}`), or anything else a proxy may put in front of the API. Never throws:
 * an HTML page or an empty body becomes a sentence that names the status. The message is cleaned of the run's
 * secrets and of any value echoed under a secret key (a server may quote the request back).
 */
export function parseCinderFault(status: number, bodyText: string, contentType?: string, secrets?: KnownSecrets): ParsedFault {
  const clean = (text: string) => (secrets ? secrets.redact(text) : redactEchoedSecrets(text));
  // Before anything is cut short: half a secret at the end of a snippet would no longer match.
  // A fault document is small; a huge error body is described by its start only.
  const fault = readFault(status, clean(bodyText.length > MAX_FAULT_TEXT ? bodyText.slice(0, MAX_FAULT_TEXT) : bodyText), contentType);
  return { ...fault, message: clean(fault.message) };
}

function readFault(status: number, bodyText: string, contentType?: string): ParsedFault {
  const text = bodyText.trim();
  if (text === '') return { message: `the server answered HTTP ${status} with an empty body` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: `the server answered HTTP ${status} with ${describeNonJson(text, contentType)}` };
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const record = parsed as Record<string, unknown>;
    const keys = Object.keys(record);
    for (const key of keys) {
      const inner = record[key];
      if (inner && typeof inner === 'object' && typeof (inner as { message?: unknown }).message === 'string') {
        const fault = inner as { message: string; retryAfter?: unknown };
        return {
          faultName: key,
          message: fault.message,
          retryAfter: fault.retryAfter === undefined ? undefined : String(fault.retryAfter),
        };
      }
    }
    if (typeof record.message === 'string') return { message: record.message };
  }
  return { message: `the server answered HTTP ${status} with an unexpected JSON body: ${snippet(text)}` };
}

/**
 * What a body that is not JSON is, for a message: `an HTML page instead of JSON: "502 Bad Gateway" (a proxy or a
 * wrong endpoint?)`, `a non-JSON body: <its start>`, `an empty body`.
 */
export function describeNonJson(text: string, contentType?: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'an empty body';
  const isHtml = /html/i.test(contentType ?? '') || /^<(!doctype|html|head|body)/i.test(trimmed);
  if (isHtml) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(trimmed)?.[1] ?? /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(trimmed)?.[1];
    const what = title ? `: "${collapse(stripTags(title))}"` : '';
    return `an HTML page instead of JSON${what} (a proxy or a wrong endpoint?)`;
  }
  return `a non-JSON body: ${snippet(trimmed)}`;
}

function stripTags(s: string): string {
  return s.replace(/<[^>]*>/g, ' ');
}

function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function snippet(text: string): string {
  const one = collapse(text);
  return one.length > MAX_SNIPPET ? `${one.slice(0, MAX_SNIPPET)}…` : one;
}

export { ADMIN_ROLE_HINT };

/** Cinder's policy engine answers 403 "Policy doesn't allow <rule> to be performed." */
export function isPolicyRefusal(status: number, message: string): boolean {
  return status === 403 && /\bpolicy does(?:n't| not) allow\b/i.test(message);
}

/** A Block Storage API answer with status >= 400. `message` is Cinder's own text. */
export class CinderApiError extends VolmigError {
  readonly status: number;
  readonly faultName?: string;
  readonly requestId?: string;
  readonly method: string;
  readonly url: string;
  /** `retryAfter` of an overLimit fault, or the Retry-After header. */
  readonly retryAfter?: string;

  constructor(init: {
    status: number;
    message: string;
    faultName?: string;
    requestId?: string;
    method: string;
    url: string;
    retryAfter?: string;
  }) {
    // keystonemiddleware's `{"error": ...}` names no fault worth showing.
    const shownFault = init.faultName && init.faultName !== 'error' ? ` ${init.faultName}` : '';
    const details = [`HTTP ${init.status}${shownFault}`];
    if (init.requestId) details.push(`request id ${init.requestId}`);
    const where = `(${details.join(', ')}; ${init.method} ${init.url})`;
    super(init.message, exitCodeForStatus(init.status), { hint: isPolicyRefusal(init.status, init.message) ? `${ADMIN_ROLE_HINT}\n${where}` : where });
    this.status = init.status;
    this.faultName = init.faultName;
    this.requestId = init.requestId;
    this.method = init.method;
    this.url = init.url;
    this.retryAfter = init.retryAfter;
  }
}

/**
 * A server's answer whose body does not have the shape volmig needs (not JSON, a field of the wrong type, a list
 * that is not one, a body past the size cap). It is the server's fault (exit 6, retried by a watch like any
 * unreadable answer), never a bug in volmig, never "not found", and never printed as if it were data.
 */
export class MalformedBodyError extends UnavailableError {
  readonly method: string;
  readonly url: string;
  readonly requestId?: string;
  readonly problem: string;

  constructor(init: { service: string; method: string; url: string; problem: string; requestId?: string }) {
    super(`${init.service} answered ${init.method} ${init.url} with a malformed body: ${init.problem}${init.requestId ? ` (request id ${init.requestId})` : ''}`);
    this.method = init.method;
    this.url = init.url;
    this.requestId = init.requestId;
    this.problem = init.problem;
  }
}

/** The largest answer volmig reads (a page of 1000 volumes is about 5 MB); past it the read stops. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** An answer larger than the cap: volmig stopped reading it (the connection is closed, nothing more is buffered). */
export class BodyTooLargeError extends UnavailableError {
  constructor(init: { method: string; url: string; status: number; limitBytes: number; requestId?: string }) {
    const limit = init.limitBytes >= 1024 * 1024 ? `${Math.round(init.limitBytes / (1024 * 1024))} MiB` : `${init.limitBytes} bytes`;
    super(
      `the server's answer to ${init.method} ${init.url} (HTTP ${init.status}) is larger than ${limit}; volmig stopped reading it` +
        (init.requestId ? ` (request id ${init.requestId})` : ''),
    );
  }
}

/**
 * A request that changes state (POST/PUT/DELETE/PATCH) may have reached the server but its answer was lost
 * (connection dropped after sending, timeout) or the server failed with 5xx. Whether it acted is unknown, so it
 * is never resent automatically.
 */
export class RequestOutcomeUnknownError extends VolmigError {
  readonly method: string;
  readonly url: string;
  readonly status?: number;
  readonly requestId?: string;
  /** volmig stopped waiting for the answer itself (interruption or a deadline), rather than losing it. */
  readonly aborted: boolean;

  constructor(init: { method: string; url: string; reason: string; status?: number; requestId?: string; cause?: unknown; aborted?: boolean }) {
    super(
      `${init.method} ${init.url}: ${init.reason}; the server may or may not have carried it out, and volmig did not send it again`,
      ExitCode.UNAVAILABLE,
      { hint: 'Check the current state of the resource before trying again.', cause: init.cause },
    );
    this.method = init.method;
    this.url = init.url;
    this.status = init.status;
    this.requestId = init.requestId;
    this.aborted = init.aborted ?? false;
  }
}

/**
 * A request volmig itself stopped: the run was interrupted (Ctrl-C, SIGTERM) or a deadline of the command passed
 * (`--timeout`, `--stall-timeout`). `reason` is the AbortSignal's reason, which says which.
 */
export class RequestAbortedError extends VolmigError {
  readonly reason: unknown;

  constructor(init: { method: string; url: string; reason: unknown }) {
    // A deadline of the command is a timeout (exit 7); only the operator's stop is an interruption.
    super(`${init.method} ${init.url}: stopped by volmig (${describeAbortReason(init.reason)})`, isDeadline(init.reason) ? ExitCode.TIMEOUT : ExitCode.INTERRUPTED);
    this.reason = init.reason;
  }
}

/** A deadline's reason (src/migration/poll.ts DeadlineReason: `kind` timeout or stall), told apart without importing it. */
function isDeadline(reason: unknown): boolean {
  const kind = reason && typeof reason === 'object' ? (reason as { kind?: unknown }).kind : undefined;
  return kind === 'timeout' || kind === 'stall';
}

/** Why a run's or a deadline's AbortSignal fired, in words; see src/migration/poll.ts for the deadline reasons. */
export function describeAbortReason(reason: unknown): string {
  if (reason && typeof reason === 'object' && 'describe' in reason && typeof (reason as { describe: unknown }).describe === 'string') {
    return (reason as { describe: string }).describe;
  }
  if (reason instanceof Error && reason.name === 'AbortError') return 'interrupted';
  return 'interrupted';
}

/** A name matched several volumes; the message lists them so the user can pick an id. */
export class AmbiguousVolumeError extends VolmigError {
  readonly ref: string;
  readonly candidates: Volume[];

  constructor(ref: string, candidates: Volume[]) {
    const lines = candidates.map((v) => `  ${v.id}  ${v.name ?? '-'}  ${volumeHost(v) ?? '-'}`);
    super(
      `${candidates.length} volumes are named '${ref}'; give one of these IDs instead:\n${lines.join('\n')}`,
      ExitCode.NOT_FOUND,
    );
    this.ref = ref;
    this.candidates = candidates;
  }
}
