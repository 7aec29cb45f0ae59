import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { assertBuilt } from '../helpers/cli-process.js';
import {
  ESC,
  api,
  createVolume,
  getVolume,
  host,
  migstat,
  percents,
  spawnVolmig,
  startE2eSandbox,
  volmigRun,
  volumeByName,
  waitFor,
} from '../migration/e2e-helpers.js';
import { validatedEvents } from '../helpers/json-events.js';

const ACCEPTED =
  'Your migration request has been received. Please check migration status and the server log to see more information.';
const REFUSED = 'Your migration request failed to process: ';

let sandbox: SandboxHandle;

beforeAll(async () => {
  assertBuilt();
  sandbox = await startE2eSandbox();
});
afterAll(async () => {
  await sandbox?.stop();
});

describe('migrate --wait against the sandbox: success', () => {
  it('generic migration LVM → LVM (dd): numeric progress, monotonic, 100 only at the end; exit 0; host changed', async () => {
    const v = await volumeByName(sandbox, 'demo-lvm-1-1g');
    const r = await volmigRun(sandbox, ['migrate', 'demo-lvm-1-1g', 'sandbox@lvm-2#lvm-2', '--wait', '--interval', '0.5']);
    expect(r.stderr).toContain(ACCEPTED);
    expect(r.code).toBe(0);
    const p = percents(r.stderr);
    expect(p.filter((x) => x > 0 && x < 100).length).toBeGreaterThan(0);
    expect(p).toEqual([...p].sort((a, b) => a - b));
    expect(p.slice(0, -1).every((x) => x <= 99)).toBe(true);
    expect(r.stderr).toMatch(/demo-lvm-1-1g migrating \d+% \d\.\d\/1\.0 GiB/);
    expect(r.stderr).toMatch(/demo-lvm-1-1g success 100% 1\.0\/1\.0 GiB\n/);
    expect(r.stderr).not.toMatch(ESC);
    expect(r.stdout).toMatch(/^demo-lvm-1-1g: migrated sandbox@lvm-1#lvm-1 → sandbox@lvm-2#lvm-2 \(1\.0 GiB in \d+:\d\d, [\d.]+ [KMG]iB\/s average\)\n$/);
    const after = await getVolume(sandbox, v.id);
    expect([host(after), migstat(after), after.status]).toEqual(['sandbox@lvm-2#lvm-2', 'success', 'available']);
  });

  it('generic migration LVM → vendor backend (file I/O mover): numeric progress, exit 0', async () => {
    const r = await volmigRun(sandbox, ['migrate', 'demo-lvm-2-1g', 'sandbox@vendor#pool-a', '--force-host-copy', '--wait', '--interval', '0.5']);
    expect(r.code).toBe(0);
    expect(percents(r.stderr).some((x) => x > 0 && x < 100)).toBe(true);
    expect(r.stdout).toContain('demo-lvm-2-1g: migrated sandbox@lvm-2#lvm-2 → sandbox@vendor#pool-a');
    expect(await sandboxLog()).toMatch(/mover file-io/);
  });

  it('driver-assisted between pools of a backend with migration_progress_report: numeric progress, exit 0', async () => {
    const r = await volmigRun(sandbox, ['migrate', 'demo-pool-a-2g', 'sandbox@vendor#pool-b', '--wait', '--interval', '0.5']);
    expect(r.code).toBe(0);
    expect(percents(r.stderr).some((x) => x > 0 && x < 100)).toBe(true);
    expect(r.stderr).not.toMatch(/migrating progress indeterminate/);
    expect(r.stdout).toContain('demo-pool-a-2g: migrated sandbox@vendor#pool-a → sandbox@vendor#pool-b');
  });

  it('driver-assisted without the capability: indeterminate, never a made-up percentage, exit 0', async () => {
    const r = await volmigRun(sandbox, ['migrate', 'demo-pool-c-1g', 'sandbox@vendor-lite#pool-d', '--wait', '--interval', '0.5']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/demo-pool-c-1g migrating progress indeterminate \(in progress\) elapsed \d+:\d\d\n/);
    expect(percents(r.stderr)).toEqual([]);
    expect(r.stdout).toContain('demo-pool-c-1g: migrated sandbox@vendor-lite#pool-c → sandbox@vendor-lite#pool-d');
  });

  it('--force: the progress shows maintenance while running, the volume is available again after', async () => {
    // About 4 s of copying, so the status read below happens while the volume is still locked.
    const v = await createVolume(sandbox, { size: 4, name: 'e2e-force' });
    const to = host(v) === 'sandbox@lvm-1#lvm-1' ? 'sandbox@lvm-2#lvm-2' : 'sandbox@lvm-1#lvm-1';
    const run = spawnVolmig(sandbox, ['migrate', 'e2e-force', to, '--force', '--wait', '--interval', '0.5']);
    await run.waitForStderr(/migrating \(maintenance\)/);
    expect((await getVolume(sandbox, v.id)).status).toBe('maintenance');
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/e2e-force migrating \(maintenance\) \d+%/);
    expect((await getVolume(sandbox, v.id)).status).toBe('available');
  });

  it('--json: every stdout line parses; accepted, progress events, one final result', async () => {
    const r = await volmigRun(sandbox, ['migrate', 'demo-pool-d-1g', 'sandbox@vendor-lite#pool-c', '--wait', '--interval', '0.5', '--json']);
    expect(r.code).toBe(0);
    const events = validatedEvents('migrate', r.stdout);
    expect(events[0]).toMatchObject({ event: 'accepted', destination: 'sandbox@vendor-lite#pool-c', source_host: 'sandbox@vendor-lite#pool-d' });
    expect(events.slice(1, -1).every((e) => e.event === 'progress' && typeof e.time === 'string' && typeof e.volume_id === 'string')).toBe(true);
    expect(events.some((e) => e.event === 'progress' && e.migration_status === 'migrating' && e.progress === null && e.indeterminate === true)).toBe(true);
    expect(events.at(-1)).toMatchObject({ event: 'result', result: 'success', exit_code: 0, destination_host: 'sandbox@vendor-lite#pool-c', progress: null });
    expect(r.stderr).not.toMatch(ESC);
  });
});

