import { AuthError, UnavailableError, UsageError } from '../errors.js';
import type { CloudConfig } from '../config/cloud.js';
import type { CatalogService } from './catalog.js';
import { describeNonJson, MalformedBodyError, parseCinderFault } from './errors.js';
import { header, type HttpTransport } from './http.js';
import { tokenBody } from './shapes.js';

// The request bodies are keystoneauth 5.0's (identity/v3/password.py, application_credential.py, token.py): the user
// by id, else by name with its domain (id before name); the project by id, else by name with its domain. Which
// values go in is decided in src/config/cloud.ts, as the openstack CLI decides it.

/** What an authentication produced: the token to send, and what Keystone said about its scope. */
export interface AuthResult {
  token: string;
  projectId?: string;
  catalog?: CatalogService[];
  expiresAt?: string;
}

export interface Authenticator {
  readonly kind: string;
  authenticate(): Promise<AuthResult>;
  /** A fresh token can be had by authenticating again (false for noauth and for a pre-issued token). */
  readonly renewable: boolean;
}

/** Cinder's noauth middleware reads `X-Auth-Token: <user>:<project>` (a bare value is both). */
export class NoAuth implements Authenticator {
  readonly kind = 'noauth';
  readonly renewable = false;
  constructor(
    private readonly userId: string,
    private readonly projectId: string,
  ) {}
  async authenticate(): Promise<AuthResult> {
    return { token: `${this.userId}:${this.projectId}`, projectId: this.projectId };
  }
}

/** A pre-issued token used as is, with the endpoint given directly (no Keystone round trip). */
export class StaticToken implements Authenticator {
  readonly kind = 'token';
  readonly renewable = false;
  constructor(
    private readonly token: string,
    private readonly projectId: string | undefined,
  ) {}
  async authenticate(): Promise<AuthResult> {
    return { token: this.token, projectId: this.projectId };
  }
}

type KeystoneMethod = 'password' | 'v3applicationcredential' | 'token';

/** Keystone v3: POST /v3/auth/tokens (password, application credential, token), or GET to validate a token. */
export class KeystoneAuth implements Authenticator {
  readonly renewable: boolean;
  readonly tokensUrl: string;

  constructor(
    readonly kind: KeystoneMethod,
    private readonly cloud: CloudConfig,
    private readonly transport: HttpTransport,
  ) {
    this.tokensUrl = keystoneTokensUrl(cloud.auth.authUrl!);
    this.renewable = kind !== 'token';
  }

  async authenticate(): Promise<AuthResult> {
    const a = this.cloud.auth;
    if (this.kind === 'token' && !a.projectId && !a.projectName) {
      // No scope asked for: validate the token as it is, which keeps its own scope and returns its catalog.
      const res = await this.transport.send({
        method: 'GET',
        url: this.tokensUrl,
        headers: { 'X-Auth-Token': a.token!, 'X-Subject-Token': a.token! },
      });
      return this.readToken(res, a.token!, 'GET');
    }
    const res = await this.transport.send({ method: 'POST', url: this.tokensUrl, body: this.requestBody(), idempotent: true });
    const token = header(res.headers, 'x-subject-token');
    return this.readToken(res, token, 'POST');
  }

