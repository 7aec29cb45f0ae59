import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher } from 'undici';
import { UnavailableError } from '../errors.js';
import { BodyTooLargeError, MAX_BODY_BYTES, RequestAbortedError, RequestOutcomeUnknownError, describeAbortReason } from './errors.js';
import { KnownSecrets, redactBodyForLog, redactUrl, isSecretHeader, REDACTED } from './redact.js';

/** undici's `request`, injected so that this module never loads undici at import time. */
export type UndiciRequest = typeof import('undici').request;

export interface HttpTransportOptions {
  request: UndiciRequest;
  /** undefined = undici's global dispatcher (nock's agent in tests). */
  dispatcher?: Dispatcher;
  debug?: (line: string) => void;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
  /** Whole-request timeout (headers and body), per attempt. */
  requestTimeoutMs: number;
  /** Attempts for a retryable request, the first one included. */
  maxTries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Longest Retry-After volmig is willing to wait. */
  retryAfterMaxMs?: number;
  random?: () => number;
  userAgent?: string;
  /** The run's interruption: the signal of every request that brings none of its own (authentication, versions). */
  signal?: AbortSignal;
  /** The largest body read (default MAX_BODY_BYTES, 64 MiB); a larger one is BodyTooLargeError. */
  maxBodyBytes?: number;
  /** The run's secrets: removed from every debug line; tokens Keystone issues are added as they arrive. */
  secrets?: KnownSecrets;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** JSON-serialisable body. */
  body?: unknown;
  /**
   * Safe to resend (GET, HEAD, or a Keystone token request that changes nothing). Only these are retried, and a lost
   * connection on them is "unavailable" rather than "outcome unknown".
   */
  idempotent?: boolean;
  /**
   * The caller's stop: the run's interruption or a deadline of the command. Aborting it ends the request at once,
   * never retried; a state-changing request that may have been sent then has an unknown outcome.
   */
  signal?: AbortSignal;
  /** Attempts for this request, when its caller retries in its own way (the versions document). */
  maxTries?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  requestId?: string;
  durationMs: number;
  /** The status line arrived but the body did not (connection lost mid-body): only kept for a 2xx to a POST. */
  bodyLost?: boolean;
}

const RETRY_STATUSES = new Set([502, 503, 504]);

/**
 * JSON over undici with the policies that must hold for every call: bounded retries of safe requests only,
 * a per-attempt timeout, one debug line per request and per answer with secrets redacted, and network failures
 * turned into UnavailableError / RequestOutcomeUnknownError. HTTP error statuses are returned, not thrown.
 */
export class HttpTransport {
  private readonly maxTries: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly retryAfterMaxMs: number;
  private readonly random: () => number;
  readonly secrets: KnownSecrets;

  constructor(private readonly options: HttpTransportOptions) {
    this.secrets = options.secrets ?? new KnownSecrets();
    this.maxTries = options.maxTries ?? 4;
    this.backoffBaseMs = options.backoffBaseMs ?? 500;
    this.backoffMaxMs = options.backoffMaxMs ?? 8000;
    this.retryAfterMaxMs = options.retryAfterMaxMs ?? 60_000;
    this.random = options.random ?? Math.random;
  }

  get debugEnabled(): boolean {
    return this.options.debug !== undefined;
  }

  debug(line: string): void {
    this.options.debug?.(this.secrets.redact(line));
  }

  /** A pause between two attempts of a caller's own (the versions document), stopped by the run's interruption. */
  pause(ms: number): Promise<void> {
    return this.options.sleep(ms, this.options.signal);
  }

