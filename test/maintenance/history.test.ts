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

describe('volmig history --since, --cloud, --limit and -f', () => {
  async function seedClouds() {
    await seed();
    const journal = new Journal({ stdout: capture(), stderr: capture(), env: { XDG_STATE_HOME: dir }, isTTY: false, cwd: dir });
    await journal.append({ cloud: 'staging', time: '2026-11-28T09:00:00.000Z', action: 'migrate', volume_id: 'cccc', volume_name: 'web', source_host: 'a', destination: 'b', options: {}, outcome: 'error', reason: 'boom' });
    await journal.append({ cloud: 'prod', time: '2026-11-28T10:00:00.000Z', action: 'recover', volume_id: 'aaaa', volume_name: 'db', source_host: null, destination: null, options: {}, outcome: 'success' });
  }
  // "now" for --since durations: 2026-11-28T11:00:00Z
  const now = () => Date.parse('2026-11-28T11:00:00.000Z');
  const run = (args: string[]) => runVolmig(['history', ...args], { env: { XDG_STATE_HOME: dir }, now });

  it('--since takes a duration back from now or an ISO time; --cloud one cloud; --limit the most recent n', async () => {
    await seedClouds();
    const ids = async (args: string[]) => (await run([...args, '-f', 'value', '-c', 'Time'])).stdout.trim().split('\n').filter(Boolean);
    expect(await ids(['--since', '3h'])).toEqual(['2026-11-28T09:00:00.000Z', '2026-11-28T10:00:00.000Z']);
    expect(await ids(['--since', '2026-11-27T10:02:00Z'])).toEqual(['2026-11-27T10:02:00.000Z', '2026-11-27T10:03:00.000Z', '2026-11-28T09:00:00.000Z', '2026-11-28T10:00:00.000Z']);
    expect(await ids(['--since', '2026-11-28'])).toEqual(['2026-11-28T09:00:00.000Z', '2026-11-28T10:00:00.000Z']);
    expect(await ids(['--cloud', 'prod', '--limit', '2'])).toEqual(['2026-11-27T10:03:00.000Z', '2026-11-28T10:00:00.000Z']);
    expect(await ids(['--cloud', 'staging', '--volume', 'web'])).toEqual(['2026-11-28T09:00:00.000Z']);
    expect(await ids(['--limit', '1', '--since', '1d'])).toEqual(['2026-11-28T10:00:00.000Z']);
  });

  it('the table drops Cloud when the entries shown are of one cloud; value and csv always carry it', async () => {
    await seedClouds();
    const table = await run(['--cloud', 'prod', '--since', '2026-11-28']);
    expect(table.stdout).toBe(['Time                  Action   Volume     From  To  Outcome  Reason', '2026-11-28 10:00:00Z  recover  db (aaaa)  -     -   success  -', ''].join('\n'));
    const value = await run(['--cloud', 'prod', '--since', '2026-11-28', '-f', 'value']);
    expect(value.stdout).toBe('2026-11-28T10:00:00.000Z prod recover aaaa None None success None\n');
    const csv = await run(['--limit', '1', '-f', 'csv', '-c', 'volume id', '-c', 'VOLUME NAME', '-c', 'request id', '-c', 'outcome']);
    expect(csv.stdout).toBe('"Outcome","Volume ID","Volume name","Request ID"\n"success","aaaa","db",""\n');
    const json = await run(['--limit', '1', '--json']);
    expect(JSON.parse(json.stdout)).toEqual([
      { time: '2026-11-28T10:00:00.000Z', cloud: 'prod', action: 'recover', volume_id: 'aaaa', volume_name: 'db', source_host: null, destination: null, options: {}, outcome: 'success' },
    ]);
  });

  it('nothing matches: a message on stderr, nothing on stdout ([] with --json)', async () => {
    await seedClouds();
    expect(await run(['--since', '10m'])).toEqual({ code: 0, stdout: '', stderr: `No journal entries match in ${join(dir, 'volmig', 'journal.jsonl')}.\n` });
    expect((await run(['--cloud', 'nowhere', '-f', 'json'])).stdout).toBe('[]\n');
  });

  it.each([
    [['--since', 'yesterday'], "Error: invalid value for --since: 'yesterday' (expected a duration such as 90m, 2h or 7d, or an ISO time such as 2026-11-27T10:00:00Z)"],
    [['--since', '2026-13-45'], "Error: invalid value for --since: '2026-13-45' (expected a duration such as 90m, 2h or 7d, or an ISO time such as 2026-11-27T10:00:00Z)"],
    [['--limit', '0'], "Error: invalid value for --limit: '0' (expected a positive whole number)"],
    [['-c', 'When'], "Error: unknown column for -c: 'When' (the columns of volmig history: Time, Cloud, Action, Volume, From, To, Outcome, Reason, Volume ID, Volume name, Request ID)"],
  ])('history %j is a usage error (exit 2)', async (args, message) => {
    expect(await run(args)).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
  });
});
