import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { MiB, notificationsWhen, sha256, waitFor } from './helpers.js';

const MAIN = resolve('dist/sandbox/main.js');
const dataDir = mkdtempSync(join(tmpdir(), 'volmig-sandbox-crash-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts `node dist/sandbox/main.js --port 0` and learns the port from its first stdout line. */
async function spawnSandbox(): Promise<{ child: ChildProcess; origin: string; firstLines: string[]; stderr: () => string }> {
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--data-dir', dataDir, '--size-unit-mib', '256', '--report-interval', '0.2', '--phase-delay-ms', '50'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const lines = createInterface({ input: child.stdout! });
  const firstLines: string[] = [];
  const origin = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no endpoint line; stderr: ${stderr}`)), 5000);
    lines.on('line', (line) => {
      firstLines.push(line);
      const m = /^Block Storage API listening on (http:\/\/127\.0\.0\.1:(\d+))\/v3$/.exec(line);
      if (firstLines.length === 1) {
        clearTimeout(timer);
        if (m) resolvePromise(m[1]!);
        else reject(new Error(`unexpected first line: ${line}`));
      }
    });
    child.on('exit', (code) => reject(new Error(`sandbox exited with ${code}: ${stderr}`)));
  });
  return { child, origin, firstLines, stderr: () => stderr };
}

async function call(origin: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${origin}/v3/admin${path}`, {
    method,
    headers: { 'X-Auth-Token': 'admin:admin', 'OpenStack-API-Version': 'volume 3.72', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
}

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function ddWriting(targetFile: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes(`of=${targetFile}`) && running(Number(entry))) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

describe('crash safety (sandbox as a child process, kill -9 mid-copy, restart)', () => {
  it('ends the in-flight migration in error, restores the status, removes the target, kills the orphaned dd, keeps the source and the rest of the state', async () => {
    expect(existsSync(MAIN), 'dist/sandbox/main.js is missing: run `npm run build` first').toBe(true);
    const first = await spawnSandbox();
    expect(first.firstLines[0]).toMatch(/^Block Storage API listening on http:\/\/127\.0\.0\.1:\d+\/v3$/);
    const { origin } = first;

    // A 2 "GiB" volume (512 MiB here) on lvm-1 with the unpinned type, some data, and a bystander with a snapshot.
    const created = await call(origin, 'POST', '/volumes', { volume: { size: 2, name: 'crash-src', volume_type: 'lvm-1' } });
    const id = created.body.volume.id as string;
    await waitFor(() => call(origin, 'GET', `/volumes/${id}`), (r) => r.body.volume.status === 'available');
    expect((await call(origin, 'POST', `/volumes/${id}/action`, { 'os-retype': { new_type: '__DEFAULT__' } })).status).toBe(202);
    await waitFor(() => call(origin, 'GET', `/volumes/${id}`), (r) => r.body.volume.status === 'available');
    const sourceFile = join(dataDir, 'backends', 'lvm-1', 'lvm-1', `volume-${id}`);
    const fd = openSync(sourceFile, 'r+');
    for (const offset of [0, 200 * MiB, 511 * MiB]) writeSync(fd, Buffer.alloc(MiB, offset / MiB + 1), 0, MiB, offset);
    closeSync(fd);
    const checksum = sha256(sourceFile);
    const bystander = await call(origin, 'POST', '/volumes', { volume: { size: 1, name: 'bystander' } });
    const bystanderId = bystander.body.volume.id as string;
    await waitFor(() => call(origin, 'GET', `/volumes/${bystanderId}`), (r) => r.body.volume.status === 'available');
    const snap = await call(origin, 'POST', '/snapshots', { snapshot: { volume_id: bystanderId, name: 'keep-me' } });
    await waitFor(() => call(origin, 'GET', `/snapshots/${snap.body.snapshot.id as string}`), (r) => r.body.snapshot.status === 'available');

    // Unthrottled generic copy with the lock: one dd for the whole volume, recorded in the state before it writes.
    expect((await call(origin, 'POST', `/volumes/${id}/action`, { 'os-migrate_volume': { host: 'sandbox@lvm-2#lvm-2', lock_volume: true } })).status).toBe(202);
    const statePath = join(dataDir, 'state.json');
    const state = await waitFor(
      async () => JSON.parse(readFileSync(statePath, 'utf8')) as { migrations: Record<string, { pids: number[]; targetFile: string; targetId: string }> },
      (s) => (s.migrations[id]?.pids.length ?? 0) > 0,
      10000,
      5,
    );
    const { pids, targetFile, targetId } = state.migrations[id]!;
    const ddPid = pids[0]!;
    // Freeze dd mid-copy so that it is certainly still alive (and would resume writing) when the sandbox dies.
    process.kill(ddPid, 'SIGSTOP');
    const during = await call(origin, 'GET', `/volumes/${id}`);
    expect(during.body.volume).toMatchObject({ status: 'maintenance', migration_status: 'migrating' });
    // A stopped process whose process group is orphaned by its parent's death gets SIGHUP (and dies): let dd run
    // while the sandbox is killed, then freeze the orphan again, alive and ready to resume writing.
    process.kill(ddPid, 'SIGCONT');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    process.kill(ddPid, 'SIGSTOP');
    expect(running(ddPid)).toBe(true);
    expect(existsSync(targetFile)).toBe(true);

    const second = await spawnSandbox();
    try {
      expect(running(ddPid)).toBe(false);
      expect(ddWriting(targetFile)).toEqual([]);
      const after = await call(second.origin, 'GET', `/volumes/${id}`);
      expect(after.body.volume).toMatchObject({
        status: 'available',
        migration_status: 'error',
        'os-vol-host-attr:host': 'sandbox@lvm-1#lvm-1',
        'os-vol-mig-status-attr:name_id': null,
      });
      expect((await call(second.origin, 'GET', `/volumes/${targetId}`)).status).toBe(404);
      const all = await call(second.origin, 'GET', '/volumes/detail?all_tenants=1');
      expect((all.body.volumes as { migration_status: string | null }[]).filter((v) => (v.migration_status ?? '').startsWith('target:'))).toEqual([]);
      expect(existsSync(targetFile)).toBe(false);
      expect(sha256(sourceFile)).toBe(checksum);
      expect((await call(second.origin, 'GET', `/volumes/${bystanderId}`)).body.volume).toMatchObject({ status: 'available', name: 'bystander' });
      expect((await call(second.origin, 'GET', `/snapshots/detail?volume_id=${bystanderId}`)).body.snapshots.map((s: { name: string }) => s.name)).toEqual(['keep-me']);
      const log = readFileSync(join(dataDir, 'sandbox.log'), 'utf8');
      expect(log).toContain(`Recovery: killed orphaned copy process ${ddPid}`);
      expect(log).toContain(`Migration of volume ${id} failed: the sandbox stopped while the migration was in flight`);
      const [error] = await notificationsWhen(join(dataDir, 'notifications.jsonl'), (n) => n.payload.volume_id === id && n.event_type === 'volume.migrate.error', (e) => e.length > 0);
      expect(error?.payload).toMatchObject({ reason: 'the sandbox stopped while the migration was in flight', status: 'available' });
      // The restarted sandbox migrates the same volume again.
      expect((await call(second.origin, 'POST', `/volumes/${id}/action`, { 'os-migrate_volume': { host: 'sandbox@lvm-2#lvm-2' } })).status).toBe(202);
      await waitFor(() => call(second.origin, 'GET', `/volumes/${id}`), (r) => r.body.volume.migration_status === 'migrating');
    } finally {
      // SIGTERM mid-copy: a clean stop, exit code 0, the migration recorded as ended by the stop.
      second.child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => second.child.once('exit', (c) => r(c)));
      expect(code).toBe(0);
      expect(second.stderr()).toContain('Sandbox stopped.');
    }
    const final = JSON.parse(readFileSync(statePath, 'utf8')) as { migrations: object; volumes: Record<string, { migration_status: string | null; status: string }> };
    expect(final.migrations).toEqual({});
    expect(final.volumes[id]).toMatchObject({ migration_status: 'error', status: 'available' });
    expect(sha256(sourceFile)).toBe(checksum);
  }, 60000);
});
