// Which OS_* variables, --os-* options and clouds.yaml keys feed which configuration key, as the openstack CLI
// maps them (src/config/cloud.ts applies them).
import type { GlobalOptions } from './global-options.js';

/**
 * The environment variables the openstack CLI reads, by configuration key: osc-lib's global options (OS_CLOUD,
 * OS_REGION_NAME, OS_CACERT, OS_DEFAULT_DOMAIN, OS_INTERFACE), the API version options of its plugins, and one
 * option per keystoneauth plugin option (OS_<OPTION>, with OS_TENANT_* behind OS_PROJECT_*). Nothing else:
 * OS_INSECURE, OS_VERIFY or OS_ENDPOINT_TYPE are not read by `openstack`, so not by volmig either.
 */
export const ENV_ARGS: [key: string, names: string[]][] = [
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
export const FLAG_ARGS: [key: string, flag: keyof GlobalOptions][] = [
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
export const SCOPE_KEYS: [target: string, aliases: string[]][] = [
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
export const PAIRS: [string, string][] = [
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
export const PLUGIN_OPTIONS: Record<string, [string, string[]][]> = {
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
