import { HTTP_TIMEOUT_BOUNDS, parseDuration } from '../model/duration.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { GlobalOptions } from './global-options.js';
import type { VolmigSettings } from './settings.js';
import type { CloudsYamlEntry, LoadedCloud } from './clouds-yaml.js';

export type AuthType = 'noauth' | 'password' | 'v3applicationcredential' | 'token';
export type EndpointInterface = 'public' | 'internal' | 'admin';

export interface CloudAuth {
  authUrl?: string;
  username?: string;
  userId?: string;
  userDomainId?: string;
  userDomainName?: string;
  password?: string;
  projectId?: string;
  projectName?: string;
  projectDomainId?: string;
  projectDomainName?: string;
  /** clouds.yaml `default_domain`: used for the user and the project when their own domain is not given. */
  domainId?: string;
  domainName?: string;
  token?: string;
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  applicationCredentialSecret?: string;
}

/** Everything connect() needs, merged from flags > OS_* env > clouds.yaml (+ secure.yaml) > volmig settings. */
export interface CloudConfig {
  /** For messages: where the configuration came from, e.g. "cloud 'prod' from /home/op/.config/openstack/clouds.yaml". */
  description: string;
  cloudName?: string;
  cloudsFile?: string;
  authType: AuthType;
  auth: CloudAuth;
  /** Block Storage endpoint given directly (skips the catalog). */
  endpointOverride?: string;
  regionName?: string;
  interface: EndpointInterface;
  /** Pinned microversion text as given (`3.60`), validated at connect time against the server. */
  volumeApiVersion?: string;
  cacert?: string;
  insecure: boolean;
  httpTimeoutMs: number;
  /** TCP connect timeout; undefined = undici's default (10 s). */
  connectTimeoutMs?: number;
}

export const DEFAULT_HTTP_TIMEOUT_S = 60;

export const NOTHING_CONFIGURED_MESSAGE = [
  'no cloud configured: volmig does not know which Block Storage API to talk to. Point it at one in any of these ways:',
  '  - clouds.yaml (./clouds.yaml, ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml or OS_CLIENT_CONFIG_FILE) and --os-cloud <name> or OS_CLOUD=<name>',
  '  - OS_* environment variables, e.g. from an openrc file: OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME',
  '  - a local sandbox: run `volmig sandbox` and paste the line it prints: export OS_AUTH_TYPE=noauth OS_ENDPOINT=http://127.0.0.1:<port>/v3 OS_PROJECT_ID=<project> OS_USER_ID=<user>',
].join('\n');

type Str = string | undefined;

