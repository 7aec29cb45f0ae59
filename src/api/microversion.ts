import { UsageError } from '../errors.js';
import type { HttpTransport } from './http.js';
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

/**
 * GET the service root (real Cinder answers 300 Multiple Choices with the versions document), take the v3 entry and
 * use min(server max, volmig max) or the pin, which must lie inside the server's range.
 */
export async function negotiateMicroversion(
  transport: HttpTransport,
  serviceRoot: string,
  pinText: string | undefined,
): Promise<NegotiatedVersion> {
  const pin = parsePin(pinText);
  const info = (await readVersions(transport, serviceRoot)) ?? (await readVersions(transport, `${serviceRoot}v3/`));
  if (!info) {
    const fallback = pin ? formatMicroversion(pin) : '3.0';
    transport.debug(`no versions document at ${serviceRoot}; using microversion ${fallback}`);
    return { microversion: fallback };
  }
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

async function readVersions(transport: HttpTransport, url: string): Promise<VersionInfo | undefined> {
  const res = await transport.send({ method: 'GET', url });
  if (res.status !== 200 && res.status !== 300) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(res.text);
  } catch {
    return undefined;
  }
  const versions = (doc as { versions?: unknown })?.versions;
  const list: VersionInfo[] = Array.isArray(versions) ? (versions as VersionInfo[]) : [];
  // `GET /v3/` may answer `{"version": {...}}` on some deployments.
  const single = (doc as { version?: VersionInfo })?.version;
  if (single && typeof single === 'object') list.push(single);
  return list.find((v) => typeof v?.id === 'string' && /^v3(\.|$)/.test(v.id));
}
