import { expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { hostMatches, parseListOptions, serverFilters } from '../../src/migration/list.js';
import { volume } from './fixtures.js';

test('every documented migration status is accepted; none is sent as Cinder\'s None', () => {
  for (const s of ['none', 'starting', 'migrating', 'completing', 'success', 'error', 'deleting', 'target:70629f0c-4fed-442b-925c-50e1c3515330']) {
    expect(parseListOptions({ migrationStatus: s }).migrationStatus).toBe(s);
  }
  expect(serverFilters(parseListOptions({ migrationStatus: 'none' }))).toEqual({ migration_status: 'None' });
  expect(serverFilters(parseListOptions({ migrationStatus: 'migrating' }))).toEqual({ migration_status: 'migrating' });
});

test.each([
  [{ migrationStatus: 'moving' }, "invalid value for --migration-status: 'moving' (expected one of none, starting, migrating, completing, success, error, deleting, target:<volume id>)"],
  [{ migrationStatus: 'target:' }, "invalid value for --migration-status: 'target:' (expected one of none, starting, migrating, completing, success, error, deleting, target:<volume id>)"],
  [{ status: 'availble' }, "invalid value for --status: 'availble' (expected one of creating, available, deleting, error, error_deleting, error_managing, managing, attaching, in-use, detaching, maintenance, restoring-backup, error_restoring, reserved, awaiting-transfer, backing-up, error_backing-up, error_extending, downloading, uploading, retyping, extending)"],
  [{ host: 'a#b@c' }, "invalid value for --host: 'a#b@c' (expected host, host@backend or host@backend#pool)"],
  [{ host: 'node 1@ceph' }, "invalid value for --host: 'node 1@ceph' (expected host, host@backend or host@backend#pool)"],
  [{ limit: '0' }, "invalid value for --limit: '0' (expected a positive whole number)"],
  [{ limit: '2.5' }, "invalid value for --limit: '2.5' (expected a positive whole number)"],
  [{ name: '' }, "invalid value for --name: '' (expected a volume name)"],
])('%j is a usage error', (raw, message) => {
  let error: unknown;
  try {
    parseListOptions(raw);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(UsageError);
  expect((error as UsageError).exitCode).toBe(2);
  expect((error as UsageError).message).toBe(message);
});

test('the host goes to the server at every level (Cinder matches pool, backend and host itself)', () => {
  expect(serverFilters(parseListOptions({ host: 'realcinder@ceph-a#ceph-a', status: 'available', name: 'x' }))).toEqual({
    host: 'realcinder@ceph-a#ceph-a',
    status: 'available',
    name: 'x',
  });
  expect(serverFilters(parseListOptions({ host: 'realcinder@ceph-a' }))).toEqual({ host: 'realcinder@ceph-a' });
  expect(serverFilters(parseListOptions({ host: 'realcinder' }))).toEqual({ host: 'realcinder' });
});

test('host@backend matches its pools and itself, never a backend whose name merely starts the same', () => {
  const on = (host: string) => volume({ id: host, 'os-vol-host-attr:host': host });
  expect(hostMatches(on('realcinder@ceph-a#ceph-a'), 'realcinder@ceph-a')).toBe(true);
  expect(hostMatches(on('realcinder@ceph-a'), 'realcinder@ceph-a')).toBe(true);
  expect(hostMatches(on('realcinder@ceph-ab#p'), 'realcinder@ceph-a')).toBe(false);
  expect(hostMatches(on('realcinder@ceph-b#ceph-b'), 'realcinder@ceph-a')).toBe(false);
  expect(hostMatches(on('realcinder@ceph-b#ceph-b'), 'realcinder')).toBe(true);
  expect(hostMatches(on('realcinder2@ceph-b#ceph-b'), 'realcinder')).toBe(false);
  expect(hostMatches(on('realcinder@ceph-a#ceph-a'), 'realcinder@ceph-a#ceph-a')).toBe(true);
  expect(hostMatches(volume({ id: 'x', 'os-vol-host-attr:host': null }), 'realcinder')).toBe(false);
});

test('asking for target:<id> shows targets without --show-targets', () => {
  expect(parseListOptions({ migrationStatus: 'target:abc' }).showTargets).toBe(true);
  expect(parseListOptions({}).showTargets).toBe(false);
});
