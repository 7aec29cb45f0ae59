/**
 * oslo.messaging transport URLs (`rabbit://user:pass@host:port[,user:pass@host2:port2]/[vhost]`), read the way
 * oslo's TransportURL.parse reads them, and their password-free form for log lines.
 */
/** A transport URL volmig cannot read: one line, never the password (the CLI reports it as a usage error). */
export class TransportUrlError extends Error {}

export interface BrokerAddress {
  host: string;
  port: number;
  username: string;
  password: string;
}

export interface TransportTarget {
  hosts: BrokerAddress[];
  /** Still percent-encoded, as amqplib expects it; '' means the broker's default vhost '/'. */
  virtualHostEncoded: string;
  /** The URL with every password replaced by `***`: the only form that may be logged. */
  redacted: string;
}

const DEFAULT_PORT = 5672;
// oslo's `amqp://` is its AMQP 1.0 driver, which this AMQP 0-9-1 publisher cannot speak.
const SUPPORTED_SCHEMES = new Set(['rabbit', 'kombu']);

interface SplitUrl {
  scheme: string;
  netloc: string;
  rest: string;
}

function splitUrl(url: string): SplitUrl | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(.*)$/s.exec(url);
  if (!m) return undefined;
  const afterScheme = m[2]!;
  // A password may hold an unencoded '/', '?' or '#': the network location runs to the last '@' at least.
  const lastAt = afterScheme.lastIndexOf('@');
  const searchFrom = lastAt === -1 ? 0 : lastAt + 1;
  const tail = afterScheme.slice(searchFrom).search(/[/?#]/);
  const end = tail === -1 ? afterScheme.length : searchFrom + tail;
  return { scheme: m[1]!.toLowerCase(), netloc: afterScheme.slice(0, end), rest: afterScheme.slice(end) };
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^:@[\]]*)(?::(\d*))?$/;

function redactSegment(segment: string, maskUsers: boolean): string {
  const at = segment.lastIndexOf('@');
  if (at === -1) return HOST_PORT.test(segment) ? segment : '***';
  const userinfo = segment.slice(0, at);
  const colon = userinfo.indexOf(':');
  const user = maskUsers ? '***' : colon === -1 ? userinfo : `${userinfo.slice(0, colon)}:***`;
  const hostPart = segment.slice(at + 1);
  return `${user}@${HOST_PORT.test(hostPart) ? hostPart : '***'}`;
}

/** Never throws and never returns a password, whatever the input looks like. */
export function redactTransportUrl(url: string): string {
  const parts = splitUrl(url);
  if (!parts) return url.includes('@') ? '***' : url;
  const segments = parts.netloc.split(',');
  // A segment that is neither user@host nor host:port means a ',' inside a password: its pieces may sit in the
  // neighbouring segments' user names too.
  const garbled = segments.some((segment) => !segment.includes('@') && !HOST_PORT.test(segment));
  return `${parts.scheme}://${segments.map((segment) => redactSegment(segment, garbled)).join(',')}${parts.rest}`;
}

function decode(text: string, what: string, redacted: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new TransportUrlError(`invalid transport URL ${redacted}: bad percent-encoding in the ${what}`);
  }
}

export function parseTransportUrl(url: string): TransportTarget {
  const redacted = redactTransportUrl(url);
  const parts = splitUrl(url);
  if (!parts) {
    throw new TransportUrlError(`invalid transport URL ${redacted}: expected rabbit://user:pass@host:port/`);
  }
  if (!SUPPORTED_SCHEMES.has(parts.scheme)) {
    throw new TransportUrlError(`unsupported transport URL scheme "${parts.scheme}:" in ${redacted}: use rabbit://user:pass@host:port/`);
  }
  const hosts: BrokerAddress[] = [];
  for (const segment of parts.netloc.split(',')) {
    const at = segment.lastIndexOf('@');
    const userinfo = at === -1 ? '' : segment.slice(0, at);
    const hostPort = at === -1 ? segment : segment.slice(at + 1);
    const colon = userinfo.indexOf(':');
    const m = HOST_PORT.exec(hostPort);
    if (!m) throw new TransportUrlError(`invalid transport URL ${redacted}: cannot read a host`);
    const host = m[1]!.replace(/^\[|\]$/g, '');
    if (host === '') throw new TransportUrlError(`invalid transport URL ${redacted}: a host is missing`);
    const port = m[2] === undefined || m[2] === '' ? DEFAULT_PORT : Number(m[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new TransportUrlError(`invalid transport URL ${redacted}: port ${m[2]} is out of range`);
    }
    hosts.push({
      host,
      port,
      // oslo (and kombu) log in as guest/guest when the URL names no user.
      username: userinfo === '' ? 'guest' : decode(colon === -1 ? userinfo : userinfo.slice(0, colon), 'user name', redacted),
      password: userinfo === '' ? 'guest' : colon === -1 ? '' : decode(userinfo.slice(colon + 1), 'password', redacted),
    });
  }
  const path = parts.rest.replace(/[?#].*$/s, '');
  const virtualHostEncoded = path.startsWith('/') ? path.slice(1) : path;
  decode(virtualHostEncoded, 'virtual host', redacted);
  return { hosts, virtualHostEncoded, redacted };
}
