import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { Io } from '../../src/io.js';
import { capture, runVolmig } from '../helpers/run.js';
import { waitFor } from './helpers.js';

const dataDir = mkdtempSync(join(tmpdir(), 'volmig-sandbox-pin-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('volmig sandbox --max-microversion', () => {
  it('serves 3.60 at most: versions document, latest, 406 above, and no migration_progress while a volume migrates', async () => {
    const stdout = capture();
    const stderr = capture();
    const signals = new EventEmitter();
    const io: Io = { stdout, stderr, env: { HOME: '/nonexistent' }, isTTY: false, cwd: dataDir, signals };
    const args = ['sandbox', '--port', '0', '--data-dir', dataDir, '--seed', 'demo', '--size-unit-mib', '16', '--copy-rate', '4', '--max-microversion', '3.60'];
    const run = main(['node', 'volmig', ...args], io);
    const first = await waitFor(async () => stdout.text, (t) => t.includes('\n'), 5000);
    const origin = /listening on (http:\/\/127\.0\.0\.1:\d+)\/v3/.exec(first)![1]!;
    const call = async (path: string, mv: string, init: RequestInit = {}) => {
      const res = await fetch(`${origin}${path}`, {
        ...init,
        headers: { 'X-Auth-Token': 'admin:admin', 'OpenStack-API-Version': `volume ${mv}`, 'Content-Type': 'application/json' },
      });
      const text = await res.text();
      return { status: res.status, version: res.headers.get('openstack-api-version'), body: text ? JSON.parse(text) : undefined };
    };
    try {
      const root = await call('/', '3.0');
      expect(root.status).toBe(300);
      expect(root.body.versions[0]).toMatchObject({ version: '3.60', min_version: '3.0' });
      const latest = await call('/v3/admin/volumes', 'latest');
      expect(latest.version).toBe('volume 3.60');
      const high = await call('/v3/admin/volumes', '3.72');
      expect(high.status).toBe(406);
      expect(high.body).toEqual({ computeFault: { code: 406, message: 'Version 3.72 is not supported by the API. Minimum is 3.0 and maximum is 3.60.' } });

      const listed = await call('/v3/admin/volumes/detail?name=demo-lvm-1-1g', 'latest');
      const id = listed.body.volumes[0].id as string;
      const accepted = await call(`/v3/admin/volumes/${id}/action`, 'latest', {
        method: 'POST',
        body: JSON.stringify({ 'os-migrate_volume': { host: 'sandbox@lvm-2#lvm-2' } }),
      });
      expect(accepted.status).toBe(202);
      const migrating = await waitFor(
        () => call(`/v3/admin/volumes/${id}`, 'latest'),
        (r) => r.body.volume.migration_status === 'migrating',
      );
      expect(migrating.version).toBe('volume 3.60');
      expect(migrating.body.volume['os-vol-mig-status-attr:migstat']).toBe('migrating');
      expect(migrating.body.volume).not.toHaveProperty('migration_progress');
    } finally {
      signals.emit('SIGINT');
      expect(await run).toBe(0);
    }
  });

  it.each(['3.73', '4.0', '3', '3.x', '3.01', ''])('rejects --max-microversion %j with one line and exit 2', async (value) => {
    const r = await runVolmig(['sandbox', '--port', '0', '--max-microversion', value]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`Error: invalid value for --max-microversion: '${value}' (expected a microversion from 3.0 to 3.72)\n`);
  });
});