  /** Text built from a server's answer (a fault message), cleaned of the run's secrets and of echoed ones. */
  redact(text: string): string {
    return this.secrets.redact(text);
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const req = request.signal || !this.options.signal ? request : { ...request, signal: this.options.signal };
    const method = req.method.toUpperCase();
    const idempotent = req.idempotent ?? (method === 'GET' || method === 'HEAD');
    const tries = idempotent ? (req.maxTries ?? this.maxTries) : 1;
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse;
      if (req.signal?.aborted) throw this.aborted(method, req, attempt > 1 || !idempotent);
      try {
        response = await this.once(method, req);
      } catch (err) {
        if (req.signal?.aborted) throw this.aborted(method, req, true);
        // Asking again would bring the same oversized answer.
        if (err instanceof BodyTooLargeError) throw err;
        const failure = classifyNetworkError(err, this.options.requestTimeoutMs);
        this.debug(`! ${method} ${redactUrl(req.url)} failed: ${failure.description}`);
        if (!idempotent && failure.maybeSent) {
          throw new RequestOutcomeUnknownError({ method, url: redactUrl(req.url), reason: failure.description, cause: err });
        }
        if (attempt < tries && failure.transient) {
          await this.wait(method, req, attempt, undefined);
          continue;
        }
        const after = attempt > 1 ? ` (${attempt} attempts)` : '';
        throw new UnavailableError(`cannot reach ${redactUrl(req.url)}: ${failure.description}${after}`, {
          hint: failure.hint,
          cause: err,
        });
      }
      if (idempotent && RETRY_STATUSES.has(response.status) && attempt < tries) {
        await this.wait(method, req, attempt, header(response.headers, 'retry-after'));
        continue;
      }
      return response;
    }
  }

  /** The caller stopped the request: a POST that may have been sent has an unknown outcome, anything else just ends. */
  private aborted(method: string, req: HttpRequest, maybeSent: boolean): Error {
    const reason = req.signal?.reason;
    const idempotent = req.idempotent ?? (method === 'GET' || method === 'HEAD');
    this.debug(`! ${method} ${redactUrl(req.url)} stopped: ${describeAbortReason(reason)}`);
    if (!idempotent && maybeSent) {
      return new RequestOutcomeUnknownError({ method, url: redactUrl(req.url), reason: `no answer before volmig stopped waiting (${describeAbortReason(reason)})`, aborted: true });
    }
    return new RequestAbortedError({ method, url: redactUrl(req.url), reason });
  }

  private async wait(method: string, req: HttpRequest, attempt: number, retryAfter: string | undefined): Promise<void> {
    const url = req.url;
    const fromHeader = parseRetryAfter(retryAfter, this.options.now());
    let delay: number;
    if (fromHeader !== undefined) {
      delay = Math.min(fromHeader, this.retryAfterMaxMs);
    } else {
      const ceiling = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (attempt - 1));
      // "Equal jitter": at least half the ceiling, so retries neither stampede nor come back immediately.
      delay = Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
    }
    this.debug(`retrying ${method} ${redactUrl(url)} in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${this.maxTries})`);
    await this.options.sleep(delay, req.signal);
  }

  private async once(method: string, req: HttpRequest): Promise<HttpResponse> {
    const headers: Record<string, string> = { Accept: 'application/json', ...(req.headers ?? {}) };
    if (this.options.userAgent) headers['User-Agent'] = this.options.userAgent;
    let payload: string | undefined;
    if (req.body !== undefined) {
      payload = JSON.stringify(req.body);
      headers['Content-Type'] = 'application/json';
    }
    if (this.debugEnabled) {
      const shown = Object.entries(headers)
        .filter(([name]) => name !== 'Accept' && name !== 'User-Agent' && name !== 'Content-Type')
        .map(([name, value]) => `${name}: ${isSecretHeader(name) ? REDACTED : value}`);
      const body = req.body === undefined ? '' : ` ${redactBodyForLog(req.body)}`;
      this.debug(`> ${method} ${redactUrl(req.url)}${shown.length ? ` [${shown.join('; ')}]` : ''}${body}`);
    }
    const started = this.options.now();
    const res = await this.options.request(req.url, {
      method: method as Dispatcher.HttpMethod,
      headers,
      body: payload,
      dispatcher: this.options.dispatcher,
      signal: req.signal ? AbortSignal.any([AbortSignal.timeout(this.options.requestTimeoutMs), req.signal]) : AbortSignal.timeout(this.options.requestTimeoutMs),
    });
    const responseHeaders = res.headers as Record<string, string | string[] | undefined>;
    const requestId = header(responseHeaders, 'x-openstack-request-id') ?? header(responseHeaders, 'x-compute-request-id');
    // A token Keystone just issued is a secret of the run from now on (an error text may quote it back).
    this.secrets.add(header(responseHeaders, 'x-subject-token'));
    const limit = this.options.maxBodyBytes ?? MAX_BODY_BYTES;
    let text: string;
    let bodyLost = false;
    try {
      text = await readCappedText(res.body, limit, header(responseHeaders, 'content-length'));
    } catch (err) {
      // A state-changing request answered 2xx was accepted, whatever happens to the rest of the answer.
      const accepted = res.statusCode >= 200 && res.statusCode < 300 && method !== 'GET' && method !== 'HEAD';
      if (req.signal?.aborted) throw err;
      if (err instanceof OverLimit) {
        this.debug(`< ${res.statusCode} ${method} ${redactUrl(req.url)}: body larger than ${limit} bytes, not read${requestId ? ` ${requestId}` : ''}`);
        if (!accepted) throw new BodyTooLargeError({ method, url: redactUrl(req.url), status: res.statusCode, limitBytes: limit, requestId });
      } else if (!accepted) throw err;
      text = '';
      bodyLost = true;
    }
    const durationMs = this.options.now() - started;
    this.debug(
      `< ${res.statusCode} ${method} ${redactUrl(req.url)} ${durationMs} ms${requestId ? ` ${requestId}` : ''}` +
        (header(responseHeaders, 'x-subject-token') ? ` [X-Subject-Token: ${REDACTED}]` : ''),
    );
    return { status: res.statusCode, headers: responseHeaders, text, requestId, durationMs, ...(bodyLost ? { bodyLost } : {}) };
  }
}

