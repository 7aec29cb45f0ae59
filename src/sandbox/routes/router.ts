/**
 * From a request to a route handler: the version documents, the `/v3/{project_id}` prefix (optional from 3.67),
 * the noauth caller, and the route table's match (404 for an unknown path, 405 for a known path with another
 * method).
 */
import { ApiFault, badRequest, notFound } from '../faults.js';
import type { ApiHandler, ApiRequest } from '../http.js';
import type { Caller, Route, RouteParams, RouteServices } from './route.js';
import { ROUTES } from './table.js';
import { versionsDocument } from './versions.js';

/** Top-level names that follow /v3/ directly when the project id is left out of the URL (3.67+). */
const COLLECTIONS = new Set([
  'volumes', 'types', 'snapshots', 'scheduler-stats', 'os-services', 'os-availability-zone', 'resource_filters',
  'limits', 'messages', 'extensions', 'attachments', 'backups', 'groups', 'qos-specs', 'os-hosts', 'os-quota-sets',
]);

const methodNotAllowed = () => new ApiFault(405, 'The method is not allowed for the requested URL.');

interface CompiledRoute {
  method: string;
  segments: string[];
  handler: Route[2];
}

const COMPILED: CompiledRoute[] = ROUTES.map(([method, pattern, handler]) => ({
  method,
  segments: pattern.split('/').filter(Boolean),
  handler,
}));

/** The params of `segments` against a compiled pattern, or undefined when it does not match. */
function match(route: CompiledRoute, segments: string[]): RouteParams | undefined {
  if (route.segments.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const want = route.segments[i]!;
    if (want.startsWith(':')) params[want.slice(1)] = segments[i]!;
    else if (want !== segments[i]) return undefined;
  }
  return params;
}

/** How literal a pattern is, segment by segment: `/volumes/detail` (11) beats `/volumes/:id` (10). */
function specificity(route: CompiledRoute): string {
  return route.segments.map((s) => (s.startsWith(':') ? '0' : '1')).join('');
}

/** noauth: `X-Auth-Token: user:project` (or cinderclient's x-user-id/x-project-id headers at 3.67+). */
function authenticate(s: RouteServices, request: ApiRequest, urlProject: string | undefined): Caller {
  const header = (name: string) => {
    const v = request.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  let userId: string | undefined;
  let projectId: string | undefined;
  const token = header('x-auth-token');
  if (token) {
    const colon = token.indexOf(':');
    userId = colon >= 0 ? token.slice(0, colon) : token;
    projectId = colon >= 0 ? token.slice(colon + 1) || userId : userId;
  } else {
    projectId = header('x-project-id') ?? urlProject;
    userId = header('x-user-id') ?? projectId;
  }
  if (!projectId || !userId) throw new ApiFault(401, 'The request you have made requires authentication.');
  if (urlProject !== undefined && urlProject !== projectId) throw badRequest('Malformed request url');
  return { projectId, userId, isAdmin: s.adminProjects.includes(projectId), minor: request.minor, origin: request.origin, request };
}

/** The sandbox's request handler over the route table; `maxMinor` is the newest microversion it advertises. */
export function createRouter(services: RouteServices, maxMinor: number): ApiHandler {
  return (request) => {
    const segments = request.url.pathname.split('/').filter(Boolean);
    if (segments.length === 0 || (segments.length === 1 && segments[0] === 'v3')) {
      if (request.method !== 'GET') throw methodNotAllowed();
      return { status: segments.length === 0 ? 300 : 200, body: versionsDocument(request, maxMinor) };
    }
    if (segments[0] !== 'v3') throw notFound();
    let urlProject: string | undefined;
    let rest: string[];
    if (COLLECTIONS.has(segments[1]!)) {
      if (request.minor < 67) throw notFound();
      rest = segments.slice(1);
    } else {
      urlProject = segments[1];
      rest = segments.slice(2);
    }
    const caller = authenticate(services, request, urlProject);
    const matches = COMPILED.map((route) => ({ route, params: match(route, rest) })).filter((m) => m.params !== undefined);
    if (matches.length === 0) throw notFound();
    const best = matches.reduce((top, m) => (specificity(m.route) > top ? specificity(m.route) : top), '');
    const method = request.method.toUpperCase();
    const chosen = matches.find((m) => specificity(m.route) === best && m.route.method === method);
    if (!chosen) throw methodNotAllowed();
    return chosen.route.handler(services, caller, chosen.params!);
  };
}