function str(v: unknown): Str {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function first(...values: Str[]): Str {
  for (const v of values) if (v !== undefined && v !== '') return v;
  return undefined;
}

function normaliseAuthType(value: string, source: string): AuthType {
  const v = value.toLowerCase().replace(/[-_]/g, '');
  if (v === 'noauth' || v === 'none') return 'noauth';
  if (v === 'password' || v === 'v3password') return 'password';
  if (v === 'v3applicationcredential' || v === 'applicationcredential') return 'v3applicationcredential';
  if (v === 'token' || v === 'v3token') return 'token';
  throw new UsageError(`unknown auth type '${value}' (${source}); volmig supports password, v3applicationcredential, token and noauth`);
}

function normaliseInterface(value: string, source: string): EndpointInterface {
  const v = value.toLowerCase().replace(/url$/, '');
  if (v === 'public' || v === 'internal' || v === 'admin') return v;
  throw new UsageError(`invalid interface '${value}' (${source}); expected public, internal or admin`);
}

function truthy(value: Str): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (['1', 'true', 'yes', 'on', 'y'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', 'n'].includes(v)) return false;
  return undefined;
}

/** An HTTP timeout in the one duration grammar (bare number = seconds), within 1 s to 1 h; in seconds. */
function seconds(value: Str, source: string): number | undefined {
  if (value === undefined) return undefined;
  return parseDuration(String(value), source, HTTP_TIMEOUT_BOUNDS) / 1000;
}

/**
 * Merges the configuration sources field by field. The volmig settings' `cloud` is a default only: it is used when
 * neither the command line nor the environment say anything about the cloud, so that a sandbox `export OS_...`
 * line is never mixed with a default cloud's credentials.
 */
export async function resolveCloudConfig(globals: GlobalOptions, io: Io, settings: VolmigSettings): Promise<CloudConfig> {
  const env = (name: string): Str => str(io.env[name]);
  const g = globals;

  const flagsOrEnvSayCloud = [
    g.osAuthType, g.osAuthUrl, g.osEndpoint, g.osToken, g.osApplicationCredentialId, g.osApplicationCredentialSecret,
    env('OS_AUTH_TYPE'), env('OS_AUTH_URL'), env('OS_ENDPOINT'), env('CINDER_ENDPOINT'), env('OS_TOKEN'),
    env('OS_APPLICATION_CREDENTIAL_ID'), env('OS_APPLICATION_CREDENTIAL_SECRET'),
  ].some((v) => str(v) !== undefined);

  let cloudName: Str;
  let selectedBy = '';
  if (str(g.osCloud)) [cloudName, selectedBy] = [g.osCloud, '--os-cloud'];
  else if (env('OS_CLOUD')) [cloudName, selectedBy] = [env('OS_CLOUD'), 'OS_CLOUD'];
  else if (settings.cloud && !flagsOrEnvSayCloud) {
    [cloudName, selectedBy] = [settings.cloud, `the 'cloud' setting in ${settings.filepath ?? 'volmig settings'}`];
  }

  let loaded: LoadedCloud | undefined;
  if (cloudName) {
    const { loadCloud } = await import('./clouds-yaml.js');
    loaded = await loadCloud(io, cloudName, selectedBy);
  }
  const c: CloudsYamlEntry = loaded?.entry ?? {};
  const ca: Record<string, unknown> = c.auth && typeof c.auth === 'object' ? c.auth : {};
  const y = (key: string): Str => str(ca[key]);

  if (!loaded && !flagsOrEnvSayCloud) throw new UsageError(NOTHING_CONFIGURED_MESSAGE);

  const auth: CloudAuth = {
    authUrl: first(g.osAuthUrl, env('OS_AUTH_URL'), y('auth_url')),
    username: first(g.osUsername, env('OS_USERNAME'), y('username')),
    userId: first(g.osUserId, env('OS_USER_ID'), y('user_id')),
    userDomainId: first(g.osUserDomainId, env('OS_USER_DOMAIN_ID'), y('user_domain_id')),
    userDomainName: first(g.osUserDomainName, env('OS_USER_DOMAIN_NAME'), y('user_domain_name')),
    password: first(g.osPassword, env('OS_PASSWORD'), y('password')),
    projectId: first(g.osProjectId, env('OS_PROJECT_ID'), env('OS_TENANT_ID'), y('project_id'), y('tenant_id')),
    projectName: first(g.osProjectName, env('OS_PROJECT_NAME'), env('OS_TENANT_NAME'), y('project_name'), y('tenant_name')),
    projectDomainId: first(g.osProjectDomainId, env('OS_PROJECT_DOMAIN_ID'), y('project_domain_id')),
    projectDomainName: first(g.osProjectDomainName, env('OS_PROJECT_DOMAIN_NAME'), y('project_domain_name')),
    domainId: y('default_domain'),
    token: first(g.osToken, env('OS_TOKEN'), y('token')),
    applicationCredentialId: first(g.osApplicationCredentialId, env('OS_APPLICATION_CREDENTIAL_ID'), y('application_credential_id')),
    applicationCredentialName: first(g.osApplicationCredentialName, env('OS_APPLICATION_CREDENTIAL_NAME'), y('application_credential_name')),
    applicationCredentialSecret: first(
      g.osApplicationCredentialSecret,
      env('OS_APPLICATION_CREDENTIAL_SECRET'),
      y('application_credential_secret'),
    ),
  };

  const explicitType = first(g.osAuthType, env('OS_AUTH_TYPE'), str(c.auth_type));
  let authType: AuthType;
  if (explicitType) {
    const source = str(g.osAuthType) ? '--os-auth-type' : env('OS_AUTH_TYPE') ? 'OS_AUTH_TYPE' : `auth_type of cloud '${cloudName}'`;
    authType = normaliseAuthType(explicitType, source);
  } else if (loaded) authType = 'password'; // openstacksdk's default for a clouds.yaml entry
  else if (auth.token) authType = 'token';
  else if (auth.applicationCredentialSecret || auth.applicationCredentialId) authType = 'v3applicationcredential';
  else authType = 'password';

  const endpointOverride = first(
    g.osEndpoint,
    env('OS_ENDPOINT'),
    env('CINDER_ENDPOINT'),
    str(c.block_storage_endpoint_override),
    str(c.volume_endpoint_override),
    authType === 'noauth' ? y('endpoint') : undefined,
  );

  const interfaceText = first(g.osInterface, env('OS_INTERFACE'), env('OS_ENDPOINT_TYPE'), str(c.interface), str(c.endpoint_type));
  const iface = interfaceText ? normaliseInterface(interfaceText, '--os-interface / OS_INTERFACE / interface') : 'public';

  const verify = c.verify === undefined ? undefined : typeof c.verify === 'boolean' ? c.verify : truthy(str(c.verify));
  const insecure = g.insecure === true || truthy(env('OS_INSECURE')) === true || verify === false;

  const httpTimeoutS =
    seconds(str(g.httpTimeout), '--http-timeout') ??
    seconds(str(c.api_timeout), `api_timeout of cloud '${cloudName}'`) ??
    settings.http_timeout ??
    DEFAULT_HTTP_TIMEOUT_S;

  const config: CloudConfig = {
    description: loaded
      ? `cloud '${loaded.name}' from ${loaded.file}${loaded.secureFile ? ` (+ ${loaded.secureFile})` : ''}`
      : 'command-line options and OS_* environment',
    cloudName: loaded?.name,
    cloudsFile: loaded?.file,
    authType,
    auth,
    endpointOverride,
    regionName: first(g.osRegionName, env('OS_REGION_NAME'), str(c.region_name)),
    interface: iface,
    volumeApiVersion: first(g.osVolumeApiVersion, env('OS_VOLUME_API_VERSION')),
    cacert: first(g.osCacert, env('OS_CACERT'), str(c.cacert)),
    insecure,
    httpTimeoutMs: Math.round(httpTimeoutS * 1000),
    connectTimeoutMs: settings.connect_timeout === undefined ? undefined : Math.round(settings.connect_timeout * 1000),
  };
  checkComplete(config);
  return config;
}

/** One message naming every missing piece for the chosen auth type. */
function checkComplete(config: CloudConfig): void {
  const a = config.auth;
  const missing: string[] = [];
  const where = config.cloudName ? ` (${config.description})` : '';
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
    throw new UsageError(`${config.authType} authentication${where} is missing ${missing.join('; ')}`);
  }
}