class OverLimit extends Error {}

/**
 * The body as text, read chunk by chunk and stopped (the connection closed) as soon as it passes `limit` bytes, or
 * before reading anything when Content-Length says it will: an oversized answer never sits in memory. Chunks are
 * decoded as they arrive, so the bytes and the text are not both held whole (a 50 MB body peaks at about three times
 * its size: the text, what JSON.parse makes of it, and the pieces until they are collected).
 */
async function readCappedText(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }, limit: number, declared: string | undefined): Promise<string> {
  const length = declared === undefined || declared.trim() === '' ? Number.NaN : Number(declared);
  if (Number.isFinite(length) && length > limit) {
    body.destroy();
    throw new OverLimit();
  }
  const decoder = new StringDecoder('utf8');
  let text = '';
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new OverLimit();
    }
    text += decoder.write(chunk);
  }
  return text + decoder.end();
}

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  if (Array.isArray(value)) return value[0];
  return value;
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

interface NetworkFailure {
  description: string;
  /** The request may have reached the server (so a state-changing one must not be resent). */
  maybeSent: boolean;
  /** Worth another try (a certificate or a host name that does not resolve will not fix itself in seconds). */
  transient: boolean;
  hint?: string;
}

const NOT_SENT_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  ETIMEDOUT: 'connection timed out',
};

const TLS_CODE = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_|ERR_SSL_|EPROTO$|HOSTNAME_MISMATCH)/;

function errorCodes(err: unknown): { code?: string; message: string; name?: string } {
  const e = err as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown } | undefined;
  const cause = e?.cause as { code?: unknown; message?: unknown } | undefined;
  const code =
    (typeof cause?.code === 'string' && cause.code !== 'UND_ERR_SOCKET' ? cause.code : undefined) ??
    (typeof e?.code === 'string' ? e.code : undefined);
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return { code, message, name: typeof e?.name === 'string' ? e.name : undefined };
}

function classifyNetworkError(err: unknown, timeoutMs: number): NetworkFailure {
  const { code, message, name } = errorCodes(err);
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { description: `no answer within ${Number((timeoutMs / 1000).toFixed(1))} s`, maybeSent: true, transient: true };
  }
  if (code && NOT_SENT_CODES[code]) {
    return { description: `${NOT_SENT_CODES[code]} (${code})`, maybeSent: false, transient: code !== 'ENOTFOUND' };
  }
  if (code && TLS_CODE.test(code)) {
    return {
      description: `TLS error: ${message} (${code})`,
      maybeSent: false,
      transient: false,
      hint: 'Give the CA bundle with --os-cacert (OS_CACERT, clouds.yaml cacert), or --insecure to skip verification.',
    };
  }
  return { description: code ? `${message} (${code})` : message, maybeSent: true, transient: true };
}
