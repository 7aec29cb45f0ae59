import { describe, expect, it } from 'vitest';
import type { Volume } from '../../src/model/cinder.js';
import { MigrationNotifications, notifyingSink } from '../../src/migration/notifications.js';
import type { ProgressSink } from '../../src/migration/progress.js';
import { MigrationTracker } from '../../src/migration/tracker.js';
import type { NotificationPublisher } from '../../src/notify/publisher.js';
import { runVolmig } from '../helpers/run.js';

const GIB = 1024 ** 3;

function vol(migstat: string | null, host: string, progress?: string): Volume {
  return {
    id: 'v1', name: 'db-1', status: 'available', size: 2, created_at: '2026-11-27T09:12:42.000000', updated_at: 'u', volume_type: 'type-any',
    volume_type_id: 'tid', metadata: { tier: 'gold' }, replication_status: null, attachments: [], user_id: 'u1',
    'os-vol-tenant-attr:tenant_id': 'p1', 'os-vol-mig-status-attr:migstat': migstat, 'os-vol-host-attr:host': host,
    ...(progress !== undefined ? { migration_progress: progress } : {}),
  };
}

function recording() {
  const sent: { type: string; priority: string; payload: Record<string, unknown>; publisher: string }[] = [];
  const publisher: NotificationPublisher = {
    redactedUrl: 'rabbit://guest:***@127.0.0.1:5672/',
    publish: (type, priority, payload, publisherId) => void sent.push({ type, priority, payload, publisher: publisherId }),
    close: async () => {},
  };
  return { sent, publisher };
}

const quiet: ProgressSink = { update() {}, notice() {}, result() {}, stop() {} };

describe('--notify: what volmig publishes of a migration it watches', () => {
  it('start once, progress at every poll while in flight, end; Cinder-shaped payload plus the progress fields', () => {
    const { sent, publisher } = recording();
    const sink = notifyingSink(quiet, new MigrationNotifications(publisher, 'volmig.node1'));
    const t = new MigrationTracker({ volumeId: 'v1', startedAt: 0, baseline: { host: 'h@a#a', migrationStatus: null, updatedAt: 'x' } });
    sink.update(t.observe(vol('migrating', 'h@a#a', '10'), 1000));
    sink.update(t.observe(vol('migrating', 'h@a#a', '10'), 2000));
    sink.update(t.observe(vol('migrating', 'h@a#a', '60'), 3000));
    const done = t.observe(vol('success', 'h@b#b'), 4000);
    sink.update(done);
    sink.result({ volumeId: 'v1', name: 'db-1', kind: 'migration', outcome: 'success', exitCode: 0, snapshot: done, summary: 's', details: [], sourceHost: 'h@a#a', destinationHost: 'h@b#b', durationMs: 4000, durationFrom: 'start', averageBytesPerSecond: null, source: 'server' });
    expect(sent.map((s) => s.type)).toEqual(['volume.migrate.start', 'volume.migrate.progress', 'volume.migrate.progress', 'volume.migrate.progress', 'volume.migrate.end']);
    expect(sent.every((s) => s.publisher === 'volmig.node1' && s.priority === 'INFO')).toBe(true);
    expect(sent[3]!.payload).toMatchObject({
      volume_id: 'v1', display_name: 'db-1', tenant_id: 'p1', user_id: 'u1', size: 2, volume_type: 'tid', host: 'h@a#a',
      metadata: [{ key: 'tier', value: 'gold' }], migration_status: 'migrating', migration_progress: 60,
      bytes_copied: Math.round(0.6 * 2 * GIB), bytes_total: 2 * GIB, progress_source: 'server', source_host: 'h@a#a',
    });
    expect(sent[4]!.payload).toMatchObject({ migration_status: 'success', migration_progress: 100, host: 'h@b#b', destination_host: 'h@b#b' });
  });

  it('an error is published at priority ERROR with the reason; a timeout publishes no end', () => {
    const { sent, publisher } = recording();
    const n = new MigrationNotifications(publisher, 'volmig.node1');
    const t = new MigrationTracker({ volumeId: 'v1', startedAt: 0, baseline: { host: 'h@a#a', migrationStatus: null, updatedAt: 'x' } });
    n.observed(t.observe(vol('migrating', 'h@a#a'), 1000));
    n.ended(t.observe(vol('error', 'h@a#a'), 2000), 'error', 'db-1: migration to h@b#b failed');
    n.ended(t.snapshot, 'other');
    expect(sent.map((s) => [s.type, s.priority])).toEqual([
      ['volume.migrate.start', 'INFO'],
      ['volume.migrate.progress', 'INFO'],
      ['volume.migrate.error', 'ERROR'],
    ]);
    expect(sent[2]!.payload).toMatchObject({ reason: 'db-1: migration to h@b#b failed', migration_progress: null, progress_source: 'none' });
  });

  it('a transport URL volmig cannot read is a usage error before any request, without its password; --notify needs --wait', async () => {
    const env = { OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: 'http://127.0.0.1:9/v3', OS_PROJECT_ID: 'admin' };
    const bad = await runVolmig(['migrate', 'v1', 'h@b#b', '--wait', '--notify', 'amqp://guest:s3cret@rabbit:5672/'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('Error: invalid value for --notify: unsupported transport URL scheme "amqp:" in amqp://guest:***@rabbit:5672/: use rabbit://user:pass@host:port/');
    expect(bad.stderr).not.toContain('s3cret');
    const noWait = await runVolmig(['migrate', 'v1', 'h@b#b', '--notify', 'rabbit://guest:guest@rabbit:5672/'], { env });
    expect(noWait).toMatchObject({ code: 2, stdout: '' });
    expect(noWait.stderr.split('\n')[0]).toBe('Error: --notify applies only with --wait: volmig publishes what it watches');
  });
});

describe('--notify with evacuate', () => {
  it('every poll of a running move publishes progress; a moved volume publishes end, a failed one error', async () => {
    const { notifyingEvacuationRenderer } = await import('../../src/migration/notifications.js');
    const { sent, publisher } = recording();
    const seen: string[] = [];
    const inner = { started: () => seen.push('started'), observed: () => seen.push('observed'), progress: () => seen.push('progress'), finished: () => seen.push('finished'), notice: () => {}, stop: () => {} };
    const r = notifyingEvacuationRenderer(inner, new MigrationNotifications(publisher, 'volmig.node1'));
    const t = new MigrationTracker({ volumeId: 'v1', startedAt: 0, baseline: { host: 'h@a#a', migrationStatus: null, updatedAt: 'x' } });
    const state = { snapshot: t.observe(vol('migrating', 'h@a#a', '20'), 1000), result: 'active', reason: undefined } as never;
    r.observed!(state);
    r.observed!(state);
    (state as { snapshot: unknown }).snapshot = t.observe(vol('success', 'h@b#b'), 2000);
    (state as { result: string }).result = 'moved';
    r.finished(state, {} as never);
    expect(sent.map((s) => s.type)).toEqual(['volume.migrate.start', 'volume.migrate.progress', 'volume.migrate.progress', 'volume.migrate.end']);
    expect(seen).toEqual(['observed', 'observed', 'finished']);
  });
});
