import { readFile } from 'node:fs/promises';
import type { Dispatcher } from 'undici';
import { UnavailableError, UsageError } from '../errors.js';
import type { CloudConfig } from '../config/cloud.js';
import { nowFor, sleepFor, type Io } from '../io.js';
import { AuthSession, KeystoneAuth, NoAuth, StaticToken, type Authenticator } from './auth.js';
import type { BlockStorageClient } from './block-storage.js';
import { selectBlockStorageEndpoint } from './catalog.js';
import { CinderClient } from './cinder-client.js';
import { resolveEndpoint, type ResolvedEndpoint } from './endpoint.js';
import { HttpTransport } from './http.js';
import { KnownSecrets } from './redact.js';
import { negotiateMicroversion } from './microversion.js';

export interface ConnectOptions {
  /** One line per request and per answer, secrets redacted (--debug). */
  debug?: (line: string) => void;
  /** The run's interruption (Ctrl-C, SIGTERM): stops every request in flight. */
  signal?: AbortSignal;
  /** A line the operator must see (a versions document volmig could not read). */
  warn?: (line: string) => void;
  /**
   * The run's secrets, shared with the caller so that its error report can be cleaned of them too: the cloud's
   * password, application-credential secret and token are added here, the tokens Keystone issues as they come.
   */
  secrets?: KnownSecrets;
}

const USER_AGENT = 'volmig (+https://docs.openstack.org/api-ref/block-storage/v3/)';

/**
 * The composition root of the API layer: dispatcher (the only place a custom undici Agent is built), transport,
 * authentication, endpoint and microversion. Everything that can be checked before touching a volume is checked here.
 */
export async function connect(cloud: CloudConfig, io: Io, options: ConnectOptions = {}): Promise<BlockStorageClient> {
  await io.beforeNetwork?.();
  const { loadUndiciRequest } = await import('./undici-request.js');
  const dispatcher = io.dispatcher ?? (await buildDispatcher(cloud));
  const secrets = options.secrets ?? new KnownSecrets();
  secrets.add(cloud.auth.password, cloud.auth.applicationCredentialSecret, cloud.auth.token);
  const transport = new HttpTransport({
    secrets,
    request: await loadUndiciRequest(),
    dispatcher,
    debug: options.debug,
    sleep: sleepFor(io),
    now: nowFor(io),
    requestTimeoutMs: cloud.httpTimeoutMs,
    userAgent: USER_AGENT,
    signal: options.signal,
  });
  options.debug?.(`configuration: ${cloud.description}; auth ${cloud.authPlugin}; interface ${cloud.interface}${cloud.regionName ? `; region ${cloud.regionName}` : ''}`);
  for (const note of cloud.notes) options.debug?.(`configuration: ${note}`);
  try {
    return await connectWith(cloud, transport, options);
  } catch (err) {
    // The openstack CLI ignores OS_INSECURE; someone who set it and now sees a certificate error should know why.
    if (err instanceof UnavailableError && err.message.includes('TLS error') && cloud.notes.some((n) => n.startsWith('OS_INSECURE'))) {
      throw new UnavailableError(err.message, {
        hint: `${err.hint ?? ''} OS_INSECURE is ignored, as by the openstack CLI: use --insecure, or insecure: true in clouds.yaml.`.trim(),
        cause: err,
      });
    }
    throw err;
  }
}

async function connectWith(cloud: CloudConfig, transport: HttpTransport, options: ConnectOptions = {}): Promise<BlockStorageClient> {
  const session = new AuthSession(authenticatorFor(cloud, transport));
  let resolved: ResolvedEndpoint;
  if (cloud.authType === 'noauth' || (cloud.authType === 'token' && cloud.endpointOverride && !cloud.auth.authUrl)) {
    resolved = resolveEndpoint(cloud.endpointOverride!, cloud.auth.projectId, 'endpoint');
  } else {
    const auth = await session.get();
    const projectId = auth.projectId ?? cloud.auth.projectId;
    if (cloud.endpointOverride) {
      resolved = resolveEndpoint(cloud.endpointOverride, projectId, 'endpoint');
    } else {
      const chosen = selectBlockStorageEndpoint(auth.catalog, { interface: cloud.interface, region: cloud.regionName });
      options.debug?.(`catalog: ${chosen.serviceType} ${cloud.interface} ${chosen.region ?? '-'} ${chosen.url}`);
      resolved = resolveEndpoint(chosen.url, projectId, 'catalog endpoint');
    }
  }

  const version = await negotiateMicroversion(transport, resolved.serviceRoot, cloud.volumeApiVersion, { warn: options.warn });
  options.debug?.(
    `microversion ${version.microversion}` + (version.max ? ` (server ${version.min} to ${version.max})` : '') + `; endpoint ${resolved.endpoint}`,
  );
  return new CinderClient({
    transport,
    session,
    endpoint: resolved.endpoint,
    projectId: resolved.projectId,
    microversion: version.microversion,
    signal: options.signal,
  });
}

function authenticatorFor(cloud: CloudConfig, transport: HttpTransport): Authenticator {
  const a = cloud.auth;
  switch (cloud.authType) {
    case 'noauth': {
      const project = a.projectId ?? projectFromEndpoint(cloud.endpointOverride);
      if (!project) {
        throw new UsageError('noauth needs a project id: set OS_PROJECT_ID (or --os-project-id), or an endpoint ending in /v3/<project id>');
      }
      // Cinder's noauth middleware treats a bare token as both user and project; volmig sends both explicitly.
      return new NoAuth(a.userId ?? project, project);
    }
    case 'token':
      if (!a.authUrl) return new StaticToken(a.token!, a.projectId ?? projectFromEndpoint(cloud.endpointOverride));
      return new KeystoneAuth('token', cloud, transport);
    case 'password':
    case 'v3applicationcredential':
      return new KeystoneAuth(cloud.authType, cloud, transport);
  }
}

function projectFromEndpoint(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return resolveEndpoint(url, undefined).projectId;
  } catch {
    return undefined;
  }
}

async function buildDispatcher(cloud: CloudConfig): Promise<Dispatcher | undefined> {
  if (!cloud.cacert && !cloud.insecure && cloud.connectTimeoutMs === undefined) return undefined;
  const undici = await import('undici');
  const connect: Record<string, unknown> = {};
  if (cloud.cacert) {
    try {
      connect.ca = await readFile(cloud.cacert, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read the CA bundle ${cloud.cacert} (--os-cacert / OS_CACERT / cacert): ${(err as Error).message}`);
    }
  }
  if (cloud.insecure) connect.rejectUnauthorized = false;
  if (cloud.connectTimeoutMs !== undefined) connect.timeout = cloud.connectTimeoutMs;
  return new undici.Agent({ connect });
}
