import { UnavailableError, UsageError } from '../errors.js';
import { BodyTooLargeError, describeNonJson } from './errors.js';
import { header, type HttpTransport } from './http.js';
import { versionsBody } from './shapes.js';
import type { VersionInfo } from '../model/cinder.js';
import { VOLMIG_MAX_MICROVERSION } from '../model/cinder.js';

export type Microversion = readonly [major: number, minor: number];

export function parseMicroversion(text: string): Microversion | undefined {
  const m = /^\s*(\d+)\.(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2])];
}

export function formatMicroversion(v: Microversion): string {
  return `${v[0]}.${v[1]}`;
}

export function compareMicroversions(a: Microversion | string, b: Microversion | string): number {
  const x = typeof a === 'string' ? parseMicroversion(a) : a;
  const y = typeof b === 'string' ? parseMicroversion(b) : b;
  if (!x || !y) throw new Error(`not a microversion: ${String(!x ? a : b)}`);
  return x[0] - y[0] || x[1] - y[1];
}

/**
 * `--os-volume-api-version` / OS_VOLUME_API_VERSION: "3.60" pins; "3", "3.0"-less major-only values and "latest"
 * mean "negotiate" (openstackclient and cinder-cli.env use `3` and `3.60` alike).
 */
export function parsePin(value: string | undefined): Microversion | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'latest' || /^v?3$/.test(trimmed)) return undefined;
  const v = parseMicroversion(trimmed.replace(/^v/, ''));
  if (!v || v[0] !== 3) {
    throw new UsageError(`invalid volume API version '${value}' (expected 3.N, e.g. 3.60, as --os-volume-api-version or OS_VOLUME_API_VERSION)`);
  }
  return v;
}

export interface NegotiatedVersion {
  microversion: string;
  /** Server range, when the versions document could be read. */
  min?: string;
  max?: string;
}

/** How many times the versions document is asked for when its answers fail (5xx, an unreadable body). */
export const VERSIONS_ATTEMPTS = 3;

export interface NegotiateOptions {
  /** One visible line when volmig has to fall back to 3.0 without the server's word (it loses progress). */
  warn?: (line: string) => void;
}

/**
 * GET the service root (real Cinder answers 300 Multiple Choices with the versions document), take the v3 entry and
 * use min(server max, volmig max) or the pin, which must lie inside the server's range. A versions document that
 * fails (5xx after the transport's own retries, a body that is not a versions document) is asked for again; when
 * it still cannot be read, volmig says so in one line and uses 3.0 (or the pin): never silently, since 3.0 has no
 * migration progress.
 */
export async function negotiateMicroversion(
  transport: HttpTransport,
  serviceRoot: string,
  pinText: string | undefined,
  options: NegotiateOptions = {},
): Promise<NegotiatedVersion> {
  const pin = parsePin(pinText);
  let read: VersionsRead = { kind: 'absent', reason: 'no answer' };
  let unreachable: UnavailableError | undefined;
  for (let attempt = 1; attempt <= VERSIONS_ATTEMPTS; attempt++) {
    unreachable = undefined;
    try {
      read = await readVersions(transport, serviceRoot);
    } catch (err) {
      if (!(err instanceof UnavailableError)) throw err;
      // An oversized document is a failing one; a network failure may be the whole endpoint's.
      if (!(err instanceof BodyTooLargeError)) unreachable = err;
      read = { kind: 'failed', reason: err.message };
    }
    if (read.kind !== 'found' && !unreachable) {
      const second = await readVersions(transport, `${serviceRoot}v3/`);
      // The more telling of the two: a document found, else a failure, else an absence.
      if (second.kind === 'found' || read.kind === 'absent') read = second;
    }
    if (read.kind !== 'failed' || attempt === VERSIONS_ATTEMPTS) break;
    transport.debug(`versions document at ${serviceRoot}: ${read.reason}; asking again (attempt ${attempt + 1} of ${VERSIONS_ATTEMPTS})`);
    await transport.pause(500 * 2 ** (attempt - 1));
  }
  // Nothing answers at all: that is the error, not a missing versions document.
  if (unreachable) throw unreachable;
  if (read.kind !== 'found') {
    const fallback = pin ? formatMicroversion(pin) : '3.0';
    const what = read.kind === 'failed' ? `could not read the Block Storage versions document at ${serviceRoot} (${read.reason}, ${VERSIONS_ATTEMPTS} attempts)` : `the Block Storage API at ${serviceRoot} has no versions document (${read.reason})`;
    if (pin) transport.debug(`${what}; using the pinned microversion ${fallback}`);
    else options.warn?.(`${what}; using microversion 3.0, which reports no migration progress (pin a version with --os-volume-api-version)`);
    transport.debug(`microversion ${fallback} without negotiation`);
    return { microversion: fallback };
  }
  const info = read.info;
  const min = parseMicroversion(info.min_version || '3.0') ?? [3, 0];
  const max = parseMicroversion(info.version || '3.0') ?? [3, 0];
  const range = `${formatMicroversion(min)} to ${formatMicroversion(max)}`;
  if (pin) {
    if (compareMicroversions(pin, min) < 0 || compareMicroversions(pin, max) > 0) {
      throw new UsageError(
        `volume API version ${formatMicroversion(pin)} is not supported by this server (it supports ${range})`,
        { hint: 'Pick a version in that range with --os-volume-api-version, or leave it out to negotiate.' },
      );
    }
    return { microversion: formatMicroversion(pin), min: formatMicroversion(min), max: formatMicroversion(max) };
  }
  const ours = parseMicroversion(VOLMIG_MAX_MICROVERSION)!;
  const chosen = compareMicroversions(max, ours) < 0 ? max : ours;
  return { microversion: formatMicroversion(chosen), min: formatMicroversion(min), max: formatMicroversion(max) };
}

type VersionsRead =
  | { kind: 'found'; info: VersionInfo }
  /** The server has none here (404 and other 4xx, no v3 entry): asking again will not change that. */
  | { kind: 'absent'; reason: string }
  /** A server fault (5xx, a body that is not a versions document): worth asking again. */
  | { kind: 'failed'; reason: string };

async function readVersions(transport: HttpTransport, url: string): Promise<VersionsRead> {
  // One attempt per call: negotiateMicroversion asks again itself, so a failing document costs seconds, not minutes.
  const res = await transport.send({ method: 'GET', url, maxTries: 1 });
  const where = `HTTP ${res.status}${res.requestId ? `, request id ${res.requestId}` : ''}`;
  if (res.status >= 500 && res.status !== 501) return { kind: 'failed', reason: where };
  if (res.status !== 200 && res.status !== 300) return { kind: 'absent', reason: where };
  let doc: unknown;
  try {
    doc = JSON.parse(res.text);
  } catch {
    return { kind: 'failed', reason: `${where} with ${describeNonJson(transport.redact(res.text.slice(0, 4096)), header(res.headers, 'content-type'))}` };
  }
  const problem = versionsBody.check(doc, '');
  if (problem) return { kind: 'failed', reason: `${where}, malformed: ${problem}` };
  const { versions, version } = doc as { versions?: VersionInfo[]; version?: VersionInfo };
  // `GET /v3/` answers `{"version": {...}}`.
  const list = [...(versions ?? []), ...(version ? [version] : [])];
  const v3 = list.find((v) => /^v3(\.|$)/.test(v.id));
  return v3 ? { kind: 'found', info: v3 } : { kind: 'absent', reason: `${where}, no v3 entry` };
}
