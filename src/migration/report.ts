import { CinderApiError, RequestOutcomeUnknownError } from '../api/errors.js';

/** What the migration domain prints through; src/ui/output.ts's Output satisfies it. */
export interface Reporter {
  readonly json: boolean;
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
  success(line: string): void;
  result(line: string): void;
  resultJson(value: unknown, options?: { lines?: boolean }): void;
}

/** The seed's words for a refusal, followed by the cause. */
export function refusalLine(action: 'migration' | 'retype', reason: string): string {
  return `Your ${action} request failed to process: ${reason}`;
}

/** Cinder's own refusal as cinderclient users know it: message, HTTP code, request id. */
export function apiReason(err: CinderApiError): string {
  const message = err.message.replace(/\s+$/, '');
  return `${message}${/[.!?]$/.test(message) ? '' : '.'} (HTTP ${err.status})${err.requestId ? ` (Request-ID: ${err.requestId})` : ''}`;
}

export { CinderApiError, RequestOutcomeUnknownError };