describe('migrate --wait against the sandbox: failure, timeout, stall, Ctrl-C', () => {
  it("host@backend of the volume's own single-pool backend: refused (5); sent anyway, Cinder's no-op success is exit 1, no-op in the journal", async () => {
    const v = await createVolume(sandbox, { size: 1, name: 'e2e-noop', volume_type: 'lvm-1' });
    expect(host(v)).toBe('sandbox@lvm-1#lvm-1');
    const pre = await volmigRun(sandbox, ['migrate', 'e2e-noop', 'sandbox@lvm-1']);
    expect(pre.code).toBe(5);
    expect(pre.stderr).toBe(
      `${REFUSED}volume e2e-noop (${v.id}) is already on sandbox@lvm-1#lvm-1, the only pool of sandbox@lvm-1: Cinder would report the migration a success without moving it. ` +
        'Choose another backend, or name another pool as host@backend#pool (see volmig pools).\n',
    );
    const state = (await import('node:fs')).mkdtempSync((await import('node:path')).join((await import('node:os')).tmpdir(), 'volmig-e2e-noop-'));
    const r = await volmigRun(sandbox, ['migrate', 'e2e-noop', 'sandbox@lvm-1', '--skip-checks', '--wait', '--interval', '0.5'], { XDG_STATE_HOME: state });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('e2e-noop: Cinder reported the migration a success, but the volume did not move: it is still on sandbox@lvm-1#lvm-1.\n');
    expect(r.stderr).toContain('  The destination sandbox@lvm-1 resolved to the pool the volume was already on, and the driver did nothing (a no-op).\n');
    expect(r.stdout).toBe('');
    const after = await getVolume(sandbox, v.id);
    expect([host(after), migstat(after)]).toEqual(['sandbox@lvm-1#lvm-1', 'success']);
    const history = await volmigRun(sandbox, ['history', '--json', '--volume', v.id], { XDG_STATE_HOME: state });
    expect(JSON.parse(history.stdout).map((e: { outcome: string }) => e.outcome)).toEqual(['requested', 'no-op']);
  });

  it('attaching the unlocked volume aborts the migration: exit 1 and the explanation', async () => {
    const v = await volumeByName(sandbox, 'demo-lvm-1-2g');
    const run = spawnVolmig(sandbox, ['migrate', 'demo-lvm-1-2g', 'sandbox@lvm-2#lvm-2', '--wait', '--interval', '0.5']);
    await run.waitForStderr(/demo-lvm-1-2g migrating \d+%/);
    const attach = await api(sandbox, 'POST', `/volumes/${v.id}/action`, { 'os-attach': { host_name: 'compute-1', mountpoint: '/dev/vdb' } });
    expect(attach.status).toBe(202);
    const r = await run.done;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('demo-lvm-1-2g: migration to sandbox@lvm-2#lvm-2 failed (migration_status error).\n');
    expect(r.stderr).toContain('  The volume is still on sandbox@lvm-1#lvm-1 (host unchanged).\n');
    expect(r.stderr).toContain('  No temporary destination volume was left behind.\n');
    expect(r.stderr).toContain('  Its status went back to in-use.\n');
    expect(r.stderr).toContain('  The volume was attached during the migration, which was not locked: servers with the migration improvement (such as volmig sandbox) abort an unlocked migration on attach or detach. Use --force to lock the volume (status maintenance) for the migration.\n');
    expect(r.stderr).toContain('  Where to look: the cinder-volume service log on the source host sandbox@lvm-1 (the copy and the swap run there).\n');
    expect(r.stdout).toBe('');
  });

  it('--timeout: exit 7, says the migration continues, and it does', async () => {
    const v = await volumeByName(sandbox, 'demo-pool-b-2g');
    const r = await volmigRun(sandbox, ['migrate', 'demo-pool-b-2g', 'sandbox@lvm-2#lvm-2', '--wait', '--interval', '0.5', '--timeout', '0.6s']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/demo-pool-b-2g: timed out after 1s \((starting|migrating)[^)]*\); the migration continues on the server\.\n/);
    expect(r.stderr).toContain(`  Resume watching with: volmig progress ${v.id} --watch\n`);
    await waitFor('the migration to finish on the server', async () => migstat(await getVolume(sandbox, v.id)) === 'success');
  });

  it('--stall-timeout: an indeterminate migration that shows no change exits 7', async () => {
    const v = await volumeByName(sandbox, 'demo-pool-c-2g');
    const r = await volmigRun(sandbox, ['migrate', 'demo-pool-c-2g', 'sandbox@vendor-lite#pool-d', '--wait', '--interval', '0.5', '--stall-timeout', '1']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/demo-pool-c-2g: no progress for 1s \(migrating\); the migration continues on the server\.\n/);
    expect(migstat(await getVolume(sandbox, v.id))).toMatch(/^(migrating|completing|success)$/);
  });

  it('Ctrl-C: exit 130 and the resume message; the migration goes on; a second migrate is refused as in flight', async () => {
    // About 5 s of copying, so that the refusal and the resumed watch happen while it still runs.
    const v = await createVolume(sandbox, { size: 5, name: 'e2e-sigint' });
    const to = host(v) === 'sandbox@lvm-1#lvm-1' ? 'sandbox@lvm-2#lvm-2' : 'sandbox@lvm-1#lvm-1';
    const run = spawnVolmig(sandbox, ['migrate', 'e2e-sigint', to, '--wait', '--interval', '0.5']);
    await run.waitForStderr(/e2e-sigint migrating \d+%/);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`Stopped watching; the migration continues on the server. Resume with: volmig progress ${v.id} --watch\n`);
    expect(r.stderr).not.toMatch(ESC);
    expect(r.stdout).toBe('');

    const again = await volmigRun(sandbox, ['migrate', v.id, 'sandbox@vendor#pool-a']);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(
      new RegExp(`${REFUSED}a migration of volume e2e-sigint \\(${v.id}\\) is already in flight \\(migration_status (starting|migrating|completing)\\)\\. Watch it with: volmig progress ${v.id} --watch\\n`),
    );

    const resumed = await volmigRun(sandbox, ['progress', v.id, '--watch', '--interval', '0.5']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`e2e-sigint: migrated ${host(v)} → ${to}`);
  });
});

