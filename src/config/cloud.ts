import { HTTP_TIMEOUT_BOUNDS, parseDuration } from '../model/duration.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { GlobalOptions } from './global-options.js';
import type { VolmigSettings } from './settings.js';
import { authUpdate, expandHome, loadCloud, type KnownRegion, type LoadedCloud, type PyDict } from './clouds-yaml.js';
import { PyFloat, PyTimestamp, pyStr, pyTypeName } from './pyyaml.js';

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
  /** A domain scope (no project): refused, a domain-scoped token reaches no Block Storage API. */
  domainId?: string;
  domainName?: string;
  token?: string;
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  applicationCredentialSecret?: string;
}

/**
 * Everything connect() needs. Resolved as the openstack CLI (osc-lib 2.6 over openstacksdk 0.101 and keystoneauth
 * 5.0) resolves it, with volmig's own rule on top: an explicit --os-* flag always wins.
 */
export interface CloudConfig {
  /** For messages: where the configuration came from, e.g. "cloud 'prod' from /home/op/.config/openstack/clouds.yaml". */
  description: string;
  cloudName?: string;
  cloudsFile?: string;
  /** For `volmig doctor`: the files the cloud came from, and what chose it (--os-cloud, OS_CLOUD, the settings). */
  sourceFiles?: { clouds?: string; secure?: string; vendor?: string };
  cloudSelectedBy?: string;
  authType: AuthType;
  /** The keystoneauth plugin name as resolved (`password`, `v3password`, `v3applicationcredential`, `token`, ...). */
  authPlugin: string;
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
  /** Facts worth a --debug line (e.g. a variable the openstack CLI ignores and so does volmig). */
  notes: string[];
}

export const DEFAULT_HTTP_TIMEOUT_S = 60;

export const NOTHING_CONFIGURED_MESSAGE = [
  'no cloud configured: volmig does not know which Block Storage API to talk to. Point it at one in any of these ways:',
  '  - clouds.yaml (./clouds.yaml, $XDG_CONFIG_HOME/openstack, ~/.config/openstack, /etc/xdg/openstack, /etc/openstack or OS_CLIENT_CONFIG_FILE) and --os-cloud <name> or OS_CLOUD=<name>',
  '  - OS_* environment variables, e.g. from an openrc file: OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME',
  '  - a local sandbox: run `volmig sandbox` and paste the line it prints: export OS_AUTH_TYPE=noauth OS_ENDPOINT=http://127.0.0.1:<port>/v3 OS_PROJECT_ID=<project> OS_USER_ID=<user>',
].join('\n');

type Str = string | undefined;

/**
 * The environment variables the openstack CLI reads, by configuration key: osc-lib's global options (OS_CLOUD,
 * OS_REGION_NAME, OS_CACERT, OS_DEFAULT_DOMAIN, OS_INTERFACE), the API version options of its plugins, and one
 * option per keystoneauth plugin option (OS_<OPTION>, with OS_TENANT_* behind OS_PROJECT_*). Nothing else:
 * OS_INSECURE, OS_VERIFY or OS_ENDPOINT_TYPE are not read by `openstack`, so not by volmig either.
 */
