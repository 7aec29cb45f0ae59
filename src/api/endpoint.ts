import { UsageError } from '../errors.js';

export interface ResolvedEndpoint {
  /** Base URL for resource paths, always `.../v3/{project_id}`, no trailing slash. */
  endpoint: string;
  projectId: string;
  /** The service root that answers 300 with the versions document, with a trailing slash. */
  serviceRoot: string;
}

const TEMPLATE = /[%$]\((project_id|tenant_id)\)s/g;
const HAS_TEMPLATE = /[%$]\((project_id|tenant_id)\)s|%25\(/;

/**
 * Real Cinder wants `/v3/{project_id}/...` at every microversion. An endpoint ending in `/v3` gets the project id
 * appended; one that already names a project is used as is (and that project wins); `/v1`, `/v2` (old `volume`
 * catalog entries) are moved to `/v3`; a bare host gets `/v3/{project_id}`. Catalog templates such as
 * `%(project_id)s` are filled in.
 */
export function resolveEndpoint(url: string, projectId: string | undefined, what = 'endpoint'): ResolvedEndpoint {
  let parsed: URL;
  const filled = projectId ? url.replace(TEMPLATE, projectId) : url;
  try {
    parsed = new URL(filled);
  } catch {
    throw new UsageError(`invalid Block Storage ${what} '${url}' (expected a URL such as http://127.0.0.1:8776/v3)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`invalid Block Storage ${what} '${url}' (only http and https are supported)`);
  }
  if (HAS_TEMPLATE.test(parsed.pathname)) {
    throw new UsageError(`the Block Storage ${what} '${url}' needs a project id: give --os-project-id or OS_PROJECT_ID`);
  }
  const segments = parsed.pathname.split('/').filter((s) => s !== '');
  let versionIndex = -1;
  for (let i = segments.length - 1; i >= 0; i--) {
    if (/^v\d+(\.\d+)?$/.test(segments[i]!)) {
      versionIndex = i;
      break;
    }
  }
  let prefix: string[];
  let project: string | undefined;
  if (versionIndex === -1) {
    prefix = segments;
    project = projectId;
  } else {
    prefix = segments.slice(0, versionIndex);
    const rest = segments.slice(versionIndex + 1);
    project = rest.length > 0 ? decodeURIComponent(rest.join('/')) : projectId;
  }
  if (!project) {
    throw new UsageError(
      `the Block Storage ${what} '${url}' does not name a project: give --os-project-id or OS_PROJECT_ID, or an endpoint ending in /v3/<project id>`,
    );
  }
  const origin = `${parsed.protocol}//${parsed.host}`;
  const base = prefix.length ? `/${prefix.join('/')}` : '';
  return {
    endpoint: `${origin}${base}/v3/${encodeURIComponent(project)}`,
    projectId: project,
    serviceRoot: `${origin}${base}/`,
  };
}

/**
 * A `next` link as the server advertised it, moved onto the configured endpoint: behind a proxy Cinder often
 * advertises its internal host name, which the client cannot reach. Keeps the path after `/v3/{project}` and the query.
 */
export function rebaseLink(href: string, endpoint: string, projectId: string): string {
  let link: URL;
  try {
    link = new URL(href, endpoint + '/');
  } catch {
    return href;
  }
  const base = new URL(endpoint);
  if (link.origin === base.origin && link.pathname.startsWith(base.pathname)) return link.toString();
  const marker = `/v3/${encodeURIComponent(projectId)}`;
  let index = link.pathname.indexOf(marker + '/');
  let rest: string;
  if (index >= 0) rest = link.pathname.slice(index + marker.length);
  else {
    index = link.pathname.indexOf('/v3/');
    rest = index >= 0 ? link.pathname.slice(index + 3) : link.pathname;
  }
  return `${endpoint}${rest}${link.search}`;
}
