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
