/**
 * Secret removal for anything volmig may print (debug lines, error messages, recorded transcripts).
 * Redaction is by name, so a new credential field is caught without listing it here.
 */

export const REDACTED = '***';

const SECRET_HEADER = /^(x-auth-token|x-subject-token|x-service-token|authorization|proxy-authorization|cookie|set-cookie|openstack-auth-receipt)$/i;
const SECRET_KEY = /(password|secret|token|credential_secret)$/i;

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name);
}

/**
 * Deep copy with every string under a key that names a secret (`password`, `secret`, `token`, `*_secret`, ...)
 * replaced; under a `token` object (Keystone's token method: `{"token": {"id": "..."}}`) the `id` is a secret too.
 */
export function redactJson(value: unknown, insideToken = false): unknown {
  if (Array.isArray(value)) return value.map((v) => redactJson(v, insideToken));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const secretKey = SECRET_KEY.test(key) || (insideToken && key === 'id');
    if (secretKey && (typeof v === 'string' || typeof v === 'number')) out[key] = REDACTED;
    else out[key] = redactJson(v, /token$/i.test(key));
  }
  return out;
}

/** Removes `user:password@` from a URL and secret-looking query parameters. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  let changed = false;
  if (parsed.password) {
    parsed.password = REDACTED;
    changed = true;
  }
  for (const key of [...parsed.searchParams.keys()]) {
    if (SECRET_KEY.test(key)) {
      parsed.searchParams.set(key, REDACTED);
      changed = true;
    }
  }
  return changed ? parsed.toString() : url;
}

/**
 * For free text that may embed known secret values (an error message quoting a body): replaces each
 * given secret wherever it occurs. Empty and very short values are skipped so that ordinary words survive.
 */
export function redactText(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** A JSON body as one debug-friendly line with secrets replaced; non-JSON text is summarised by length. */
export function redactBodyForLog(body: unknown): string {
  if (body === undefined) return '';
  if (typeof body === 'string') {
    try {
      return JSON.stringify(redactJson(JSON.parse(body)));
    } catch {
      return `<${body.length} bytes>`;
    }
  }
  return JSON.stringify(redactJson(body));
}

/**
 * A value given under a secret key in a JSON or Python-repr text (`"password": "..."`, `'secret': '...'`,
 * `"token": {"id": "..."}`): what a server echoing a request body back shows, whatever the value is.
 */
const ECHOED_SECRET = /(["'])([A-Za-z_]*(?:password|secret|token))\1(\s*:\s*)(["'])((?:\\.|(?!\4)[^\\])*)\4/gi;
const ECHOED_TOKEN_ID = /(["'])token\1(\s*:\s*\{\s*)(["'])id\3(\s*:\s*)(["'])((?:\\.|(?!\5)[^\\])*)\5/gi;

export function redactEchoedSecrets(text: string): string {
  return text
    .replace(ECHOED_TOKEN_ID, (_m, q1: string, a: string, q2: string, b: string, q3: string) => `${q1}token${q1}${a}${q2}id${q2}${b}${q3}${REDACTED}${q3}`)
    .replace(ECHOED_SECRET, (_m, q1: string, key: string, sep: string, q2: string) => `${q1}${key}${q1}${sep}${q2}${REDACTED}${q2}`);
}

/**
 * The secrets of one run (the password, the application-credential secret, the tokens it was given or issued),
 * so that any text built from a server's answer can be cleaned of them before it is printed: a server may echo a
 * request back (Keystone's 400 quotes the body), in an error message or a debug line. Each secret is also known
 * in the forms an echo may take: JSON-escaped and percent-encoded.
 */
export class KnownSecrets {
  private readonly values = new Set<string>();

  add(...secrets: (string | undefined | null)[]): void {
    for (const secret of secrets) {
      if (!secret) continue;
      this.values.add(secret);
      this.values.add(JSON.stringify(secret).slice(1, -1));
      this.values.add(encodeURIComponent(secret));
    }
  }

  /** The secrets found in an environment: every variable whose name says password, secret or token. */
  addFromEnv(env: Record<string, string | undefined>): void {
    for (const [name, value] of Object.entries(env)) if (/(PASSWORD|SECRET|TOKEN)$/i.test(name)) this.add(value);
  }

  get size(): number {
    return this.values.size;
  }

  /** `text` with every known secret, and every value echoed under a secret key, replaced by `***`. */
  redact(text: string): string {
    // Longest first: a secret that contains another is replaced whole.
    const ordered = [...this.values].sort((a, b) => b.length - a.length);
    return redactEchoedSecrets(redactText(text, ordered));
  }
}
