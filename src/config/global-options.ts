import type { Command } from 'commander';

/**
 * Options every command accepts, before or after the command name. The `--os-*` names follow
 * python-openstackclient so that an operator's muscle memory carries over.
 */
export interface GlobalOptions {
  osCloud?: string;
  osAuthType?: string;
  osAuthUrl?: string;
  osEndpoint?: string;
  osProjectId?: string;
  osProjectName?: string;
  osProjectDomainId?: string;
  osProjectDomainName?: string;
  osUserId?: string;
  osUsername?: string;
  osUserDomainId?: string;
  osUserDomainName?: string;
  osDomainId?: string;
  osDomainName?: string;
  osDefaultDomain?: string;
  osIdentityApiVersion?: string;
  osPassword?: string;
  osToken?: string;
  osApplicationCredentialId?: string;
  osApplicationCredentialName?: string;
  osApplicationCredentialSecret?: string;
  osRegionName?: string;
  osInterface?: string;
  osVolumeApiVersion?: string;
  osCacert?: string;
  insecure?: boolean;
  httpTimeout?: string;
  debug?: boolean;
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
}

/**
 * How one global option is shown: its flags, what it is for, the variables that stand in for it and the clouds.yaml
 * key it overrides (the option's meaning lives in ./cloud.ts; `volmig help environment` and the man page list these).
 */
export interface GlobalOptionSpec {
  flags: string;
  description: string;
  env?: readonly string[];
  cloudsYaml?: string;
}

/** The connection options of python-openstackclient, in its order. Root help shows only --os-cloud of them. */
export const CLOUD_OPTIONS: readonly GlobalOptionSpec[] = [
  { flags: '--os-cloud <name>', description: 'cloud from clouds.yaml', env: ['OS_CLOUD'] },
  { flags: '--os-auth-type <type>', description: 'password, v3applicationcredential, token or noauth', env: ['OS_AUTH_TYPE'], cloudsYaml: 'auth_type' },
  { flags: '--os-auth-url <url>', description: 'Keystone v3 URL', env: ['OS_AUTH_URL'], cloudsYaml: 'auth.auth_url' },
  {
    flags: '--os-endpoint <url>',
    description: 'Block Storage endpoint, skipping the catalog',
    env: ['OS_ENDPOINT', 'CINDER_ENDPOINT'],
    cloudsYaml: 'block_storage_endpoint_override',
  },
  { flags: '--os-project-id <id>', description: 'project id', env: ['OS_PROJECT_ID', 'OS_TENANT_ID'], cloudsYaml: 'auth.project_id' },
  { flags: '--os-project-name <name>', description: 'project name', env: ['OS_PROJECT_NAME', 'OS_TENANT_NAME'], cloudsYaml: 'auth.project_name' },
  { flags: '--os-project-domain-id <id>', description: 'project domain id', env: ['OS_PROJECT_DOMAIN_ID'], cloudsYaml: 'auth.project_domain_id' },
  { flags: '--os-project-domain-name <name>', description: 'project domain name', env: ['OS_PROJECT_DOMAIN_NAME'], cloudsYaml: 'auth.project_domain_name' },
  { flags: '--os-user-id <id>', description: 'user id', env: ['OS_USER_ID'], cloudsYaml: 'auth.user_id' },
  { flags: '--os-username <name>', description: 'user name', env: ['OS_USERNAME'], cloudsYaml: 'auth.username' },
  { flags: '--os-user-domain-id <id>', description: 'user domain id', env: ['OS_USER_DOMAIN_ID'], cloudsYaml: 'auth.user_domain_id' },
  { flags: '--os-user-domain-name <name>', description: 'user domain name', env: ['OS_USER_DOMAIN_NAME'], cloudsYaml: 'auth.user_domain_name' },
  {
    flags: '--os-domain-id <id>',
    description: 'domain id of both the user and the project, when they name none',
    env: ['OS_DOMAIN_ID'],
    cloudsYaml: 'auth.domain_id',
  },
  {
    flags: '--os-domain-name <name>',
    description: 'domain name of both the user and the project, when they name none',
    env: ['OS_DOMAIN_NAME'],
    cloudsYaml: 'auth.domain_name',
  },
  {
    flags: '--os-default-domain <id>',
    description: 'domain id used with identity API 3 when none is named (default: default)',
    env: ['OS_DEFAULT_DOMAIN'],
    cloudsYaml: 'default_domain_id',
  },
  {
    flags: '--os-identity-api-version <version>',
    description: '3 applies the default domain, as the openstack CLI',
    env: ['OS_IDENTITY_API_VERSION'],
    cloudsYaml: 'identity_api_version',
  },
  { flags: '--os-password <password>', description: 'password; prefer clouds.yaml/secure.yaml', env: ['OS_PASSWORD'], cloudsYaml: 'auth.password' },
  { flags: '--os-token <token>', description: 'pre-issued token', env: ['OS_TOKEN'], cloudsYaml: 'auth.token' },
  {
    flags: '--os-application-credential-id <id>',
    description: 'application credential id',
    env: ['OS_APPLICATION_CREDENTIAL_ID'],
    cloudsYaml: 'auth.application_credential_id',
  },
  {
    flags: '--os-application-credential-name <name>',
    description: 'application credential name',
    env: ['OS_APPLICATION_CREDENTIAL_NAME'],
    cloudsYaml: 'auth.application_credential_name',
  },
  {
    flags: '--os-application-credential-secret <secret>',
    description: 'application credential secret',
    env: ['OS_APPLICATION_CREDENTIAL_SECRET'],
    cloudsYaml: 'auth.application_credential_secret',
  },
  { flags: '--os-region-name <region>', description: 'catalog region', env: ['OS_REGION_NAME'], cloudsYaml: 'region_name' },
  {
    flags: '--os-interface <interface>',
    description: 'catalog interface: public, internal or admin',
    env: ['OS_INTERFACE'],
    cloudsYaml: 'interface',
  },
  { flags: '--os-volume-api-version <version>', description: 'pin the microversion, e.g. 3.60', env: ['OS_VOLUME_API_VERSION'] },
  { flags: '--os-cacert <file>', description: 'CA bundle for TLS verification', env: ['OS_CACERT'], cloudsYaml: 'cacert' },
  { flags: '--insecure', description: 'do not verify TLS certificates (OS_INSECURE is ignored, as by openstack)', cloudsYaml: 'insecure: true / verify: false' },
  {
    flags: '--http-timeout <duration>',
    description: 'per-request timeout: 1s to 1h, a bare number is seconds, default 60s',
    cloudsYaml: 'api_timeout',
  },
];

/** How volmig prints, on every command. */
const OUTPUT_OPTIONS: readonly GlobalOptionSpec[] = [
  { flags: '--debug', description: 'log every HTTP request and response to stderr (secrets redacted) and show stack traces' },
  { flags: '--json', description: 'print JSON on stdout (no colour, no animation)' },
  { flags: '--no-color', description: 'never colour output' },
  { flags: '-q, --quiet', description: 'print only results and errors' },
];

/** The description commander shows: the spec's, with its variables. */
function globalOptionDescription(spec: GlobalOptionSpec): string {
  return spec.env?.length ? `${spec.description} (env: ${spec.env.join(', ')})` : spec.description;
}

export function addGlobalOptions(program: Command): void {
  for (const spec of [...CLOUD_OPTIONS, ...OUTPUT_OPTIONS]) program.option(spec.flags, globalOptionDescription(spec));
}
