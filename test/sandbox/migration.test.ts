import { existsSync, openSync, readFileSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorded, RECORDED_VOLUME_ID } from './fixtures/cinder-faults.js';
import { MiB, notificationsWhen, sha256, startTestSandbox, TEST_GIB_BYTES, waitFor, type TestSandbox } from './helpers.js';

type Vol = Record<string, unknown>;
interface Sample {
  status: string;
  migration_status: string | null;
  progress: string | undefined;
  host: string;
  name_id: string | null;
}

function readRange(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, offset);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** The seed writes 1 MiB of data at 0, a third and two thirds of each volume (4 KiB aligned). */
function dataOffsets(bytes: number): number[] {
  return [0, Math.floor(bytes / 3), Math.floor((2 * bytes) / 3)].map((o) => o - (o % 4096));
}

/**
 * Polls GET /volumes/{id} at 3.72 until the migration has ended, checking on every numeric progress that the
 * destination holds exactly what the progress claims: the copied prefix equals the source, and data further on
 * than the copy can have reached by now is not there yet.
 */
async function track(sb: TestSandbox, id: string, destinationFile: () => string | undefined, sourceCopy: Buffer): Promise<Sample[]> {
  const samples: Sample[] = [];
  const bytes = sourceCopy.length;
  let prefixChecks = 0;
  const deadline = Date.now() + 30000;
  for (;;) {
    const v = await sb.volume(id);
    const s: Sample = {
      status: v.status as string,
      migration_status: v.migration_status as string | null,
      progress: v.migration_progress as string | undefined,
      host: v['os-vol-host-attr:host'] as string,
      name_id: v['os-vol-mig-status-attr:name_id'] as string | null,
    };
    samples.push(s);
    const pct = Number(s.progress);
    if (s.progress !== undefined && Number.isInteger(pct) && pct > 0 && pct < 100) {
      const file = destinationFile();
      if (file && existsSync(file)) {
        const copied = Math.floor((pct * bytes) / 100);
        expect(readRange(file, 0, copied).equals(sourceCopy.subarray(0, copied))).toBe(true);
        const lastData = dataOffsets(bytes)[2]!;
        // One copy step (a 2 MiB dd slice or a 4 MiB file-I/O chunk, at most 25% here) may pass between the GET
        // and this read; anything beyond that must still be a hole in the destination.
        if ((pct + 30) / 100 < lastData / bytes) {
          expect(readRange(file, lastData, MiB).every((b) => b === 0)).toBe(true);
        }
        prefixChecks++;
      }
    }
    if ((s.migration_status === 'success' || s.migration_status === 'error') && samples.length > 1) break;
    if (Date.now() > deadline) throw new Error(`migration did not end: ${JSON.stringify(samples.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 15));
  }
  (samples as Sample[] & { prefixChecks?: number }).prefixChecks = prefixChecks;
  return samples;
}

function distinct<T>(values: T[]): T[] {
  return values.filter((v, i) => i === 0 || v !== values[i - 1]);
}

function numericProgress(samples: Sample[]): number[] {
  return samples.filter((s) => s.progress !== undefined).map((s) => Number(s.progress));
}

async function migrate(sb: TestSandbox, id: string, body: Record<string, unknown>, mv = '3.72') {
  return sb.call('POST', `/volumes/${id}/action`, { body: { 'os-migrate_volume': body }, mv });
}

async function targetsOf(sb: TestSandbox, id: string): Promise<Vol[]> {
  const r = await sb.call('GET', '/volumes/detail?all_tenants=1');
  return (r.body.volumes as Vol[]).filter((v) => v.migration_status === `target:${id}`);
}

describe('migrations (copy rate 8 MiB/s, report interval 0.1 s)', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox({ copyRateMiBps: 8 });
  });
  afterAll(async () => {
    await sb.stop();
  });

  it('generic dd migration with lock_volume: maintenance, starting → migrating → completing → success, name_id swap, same data', async () => {
    const before = await sb.volumeByName('demo-lvm-1-1g');
    const id = before.id as string;
    const sourceFile = sb.fileOf(before);
    const sourceCopy = readFileSync(sourceFile);
    const checksum = sha256(sourceFile);
    let targetFile: string | undefined;
    const accepted = await migrate(sb, id, { host: 'sandbox@lvm-2#lvm-2', force_host_copy: false, lock_volume: true });
    expect(accepted.status).toBe(202);
    expect(accepted.text).toBe('');

    // While it runs: the temporary volume belongs to the internal project, hidden from the owner's listing.
    const during = (async () => {
      const [target] = await waitFor(() => targetsOf(sb, id), (t) => t.length === 1);
      expect(target!['os-vol-tenant-attr:tenant_id']).toBe('cinder-internal');
      expect(target!['os-vol-host-attr:host']).toBe('sandbox@lvm-2#lvm-2');
      targetFile = join(sb.dataDir, 'backends', 'lvm-2', 'lvm-2', `volume-${target!.id as string}`);
      const own = await sb.call('GET', '/volumes/detail');
      expect((own.body.volumes as Vol[]).some((v) => v.id === target!.id)).toBe(false);
      expect((await sb.call('GET', `/volumes/${target!.id as string}`)).status).toBe(200);

      // Everything Cinder refuses on a locked volume, with Cinder's recorded messages (transcript section F).
      const toSandbox = (text: string) => text.replaceAll(RECORDED_VOLUME_ID, id).replaceAll('realcinder@ceph-b#ceph-b', 'sandbox@lvm-1#lvm-1').replace('type-b', 'lvm-1');
      for (const label of ['F-locked-migrate', 'F-locked-extend', 'F-locked-retype', 'F-locked-delete', 'F-locked-update']) {
        const rec = recorded(label);
        const path = rec.path.replace('/v3/admin', '').replaceAll(RECORDED_VOLUME_ID, id);
        const r = await sb.call(rec.method, path, { body: rec.request === null ? undefined : JSON.parse(toSandbox(JSON.stringify(rec.request))), mv: '3.60' });
        expect({ label, status: r.status, body: r.body }).toEqual({ label, status: rec.status, body: JSON.parse(toSandbox(JSON.stringify(rec.body))) });
      }
      const attach = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-attach': { instance_uuid: 'c0ffee00-0000-4000-8000-000000000001', mountpoint: '/dev/vdb' } } });
      expect(attach.body).toEqual({ badRequest: { code: 400, message: 'Invalid volume: The volume cannot be attached in maintenance mode.' } });
      const snap = await sb.call('POST', '/snapshots', { body: { snapshot: { volume_id: id } } });
      expect(snap.body).toEqual({ badRequest: { code: 400, message: 'Invalid volume: The snapshot cannot be created when the volume is in maintenance mode.' } });
      return target!.id as string;
    })();
    const samples = await track(sb, id, () => targetFile, sourceCopy);
    const targetId = await during;

    expect(distinct(samples.map((s) => s.migration_status)).filter((s) => s !== null)).toEqual(['starting', 'migrating', 'completing', 'success']);
    // Real Cinder shows an empty migration_status for a moment after completing, host already switched (poll-I).
    for (const s of samples) {
      if (s.migration_status === null) expect(s.host).toBe('sandbox@lvm-2#lvm-2');
    }
    expect(samples.filter((s) => s.migration_status !== 'success' && s.migration_status !== null).every((s) => s.status === 'maintenance')).toBe(true);
    const progress = numericProgress(samples);
    expect(samples.every((s) => (s.progress !== undefined) === (s.migration_status === 'migrating'))).toBe(true);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(new Set(progress.filter((p) => p > 0 && p < 100)).size).toBeGreaterThanOrEqual(3);
    expect((samples as Sample[] & { prefixChecks?: number }).prefixChecks).toBeGreaterThanOrEqual(3);

    const after = await sb.volume(id);
    expect(after).toMatchObject({
      status: 'available',
      migration_status: 'success',
      'os-vol-host-attr:host': 'sandbox@lvm-2#lvm-2',
      'os-vol-mig-status-attr:name_id': targetId,
    });
    expect(after).not.toHaveProperty('migration_progress');
    expect(sha256(sb.fileOf(after))).toBe(checksum);
    expect(existsSync(sourceFile)).toBe(false);
    expect((await sb.call('GET', `/volumes/${targetId}`)).status).toBe(404);
    expect(await targetsOf(sb, id)).toEqual([]);

    const events = await notificationsWhen(sb.notificationsPath, (n) => n.payload.volume_id === id, (e) => e.some((n) => n.event_type === 'volume.migrate.end'));
    const types = distinct(events.map((n) => n.event_type));
    expect(types).toEqual(['volume.migrate.start', 'volume.migrate.progress', 'volume.migrate.end']);
    const percents = events.filter((n) => n.event_type === 'volume.migrate.progress').map((n) => n.payload.migration_progress as number);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    expect(percents.filter((p) => p === 100)).toHaveLength(1);
    const end = events.at(-1)!;
    expect(end.priority).toBe('INFO');
    expect(end.publisher_id).toBe('volume.sandbox@lvm-1');
    expect(end.payload).toMatchObject({
      tenant_id: 'admin', host: 'sandbox@lvm-2#lvm-2', status: 'available', size: 1, display_name: 'demo-lvm-1-1g',
      source_host: 'sandbox@lvm-1#lvm-1', destination_host: 'sandbox@lvm-2#lvm-2', bytes_total: TEST_GIB_BYTES, bytes_copied: TEST_GIB_BYTES,
    });
    for (const key of ['tenant_id', 'user_id', 'volume_id', 'display_name', 'size', 'status', 'host', 'availability_zone', 'volume_type', 'created_at', 'launched_at', 'snapshot_id', 'replication_status', 'metadata', 'volume_attachment']) {
      expect(end.payload).toHaveProperty(key);
    }
    const log = readFileSync(sb.logPath, 'utf8');
    expect(log).toMatch(new RegExp(`Migration of volume ${id} started: sandbox@lvm-1#lvm-1 -> sandbox@lvm-2#lvm-2 \\(generic, mover dd`));
    expect(log).toMatch(new RegExp(`Migration of volume ${id} progress: \\d+% \\(\\d+ of ${TEST_GIB_BYTES} bytes copied\\)`));
    expect(log).toContain(`Migration of volume ${id} completed: now on sandbox@lvm-2#lvm-2`);
  });

  it('generic file-I/O migration (LVM to vendor) without lock: status stays available, progress matches the destination', async () => {
    const before = await sb.volumeByName('demo-lvm-2-2g');
    const id = before.id as string;
    const sourceCopy = readFileSync(sb.fileOf(before));
    let targetFile: string | undefined;
    expect((await migrate(sb, id, { host: 'sandbox@vendor#pool-b' })).status).toBe(202);
    void waitFor(() => targetsOf(sb, id), (t) => t.length === 1, 5000).then(([t]) => {
      targetFile = join(sb.dataDir, 'backends', 'vendor', 'pool-b', `volume-${t!.id as string}`);
    });
    const samples = await track(sb, id, () => targetFile, sourceCopy);
    expect(samples.every((s) => s.status === 'available')).toBe(true);
    const progress = numericProgress(samples);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(new Set(progress.filter((p) => p > 0 && p < 100)).size).toBeGreaterThanOrEqual(3);
    expect((samples as Sample[] & { prefixChecks?: number }).prefixChecks).toBeGreaterThanOrEqual(2);
    const after = await sb.volume(id);
    expect(after).toMatchObject({ migration_status: 'success', 'os-vol-host-attr:host': 'sandbox@vendor#pool-b' });
    expect(readFileSync(sb.fileOf(after)).equals(sourceCopy)).toBe(true);
    expect(readFileSync(sb.logPath, 'utf8')).toMatch(new RegExp(`${id} started: .*\\(generic, mover file-io`));
  });

  it('driver-assisted between pools of a reporting backend: numeric progress from backend stats, no temporary volume', async () => {
    const before = await sb.volumeByName('demo-pool-a-2g');
    const id = before.id as string;
    const sourceCopy = readFileSync(sb.fileOf(before));
    const destination = join(sb.dataDir, 'backends', 'vendor', 'pool-b', `volume-${id}`);
    expect((await migrate(sb, id, { host: 'sandbox@vendor#pool-b' })).status).toBe(202);
    let sawTarget = false;
    void waitFor(() => targetsOf(sb, id), (t) => {
      if (t.length > 0) sawTarget = true;
      return false;
    }, 2000).catch(() => undefined);
    const samples = await track(sb, id, () => destination, sourceCopy);
    expect(sawTarget).toBe(false);
    expect(distinct(samples.map((s) => s.migration_status))).toEqual([null, 'starting', 'migrating', 'success'].slice(samples[0]!.migration_status === null ? 0 : 1));
    const progress = numericProgress(samples);
    expect(progress.every((p) => Number.isInteger(p))).toBe(true);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(new Set(progress.filter((p) => p > 0 && p < 100)).size).toBeGreaterThanOrEqual(3);
    const after = await sb.volume(id);
    expect(after).toMatchObject({ migration_status: 'success', 'os-vol-host-attr:host': 'sandbox@vendor#pool-b', 'os-vol-mig-status-attr:name_id': null });
    expect(readFileSync(sb.fileOf(after)).equals(sourceCopy)).toBe(true);
    const events = await notificationsWhen(sb.notificationsPath, (n) => n.payload.volume_id === id, (e) => e.some((n) => n.event_type === 'volume.migrate.end'));
    expect(distinct(events.map((n) => n.event_type))).toEqual(['volume.migrate.start', 'volume.migrate.progress', 'volume.migrate.end']);
    expect(events[0]!.payload.migration_type).toBe('driver-assisted');
  });

  it('driver-assisted on a backend without migration_progress_report: a non-numeric progress, no progress notifications', async () => {
    const before = await sb.volumeByName('demo-pool-c-1g');
    const id = before.id as string;
    const checksum = sha256(sb.fileOf(before));
    expect((await migrate(sb, id, { host: 'sandbox@vendor-lite#pool-d' })).status).toBe(202);
    const samples = await track(sb, id, () => undefined, Buffer.alloc(0));
    const shown = samples.filter((s) => s.progress !== undefined).map((s) => s.progress);
    expect(shown.length).toBeGreaterThan(3);
    expect(new Set(shown)).toEqual(new Set(['in progress']));
    const after = await sb.volume(id);
    expect(after).toMatchObject({ migration_status: 'success', 'os-vol-host-attr:host': 'sandbox@vendor-lite#pool-d' });
    expect(sha256(sb.fileOf(after))).toBe(checksum);
    const events = await notificationsWhen(sb.notificationsPath, (n) => n.payload.volume_id === id, (e) => e.some((n) => n.event_type === 'volume.migrate.end'));
    expect(events.map((n) => n.event_type)).toEqual(['volume.migrate.start', 'volume.migrate.end']);
  });

  it('migration_progress is admin-only and needs 3.72; a member never sees the temporary volume', async () => {
    const member = await sb.volumeByName('demo-member-volume');
    const id = member.id as string;
    expect((await migrate(sb, id, { host: 'sandbox@lvm-2#lvm-2' })).status).toBe(202);
    await waitFor(() => sb.volume(id), (v) => v.migration_status === 'migrating' && Number(v.migration_progress) > 0);
    const old = await sb.volume(id, '3.71');
    expect(old.migration_status).toBe('migrating');
    expect(old).not.toHaveProperty('migration_progress');
    const asMember = await sb.call('GET', `/volumes/${id}`, { project: 'demo' });
    expect(asMember.body.volume).not.toHaveProperty('migration_progress');
    expect(asMember.body.volume).not.toHaveProperty('migration_status');
    const memberList = await sb.call('GET', '/volumes/detail', { project: 'demo' });
    expect((memberList.body.volumes as Vol[]).map((v) => v.id)).toEqual([id]);
    expect(await targetsOf(sb, id)).toHaveLength(1);
    await waitFor(() => sb.volume(id), (v) => v.migration_status === 'success');
    expect((await sb.volume(id))['os-vol-tenant-attr:tenant_id']).toBe('demo');
  });

  it('a pinned type the destination cannot take ends in error like the scheduler (transcript C); status restored', async () => {
    const created = await sb.call('POST', '/volumes', { body: { volume: { size: 1, name: 'pinned', volume_type: 'lvm-1' } } });
    const id = created.body.volume.id as string;
    await waitFor(() => sb.volume(id), (v) => v.status === 'available');
    expect((await migrate(sb, id, { host: 'sandbox@lvm-2#lvm-2', lock_volume: true })).status).toBe(202);
    const samples = await track(sb, id, () => undefined, Buffer.alloc(0));
    expect(distinct(samples.map((s) => s.migration_status))).toEqual([null, 'starting', 'error'].slice(samples[0]!.migration_status === null ? 0 : 1));
    expect(await sb.volume(id)).toMatchObject({ status: 'available', migration_status: 'error', 'os-vol-host-attr:host': 'sandbox@lvm-1#lvm-1' });
    const [error] = await notificationsWhen(sb.notificationsPath, (n) => n.payload.volume_id === id && n.event_type === 'volume.migrate.error', (e) => e.length > 0);
    expect(error?.priority).toBe('ERROR');
    expect(error?.payload.reason).toBe(`NoValidBackend: Cannot place volume ${id} on sandbox@lvm-2#lvm-2.`);
    // A destination given without a pool is accepted (transcript H9) and the scheduler picks the pool.
    expect((await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-retype': { new_type: '__DEFAULT__' } } })).status).toBe(202);
    await waitFor(() => sb.volume(id), (v) => v.status === 'available' && v.volume_type === '__DEFAULT__');
    expect((await migrate(sb, id, { host: 'sandbox@vendor' })).status).toBe(202);
    const done = await waitFor(() => sb.volume(id), (v) => v.migration_status === 'success' || v.migration_status === 'error');
    expect(done['os-vol-host-attr:host']).toMatch(/^sandbox@vendor#pool-[ab]$/);
  });

  it('attaching an unlocked migrating volume aborts the migration: copy stopped, target removed, error, source intact', async () => {
    const before = await sb.volumeByName('demo-lvm-1-2g');
    const id = before.id as string;
    const checksum = sha256(sb.fileOf(before));
    expect((await migrate(sb, id, { host: 'sandbox@lvm-2#lvm-2' })).status).toBe(202);
    await waitFor(() => sb.volume(id), (v) => Number(v.migration_progress) >= 10);
    const [target] = await targetsOf(sb, id);
    const targetFile = join(sb.dataDir, 'backends', 'lvm-2', 'lvm-2', `volume-${target!.id as string}`);
    expect(existsSync(targetFile)).toBe(true);
    const attach = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-attach': { instance_uuid: 'c0ffee00-0000-4000-8000-000000000002', mountpoint: '/dev/vdc' } } });
    expect(attach.status).toBe(202);
    const v = await sb.volume(id);
    expect(v).toMatchObject({ status: 'in-use', migration_status: 'error', 'os-vol-host-attr:host': 'sandbox@lvm-1#lvm-1' });
    expect(v).not.toHaveProperty('migration_progress');
    expect((v.attachments as unknown[]).length).toBe(1);
    expect(await targetsOf(sb, id)).toEqual([]);
    expect(existsSync(targetFile)).toBe(false);
    await new Promise((r) => setTimeout(r, 400));
    expect(existsSync(targetFile)).toBe(false);
    expect(sha256(sb.fileOf(v))).toBe(checksum);
    const [error] = await notificationsWhen(sb.notificationsPath, (n) => n.payload.volume_id === id && n.event_type === 'volume.migrate.error', (e) => e.length > 0);
    expect(error?.payload.reason).toMatch(/^aborted: volume attached during migration/);
    expect(readFileSync(sb.logPath, 'utf8')).toContain(`Migration of volume ${id} failed: aborted: volume attached during migration`);

    // In-use volumes may migrate; detaching one mid-copy aborts too.
    expect((await migrate(sb, id, { host: 'sandbox@lvm-2#lvm-2' })).status).toBe(202);
    await waitFor(() => sb.volume(id), (x) => Number(x.migration_progress) >= 5);
    expect((await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-detach': {} } })).status).toBe(202);
    expect(await sb.volume(id)).toMatchObject({ status: 'available', migration_status: 'error', 'os-vol-host-attr:host': 'sandbox@lvm-1#lvm-1' });
    expect(await targetsOf(sb, id)).toEqual([]);
  });

  it('retype: never keeps the volume in place, on-demand migrates it (transcript G), unpinned only changes the type', async () => {
    const id = (await sb.volumeByName('demo-pool-d-1g')).id as string;
    expect((await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-retype': { new_type: 'lvm-1', migration_policy: 'never' } } })).status).toBe(202);
    expect((await sb.volume(id)).status).toBe('retyping');
    const kept = await waitFor(() => sb.volume(id), (v) => v.status !== 'retyping');
    expect(kept).toMatchObject({ status: 'available', volume_type: '__DEFAULT__', migration_status: null, 'os-vol-host-attr:host': 'sandbox@vendor-lite#pool-d' });

    expect((await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-retype': { new_type: 'lvm-1', migration_policy: 'on-demand' } } })).status).toBe(202);
    const samples = await track(sb, id, () => undefined, Buffer.alloc(0));
    expect(samples.some((s) => s.status === 'retyping' && s.migration_status === 'migrating')).toBe(true);
    expect(await sb.volume(id)).toMatchObject({ status: 'available', volume_type: 'lvm-1', migration_status: 'success', 'os-vol-host-attr:host': 'sandbox@lvm-1#lvm-1' });
    const retype = await notificationsWhen(sb.notificationsPath, (n) => n.payload.volume_id === id && n.event_type === 'volume.retype', (e) => e.length > 0);
    expect(retype).toHaveLength(1);
    expect(retype[0]!.publisher_id).toBe('volume.sandbox@vendor-lite');

    const same = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-retype': { new_type: 'lvm-1' } } });
    expect(same.body).toEqual(recorded('F-locked-retype').body);
    expect((await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-retype': { new_type: '__DEFAULT__' } } })).status).toBe(202);
    const unpinned = await waitFor(() => sb.volume(id), (v) => v.status === 'available');
    expect(unpinned).toMatchObject({ volume_type: '__DEFAULT__', 'os-vol-host-attr:host': 'sandbox@lvm-1#lvm-1' });
    const unknown = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-retype': { new_type: 'gold' } } });
    expect(unknown.body).toEqual({ itemNotFound: { code: 404, message: 'Volume type with name gold could not be found.' } });
  });

  it('refuses a second migration, a snapshot and deleting the target while an unlocked migration runs', async () => {
    const id = (await sb.volumeByName('demo-lvm-2-1g')).id as string;
    const started = Date.now();
    expect((await migrate(sb, id, { host: 'sandbox@lvm-1#lvm-1' })).status).toBe(202);
    await waitFor(() => sb.volume(id), (v) => v.migration_status === 'migrating');
    const again = await migrate(sb, id, { host: 'sandbox@vendor#pool-a' });
    expect(again.body).toEqual(JSON.parse(JSON.stringify(recorded('H3-same-host').body).replaceAll(RECORDED_VOLUME_ID, id)));
    const snap = await sb.call('POST', '/snapshots', { body: { snapshot: { volume_id: id } } });
    expect(snap.body).toEqual({ badRequest: { code: 400, message: 'Invalid volume: Snapshot cannot be created while volume is migrating.' } });
    const [target] = await waitFor(() => targetsOf(sb, id), (t) => t.length === 1);
    const del = await sb.call('DELETE', `/volumes/${target!.id as string}`);
    expect(del.body).toEqual(recorded('F-locked-delete').body);
    await waitFor(() => sb.volume(id), (v) => v.migration_status === 'success');
    // --copy-rate 8 MiB/s through a 16 MiB volume: the copy cannot take less than two seconds.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    const events = await notificationsWhen(sb.notificationsPath, (n) => n.payload.volume_id === id, (e) => e.some((n) => n.event_type === 'volume.migrate.end'));
    const startAt = Date.parse(events.find((n) => n.event_type === 'volume.migrate.start')!.timestamp.replace(' ', 'T') + 'Z');
    const endAt = Date.parse(events.find((n) => n.event_type === 'volume.migrate.end')!.timestamp.replace(' ', 'T') + 'Z');
    expect(endAt - startAt).toBeGreaterThanOrEqual(1800);
  });

  it('maintenance (set by os-reset_status) refuses attach, detach, update, extend, delete, snapshot, retype and migrate', async () => {
    const id = (await sb.volumeByName('demo-pool-b-2g')).id as string;
    expect((await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-reset_status': { status: 'maintenance' } } })).status).toBe(202);
    const expectations: [string, string, unknown, string][] = [
      ['POST', `/volumes/${id}/action`, { 'os-attach': { instance_uuid: 'c0ffee00-0000-4000-8000-000000000003', mountpoint: '/dev/vdd' } }, 'Invalid volume: The volume cannot be attached in maintenance mode.'],
      ['POST', `/volumes/${id}/action`, { 'os-detach': {} }, 'Invalid volume: The volume cannot be detached in maintenance mode.'],
      ['PUT', `/volumes/${id}`, { volume: { name: 'x' } }, 'Invalid volume: The volume cannot be updated during maintenance.'],
      ['POST', `/volumes/${id}/action`, { 'os-extend': { new_size: 3 } }, `Invalid volume: Volume ${id} status must be '{'status': 'available'}' to extend, currently maintenance.`],
      ['DELETE', `/volumes/${id}`, undefined, recorded('F-locked-delete').body.badRequest!.message],
      ['POST', '/snapshots', { snapshot: { volume_id: id } }, 'Invalid volume: The snapshot cannot be created when the volume is in maintenance mode.'],
      ['POST', `/volumes/${id}/action`, { 'os-retype': { new_type: 'vendor' } }, recorded('F-locked-retype').body.badRequest!.message],
      ['POST', `/volumes/${id}/action`, { 'os-migrate_volume': { host: 'sandbox@vendor#pool-a' } }, recorded('H3-same-host').body.badRequest!.message.replaceAll(RECORDED_VOLUME_ID, id)],
    ];
    for (const [method, path, body, message] of expectations) {
      const r = await sb.call(method, path, { body });
      expect({ method, path, status: r.status, body: r.body }).toEqual({ method, path, status: 400, body: { badRequest: { code: 400, message } } });
    }
    expect((await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-reset_status': { status: 'available' } } })).status).toBe(202);
    expect((await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-retype': { new_type: 'vendor' } } })).status).toBe(202);
    await waitFor(() => sb.volume(id), (v) => v.status === 'available' && v.volume_type === 'vendor');
    const retype = await notificationsWhen(sb.notificationsPath, (n) => n.payload.volume_id === id && n.event_type === 'volume.retype', (e) => e.length > 0);
    expect(retype).toHaveLength(1);
    expect(retype[0]!.payload).toMatchObject({ host: 'sandbox@vendor#pool-b', status: 'available' });
  });

  it('os-reset_status of migration_status ends an in-flight migration and removes its target', async () => {
    const id = (await sb.volumeByName('demo-pool-b-1g')).id as string;
    expect((await migrate(sb, id, { host: 'sandbox@lvm-2#lvm-2', lock_volume: true })).status).toBe(202);
    await waitFor(() => sb.volume(id), (v) => Number(v.migration_progress) > 0);
    const r = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-reset_status': { status: 'available', migration_status: 'none' } } });
    expect(r.status).toBe(202);
    expect(await sb.volume(id)).toMatchObject({ status: 'available', migration_status: null, 'os-vol-host-attr:host': 'sandbox@vendor#pool-b' });
    expect(await targetsOf(sb, id)).toEqual([]);
    const bad = await sb.call('POST', `/volumes/${id}/action`, { body: { 'os-reset_status': { migration_status: 'paused' } } });
    expect(bad.body.badRequest.message).toBe(
      "Invalid input for field/attribute migration_status. Value: paused. 'paused' is not one of ['migrating', 'error', 'success', 'completing', 'none', 'starting']",
    );
  });
});

describe('per-backend copy limit', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox({ copyRateMiBps: 24, maxConcurrentCopies: 1 });
  });
  afterAll(async () => {
    await sb.stop();
  });

  it('runs one copy per backend at a time; the others wait at "0" and all complete', async () => {
    const ids: string[] = [];
    for (const name of ['demo-lvm-1-1g', 'demo-lvm-1-2g', 'demo-pool-a-1g']) {
      const v = await sb.volumeByName(name);
      ids.push(v.id as string);
      expect((await migrate(sb, v.id as string, { host: 'sandbox@lvm-2#lvm-2' })).status).toBe(202);
    }
    let maxActive = 0;
    let sawWaiting = false;
    const deadline = Date.now() + 20000;
    for (;;) {
      const vols = await Promise.all(ids.map((id) => sb.volume(id)));
      const active = vols.filter((v) => v.migration_status === 'migrating' && Number(v.migration_progress) > 0 && Number(v.migration_progress) < 100).length;
      if (active === 1 && vols.some((v) => v.migration_status === 'migrating' && v.migration_progress === '0')) sawWaiting = true;
      maxActive = Math.max(maxActive, active);
      if (vols.every((v) => v.migration_status === 'success')) break;
      if (vols.some((v) => v.migration_status === 'error') || Date.now() > deadline) throw new Error(JSON.stringify(vols.map((v) => v.migration_status)));
      await new Promise((r) => setTimeout(r, 15));
    }
    expect(maxActive).toBe(1);
    expect(sawWaiting).toBe(true);
    expect(readFileSync(sb.logPath, 'utf8')).toMatch(/waits for a copy slot on backend\(s\) .*lvm-2.* \(limit 1 per backend\)/);
  });
});
