import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from '../../src/migration/journal.js';
import { capture, runVolmig } from '../helpers/run.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'volmig-history-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function seed() {
  const journal = new Journal({ stdout: capture(), stderr: capture(), env: { XDG_STATE_HOME: dir }, isTTY: false, cwd: dir });
  const common = { cloud: 'prod', source_host: 'n@lvm#lvm', destination: 'n@ceph#rbd', options: { force: false } };
  await journal.append({ ...common, time: '2026-11-27T10:00:00.000Z', action: 'migrate', volume_id: 'aaaa', volume_name: 'db', outcome: 'requested', request_id: 'req-1' });
  await journal.append({ ...common, time: '2026-11-27T10:02:00.000Z', action: 'migrate', volume_id: 'aaaa', volume_name: 'db', outcome: 'success' });
  await journal.append({ ...common, time: '2026-11-27T10:03:00.000Z', action: 'retype', volume_id: 'bbbb', volume_name: null, destination: 'gold', outcome: 'rejected', reason: 'Invalid volume type' });
}

describe('volmig history', () => {
  it('prints the journal as a table on stdout', async () => {
    await seed();
    const r = await runVolmig(['history'], { env: { XDG_STATE_HOME: dir } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      'Time                  Action   Volume     From       To          Outcome    Reason',
      '2026-11-27 10:00:00Z  migrate  db (aaaa)  n@lvm#lvm  n@ceph#rbd  requested  -',
      '2026-11-27 10:02:00Z  migrate  db (aaaa)  n@lvm#lvm  n@ceph#rbd  success    -',
      '2026-11-27 10:03:00Z  retype   bbbb       n@lvm#lvm  gold        rejected   Invalid volume type',
      '',
    ]);
  });

  it('--volume filters by id or name; --json prints the entries as an array', async () => {
    await seed();
    const byName = await runVolmig(['history', '--volume', 'db', '--json'], { env: { XDG_STATE_HOME: dir } });
    expect(byName.code).toBe(0);
    const entries = JSON.parse(byName.stdout);
    expect(entries.map((e: { outcome: string }) => e.outcome)).toEqual(['requested', 'success']);
    expect(entries[0]).toEqual({
      time: '2026-11-27T10:00:00.000Z', cloud: 'prod', action: 'migrate', volume_id: 'aaaa', volume_name: 'db',
      source_host: 'n@lvm#lvm', destination: 'n@ceph#rbd', options: { force: false }, outcome: 'requested', request_id: 'req-1',
    });
    const byId = await runVolmig(['--json', 'history', '--volume', 'bbbb'], { env: { XDG_STATE_HOME: dir } });
    expect(JSON.parse(byId.stdout)).toHaveLength(1);
  });

  it('says so when the journal is empty (and --json gives [])', async () => {
    const r = await runVolmig(['history'], { env: { XDG_STATE_HOME: dir } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`The journal is empty (${join(dir, 'volmig', 'journal.jsonl')}).\n`);
    const j = await runVolmig(['history', '--json', '--volume', 'x'], { env: { XDG_STATE_HOME: dir } });
    expect(j.stdout).toBe('[]\n');
  });
});

describe('volmig history across clouds and errors', () => {
  it('adds a Cloud column when the journal spans several clouds', async () => {
    await seed();
    const journal = new Journal({ stdout: capture(), stderr: capture(), env: { XDG_STATE_HOME: dir }, isTTY: false, cwd: dir });
    await journal.append({ cloud: 'http://127.0.0.1:9/v3/admin', time: '2026-11-27T11:00:00.000Z', action: 'migrate', volume_id: 'cccc', source_host: 'a', destination: 'b', options: {}, outcome: 'error', reason: 'boom' });
    const r = await runVolmig(['history'], { env: { XDG_STATE_HOME: dir } });
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Time\s+Cloud\s+Action/);
    expect(lines.at(-1)).toMatch(/^2026-11-27 11:00:00Z\s+http:\/\/127\.0\.0\.1:9\/v3\/admin\s+migrate\s+cccc\s+a\s+b\s+error\s+boom$/);
  });

  it('an unreadable journal is one error line, exit 1, no stack trace', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'volmig', 'journal.jsonl'), { recursive: true }); // a directory where the file should be
    const r = await runVolmig(['history'], { env: { XDG_STATE_HOME: dir } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: cannot read the volmig journal .*journal\.jsonl: EISDIR/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