describe('pre-flight refusals against the sandbox (exit 5, nothing sent)', () => {
  async function refused(args: string[], reason: string | RegExp, code = 5) {
    const r = await volmigRun(sandbox, ['migrate', ...args]);
    expect(r.code).toBe(code);
    if (typeof reason === 'string') expect(r.stderr).toContain(`${REFUSED}${reason}\n`);
    else expect(r.stderr).toMatch(reason);
    expect(r.stderr).not.toContain(ACCEPTED);
    return r;
  }

  it('volume not found: exit 3', async () => {
    await refused(['no-such-volume', 'sandbox@lvm-2#lvm-2'], "No volume with a name or ID of 'no-such-volume' exists.", 3);
  });

  it('status not available/in-use', async () => {
    const v = await createVolume(sandbox, { size: 1, name: 'e2e-status' });
    expect((await api(sandbox, 'POST', `/volumes/${v.id}/action`, { 'os-reset_status': { status: 'error' } })).status).toBe(202);
    await refused([v.id, 'sandbox@vendor#pool-b'], `volume e2e-status (${v.id}) is error; only available or in-use volumes can migrate.`);
  });

  it('snapshot: names it', async () => {
    const v = await createVolume(sandbox, { size: 1, name: 'e2e-snap', volume_type: 'vendor' });
    const s = await api<{ snapshot: { id: string } }>(sandbox, 'POST', '/snapshots', { snapshot: { volume_id: v.id, name: 's1' } });
    await waitFor('snapshot', async () => (await api<{ snapshot: { status: string } }>(sandbox, 'GET', `/snapshots/${s.body.snapshot.id}`)).body.snapshot.status === 'available');
    await refused([v.id, 'sandbox@vendor#pool-a'], new RegExp(`${REFUSED}volume e2e-snap \\(${v.id}\\) has snapshot s1 \\(${s.body.snapshot.id}\\)`));
  });

  it('same host, unknown pool with the closest names, a host@backend that is down, one that is disabled', async () => {
    const v = await volumeByName(sandbox, 'demo-pool-d-2g');
    await refused([v.id, 'sandbox@vendor-lite#pool-d'], `volume demo-pool-d-2g (${v.id}) is already on sandbox@vendor-lite#pool-d; choose another destination (see volmig pools).`);
    await refused([v.id, 'sandbox@lvm-3#lvm-3'], /destination 'sandbox@lvm-3#lvm-3' is not a known pool\. Closest: sandbox@lvm-1#lvm-1, sandbox@lvm-2#lvm-2, [^.]+\. Destinations are written host@backend#pool \(see volmig pools\)\.\n/);
    await refused([v.id, 'sandbox@lvm-down#lvm-down'], /the cinder-volume service sandbox@lvm-down is down/);
    await refused([v.id, 'sandbox@lvm-off#lvm-off'], /the cinder-volume service sandbox@lvm-off is disabled/);
  });

  it('capacity, and a volume type pinned to another backend', async () => {
    const big = await createVolume(sandbox, { size: 150, name: 'e2e-big', volume_type: 'vendor' });
    await refused([big.id, 'sandbox@lvm-2#lvm-2'], new RegExp(`sandbox@lvm-2#lvm-2 has [\\d.]+ GiB free; volume e2e-big \\(${big.id}\\) needs 150 GiB\\.`));
    const pinned = await createVolume(sandbox, { size: 1, name: 'e2e-pinned', volume_type: 'lvm-1' });
    await refused(
      [pinned.id, 'sandbox@lvm-2#lvm-2'],
      `volume type lvm-1 pins volume_backend_name=lvm-1, but sandbox@lvm-2#lvm-2 belongs to backend lvm-2; the scheduler would refuse it. To change type and backend together: volmig retype ${pinned.id} <type> --migration-policy on-demand`,
    );
  });

  it("--skip-checks: Cinder's own generic 400, with HTTP code and request id", async () => {
    const v = await volumeByName(sandbox, 'demo-pool-d-2g');
    const r = await volmigRun(sandbox, ['migrate', v.id, 'sandbox@vendor-lite#pool-d', '--skip-checks']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      new RegExp(
        `^${REFUSED}Invalid volume: Volume ${v.id} status must be available or in-use, must not be migrating, have snapshots, be replicated, be part of a group and destination host/cluster must be different than the current one\\. \\(HTTP 400\\) \\(Request-ID: req-[0-9a-f-]+\\)\\n$`,
      ),
    );
  });

  it("--skip-checks with a bogus host: Cinder's Invalid host", async () => {
    const v = await volumeByName(sandbox, 'demo-pool-d-2g');
    const r = await volmigRun(sandbox, ['migrate', v.id, 'bogus-host@nowhere#pool', '--skip-checks']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`${REFUSED}Invalid host: No available service named 'bogus-host@nowhere#pool'.`);
  });

  it('--dry-run: checks pass and nothing is sent', async () => {
    const v = await volumeByName(sandbox, 'demo-pool-d-2g');
    const r = await volmigRun(sandbox, ['migrate', v.id, 'sandbox@lvm-1#lvm-1', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `Dry run: every pre-flight check passed; volume demo-pool-d-2g (${v.id}) can be migrated to sandbox@lvm-1#lvm-1. Nothing was sent.`,
        'Move: generic: another backend (vendor-lite → lvm-1): the volume service copies it.',
        'Progress: from the server: its migration_progress (microversion 3.72): the volume service reports the copy.',
        '',
      ].join('\n'),
    );
    expect(migstat(await getVolume(sandbox, v.id))).toBe(null);
  });
});

describe('a replicated volume (state edited between two sandbox runs: the API has no call to replicate)', () => {
  it('is refused by the pre-flight, exit 5', async () => {
    const { mkdtemp, readFile, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = await mkdtemp(join(tmpdir(), 'volmig-e2e-repl-'));
    let own = await startE2eSandbox({ seed: 'demo', dataDir });
    const v = await volumeByName(own, 'demo-lvm-1-1g');
    await own.stop();
    const statePath = join(dataDir, 'state.json');
    const state = JSON.parse(await readFile(statePath, 'utf8')) as { volumes: Record<string, { replication_status: string | null }> };
    state.volumes[v.id]!.replication_status = 'enabled';
    await writeFile(statePath, JSON.stringify(state));
    own = await startE2eSandbox({ dataDir });
    try {
      const r = await volmigRun(own, ['migrate', v.id, 'sandbox@lvm-2#lvm-2']);
      expect(r.code).toBe(5);
      expect(r.stderr).toBe(`${REFUSED}volume demo-lvm-1-1g (${v.id}) is replicated (replication_status enabled); a replicated volume cannot migrate.\n`);
    } finally {
      await own.stop();
    }
  });
});

async function sandboxLog(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(sandbox.logPath, 'utf8');
}
