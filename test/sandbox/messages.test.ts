import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, waitFor, type TestSandbox } from './helpers.js';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
const DAY_MS = 86_400_000;

async function migrate(sb: TestSandbox, id: string, host: string): Promise<string> {
  const r = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-migrate_volume': { host } } });
  expect(r.status).toBe(202);
  return r.headers.get('x-openstack-request-id')!;
}

describe('user messages for failed migrations (GET /messages, 3.3+)', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox({ copyRateMiBps: 2 });
  });
  afterAll(async () => {
    await sb.stop();
  });

  it('an attach that aborts an unlocked migration leaves one Cinder-shaped message naming the volume and the request', async () => {
    const v = await sb.volumeByName('demo-lvm-1-2g');
    const id = v.id as string;
    const requestId = await migrate(sb, id, 'sandbox@lvm-2#lvm-2');
    await waitFor(() => sb.volume(id), (x) => x.migration_status === 'migrating');
    const before = await sb.call('GET', '/messages', { mv: '3.3' });
    expect(before.body).toEqual({ messages: [] });
    const attach = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-attach': { instance_uuid: '5b5c5b1e-0000-4000-8000-000000000001', mountpoint: '/dev/vdb' } } });
    expect(attach.status).toBe(202);
    expect((await sb.volume(id)).migration_status).toBe('error');

    const listed = await sb.call('GET', '/messages', { mv: '3.3' });
    expect(listed.status).toBe(200);
    const messages = listed.body.messages as Record<string, any>[];
    expect(messages).toHaveLength(1);
    const m = messages[0]!;
    expect(Object.keys(m)).toEqual(['id', 'event_id', 'user_message', 'message_level', 'created_at', 'guaranteed_until', 'request_id', 'links', 'resource_type', 'resource_uuid']);
    expect(m).toMatchObject({
      event_id: 'VOLUME_VOLUME_900_901',
      user_message: 'migrate volume:The volume was attached while it was migrating without a lock; the migration was aborted.',
      message_level: 'ERROR',
      request_id: requestId,
      resource_type: 'VOLUME',
      resource_uuid: id,
    });
    expect(m.created_at).toMatch(TIMESTAMP);
    expect(Date.parse(`${m.guaranteed_until}Z`) - Date.parse(`${m.created_at}Z`)).toBe(30 * DAY_MS);
    expect(Math.abs(Date.now() - Date.parse(`${m.created_at}Z`))).toBeLessThan(60_000);
    expect(m.links).toEqual([
      { rel: 'self', href: `${sb.origin}/v3/admin/messages/${m.id}` },
      { rel: 'bookmark', href: `${sb.origin}/admin/messages/${m.id}` },
    ]);

    const shown = await sb.call('GET', `/messages/${m.id}`, { mv: '3.3' });
    expect(shown.body).toEqual({ message: m });
    // A member does not see the admin's request's message (Cinder keeps messages in the requester's project).
    const member = await sb.call('GET', '/messages', { project: 'demo', mv: '3.3' });
    expect(member.body).toEqual({ messages: [] });
    const memberShow = await sb.call('GET', `/messages/${m.id}`, { project: 'demo', mv: '3.3' });
    expect(memberShow.body).toEqual({ itemNotFound: { code: 404, message: `Message ${m.id} could not be found.` } });
    // Messages appeared at 3.3: below it the path does not exist.
    const old = await sb.call('GET', '/messages', { mv: '3.2' });
    expect(old.status).toBe(404);
  });

  it('a destination the scheduler cannot take gives the no-valid-backend detail; filters and paging from 3.5', async () => {
    const v = await sb.volumeByName('demo-pool-c-1g');
    const id = v.id as string;
    // Pin the volume's type to vendor-lite, then ask for lvm-1: the scheduler refuses (like transcript C).
    const retyped = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-retype': { new_type: 'vendor-lite' } } });
    expect(retyped.status).toBe(202);
    await waitFor(() => sb.volume(id), (x) => x.volume_type === 'vendor-lite' && x.status === 'available');
    const requestId = await migrate(sb, id, 'sandbox@lvm-1#lvm-1');
    await waitFor(() => sb.volume(id), (x) => x.migration_status === 'error');

    const mine = await sb.call('GET', `/messages?resource_uuid=${id}`, { mv: '3.5' });
    expect(mine.body.messages).toHaveLength(1);
    expect(mine.body.messages[0]).toMatchObject({
      event_id: 'VOLUME_VOLUME_900_003',
      user_message: 'migrate volume:Could not find any available weighted backend.',
      request_id: requestId,
      resource_uuid: id,
    });
    const all = await sb.call('GET', '/messages', { mv: '3.5' });
    expect(all.body.messages.map((m: { resource_uuid: string }) => m.resource_uuid)[0]).toBe(id);
    const firstPage = await sb.call('GET', '/messages?limit=1', { mv: '3.5' });
    expect(firstPage.body.messages).toHaveLength(1);
    const next = await sb.call('GET', firstPage.body.messages_links[0].href.replace(sb.origin, ''), { mv: '3.5' });
    expect(next.body.messages.map((m: { id: string }) => m.id)).toEqual([all.body.messages[1].id]);
    const badFilter = await sb.call('GET', '/messages?project_id=admin', { project: 'demo', mv: '3.31' });
    expect(badFilter.body).toEqual({ badRequest: { code: 400, message: 'Invalid filters project_id are found in query options.' } });

    const gone = await sb.call('DELETE', `/messages/${mine.body.messages[0].id}`, { mv: '3.5' });
    expect(gone.status).toBe(204);
    expect((await sb.call('GET', `/messages?resource_uuid=${id}`, { mv: '3.5' })).body).toEqual({ messages: [] });
  });

  it('os-reset_status of an in-flight migration leaves the reset detail', async () => {
    const v = await sb.volumeByName('demo-lvm-2-2g');
    const id = v.id as string;
    await migrate(sb, id, 'sandbox@lvm-1#lvm-1');
    await waitFor(() => sb.volume(id), (x) => x.migration_status === 'migrating');
    const reset = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-reset_status': { migration_status: 'error' } } });
    expect(reset.status).toBe(202);
    const r = await sb.call('GET', `/messages?resource_uuid=${id}`, { mv: '3.72' });
    expect(r.body.messages.map((m: { user_message: string }) => m.user_message)).toEqual([
      'migrate volume:An administrator reset the migration status, which ended the migration.',
    ]);
  });
});

describe('a migration ended by stopping the sandbox', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'volmig-sandbox-messages-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('leaves the service-stopped message, still served after a restart', async () => {
    const first = await startTestSandbox({ dataDir, copyRateMiBps: 1 });
    const id = (await first.volumeByName('demo-lvm-1-1g')).id as string;
    const requestId = await migrate(first, id, 'sandbox@vendor#pool-a');
    await waitFor(() => first.volume(id), (x) => x.migration_status === 'migrating');
    await first.stop();
    const second = await startTestSandbox({ dataDir });
    try {
      expect((await second.volume(id)).migration_status).toBe('error');
      const r = await second.call('GET', '/messages', { mv: '3.3' });
      expect(r.body.messages).toHaveLength(1);
      expect(r.body.messages[0]).toMatchObject({
        event_id: 'VOLUME_VOLUME_900_904',
        user_message: 'migrate volume:The volume service stopped while the migration was in flight.',
        request_id: requestId,
        resource_uuid: id,
      });
    } finally {
      await second.stop();
    }
  });
});
