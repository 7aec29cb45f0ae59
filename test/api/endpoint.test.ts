import { describe, expect, it } from 'vitest';
import { keystoneTokensUrl } from '../../src/api/auth.js';
import { rebaseLink, resolveEndpoint } from '../../src/api/endpoint.js';
import { parsePin } from '../../src/api/microversion.js';
import { UsageError } from '../../src/errors.js';

describe('resolveEndpoint', () => {
  it.each([
    ['http://127.0.0.1:8776/v3', 'admin', 'http://127.0.0.1:8776/v3/admin', 'admin', 'http://127.0.0.1:8776/'],
    ['http://127.0.0.1:8776/v3/', 'admin', 'http://127.0.0.1:8776/v3/admin', 'admin', 'http://127.0.0.1:8776/'],
    ['http://127.0.0.1:8776/v3/p1', 'other', 'http://127.0.0.1:8776/v3/p1', 'p1', 'http://127.0.0.1:8776/'],
    ['https://cloud.example/volume/v3', 'p', 'https://cloud.example/volume/v3/p', 'p', 'https://cloud.example/volume/'],
    ['http://h:8776/v3/%(project_id)s', 'p2', 'http://h:8776/v3/p2', 'p2', 'http://h:8776/'],
    ['http://h:8776/v3/$(tenant_id)s', 'p3', 'http://h:8776/v3/p3', 'p3', 'http://h:8776/'],
    ['http://h:8776/v2/p4', undefined, 'http://h:8776/v3/p4', 'p4', 'http://h:8776/'],
    ['http://h:8776', 'p5', 'http://h:8776/v3/p5', 'p5', 'http://h:8776/'],
  ])('%s with project %s → %s', (url, project, endpoint, projectId, serviceRoot) => {
    expect(resolveEndpoint(url, project)).toEqual({ endpoint, projectId, serviceRoot });
  });

  it('a template or a bare /v3 without a project id is a usage error', () => {
    expect(() => resolveEndpoint('http://h:8776/v3/%(project_id)s', undefined)).toThrow(UsageError);
    expect(() => resolveEndpoint('http://h:8776/v3', undefined)).toThrow(/does not name a project/);
    expect(() => resolveEndpoint('not a url', 'p')).toThrow(/invalid Block Storage endpoint 'not a url'/);
    expect(() => resolveEndpoint('ftp://h/v3', 'p')).toThrow(/only http and https/);
  });
});

describe('rebaseLink', () => {
  const endpoint = 'https://cinder.example.com/volume/v3/p1';
  it('keeps a link on the configured endpoint as is', () => {
    expect(rebaseLink(`${endpoint}/volumes/detail?limit=2&marker=m`, endpoint, 'p1')).toBe(`${endpoint}/volumes/detail?limit=2&marker=m`);
  });
  it('moves an internal host and path prefix onto the configured endpoint, keeping the query', () => {
    expect(rebaseLink('http://cinder-api.internal:8776/v3/p1/volumes/detail?limit=2&marker=m', endpoint, 'p1')).toBe(
      `${endpoint}/volumes/detail?limit=2&marker=m`,
    );
  });
  it('handles a link without the project id (microversion >= 3.67 style)', () => {
    expect(rebaseLink('http://10.0.0.5:8776/v3/volumes/detail?marker=m', endpoint, 'p1')).toBe(`${endpoint}/volumes/detail?marker=m`);
  });
});

describe('keystoneTokensUrl and parsePin', () => {
  it('accepts an auth URL with or without /v3', () => {
    expect(keystoneTokensUrl('http://k:5000')).toBe('http://k:5000/v3/auth/tokens');
    expect(keystoneTokensUrl('http://k:5000/v3/')).toBe('http://k:5000/v3/auth/tokens');
    expect(keystoneTokensUrl('https://k/identity/v3')).toBe('https://k/identity/v3/auth/tokens');
    expect(() => keystoneTokensUrl('http://k:5000/v2.0')).toThrow(/Keystone v2/);
  });

  it('pins 3.N; 3, latest and empty negotiate; anything else is a usage error', () => {
    expect(parsePin('3.60')).toEqual([3, 60]);
    expect(parsePin('3')).toBeUndefined();
    expect(parsePin('latest')).toBeUndefined();
    expect(parsePin(undefined)).toBeUndefined();
    expect(() => parsePin('2.1')).toThrow(UsageError);
    expect(() => parsePin('3.x')).toThrow(UsageError);
  });
});
