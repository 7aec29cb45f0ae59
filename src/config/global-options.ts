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

export function addGlobalOptions(program: Command): void {
  program
    .option('--os-cloud <name>', 'cloud from clouds.yaml (env: OS_CLOUD)')
    .option('--os-auth-type <type>', 'password, v3applicationcredential, token or noauth (env: OS_AUTH_TYPE)')
    .option('--os-auth-url <url>', 'Keystone v3 URL (env: OS_AUTH_URL)')
    .option('--os-endpoint <url>', 'Block Storage endpoint, skipping the catalog (env: OS_ENDPOINT, CINDER_ENDPOINT)')
    .option('--os-project-id <id>', 'project id (env: OS_PROJECT_ID)')
    .option('--os-project-name <name>', 'project name (env: OS_PROJECT_NAME)')
    .option('--os-project-domain-id <id>', 'project domain id (env: OS_PROJECT_DOMAIN_ID)')
    .option('--os-project-domain-name <name>', 'project domain name (env: OS_PROJECT_DOMAIN_NAME)')
    .option('--os-user-id <id>', 'user id (env: OS_USER_ID)')
    .option('--os-username <name>', 'user name (env: OS_USERNAME)')
    .option('--os-user-domain-id <id>', 'user domain id (env: OS_USER_DOMAIN_ID)')
    .option('--os-user-domain-name <name>', 'user domain name (env: OS_USER_DOMAIN_NAME)')
    .option('--os-domain-id <id>', 'domain id of both the user and the project, when they name none (env: OS_DOMAIN_ID)')
    .option('--os-domain-name <name>', 'domain name of both the user and the project, when they name none (env: OS_DOMAIN_NAME)')
    .option('--os-default-domain <id>', 'domain id used with identity API 3 when none is named (env: OS_DEFAULT_DOMAIN; default: default)')
    .option('--os-identity-api-version <version>', '3 applies the default domain, as the openstack CLI (env: OS_IDENTITY_API_VERSION)')
    .option('--os-password <password>', 'password (env: OS_PASSWORD; prefer clouds.yaml/secure.yaml)')
    .option('--os-token <token>', 'pre-issued token (env: OS_TOKEN)')
    .option('--os-application-credential-id <id>', 'application credential id (env: OS_APPLICATION_CREDENTIAL_ID)')
    .option('--os-application-credential-name <name>', 'application credential name (env: OS_APPLICATION_CREDENTIAL_NAME)')
    .option('--os-application-credential-secret <secret>', 'application credential secret (env: OS_APPLICATION_CREDENTIAL_SECRET)')
    .option('--os-region-name <region>', 'catalog region (env: OS_REGION_NAME)')
    .option('--os-interface <interface>', 'catalog interface: public, internal or admin (env: OS_INTERFACE)')
    .option('--os-volume-api-version <version>', 'pin the microversion, e.g. 3.60 (env: OS_VOLUME_API_VERSION)')
    .option('--os-cacert <file>', 'CA bundle for TLS verification (env: OS_CACERT)')
    .option('--insecure', 'do not verify TLS certificates')
    .option('--http-timeout <seconds>', 'per-request timeout in seconds (default 60)')
    .option('--debug', 'log every HTTP request and response to stderr (secrets redacted) and show stack traces')
    .option('--json', 'print JSON on stdout (no colour, no animation)')
    .option('--no-color', 'never colour output')
    .option('-q, --quiet', 'print only results and errors');
}
