import { spawn, spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { Io } from '../../src/io.js';
import { capture, runVolmig } from '../helpers/run.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { startTestSandbox, waitFor } from './helpers.js';

const dataDir = mkdtempSync(join(tmpdir(), 'volmig-sandbox-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('volmig sandbox', () => {
  it('prints the endpoint line first and a ready-to-paste export line, serves the seeded demo, stops on SIGINT with 0', async () => {
    const stdout = capture();
    const stderr = capture();
    const signals = new EventEmitter();
    const io: Io = { stdout, stderr, env: { HOME: '/nonexistent' }, isTTY: false, cwd: dataDir, signals };
    const started = Date.now();
    const run = main(['node', 'volmig', 'sandbox', '--port', '0', '--data-dir', dataDir, '--seed', 'demo', '--size-unit-mib', '16'], io);
    await waitFor(async () => stdout.text, (t) => t.split('\n').length >= 3, 5000);
    const lines = stdout.text.split('\n');
    const m = /^Block Storage API listening on http:\/\/127\.0\.0\.1:(\d+)\/v3$/.exec(lines[0]!);
    expect(m).not.toBeNull();
    const port = m![1]!;
    expect(port).not.toBe('8776');
    expect(lines[1]).toBe(`export OS_AUTH_TYPE=noauth OS_ENDPOINT=http://127.0.0.1:${port}/v3 OS_PROJECT_ID=admin OS_USER_ID=admin`);
    expect(stderr.text).toContain('Seeded 13 demo volumes.');
    expect(stderr.text).toContain('Press Ctrl+C to stop.');

    const res = await fetch(`http://127.0.0.1:${port}/v3/admin/volumes/detail?all_tenants=1`, { headers: { 'X-Auth-Token': 'admin:admin' } });
    expect(Date.now() - started).toBeLessThan(3000);
    const body = (await res.json()) as { volumes: { status: string; size: number; volume_type: string; 'os-vol-tenant-attr:tenant_id': string; 'os-vol-host-attr:host': string }[] };
    const admin = body.volumes.filter((v) => v['os-vol-tenant-attr:tenant_id'] === 'admin');
    const pools = new Set(admin.map((v) => v['os-vol-host-attr:host']));
    expect(pools.size).toBe(6);
    for (const pool of pools) expect(admin.filter((v) => v['os-vol-host-attr:host'] === pool)).toHaveLength(2);
    expect(admin.every((v) => v.status === 'available' && v.volume_type === '__DEFAULT__' && v.size >= 1 && v.size <= 2)).toBe(true);
    expect(body.volumes.filter((v) => v['os-vol-tenant-attr:tenant_id'] === 'demo')).toHaveLength(1);

    signals.emit('SIGINT');
    expect(await run).toBe(0);
    expect(stderr.text).toContain('SIGINT: stopping the sandbox');
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    // A --data-dir the user gave stays, with its state.
    expect(stderr.text).toContain(`Data directory: ${dataDir}\n`);
    expect(stderr.text).not.toContain('Removed the temporary data directory');
    expect(existsSync(join(dataDir, 'state.json'))).toBe(true);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('removes its own temporary data directory on %s', async (signal) => {
    const stdout = capture();
    const stderr = capture();
    const signals = new EventEmitter();
    const io: Io = { stdout, stderr, env: { HOME: '/nonexistent' }, isTTY: false, cwd: dataDir, signals };
    const run = main(['node', 'volmig', 'sandbox', '--port', '0', '--seed', 'demo', '--size-unit-mib', '16'], io);
    const text = await waitFor(async () => stderr.text, (t) => t.includes('Press Ctrl+C to stop.'), 5000);
    const dir = /^Data directory: (.+) \(temporary: removed when the sandbox stops; --data-dir keeps one\)$/m.exec(text)?.[1];
    expect(dir).toBeDefined();
    expect(existsSync(join(dir!, 'state.json'))).toBe(true);
    expect(readdirSync(join(dir!, 'backends', 'lvm-1', 'lvm-1')).length).toBeGreaterThan(0);
    signals.emit(signal);
    expect(await run).toBe(0);
    expect(existsSync(dir!)).toBe(false);
    expect(stderr.text.split('\n').slice(-4)).toEqual([`${signal}: stopping the sandbox`, `Removed the temporary data directory ${dir}.`, 'Sandbox stopped.', '']);
  });

  it('without --port it listens on a free port, never Cinder\'s 8776, and the export line names that port', async () => {
    const stdout = capture();
    const stderr = capture();
    const signals = new EventEmitter();
    const io: Io = { stdout, stderr, env: { HOME: '/nonexistent' }, isTTY: false, cwd: dataDir, signals };
    const run = main(['node', 'volmig', 'sandbox', '--size-unit-mib', '16'], io);
    await waitFor(async () => stdout.text, (t) => t.split('\n').length >= 3, 5000);
    const port = /^Block Storage API listening on http:\/\/127\.0\.0\.1:(\d+)\/v3\n/.exec(stdout.text)?.[1];
    expect(port).toBeDefined();
    expect(port).not.toBe('8776');
    expect(stdout.text.split('\n')[1]).toBe(`export OS_AUTH_TYPE=noauth OS_ENDPOINT=http://127.0.0.1:${port}/v3 OS_PROJECT_ID=admin OS_USER_ID=admin`);
    const res = await fetch(`http://127.0.0.1:${port}/v3/admin/volumes/detail`, { headers: { 'X-Auth-Token': 'admin:admin' } });
    expect(res.status).toBe(200);
    signals.emit('SIGINT');
    expect(await run).toBe(0);
    // The help says why.
    const help = (await runVolmig(['sandbox', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--port <port> port to listen on (default: a free port, named on the first output line)');
    expect(help).toContain("It does not default to 8776, Cinder's own port: on a Cinder host a sandbox on 8776 cannot start");
  });

  it('rejects a bad flag value with one line and exit code 2', async () => {
    const r = await runVolmig(['sandbox', '--port', '0', '--copy-rate', 'fast']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("Error: invalid value for --copy-rate: 'fast' (expected a positive number)\n");
    const seed = await runVolmig(['sandbox', '--port', '0', '--seed', 'lots']);
    expect(seed.code).toBe(2);
    expect(seed.stderr).toBe("Error: invalid value for --seed: 'lots' (expected demo or none)\n");
  });

  it('refuses a data directory another live sandbox uses (exit 2), and takes over one left by a dead sandbox', async () => {
    const busyDir = join(dataDir, 'shared');
    const running = await startTestSandbox({ dataDir: busyDir, seed: 'none' });
    try {
      const r = await runVolmig(['sandbox', '--port', '0', '--data-dir', busyDir]);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(`Error: data directory ${busyDir} is in use by another sandbox (pid ${process.pid})`);
    } finally {
      await running.stop();
    }
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(busyDir, 'sandbox.pid'), '999999999\n');
    const again = await startTestSandbox({ dataDir: busyDir, seed: 'none' });
    await again.stop();
  });

  it('refuses an unreadable --transport-url before listening, in one line, without the password', async () => {
    const r = await runVolmig(['sandbox', '--port', '0', '--data-dir', join(dataDir, 'amqp'), '--transport-url', 'rabbit://guest:s3cret@127.0.0.1:99999/']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^Error: invalid transport URL/);
    expect(r.stderr).not.toContain('s3cret');
  });

  it('exits 6 with the error and a hint when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runVolmig(['sandbox', '--port', String(port), '--data-dir', join(dataDir, 'busy')]);
      expect(r.code).toBe(6);
      expect(r.stderr.trim().split('\n')).toHaveLength(2);
      expect(r.stderr).toMatch(new RegExp(`^Error: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*\n`));
      expect(r.stderr.split('\n')[1]).toBe(`Something else listens on port ${port}; leave --port out for a free port.`);
    } finally {
      blocker.close();
    }
  });

  it('the standalone entry dist/sandbox/main.js is `volmig sandbox`: same usage errors, same exit 6 for a taken port', async () => {
    const entry = resolve('dist/sandbox/main.js');
    const run = (args: string[]) => spawnSync(process.execPath, [entry, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: '/nonexistent' } });
    const bad = run(['--port', '0', '--copy-rate', 'fast']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("Error: invalid value for --copy-rate: 'fast' (expected a positive number)\n");
    const unknown = run(['--prot', '0']);
    expect(unknown.status).toBe(2);
    // commander's own wording (its capital E is another change's business): what matters is one line and exit 2.
    expect(unknown.stderr.split('\n')[0]).toMatch(/^error: unknown option '--prot'$/i);
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const taken = run(['--port', String(port), '--data-dir', join(dataDir, 'entry-busy')]);
      expect(taken.status).toBe(6);
      expect(taken.stderr.trim().split('\n')).toHaveLength(2);
      expect(taken.stderr).toMatch(new RegExp(`^Error: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
      expect(taken.stdout).toBe('');
    } finally {
      blocker.close();
    }
  });

  it('as a real process, a SIGTERM stops it with exit 0 and removes its temporary data directory', async () => {
    const child = spawn(process.execPath, [resolve('dist/sandbox/main.js'), '--port', '0', '--seed', 'demo', '--size-unit-mib', '16'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: '/nonexistent' },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitFor(async () => stderr, (t) => t.includes('Press Ctrl+C to stop.'), 10_000);
      const dir = /^Data directory: (\S+) \(temporary/m.exec(stderr)![1]!;
      expect(existsSync(join(dir, 'state.json'))).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(dir)).toBe(false);
      expect(stderr).toContain(`Removed the temporary data directory ${dir}.`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('in-process too, stop() removes the temporary data directory it made and keeps one it was given', async () => {
    const temporary = await startSandbox({ port: 0, seed: 'demo', gibBytes: 1024 * 1024 });
    expect(temporary.temporaryDataDir).toBe(true);
    expect(existsSync(join(temporary.dataDir, 'state.json'))).toBe(true);
    await temporary.stop();
    expect(existsSync(temporary.dataDir)).toBe(false);
    const given = join(dataDir, 'given');
    const kept = await startSandbox({ port: 0, dataDir: given, gibBytes: 1024 * 1024 });
    expect(kept.temporaryDataDir).toBe(false);
    await kept.stop();
    expect(existsSync(join(given, 'state.json'))).toBe(true);
  });
});
