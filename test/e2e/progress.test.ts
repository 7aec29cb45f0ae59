import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { assertBuilt } from '../helpers/cli-process.js';
import { ESC, createVolume, getVolume, host, migstat, spawnVolmig, startE2eSandbox, volmigRun, volumeByName, waitFor } from '../migration/e2e-helpers.js';
import { assertFitsSchema, validatedEvents } from '../helpers/json-events.js';

let sandbox: SandboxHandle;
beforeAll(async () => {
  assertBuilt();
  sandbox = await startE2eSandbox();
});
afterAll(async () => {
  await sandbox?.stop();
});

async function startMigration(name: string, dest: string): Promise<string> {
  const r = await volmigRun(sandbox, ['migrate', name, dest]);
  expect(r.code).toBe(0);
  const v = await volumeByName(sandbox, name);
  await waitFor(`${name} migrating`, async () => migstat(await getVolume(sandbox, v.id)) === 'migrating');
  return v.id;
}

describe('progress against the sandbox', () => {
  it('one shot on a volume with nothing in flight: says so, with the last result', async () => {
    const r = await volmigRun(sandbox, ['progress', 'demo-lvm-1-1g']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('demo-lvm-1-1g no migration in flight (host sandbox@lvm-1#lvm-1, status available)\n');
  });

  it('one shot while a generic migration copies: phase, percent, host and destination; then --watch from a new process', async () => {
    // Big enough (about 4 s of copying) that the migration is still running when the watch starts.
    const v = await createVolume(sandbox, { size: 4, name: 'pr-big' });
    const from = host(v)!;
    const to = from === 'sandbox@lvm-1#lvm-1' ? 'sandbox@lvm-2#lvm-2' : 'sandbox@lvm-1#lvm-1';
    const id = await startMigration('pr-big', to);
    const r = await volmigRun(sandbox, ['progress', id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(r.stdout.match(/^pr-big migrating \d+% \d\.\d\/4\.0 GiB \(host (\S+) → (\S+)\)\n$/)?.[0]);
    expect(r.stdout).toContain(`(host ${from} → ${to})`);
    const json = await volmigRun(sandbox, ['progress', id, '--json']);
    const [event] = JSON.parse(json.stdout) as Record<string, unknown>[];
    // The one-shot document is an array of the same progress events the watch streams.
    assertFitsSchema('progress', event);
    expect(event).toMatchObject({ volume_id: id, migration_status: 'migrating', indeterminate: false, destination: to });
    expect(typeof event!.progress).toBe('number');
    const watched = await volmigRun(sandbox, ['progress', id, '--watch', '--interval', '0.5']);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(new RegExp(`^pr-big: migrated ${from} → ${to} \\(4\\.0 GiB in \\d+:\\d\\d, [\\d.]+ [KMG]iB/s average\\)\\n$`));

    const after = await volmigRun(sandbox, ['progress', 'pr-big', '--watch', '--interval', '0.5']);
    expect(after.code).toBe(0);
    expect(after.stdout).toBe(`pr-big: no migration in flight; the last migration succeeded (volume on ${to}).\n`);
  });

  it('--all --watch: migrations appear, leave with their result, one list request per interval; --json lines parse', async () => {
    const a = await startMigration('demo-pool-a-2g', 'sandbox@lvm-2#lvm-2');
    const b = await startMigration('demo-pool-c-2g', 'sandbox@vendor-lite#pool-d');
    const run = spawnVolmig(sandbox, ['progress', '--all', '--watch', '--interval', '0.5', '--json']);
    const r = await run.done;
    expect(r.code).toBe(0);
    const events = validatedEvents('progress', r.stdout);
    const results = events.filter((e) => e.event === 'result');
    expect(results.map((e) => e.volume_id).sort()).toEqual([a, b].sort());
    expect(results.every((e) => e.result === 'success')).toBe(true);
    expect(events.some((e) => e.event === 'progress' && e.volume_id === b && e.indeterminate === true && e.migration_status === 'migrating')).toBe(true);
    expect(events.some((e) => e.event === 'progress' && e.volume_id === a && typeof e.progress === 'number' && (e.progress as number) > 0)).toBe(true);
  });

  it('--all with nothing in flight', async () => {
    const once = await volmigRun(sandbox, ['progress', '--all']);
    expect(once.stdout).toBe('No migration is in flight.\n');
    const watch = await volmigRun(sandbox, ['progress', '--all', '--watch', '--interval', '0.5']);
    expect(watch.code).toBe(0);
    expect(watch.stderr).toBe('No migration is in flight.\n');
  });

  it('plain --watch output off a TTY has no escape codes; Ctrl-C gives 130 and the resume command', async () => {
    const id = await startMigration('demo-pool-b-2g', 'sandbox@lvm-1#lvm-1');
    const run = spawnVolmig(sandbox, ['progress', id, '--watch', '--interval', '0.5']);
    await run.waitForStderr(/demo-pool-b-2g migrating \d+%/);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`Stopped watching; the migration continues on the server. Resume with: volmig progress ${id} --watch\n`);
    expect(r.stderr + r.stdout).not.toMatch(ESC);
    await waitFor('the migration to finish', async () => migstat(await getVolume(sandbox, id)) === 'success');
  });

  it('--json and Ctrl-C: the last stdout line is an interrupted result with exit code 130', async () => {
    const v = await createVolume(sandbox, { size: 5, name: 'pr-json-int' });
    const to = host(v) === 'sandbox@lvm-1#lvm-1' ? 'sandbox@lvm-2#lvm-2' : 'sandbox@lvm-1#lvm-1';
    const id = await startMigration('pr-json-int', to);
    const run = spawnVolmig(sandbox, ['progress', id, '--watch', '--interval', '0.5', '--json']);
    await waitFor('a progress event', async () => run.stdout().includes('"event":"progress"'));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    const events = validatedEvents('progress', r.stdout);
    expect(events.at(-1)).toMatchObject({ event: 'result', volume_id: id, result: 'interrupted', exit_code: 130 });
    expect(r.stderr).toContain(`Resume with: volmig progress ${id} --watch`);
    expect(migstat(await getVolume(sandbox, id))).toBe('migrating');
  });

  it('usage: volumes or --all, and bad durations', async () => {
    expect((await volmigRun(sandbox, ['progress'])).stderr).toBe('Error: name at least one volume, or use --all\n');
    const bad = await volmigRun(sandbox, ['progress', 'x', '--watch', '--timeout', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("Error: invalid value for --timeout: 'soon' (expected a positive duration such as 90s, 10m, 1h30m or plain seconds)\n");
  });
});
