// Reading single configuration values as openstacksdk does (Python truthiness, key normalisation, regions,
// domains), and the final completeness check of a resolved cloud.
import { HTTP_TIMEOUT_BOUNDS, parseDuration } from '../model/duration.js';
import { UsageError } from '../errors.js';
import { type KnownRegion, type PyDict } from './clouds-yaml.js';
import { PyFloat, PyTimestamp, pyStr, pyTypeName } from './pyyaml.js';

import type { AuthType, CloudConfig, EndpointInterface } from './cloud-types.js';

export type Str = string | undefined;

export function normaliseAuthType(value: string, source: string): { type: AuthType; plugin: string } {
  const v = value.toLowerCase().replace(/[-_]/g, '');
  if (v === 'noauth' || v === 'none') return { type: 'noauth', plugin: 'none' };
  if (v === 'password') return { type: 'password', plugin: 'password' };
  if (v === 'v3password') return { type: 'password', plugin: 'v3password' };
  if (v === 'v3applicationcredential' || v === 'applicationcredential') return { type: 'v3applicationcredential', plugin: 'v3applicationcredential' };
  if (v === 'token' || v === 'admintoken' || v === 'tokenendpoint') return { type: 'token', plugin: 'token' };
  if (v === 'v3token') return { type: 'token', plugin: 'v3token' };
  throw new UsageError(`unknown auth type '${value}' (${source}); volmig supports password, v3applicationcredential, token and noauth`);
}

export function normaliseInterface(value: string, source: string): EndpointInterface {
  const v = value.toLowerCase().replace(/url$/, '');
  if (v === 'public' || v === 'internal' || v === 'admin') return v;
  throw new UsageError(`invalid interface '${value}' (${source}); expected public, internal or admin`);
}

/** An HTTP timeout in the one duration grammar (bare number = seconds), within 1 s to 1 h; in seconds. */
export function seconds(value: Str, source: string): number | undefined {
  if (value === undefined) return undefined;
  return parseDuration(String(value), source, HTTP_TIMEOUT_BOUNDS) / 1000;
}

export function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** Python truthiness of a loaded value. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '' || v === 0n) return false;
  if (v instanceof PyFloat) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && !(v instanceof PyTimestamp)) return Object.keys(v).length > 0;
  return true;
}

export function isPlainDict(v: unknown): v is PyDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof PyFloat) && !(v instanceof PyTimestamp);
}

/** openstacksdk _util.normalize_keys: `-` → `_` in keys, ints and floats → their str() (api_timeout ints kept). */
export function normalizeKeys(config: PyDict): PyDict {
  const out: PyDict = {};
  for (const [rawKey, value] of Object.entries(config)) {
    const key = rawKey.replace(/-/g, '_');
    if (isPlainDict(value)) out[key] = normalizeKeys(value);
    else if (typeof value === 'bigint' && key !== 'api_timeout') out[key] = value.toString();
    else if (value instanceof PyFloat) out[key] = value.toString();
    else out[key] = value;
  }
  return out;
}

/** openstacksdk get_boolean, applied to `insecure`. */
export function getBoolean(value: unknown, source: string): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.toLowerCase() === 'true';
  // openstacksdk calls .lower() on it and fails with an AttributeError
  throw new UsageError(`${source} must be true or false, not the YAML ${pyTypeName(value)} ${pyStr(value)}`);
}

/** openstacksdk _get_region: the named region of the known list, the list's first without a name, else the name as is. */
export function pickRegion(known: KnownRegion[] | undefined, wanted: string, cloud: string, source: string): KnownRegion {
  if (!known || known.length === 0) return { name: wanted, values: {} };
  if (!wanted) return known[0]!;
  const found = known.find((r) => r.name === wanted);
  if (found) return found;
  throw new UsageError(
    `region '${wanted}' (${source}) is not a region of cloud '${cloud}': its regions are ${known.map((r) => r.name).join(', ')} (region names are case sensitive)`,
  );
}

/**
 * openstacksdk loader._handle_domain_id: with a project scope, `domain_id` / `domain_name` stand for the user's and
 * the project's domain where those are not given; without one they stay, as a domain scope.
 */
