import { UsageError } from '../errors.js';

export interface CatalogEndpoint {
  id?: string;
  interface: string;
  region_id?: string | null;
  region?: string | null;
  url: string;
}

export interface CatalogService {
  type: string;
  name?: string;
  id?: string;
  endpoints: CatalogEndpoint[];
}

/** Current name first, then the aliases openstacksdk and cinderclient still look up. */
const BLOCK_STORAGE_SERVICE_TYPES = ['block-storage', 'volumev3', 'volume'] as const;

/**
 * The Block Storage endpoint of a Keystone v3 catalog for one interface (and region when given), trying the
 * service types in order; a type with no matching endpoint does not hide the next type.
 */
export function selectBlockStorageEndpoint(
  catalog: CatalogService[] | undefined,
  options: { interface: string; region?: string },
): { url: string; serviceType: string; region?: string } {
  const wantedInterface = normaliseInterface(options.interface);
  for (const type of BLOCK_STORAGE_SERVICE_TYPES) {
    for (const service of catalog ?? []) {
      if (service.type !== type) continue;
      const match = (service.endpoints ?? []).find(
        (e) =>
          normaliseInterface(e.interface) === wantedInterface &&
          (!options.region || e.region_id === options.region || e.region === options.region),
      );
      if (match) return { url: match.url, serviceType: type, region: match.region_id ?? match.region ?? undefined };
    }
  }
  const offered = (catalog ?? [])
    .filter((s) => (BLOCK_STORAGE_SERVICE_TYPES as readonly string[]).includes(s.type))
    .flatMap((s) => (s.endpoints ?? []).map((e) => `${s.type} ${e.interface} ${e.region_id ?? e.region ?? '-'}`));
  const wanted = `interface ${wantedInterface}${options.region ? `, region ${options.region}` : ''}`;
  throw new UsageError(
    `no Block Storage endpoint in the service catalog for ${wanted} (service types ${BLOCK_STORAGE_SERVICE_TYPES.join(', ')})` +
      (offered.length ? `; the catalog offers: ${offered.join('; ')}` : '; the catalog has no Block Storage service'),
    { hint: 'Choose with --os-interface / --os-region-name, or give the endpoint with --os-endpoint.' },
  );
}

/** keystoneauth accepts `publicURL` style names too. */
export function normaliseInterface(value: string): string {
  const v = value.toLowerCase();
  return v.endsWith('url') ? v.slice(0, -3) : v;
}
