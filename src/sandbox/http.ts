import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiFault, badRequest } from './faults.js';

export const MIN_MINOR = 0;
/**
 * Upstream Cinder stops at 3.71; 3.72 is the progress contract's microversion (`migration_progress`). The sandbox
 * can be pinned lower (`--max-microversion`) to stand in for a cloud without it.
 */
export const MAX_MINOR = 72;

export interface ApiRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: unknown;
  requestId: string;
  /** 3.NN: the NN, or undefined for requests outside /v3 (the version documents). */
  minor: number;
  origin: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type ApiHandler = (request: ApiRequest) => Promise<ApiResponse> | ApiResponse;

/**
 * `OpenStack-API-Version: volume 3.NN` (or `volume latest`); none means 3.0. Out of range is 406 and a malformed
 * version 400, as Cinder's API layer answers them (test/conformance/fixtures/microversion-too-high.json).
 */
export function parseMicroversion(header: string | string[] | undefined, maxMinor = MAX_MINOR): number {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return MIN_MINOR;
  const entry = value
    .split(',')
    .map((part) => part.trim().split(/\s+/))
    .find(([service]) => service?.toLowerCase() === 'volume');
  if (!entry || entry[1] === undefined) return MIN_MINOR;
  const version = entry[1];
  if (version.toLowerCase() === 'latest') return maxMinor;
  const match = /^([1-9]\d*)\.([1-9]\d*|0)$/.exec(version);
  if (!match) {
    throw badRequest(`API Version String ${version} is of invalid format. Must be of format MajorNum.MinorNum.`);
  }
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major !== 3 || minor < MIN_MINOR || minor > maxMinor) {
    throw new ApiFault(406, `Version ${version} is not supported by the API. Minimum is 3.${MIN_MINOR} and maximum is 3.${maxMinor}.`);
  }
  return minor;
}

const MAX_BODY = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new ApiFault(413, 'Request is too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * A plain node:http server around one handler: request ids, microversion negotiation up to `maxMinor` and its echo,
 * JSON and fault encoding.
 */
export function createApiServer(handler: ApiHandler, onError: (err: unknown) => void, maxMinor = MAX_MINOR): Server {
  return createServer((req, res) => {
    void serve(req, res, handler, maxMinor).catch((err: unknown) => {
      onError(err);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json', 'x-openstack-request-id': `req-${randomUUID()}` });
        res.end(JSON.stringify({ computeFault: { code: 500, message: 'The server has either erred or is incapable of performing the requested operation.' } }));
      } else res.destroy();
    });
  });
}

async function serve(req: IncomingMessage, res: ServerResponse, handler: ApiHandler, maxMinor: number): Promise<void> {
  const requestId = `req-${randomUUID()}`;
  const host = req.headers.host ?? 'localhost';
  const origin = `http://${host}`;
  const url = new URL(req.url ?? '/', origin);
  const headers: Record<string, string> = {
    'x-openstack-request-id': requestId,
    'x-compute-request-id': requestId,
  };
  let response: ApiResponse;
  let minor = MIN_MINOR;
  try {
    minor = parseMicroversion(req.headers['openstack-api-version'], maxMinor);
    const text = await readBody(req);
    let body: unknown;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        throw badRequest('Malformed request body');
      }
    }
    response = await handler({ method: req.method ?? 'GET', url, headers: req.headers, body, requestId, minor, origin });
  } catch (err) {
    if (!(err instanceof ApiFault)) throw err;
    response = { status: err.status, body: err.body() };
  }
  headers['OpenStack-API-Version'] = `volume 3.${minor}`;
  headers.Vary = 'OpenStack-API-Version';
  Object.assign(headers, response.headers);
  if (response.body === undefined) {
    headers['Content-Length'] = '0';
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  const payload = JSON.stringify(response.body);
  headers['Content-Type'] = 'application/json';
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(response.status, headers);
  res.end(req.method === 'HEAD' ? undefined : payload);
}
