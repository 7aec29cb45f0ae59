/**
 * `volmig migrate --wait --notify <transport url>` against a sandbox that publishes nothing itself: a real
 * oslo.messaging listener on a real RabbitMQ receives volume.migrate.start, .progress (one per poll) and .end from
 * volmig, in the v2 envelope, with publisher_id volmig.<host> and Cinder's volume payload plus the progress fields.
 */
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { runVolmig } from '../../helpers/run.js';
import { startCloud, type TestCloud } from '../../maintenance/sandbox-helpers.js';
import { announceUnavailable, Listener, missingPrerequisite, transportUrlFromEnvironment, unavailableTest } from './helpers.js';

const transportUrl = transportUrlFromEnvironment();
const unavailable = await missingPrerequisite(transportUrl);
announceUnavailable(unavailable, 'volmig --notify to an oslo listener');

describe('volmig --notify: an oslo.messaging listener sees the migrations volmig watches', () => {
  if (unavailable) {
    unavailableTest(it, unavailable);
    return;
  }
  let cloud: TestCloud | undefined;
  let listener: Listener | undefined;
  afterEach(async () => {
    await cloud?.stop();
    await listener?.stop();
    cloud = listener = undefined;
  });

  it('migrate --wait --notify: start, progress at each poll, end, from volmig.<host>', async () => {
    listener = new Listener(transportUrl!, ['--pool', 'volmig-cli-notify']);
    await listener.started();
    cloud = await startCloud({ gibMiB: 8, copyRateMiBps: 4 });
    const v = await cloud.createVolume({ size: 1, name: 'notified' });
    await cloud.waitFor(v.id, (x) => x.status === 'available');
    const from = v['os-vol-host-attr:host'] as string;
    const to = from === 'sandbox@lvm-1#lvm-1' ? 'sandbox@lvm-2#lvm-2' : 'sandbox@lvm-1#lvm-1';
    const r = await runVolmig(['migrate', v.id, to, '--wait', '--interval', '0.5', '--notify', transportUrl!], { env: cloud.env });
    expect(r.code, r.stderr).toBe(0);
    const password = new URL(transportUrl!.replace(/^rabbit:/, 'http:')).password;
    if (password) expect(r.stderr).not.toContain(`:${password}@`);
    await listener.waitUntil(() => listener!.received.some((m) => m.event_type === 'volume.migrate.end'), 'volume.migrate.end');
    const mine = listener.received.filter((m) => m.payload.volume_id === v.id);
    const types = mine.map((m) => m.event_type);
    expect(types[0]).toBe('volume.migrate.start');
    expect(types.at(-1)).toBe('volume.migrate.end');
    expect(types.filter((t) => t === 'volume.migrate.progress').length).toBeGreaterThanOrEqual(2);
    expect(mine.every((m) => m.publisher_id === `volmig.${hostname()}` && m.priority === 'INFO')).toBe(true);
    const progress = mine.filter((m) => m.event_type === 'volume.migrate.progress').map((m) => m.payload.migration_progress as number | null);
    const numbers = progress.filter((p): p is number => typeof p === 'number');
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(mine.at(-1)!.payload).toMatchObject({ volume_id: v.id, display_name: 'notified', host: to, migration_status: 'success', migration_progress: 100, progress_source: 'server', source_host: from });
  }, 60_000);

  it('a broker that cannot be reached is said once and changes nothing else: the migration still ends with exit 0', async () => {
    cloud = await startCloud({ gibMiB: 1 });
    const v = await cloud.createVolume({ size: 1, name: 'unheard' });
    await cloud.waitFor(v.id, (x) => x.status === 'available');
    const from = v['os-vol-host-attr:host'] as string;
    const to = from === 'sandbox@lvm-1#lvm-1' ? 'sandbox@lvm-2#lvm-2' : 'sandbox@lvm-1#lvm-1';
    const r = await runVolmig(['migrate', v.id, to, '--wait', '--interval', '0.5', '--notify', 'rabbit://guest:n0tThis@127.0.0.1:9/'], { env: cloud.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^unheard: migrated /);
    expect(r.stderr).not.toContain('n0tThis');
    expect(r.stderr).toMatch(/127\.0\.0\.1:9/);
  }, 60_000);
});
