import type { CinderApiError } from '../api/errors.js';

/** Cinder's own refusal as cinderclient users know it: message, HTTP code, request id. */
export function apiReason(err: CinderApiError): string {
  const message = err.message.replace(/\s+$/, '');
  return `${message}${/[.!?]$/.test(message) ? '' : '.'} (HTTP ${err.status})${err.requestId ? ` (Request-ID: ${err.requestId})` : ''}`;
}
