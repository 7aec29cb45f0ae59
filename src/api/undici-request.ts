import { createRequire } from 'node:module';
import type { UndiciRequest } from './http.js';

type ApiRequest = (this: unknown, options: Record<string, unknown>) => ReturnType<UndiciRequest>;

/**
 * undici's `request` without loading all of undici. The package's index loads fetch, WebSocket, EventSource,
 * cache stores and mock agents too: 18 MiB of resident memory and 40 ms that a CLI doing plain requests never
 * uses (issue 14: a listing within 80 MiB). Its request API and global dispatcher alone are two files of the
 * package; when a later undici moves them, the whole package is loaded instead, so nothing breaks but memory.
 * The global dispatcher is the one `setGlobalDispatcher` installs (nock's agent in tests): undici keeps it on
 * globalThis under a registered symbol that every copy of the package shares.
 */
export async function loadUndiciRequest(): Promise<UndiciRequest> {
  const require = createRequire(import.meta.url);
  let apiRequest: ApiRequest;
  let getGlobalDispatcher: () => unknown;
  try {
    apiRequest = require('undici/lib/api/api-request.js') as ApiRequest;
    ({ getGlobalDispatcher } = require('undici/lib/global.js') as { getGlobalDispatcher: () => unknown });
    if (typeof apiRequest !== 'function' || typeof getGlobalDispatcher !== 'function') throw new Error('undici layout changed');
  } catch {
    return (await import('undici')).request;
  }
  // What undici's own `request` export does for a URL string (index.js makeDispatcher), minus checks volmig never needs.
  const request = (url: string | URL, options: Record<string, unknown> = {}) => {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    const { dispatcher, ...rest } = options;
    return apiRequest.call(dispatcher ?? getGlobalDispatcher(), {
      ...rest,
      origin: parsed.origin,
      path: `${parsed.pathname}${parsed.search}`,
      method: (rest.method as string | undefined) ?? 'GET',
    });
  };
  return request as unknown as UndiciRequest;
}