export function handleDomainId(config: PyDict): void {
  const auth = config.auth as PyDict;
  const projectScoped = 'project_id' in config || 'project_name' in config || 'project_id' in auth || 'project_name' in auth;
  for (const [target, keys] of [
    ['domain_id', ['user_domain_id', 'project_domain_id']],
    ['domain_name', ['user_domain_name', 'project_domain_name']],
  ] as const) {
    if (!projectScoped) {
      if (target in config && !(target in auth)) {
        auth[target] = config[target];
        delete config[target];
      }
      continue;
    }
    for (const key of keys) if (target in auth && !(key in auth)) auth[key] = auth[target];
    delete config[target];
    delete auth[target];
  }
}

/** One message naming every missing piece for the chosen auth type, with keystoneauth's own refusals. */
export function checkComplete(config: CloudConfig, rawAuth: PyDict): void {
  const a = config.auth;
  const missing: string[] = [];
  const where = config.cloudName ? ` (${config.description})` : '';
  const plugin = config.authPlugin;
  switch (config.authType) {
    case 'noauth':
      if (!config.endpointOverride) missing.push('the Block Storage endpoint (--os-endpoint, OS_ENDPOINT or CINDER_ENDPOINT, e.g. http://127.0.0.1:8776/v3)');
      break;
    case 'password':
      if (!a.authUrl) missing.push('the auth URL (--os-auth-url, OS_AUTH_URL or auth.auth_url)');
      if (!a.userId && !a.username) missing.push('the user (--os-username / OS_USERNAME or --os-user-id / OS_USER_ID)');
      if (!a.password) missing.push('the password (OS_PASSWORD, --os-password, or auth.password in clouds.yaml/secure.yaml)');
      if (!a.projectId && !a.projectName) missing.push('the project (--os-project-name / OS_PROJECT_NAME or --os-project-id / OS_PROJECT_ID)');
      break;
    case 'v3applicationcredential':
      if (!a.authUrl) missing.push('the auth URL (--os-auth-url, OS_AUTH_URL or auth.auth_url)');
      if (!a.applicationCredentialSecret) missing.push('the application credential secret (OS_APPLICATION_CREDENTIAL_SECRET)');
      if (!a.applicationCredentialId && !a.applicationCredentialName) missing.push('the application credential id or name (OS_APPLICATION_CREDENTIAL_ID)');
      if (!a.applicationCredentialId && a.applicationCredentialName && !a.userId && !a.username) {
        missing.push('the user owning the application credential (OS_USERNAME or OS_USER_ID)');
      }
      break;
    case 'token':
      if (!a.token) missing.push('the token (--os-token or OS_TOKEN)');
      if (!a.authUrl && !config.endpointOverride) missing.push('the auth URL (OS_AUTH_URL) or the Block Storage endpoint (OS_ENDPOINT)');
      break;
  }
  if (missing.length) {
    // `password: no` is the boolean false for PyYAML: openstack drops it as not given (and asks for a password)
    const yamlFalse = ['password', 'username', 'user_id', 'auth_url', 'application_credential_secret', 'application_credential_id', 'token'].find(
      (k) => rawAuth[k] === false,
    );
    throw new UsageError(`${config.authType} authentication${where} is missing ${missing.join('; ')}`, {
      hint: yamlFalse
        ? `auth.${yamlFalse} in clouds.yaml is an unquoted no, false or off, which YAML 1.1 (and so openstack) reads as the boolean false, not as text: quote it.`
        : undefined,
    });
  }
  // keystoneauth's v3 loaders refuse a name without its domain before anything is sent (the generic `password`
  // plugin sends it and Keystone answers 400).
  if ((plugin === 'v3password' || plugin === 'v3applicationcredential') && a.username && !a.userDomainId && !a.userDomainName) {
    throw new UsageError(
      `${plugin}${where}: you have provided a username. In the V3 identity API a username is only unique within a domain so you must also provide either a user_domain_id or user_domain_name.`,
    );
  }
  if ((plugin === 'v3password' || plugin === 'v3token') && a.projectName && !a.projectId && !a.projectDomainId && !a.projectDomainName) {
    throw new UsageError(
      `${plugin}${where}: you have provided a project_name. In the V3 identity API a project_name is only unique within a domain so you must also provide either a project_domain_id or project_domain_name.`,
    );
  }
}
