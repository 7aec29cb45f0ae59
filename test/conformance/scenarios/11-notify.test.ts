/**
 * `--notify` on real Cinder (issue 11): upstream Cinder emits no volume.migrate.* notifications, so volmig publishes
 * what it watches to the cloud's own bus. A real oslo.messaging notification listener (Debian python3-oslo.messaging)
 * on the rig's RabbitMQ receives start, progress and end for a generic migration whose numbers come from Ceph.
 */
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostOf } from '../lib/api.js';
import { RIG_CEPH_CONF } from '../lib/ceph.js';
import { openTarget, targetKind, volName, type Target } from '../lib/target.js';
import { Listener, missingPrerequisite } from '../../integration/rabbit/helpers.js';

/** The rig's broker, as cinder.conf has it (test/conformance/real-cinder/lib/cinder-conf.sh). */
const RIG_TRANSPORT_URL = 'rabbit://guest:guest@127.0.0.1:5672/';

describe.runIf(targetKind() === 'realcinder')('volmig --notify to the cloud\'s bus [realcinder]', () => {
  let t: Target;
  let listener: Listener | undefined;
  beforeAll(async () => {
    const missing = await missingPrerequisite(RIG_TRANSPORT_URL);
    if (missing) throw new Error(`the rig's RabbitMQ or oslo.messaging is missing: ${missing}`);
    t = await openTarget();
    listener = new Listener(RIG_TRANSPORT_URL, ['--pool', 'volmig-conformance']);
    await listener.started();
  }, 120_000);
  afterAll(async () => {
    await listener?.stop();
    await t?.close();
  }, 120_000);

  it('migrate --force-host-copy --wait --notify: the listener receives start, progress with Ceph numbers, and end', async () => {
    const v = await t.movableVolume(volName('notify'));
    const dest = hostOf(v) === t.layout.hostA ? t.layout.hostB : t.layout.hostA;
    const r = await t.run(['migrate', v.id, dest, '--force-host-copy', '--wait', '--interval', '1', '--notify', RIG_TRANSPORT_URL], {
      env: { CEPH_CONF: RIG_CEPH_CONF },
      timeoutMs: 180_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('guest:guest@');
    await listener!.waitUntil(() => listener!.received.some((m) => m.event_type === 'volume.migrate.end' && m.payload.volume_id === v.id), 'volume.migrate.end');
    // Cinder publishes its own (volume.create.*, volume.retype, ...) on the same bus: volmig's are volume.migrate.*.
    const mine = listener!.received.filter((m) => m.payload.volume_id === v.id && m.event_type.startsWith('volume.migrate.'));
    expect(listener!.received.some((m) => m.event_type.startsWith('volume.') && !m.event_type.startsWith('volume.migrate.'))).toBe(true);
    const types = mine.map((m) => m.event_type);
    expect(types[0]).toBe('volume.migrate.start');
    expect(types.at(-1)).toBe('volume.migrate.end');
    expect(types.filter((x) => x === 'volume.migrate.progress').length).toBeGreaterThanOrEqual(1);
    expect(mine.every((m) => m.publisher_id === `volmig.${hostname()}`)).toBe(true);
    expect(mine.at(-1)!.payload).toMatchObject({ host: dest, migration_status: 'success', progress_source: 'ceph', migration_progress: 100 });
  }, 240_000);
});