const ENV_ARGS: [key: string, names: string[]][] = [
  ['auth_type', ['OS_AUTH_TYPE']],
  ['auth_url', ['OS_AUTH_URL']],
  ['username', ['OS_USERNAME']],
  ['user_id', ['OS_USER_ID']],
  ['user_domain_id', ['OS_USER_DOMAIN_ID']],
  ['user_domain_name', ['OS_USER_DOMAIN_NAME']],
  ['password', ['OS_PASSWORD']],
  ['project_id', ['OS_PROJECT_ID', 'OS_TENANT_ID']],
  ['project_name', ['OS_PROJECT_NAME', 'OS_TENANT_NAME']],
  ['project_domain_id', ['OS_PROJECT_DOMAIN_ID']],
  ['project_domain_name', ['OS_PROJECT_DOMAIN_NAME']],
  ['domain_id', ['OS_DOMAIN_ID']],
  ['domain_name', ['OS_DOMAIN_NAME']],
  ['default_domain_id', ['OS_DEFAULT_DOMAIN_ID']],
  ['default_domain_name', ['OS_DEFAULT_DOMAIN_NAME']],
  ['token', ['OS_TOKEN']],
  ['application_credential_id', ['OS_APPLICATION_CREDENTIAL_ID']],
  ['application_credential_name', ['OS_APPLICATION_CREDENTIAL_NAME']],
  ['application_credential_secret', ['OS_APPLICATION_CREDENTIAL_SECRET']],
  ['region_name', ['OS_REGION_NAME']],
  ['interface', ['OS_INTERFACE']],
  ['cacert', ['OS_CACERT']],
  ['default_domain', ['OS_DEFAULT_DOMAIN']],
  ['identity_api_version', ['OS_IDENTITY_API_VERSION']],
  ['volume_api_version', ['OS_VOLUME_API_VERSION']],
];

/** The flags, by the same keys. */
const FLAG_ARGS: [key: string, flag: keyof GlobalOptions][] = [
  ['auth_type', 'osAuthType'],
  ['auth_url', 'osAuthUrl'],
  ['username', 'osUsername'],
  ['user_id', 'osUserId'],
  ['user_domain_id', 'osUserDomainId'],
  ['user_domain_name', 'osUserDomainName'],
  ['password', 'osPassword'],
  ['project_id', 'osProjectId'],
  ['project_name', 'osProjectName'],
  ['project_domain_id', 'osProjectDomainId'],
  ['project_domain_name', 'osProjectDomainName'],
  ['domain_id', 'osDomainId'],
  ['domain_name', 'osDomainName'],
  ['token', 'osToken'],
  ['application_credential_id', 'osApplicationCredentialId'],
  ['application_credential_name', 'osApplicationCredentialName'],
  ['application_credential_secret', 'osApplicationCredentialSecret'],
  ['region_name', 'osRegionName'],
  ['interface', 'osInterface'],
  ['cacert', 'osCacert'],
  ['default_domain', 'osDefaultDomain'],
  ['identity_api_version', 'osIdentityApiVersion'],
  ['volume_api_version', 'osVolumeApiVersion'],
];

/**
 * openstacksdk loader._fix_backwards_project: these keys are gathered from the top level and from `auth`, the
 * `auth` value read last, so a cloud's `auth.project_name` beats OS_PROJECT_NAME (which osc-lib passes at the top
 * level). This is the one place where the environment loses to clouds.yaml.
 */
const SCOPE_KEYS: [target: string, aliases: string[]][] = [
  ['domain_id', ['domain_id', 'domain-id']],
  ['domain_name', ['domain_name', 'domain-name']],
  ['user_domain_id', ['user_domain_id', 'user-domain-id']],
  ['user_domain_name', ['user_domain_name', 'user-domain-name']],
  ['project_domain_id', ['project_domain_id', 'project-domain-id']],
  ['project_domain_name', ['project_domain_name', 'project-domain-name']],
  ['token', ['auth-token', 'auth_token', 'token']],
  ['project_id', ['tenant_id', 'tenant-id', 'project_id', 'project-id']],
  ['project_name', ['tenant_name', 'tenant-name', 'project_name', 'project-name']],
];

/** A flag for one of these replaces the other of the pair too: `--os-project-name` beats a cloud's project_id. */
const PAIRS: [string, string][] = [
  ['project_id', 'project_name'],
  ['user_id', 'username'],
  ['user_domain_id', 'user_domain_name'],
  ['project_domain_id', 'project_domain_name'],
  ['domain_id', 'domain_name'],
  ['application_credential_id', 'application_credential_name'],
];

