import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { assertBuilt } from '../helpers/cli-process.js';
import { createVolume, getVolume, host, migstat, startE2eSandbox, volmigRun, waitFor } from '../migration/e2e-helpers.js';

let sandbox: SandboxHandle;
beforeAll(async () => {
  assertBuilt();
  sandbox = await startE2eSandbox({ seed: 'none' });
});
afterAll(async () => {
  await sandbox?.stop();
});

/** A journal of its own per test: each starts from an empty history. */
function stateDir(): Record<string, string> {
  return { XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'volmig-e2e-journal-')) };
}

async function history(env: Record<string, string>, id: string): Promise<{ outcome: string; destination: string | null; options: Record<string, unknown> }[]> {
  const r = await volmigRun(sandbox, ['history', '--json', '--volume', id], env);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

const otherPool = (v: { [k: string]: unknown }) => (host(v as never) === 'sandbox@vendor#pool-a' ? 'sandbox@vendor#pool-b' : 'sandbox@vendor#pool-a');

describe('the journal is closed by every later look at the volume', () => {
  for (const [command, args] of [
    ['show', (id: string) => ['show', id]],
    ['list', () => ['list', '--all-projects']],
    ['progress', (id: string) => ['progress', id]],
    ['progress --watch', (id: string) => ['progress', id, '--watch', '--interval', '0.5']],
  ] as const) {
    it(`${command} appends the success it saw to an entry still requested, with where it went; a second look adds nothing`, async () => {
      const env = stateDir();
      const v = await createVolume(sandbox, { size: 1, name: `jc-${command.replace(/\W+/g, '-')}`, volume_type: 'vendor' });
      const to = otherPool(v);
      expect((await volmigRun(sandbox, ['migrate', v.id, to], env)).code).toBe(0);
      await waitFor('the migration to end on the server', async () => migstat(await getVolume(sandbox, v.id)) === 'success');
      const r = await volmigRun(sandbox, args(v.id), env);
      expect(r.code).toBe(0);
      const entries = await history(env, v.id);
      expect(entries.map((e) => [e.outcome, e.destination, e.options.observed_by])).toEqual([
        ['requested', to, undefined],
        ['success', to, command],
      ]);
      expect((await volmigRun(sandbox, args(v.id), env)).code).toBe(0);
      expect(await history(env, v.id)).toHaveLength(2);
    });
  }

  it('progress --watch that follows the migration to its end closes the entry with that end', async () => {
    const env = stateDir();
    const v = await createVolume(sandbox, { size: 2, name: 'jc-live', volume_type: 'vendor' });
    const to = otherPool(v);
    expect((await volmigRun(sandbox, ['migrate', v.id, to, '--force-host-copy'], env)).code).toBe(0);
    const r = await volmigRun(sandbox, ['progress', v.id, '--watch', '--interval', '0.5'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/jc-live migrating \d+%/);
    expect((await history(env, v.id)).map((e) => [e.outcome, e.destination, e.options.observed_by])).toEqual([
      ['requested', to, undefined],
      ['success', to, 'progress --watch'],
    ]);
  });

  it('a no-op is recorded as no-op, and the history table shows it', async () => {
    const env = stateDir();
    const v = await createVolume(sandbox, { size: 1, name: 'jc-noop', volume_type: 'lvm-1' });
    expect((await volmigRun(sandbox, ['migrate', v.id, 'sandbox@lvm-1', '--skip-checks'], env)).code).toBe(0);
    await waitFor('the no-op to end on the server', async () => migstat(await getVolume(sandbox, v.id)) === 'success');
    expect((await volmigRun(sandbox, ['show', v.id], env)).code).toBe(0);
    expect((await history(env, v.id)).map((e) => [e.outcome, e.destination])).toEqual([
      ['requested', 'sandbox@lvm-1'],
      ['no-op', 'sandbox@lvm-1#lvm-1'],
    ]);
    const table = await volmigRun(sandbox, ['history', '--volume', v.id], env);
    expect(table.stdout).toMatch(/ no-op +migration_status success, but the volume is still on sandbox@lvm-1#lvm-1\n$/);
  });

  it('a retype started without --wait is closed with the type and the host it moved to', async () => {
    const env = stateDir();
    const v = await createVolume(sandbox, { size: 1, name: 'jc-retype', volume_type: 'lvm-1' });
    expect((await volmigRun(sandbox, ['retype', v.id, 'lvm-2', '--migration-policy', 'on-demand'], env)).code).toBe(0);
    await waitFor('the retype to end', async () => (await getVolume(sandbox, v.id)).volume_type === 'lvm-2' && (await getVolume(sandbox, v.id)).status === 'available');
    expect((await volmigRun(sandbox, ['show', v.id], env)).code).toBe(0);
    expect((await history(env, v.id)).map((e) => [e.outcome, e.destination])).toEqual([
      ['requested', 'lvm-2'],
      ['success', 'lvm-2 on sandbox@lvm-2#lvm-2'],
    ]);
  });

  it('a volume still migrating leaves its entry open', async () => {
    const env = stateDir();
    const v = await createVolume(sandbox, { size: 6, name: 'jc-open', volume_type: 'vendor' });
    expect((await volmigRun(sandbox, ['migrate', v.id, otherPool(v), '--force-host-copy'], env)).code).toBe(0);
    await waitFor('the copy to run', async () => migstat(await getVolume(sandbox, v.id)) === 'migrating');
    expect((await volmigRun(sandbox, ['show', v.id], env)).code).toBe(0);
    expect((await history(env, v.id)).map((e) => e.outcome)).toEqual(['requested']);
    await waitFor('the migration to end on the server', async () => migstat(await getVolume(sandbox, v.id)) === 'success', 30_000);
  });
});
