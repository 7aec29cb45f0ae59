// The resolved cloud: what src/api connects with (src/config/cloud.ts resolves it).
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