  private readToken(
    res: { status: number; text: string; headers: Record<string, string | string[] | undefined>; requestId?: string },
    token: string | undefined,
    method: 'GET' | 'POST',
  ): AuthResult {
    if (res.status >= 400) {
      // Keystone's 400 quotes the request body back, the password or secret in it: the fault is cleaned first.
      const fault = parseCinderFault(res.status, res.text, header(res.headers, 'content-type'), this.transport.secrets);
      const message = `Keystone refused the ${describeMethod(this.kind)} (HTTP ${res.status}): ${fault.message}`;
      if (res.status >= 500) throw new UnavailableError(`${message} [${this.tokensUrl}]`);
      throw new AuthError(message, { hint: `(identity service ${this.tokensUrl})` });
    }
    const malformed = (problem: string) =>
      new MalformedBodyError({ service: 'Keystone', method, url: this.tokensUrl, problem: `${problem} (is the auth URL a Keystone v3 endpoint?)`, requestId: res.requestId });
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      throw malformed(describeNonJson(this.transport.redact(res.text.slice(0, 4096)), header(res.headers, 'content-type')));
    }
    const problem = tokenBody.check(body, '');
    if (problem) throw malformed(problem);
    if (!token) throw new UnavailableError(`${this.tokensUrl} answered HTTP ${res.status} without an X-Subject-Token header`);
    const t = (body as { token: { project?: { id?: string } | null; catalog?: CatalogService[] | null; expires_at?: string | null } }).token;
    return {
      token,
      projectId: t.project?.id,
      catalog: t.catalog ?? undefined,
      expiresAt: t.expires_at ?? undefined,
    };
  }

  private requestBody(): unknown {
    const a = this.cloud.auth;
    if (this.kind === 'v3applicationcredential') {
      const credential: Record<string, unknown> = { secret: a.applicationCredentialSecret };
      if (a.applicationCredentialId) credential.id = a.applicationCredentialId;
      else {
        credential.name = a.applicationCredentialName;
        credential.user = userRef(a);
      }
      // Keystone refuses a scope with application credentials: they carry their own project.
      return { auth: { identity: { methods: ['application_credential'], application_credential: credential } } };
    }
    const identity =
      this.kind === 'password'
        ? { methods: ['password'], password: { user: { ...userRef(a), password: a.password } } }
        : { methods: ['token'], token: { id: a.token } };
    const scope = projectScope(a);
    return { auth: scope ? { identity, scope } : { identity } };
  }
}

function describeMethod(kind: KeystoneMethod): string {
  if (kind === 'password') return 'password';
  if (kind === 'v3applicationcredential') return 'application credential';
  return 'token';
}

function domainRef(id: string | undefined, name: string | undefined): Record<string, string> | undefined {
  if (id) return { id };
  if (name) return { name };
  return undefined;
}

function userRef(a: CloudConfig['auth']): Record<string, unknown> {
  if (a.userId) return { id: a.userId };
  const domain = domainRef(a.userDomainId, a.userDomainName);
  return domain ? { name: a.username, domain } : { name: a.username };
}

function projectScope(a: CloudConfig['auth']): Record<string, unknown> | undefined {
  if (a.projectId) return { project: { id: a.projectId } };
  if (a.projectName) {
    const domain = domainRef(a.projectDomainId, a.projectDomainName);
    return { project: domain ? { name: a.projectName, domain } : { name: a.projectName } };
  }
  return undefined;
}

/** `http://h:5000`, `http://h:5000/v3`, `http://h:5000/identity/v3/` → `.../v3/auth/tokens`. */
export function keystoneTokensUrl(authUrl: string): string {
  let url: URL;
  try {
    url = new URL(authUrl);
  } catch {
    throw new UsageError(`invalid auth URL '${authUrl}' (expected e.g. https://keystone.example.com:5000/v3)`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (/\/v2(\.0)?$/.test(path)) {
    throw new UsageError(`auth URL '${authUrl}' is Keystone v2, which volmig does not support: use the v3 URL`);
  }
  const base = /\/v3$/.test(path) ? path : `${path}/v3`;
  return `${url.protocol}//${url.host}${base}/auth/tokens`;
}

/**
 * The current token, shared by every request of a run; a 401 makes one caller re-authenticate while the others
 * wait for the same new token.
 */
export class AuthSession {
  private current?: Promise<AuthResult>;
  private latest?: AuthResult;
  private renewal?: { stale: string; promise: Promise<AuthResult> };

  constructor(readonly authenticator: Authenticator) {}

  get renewable(): boolean {
    return this.authenticator.renewable;
  }

  get(): Promise<AuthResult> {
    if (!this.current) {
      const pending = this.authenticator.authenticate();
      this.current = pending;
      pending.then(
        (result) => {
          if (this.current === pending) this.latest = result;
        },
        // A failed authentication is not cached: the next call tries again.
        () => {
          if (this.current === pending) this.current = undefined;
        },
      );
    }
    return this.current;
  }

  /**
   * Replaces the token `stale` (the one that got a 401). Requests that fail together with the same token share one
   * re-authentication; one that failed with an older token gets the newer one without asking Keystone again.
   */
  renew(stale: AuthResult): Promise<AuthResult> {
    if (this.latest && this.latest.token !== stale.token) return Promise.resolve(this.latest);
    if (this.renewal?.stale === stale.token) return this.renewal.promise;
    this.current = undefined;
    this.latest = undefined;
    const promise = this.get();
    this.renewal = { stale: stale.token, promise };
    return promise;
  }
}