// keystoneauth 5.0 plugin options (loading/identity.py, loading/_plugins/identity/{generic,v3}.py), as
// [option, deprecated names]; `auth_url` is required by all of them.
const IDENTITY_COMMON: [string, string[]][] = [['auth_url', []], ['system_scope', []], ['domain_id', []], ['domain_name', []]];
const V3_SCOPE: [string, string[]][] = [
  ...IDENTITY_COMMON,
  ['project_id', []],
  ['project_name', []],
  ['project_domain_id', []],
  ['project_domain_name', []],
  ['trust_id', []],
];
const GENERIC_SCOPE: [string, string[]][] = [
  ...IDENTITY_COMMON,
  ['project_id', ['tenant_id']],
  ['project_name', ['tenant_name']],
  ['project_domain_id', []],
  ['project_domain_name', []],
  ['trust_id', []],
  ['default_domain_id', []],
  ['default_domain_name', []],
];
const USER: [string, string[]][] = [['user_id', []], ['username', ['user_name']], ['user_domain_id', []], ['user_domain_name', []]];
const PLUGIN_OPTIONS: Record<string, [string, string[]][]> = {
  password: [...GENERIC_SCOPE, ...USER, ['password', []]],
  v3password: [...V3_SCOPE, ...USER, ['password', []]],
  token: [...GENERIC_SCOPE, ['token', []]],
  // volmig's noauth (Cinder's noauth middleware): the user and project go in the token, the endpoint is given
  none: [['user_id', []], ['endpoint', []]],
  v3token: [...V3_SCOPE, ['token', []]],
  v3applicationcredential: [
    ...V3_SCOPE,
    ...USER,
    ['application_credential_secret', []],
    ['application_credential_id', []],
    ['application_credential_name', []],
  ],
};

function normaliseAuthType(value: string, source: string): { type: AuthType; plugin: string } {
  const v = value.toLowerCase().replace(/[-_]/g, '');
  if (v === 'noauth' || v === 'none') return { type: 'noauth', plugin: 'none' };
  if (v === 'password') return { type: 'password', plugin: 'password' };
  if (v === 'v3password') return { type: 'password', plugin: 'v3password' };
  if (v === 'v3applicationcredential' || v === 'applicationcredential') return { type: 'v3applicationcredential', plugin: 'v3applicationcredential' };
  if (v === 'token' || v === 'admintoken' || v === 'tokenendpoint') return { type: 'token', plugin: 'token' };
  if (v === 'v3token') return { type: 'token', plugin: 'v3token' };
  throw new UsageError(`unknown auth type '${value}' (${source}); volmig supports password, v3applicationcredential, token and noauth`);
}

function normaliseInterface(value: string, source: string): EndpointInterface {
  const v = value.toLowerCase().replace(/url$/, '');
  if (v === 'public' || v === 'internal' || v === 'admin') return v;
  throw new UsageError(`invalid interface '${value}' (${source}); expected public, internal or admin`);
}

/** An HTTP timeout in the one duration grammar (bare number = seconds), within 1 s to 1 h; in seconds. */
function seconds(value: Str, source: string): number | undefined {
  if (value === undefined) return undefined;
  return parseDuration(String(value), source, HTTP_TIMEOUT_BOUNDS) / 1000;
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** Python truthiness of a loaded value. */
function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '' || v === 0n) return false;
  if (v instanceof PyFloat) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && !(v instanceof PyTimestamp)) return Object.keys(v).length > 0;
  return true;
}

function isPlainDict(v: unknown): v is PyDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof PyFloat) && !(v instanceof PyTimestamp);
}

/** openstacksdk _util.normalize_keys: `-` → `_` in keys, ints and floats → their str() (api_timeout ints kept). */
function normalizeKeys(config: PyDict): PyDict {
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
function getBoolean(value: unknown, source: string): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.toLowerCase() === 'true';
  // openstacksdk calls .lower() on it and fails with an AttributeError
  throw new UsageError(`${source} must be true or false, not the YAML ${pyTypeName(value)} ${pyStr(value)}`);
}

