/** The version documents: `GET /` (300 Multiple Choices, as real Cinder answers) and `GET /v3/` (200). */
import { MIN_MINOR, type ApiRequest } from '../http.js';

export function versionsDocument(request: ApiRequest, maxMinor: number) {
  return {
    versions: [
      {
        id: 'v3.0',
        status: 'CURRENT',
        version: `3.${maxMinor}`,
        min_version: `3.${MIN_MINOR}`,
        updated: '2026-01-01T00:00:00Z',
        links: [
          { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
          { rel: 'self', href: `${request.origin}/v3/` },
        ],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
      },
    ],
  };
}
