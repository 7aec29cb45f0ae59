import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { GlobalOptions } from './global-options.js';
import type { VolmigSettings } from './settings.js';
import { authUpdate, expandHome, loadCloud, type LoadedCloud, type PyDict } from './clouds-yaml.js';
import { PyFloat, pyStr, pyTypeName } from './pyyaml.js';

import { DEFAULT_HTTP_TIMEOUT_S, NOTHING_CONFIGURED_MESSAGE, type AuthType, type CloudAuth, type CloudConfig } from './cloud-types.js';
import { ENV_ARGS, FLAG_ARGS, SCOPE_KEYS, PAIRS, PLUGIN_OPTIONS } from './cloud-tables.js';
import { type Str, normaliseAuthType, normaliseInterface, seconds, nonEmpty, truthy, isPlainDict, normalizeKeys, getBoolean, pickRegion, handleDomainId, checkComplete } from './cloud-values.js';

export * from './cloud-types.js';

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