/** openstacksdk _get_region: the named region of the known list, the list's first without a name, else the name as is. */
function pickRegion(known: KnownRegion[] | undefined, wanted: string, cloud: string, source: string): KnownRegion {
  if (!known || known.length === 0) return { name: wanted, values: {} };
  if (!wanted) return known[0]!;
  const found = known.find((r) => r.name === wanted);
  if (found) return found;
  throw new UsageError(
    `region '${wanted}' (${source}) is not a region of cloud '${cloud}': its regions are ${known.map((r) => r.name).join(', ')} (region names are case sensitive)`,
  );
}

export async function resolveCloudConfig(globals: GlobalOptions, io: Io, settings: VolmigSettings): Promise<CloudConfig> {
  const env = (name: string): Str => nonEmpty(io.env[name]);
  const g = globals;
  const notes: string[] = [];

  const flagsOrEnvSayCloud = [
    g.osAuthType, g.osAuthUrl, g.osEndpoint, g.osToken, g.osApplicationCredentialId, g.osApplicationCredentialSecret,
    env('OS_AUTH_TYPE'), env('OS_AUTH_URL'), env('OS_ENDPOINT'), env('CINDER_ENDPOINT'), env('OS_TOKEN'),
    env('OS_APPLICATION_CREDENTIAL_ID'), env('OS_APPLICATION_CREDENTIAL_SECRET'),
  ].some((v) => nonEmpty(v) !== undefined);

  let cloudName: Str;
  let selectedBy = '';
  if (nonEmpty(g.osCloud)) [cloudName, selectedBy] = [g.osCloud, '--os-cloud'];
  else if (env('OS_CLOUD')) [cloudName, selectedBy] = [env('OS_CLOUD'), 'OS_CLOUD'];
  else if (settings.cloud && !flagsOrEnvSayCloud) {
    [cloudName, selectedBy] = [settings.cloud, `the 'cloud' setting in ${settings.filepath ?? 'volmig settings'}`];
  }

  let loaded: LoadedCloud | undefined;
  if (cloudName) {
    loaded = await loadCloud(io, cloudName, selectedBy);
  }
  if (!loaded && !flagsOrEnvSayCloud) throw new UsageError(NOTHING_CONFIGURED_MESSAGE);
  const inCloud = loaded ? ` of cloud '${loaded.name}'` : '';

  // What osc-lib's argparse hands openstacksdk: each option from its flag or its environment variable (empty = unset),
  // and --os-default-domain defaulting to `default`. Flags sit over the environment here; where openstacksdk lets
  // the cloud beat both (SCOPE_KEYS), volmig's flags are applied once more, after that step.
  const args: PyDict = {};
  const argSource: Record<string, string> = {};
  const flags: Record<string, string> = {};
  for (const [key, names] of ENV_ARGS) {
    const name = names.find((n) => env(n) !== undefined);
    if (name) [args[key], argSource[key]] = [env(name)!, name];
  }
  for (const [key, flag] of FLAG_ARGS) {
    const value = nonEmpty(g[flag]);
    if (value !== undefined) {
      [args[key], argSource[key], flags[key]] = [value, `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, value];
    }
  }
  if (g.insecure === true) [args.insecure, argSource.insecure] = [true, '--insecure'];
  if (args.default_domain === undefined) args.default_domain = 'default';
  if (env('OS_INSECURE') !== undefined) {
    notes.push('OS_INSECURE is ignored, as by the openstack CLI (use --insecure, or insecure: true / verify: false in clouds.yaml)');
  }

  // _get_base_cloud_config: defaults, then the cloud (its profile already under it).
  let config: PyDict = { auth_type: 'password', interface: 'public', verify: true, auth: {} };
  if (loaded) authUpdate(config, loaded.entry);
  const cloudAuthKeys = loaded && isPlainDict(loaded.entry.auth) ? Object.keys(loaded.entry.auth) : [];
  const rawAuth = loaded && isPlainDict(loaded.entry.auth) ? loaded.entry.auth : {};
  const explicitAuthType =
    args.auth_type !== undefined || (loaded !== undefined && ('auth_type' in loaded.entry || 'auth_plugin' in loaded.entry));

  // The region: one of the cloud's known regions (its `values` applied), checked against the list.
  const region = pickRegion(loaded?.regions, (args.region_name as Str) ?? '', loaded?.name ?? '', argSource.region_name ?? '');
  delete config.regions;
  for (const source of [region.values, { ...args, region_name: region.name }]) {
    for (const [key, value] of Object.entries(source)) {
      if (value === null || value === undefined) continue;
      if (key === 'auth' && isPlainDict(value)) config.auth = { ...(config.auth as PyDict), ...value };
      else config[key] = value;
    }
  }

  // magic_fixes, in openstacksdk's order.
  const auth = config.auth as PyDict;
  if ('endpoint_type' in config) {
    config.interface = config.endpoint_type;
    delete config.endpoint_type;
  }
  {
    let target: unknown;
    for (const key of ['auth_plugin', 'auth_type']) {
      if (key in config) {
        target = config[key];
        delete config[key];
      }
    }
    config.auth_type = target;
  }
  for (const [target, aliases] of SCOPE_KEYS) {
    let value: string | undefined;
    for (const key of aliases) {
      if (key in config) {
        value = pyStr(config[key]);
        delete config[key];
      }
      if (key in auth) {
        value = pyStr(auth[key]);
        delete auth[key];
      }
    }
    if (value) auth[target] = value;
  }
  // volmig: an explicit flag wins over the cloud for these keys too...
  for (const [target] of SCOPE_KEYS) if (flags[target] !== undefined) auth[target] = flags[target];
  config = Object.fromEntries(Object.entries(config).map(([k, v]) => [k.endsWith('endpoint_type') ? k.replace('endpoint_type', 'interface') : k, v]));
  handleDomainId(config);
  // ...and replaces the other key of its pair (`--os-project-name` beats a cloud's project_id, which keystoneauth
  // would otherwise prefer).
  for (const [x, y] of PAIRS) {
    for (const [mine, other] of [[x, y], [y, x]] as const) {
      if (flags[mine] !== undefined && flags[other] === undefined) {
        delete auth[other];
        delete config[other];
      }
    }
  }
  if ('insecure' in config) config.insecure = getBoolean(config.insecure, `insecure${inCloud}`);
  config = normalizeKeys(config);
  const a = config.auth as PyDict;

  // The auth type. openstack defaults to password whatever is set; volmig does too, except that with no
  // password anywhere a token or an application credential is used (where openstack would ask for a password).
  let authType: AuthType;
  let authPlugin: string;
  if (explicitAuthType) {
    const given = config.auth_type;
    const source = argSource.auth_type ?? `auth_type${inCloud}`;
    ({ type: authType, plugin: authPlugin } =
      given === null || given === undefined || given === '' || given === 'None'
        ? { type: 'noauth' as const, plugin: 'none' }
        : normaliseAuthType(pyStr(given), source));
  } else if (truthy(config.password) || truthy(a.password)) [authType, authPlugin] = ['password', 'password'];
  else if (truthy(a.token)) [authType, authPlugin] = ['token', 'token'];
  else if (truthy(config.application_credential_secret) || truthy(a.application_credential_secret)) {
    [authType, authPlugin] = ['v3applicationcredential', 'v3applicationcredential'];
  } else [authType, authPlugin] = ['password', 'password'];

  // osc-lib OSC_Config._auth_default_domain: with identity API 3 and a password login, the missing user and project
  // domains are the default domain (OS_DEFAULT_DOMAIN, --os-default-domain, else `default`).
  const identityVersion = config.identity_api_version === undefined || config.identity_api_version === null ? '' : pyStr(config.identity_api_version);
  const defaultDomain = config.default_domain;
  if (identityVersion === '3' && truthy(defaultDomain) && (authPlugin === 'password' || authPlugin === 'v3password')) {
    if (!a.project_domain_id && !a.project_domain_name) a.project_domain_id = defaultDomain;
    if (!a.user_domain_id && !a.user_domain_name) a.user_domain_id = defaultDomain;
  }

  // OSC_Config._validate_auth: each plugin option from the top level (flags, environment, the cloud's top-level
  // keys) else from `auth`; an empty or false value counts as not given.
  const options = PLUGIN_OPTIONS[authPlugin];
  if (options) {
    for (const [option, deprecated] of options) {
      let winner: unknown;
      for (const where of [config, a]) {
        for (const name of [option, ...deprecated]) {
          if (winner === undefined && truthy(where[name])) winner = where[name];
        }
      }
      for (const name of [option, ...deprecated]) {
        delete config[name];
        delete a[name];
      }
      if (winner !== undefined) a[option] = winner;
    }
    // keystoneauth hands `auth` to the plugin's constructor, which refuses a key it does not know
    const names = options.flatMap(([o, d]) => [o, ...d]);
    const known = new Set([...names, ...SCOPE_KEYS.filter(([t]) => names.includes(t)).flatMap(([, aliases]) => aliases)]);
    const unknown = cloudAuthKeys.filter((k) => !known.has(k) && !known.has(k.replace(/-/g, '_')));
    if (authPlugin !== 'none' && unknown.length > 0) {
      throw new UsageError(
        `auth${inCloud} has ${unknown.map((k) => `'${k}'`).join(', ')}, which the ${authPlugin} plugin does not take (the openstack CLI fails on it too)`,
        { hint: `Known keys: ${[...new Set(options.map(([o]) => o))].join(', ')}.` },
      );
    }
  }

  const text = (value: unknown, what: string): string | undefined => {
    if (value === undefined || value === null || value === false || value === '') return undefined;
    if (typeof value === 'string') return value;
    throw new UsageError(`${what}${inCloud} is the YAML ${pyTypeName(value)} ${pyStr(value)}, not text: quote it in clouds.yaml`);
  };
  const pick = (key: string): string | undefined => text(a[key], `auth.${key}`);
  const cloudAuth: CloudAuth = {
    authUrl: pick('auth_url'),
    username: pick('username'),
    userId: pick('user_id'),
    userDomainId: pick('user_domain_id'),
    userDomainName: pick('user_domain_name'),
    password: pick('password'),
    projectId: pick('project_id'),
    projectName: pick('project_name'),
    projectDomainId: pick('project_domain_id'),
    projectDomainName: pick('project_domain_name'),
    domainId: pick('domain_id'),
    domainName: pick('domain_name'),
    token: pick('token'),
    applicationCredentialId: pick('application_credential_id'),
    applicationCredentialName: pick('application_credential_name'),
    applicationCredentialSecret: pick('application_credential_secret'),
  };
  // keystoneauth's generic plugins: default_domain_id/name stand in for the user's and the project's domain.
  if (authPlugin === 'password' || authPlugin === 'token') {
    const defId = pick('default_domain_id');
    const defName = pick('default_domain_name');
    if (authPlugin === 'password') {
      cloudAuth.userDomainId ??= defId;
      cloudAuth.userDomainName ??= defName;
    }
    cloudAuth.projectDomainId ??= defId;
    cloudAuth.projectDomainName ??= defName;
  }

  // Block Storage per-service keys as openstacksdk's CloudRegion reads them: block_storage_*, then the aliases
  // volumev3_*, volumev2_*, volume_*, block_store_* (os-service-types), then the unprefixed key.
  const serviceKey = (suffix: string): unknown => {
    for (const type of ['block_storage', 'volumev3', 'volumev2', 'volume', 'block_store']) {
      const v = config[`${type}_${suffix}`];
      if (v !== undefined && v !== null) return v;
    }
    return undefined;
  };
  const endpointOverride =
    nonEmpty(g.osEndpoint) ??
    env('OS_ENDPOINT') ??
    env('CINDER_ENDPOINT') ??
    text(truthy(serviceKey('endpoint_override')) ? serviceKey('endpoint_override') : serviceKey('endpoint'), 'block_storage_endpoint_override') ??
    (authType === 'noauth' ? text(a.endpoint, 'auth.endpoint') : undefined);

  // The environment and flags name the interface and region for every service, as `openstack` uses them for
  // cinderclient; clouds.yaml's per-service keys come next, then its cloud-wide ones.
  const interfaceText =
    (args.interface as Str) ?? text(serviceKey('interface'), 'block_storage_interface') ?? text(config.interface, 'interface') ?? 'public';
  const iface = normaliseInterface(interfaceText, argSource.interface ?? `interface${inCloud}`);
  const regionName =
    (args.region_name as Str) ?? text(serviceKey('region_name'), 'block_storage_region_name') ?? (region.name || undefined);

  // CloudRegion.get_requests_verify_args: insecure wins; `verify` may itself be a CA bundle path; cacert is used
  // only while verifying.
  const insecureFlag = config.insecure === true;
  const verify = insecureFlag ? false : config.verify === undefined ? true : config.verify;
  let cacert: string | undefined;
  if (truthy(verify)) {
    const ca = text(config.cacert, 'cacert');
    if (ca) cacert = expandHome(io, ca);
    else if (typeof verify === 'string') cacert = verify;
    else if (verify !== true) throw new UsageError(`verify${inCloud} is the YAML ${pyTypeName(verify)} ${pyStr(verify)}: expected true, false or a CA bundle path`);
  }

  const apiTimeout = config.api_timeout === undefined || config.api_timeout === null ? undefined : pyStr(config.api_timeout);
  const httpTimeoutS =
    seconds(nonEmpty(g.httpTimeout), '--http-timeout') ??
    seconds(apiTimeout, `api_timeout${inCloud}`) ??
    settings.http_timeout ??
    DEFAULT_HTTP_TIMEOUT_S;

  const volumeApiVersion = text(config.volume_api_version, 'volume_api_version');
  if (loaded && loaded.entry.volume_api_version instanceof PyFloat && args.volume_api_version === undefined) {
    notes.push(`volume_api_version${inCloud} is the YAML float ${pyStr(loaded.entry.volume_api_version)} (quote it to keep trailing zeros)`);
  }

  const sources = loaded ? [loaded.file, loaded.secureFile, loaded.vendorFile].filter(Boolean) : [];
  const config_: CloudConfig = {
    description: loaded
      ? `cloud '${loaded.name}' from ${sources[0] ?? 'clouds.yaml'}${sources.length > 1 ? ` (+ ${sources.slice(1).join(', ')})` : ''}`
      : 'command-line options and OS_* environment',
    cloudName: loaded?.name,
    cloudsFile: loaded?.file ?? loaded?.secureFile,
    sourceFiles: loaded ? { clouds: loaded.file, secure: loaded.secureFile, vendor: loaded.vendorFile } : undefined,
    cloudSelectedBy: loaded ? selectedBy : undefined,
    authType,
    authPlugin,
    auth: cloudAuth,
    endpointOverride,
    regionName,
    interface: iface,
    volumeApiVersion,
    cacert,
    insecure: !truthy(verify),
    httpTimeoutMs: Math.round(httpTimeoutS * 1000),
    connectTimeoutMs: settings.connect_timeout === undefined ? undefined : Math.round(settings.connect_timeout * 1000),
    notes,
  };
  checkComplete(config_, rawAuth);
  return config_;
}

/**
 * openstacksdk loader._handle_domain_id: with a project scope, `domain_id` / `domain_name` stand for the user's and
 * the project's domain where those are not given; without one they stay, as a domain scope.
 */
function handleDomainId(config: PyDict): void {
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
function checkComplete(config: CloudConfig, rawAuth: PyDict): void {
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
