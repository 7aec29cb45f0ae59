import { mkdtemp, readFile, rm, stat, writeFile, appendFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, journalCloudName, journalLocation } from '../../src/migration/journal.js';
import type { Io } from '../../src/io.js';
import { capture } from '../helpers/run.js';

let dir: string;

function ioWith(env: Record<string, string | undefined>) {
  const stderr = capture();
  const io: Io = { stdout: capture(), stderr, env, isTTY: false, cwd: dir, now: () => Date.parse('2026-11-27T10:00:00.000Z') };
  return { io, stderr };
}

const base = {
  cloud: 'http://127.0.0.1:9999/v3/admin',
  action: 'migrate' as const,
  volume_id: '11111111-1111-4111-8111-111111111111',
  volume_name: 'db-1',
  source_host: 'sandbox@lvm1#lvm1',
  destination: 'sandbox@vendor#pool-a',
  options: { force: true, force_host_copy: false },
  outcome: 'requested' as const,
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'volmig-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('journal location', () => {
  it('uses $XDG_STATE_HOME/volmig/journal.jsonl, else $HOME/.local/state/volmig/journal.jsonl', () => {
    expect(journalLocation({ XDG_STATE_HOME: '/x/state', HOME: '/home/op' }).path).toBe('/x/state/volmig/journal.jsonl');
    expect(journalLocation({ HOME: '/home/op' }).path).toBe('/home/op/.local/state/volmig/journal.jsonl');
    // a relative XDG_STATE_HOME is invalid per the XDG spec
    expect(journalLocation({ XDG_STATE_HOME: 'rel', HOME: '/home/op' }).path).toBe('/home/op/.local/state/volmig/journal.jsonl');
  });
});

describe('Journal', () => {
  it('appends JSON lines with time, in a 0700 directory and a 0600 file, and reads them back', async () => {
    const { io, stderr } = ioWith({ XDG_STATE_HOME: join(dir, 'state') });
    const journal = new Journal(io);
    expect(journal.path).toBe(join(dir, 'state', 'volmig', 'journal.jsonl'));
    await journal.append(base);
    await journal.append({ ...base, outcome: 'success', time: '2026-11-27T10:05:00.000Z' });
    await journal.append({ ...base, volume_id: 'other', volume_name: 'web', action: 'retype', destination: 'gold', outcome: 'rejected', reason: 'nope', request_id: 'req-1' });

    const lines = (await readFile(journal.path, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0])).toEqual({ time: '2026-11-27T10:00:00.000Z', ...base });
    expect(JSON.parse(lines[2])).toMatchObject({ action: 'retype', outcome: 'rejected', reason: 'nope', request_id: 'req-1' });
    expect((await stat(journal.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'state', 'volmig'))).mode & 0o777).toBe(0o700);

    expect(await journal.read()).toHaveLength(3);
    expect((await journal.read({ volume: base.volume_id })).map((e) => e.outcome)).toEqual(['requested', 'success']);
    expect((await journal.read({ volume: 'web' })).map((e) => e.volume_id)).toEqual(['other']);
    expect(stderr.text).toBe('');
  });

  it('falls back to $HOME/.local/state and tightens a pre-existing loose file', async () => {
    const home = join(dir, 'home');
    await mkdir(join(home, '.local', 'state', 'volmig'), { recursive: true, mode: 0o755 });
    const path = join(home, '.local', 'state', 'volmig', 'journal.jsonl');
    await writeFile(path, '', { mode: 0o644 });
    const { io } = ioWith({ HOME: home });
    const journal = new Journal(io);
    expect(journal.path).toBe(path);
    await journal.append(base);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, '.local', 'state', 'volmig'))).mode & 0o777).toBe(0o700);
    expect(await journal.read()).toHaveLength(1);
  });

  it('never records a secret: credentials in the cloud URL and secret-named options are dropped', async () => {
    const { io } = ioWith({ XDG_STATE_HOME: dir });
    const journal = new Journal(io);
    await journal.append({
      ...base,
      cloud: 'https://admin:s3cr3t@cinder.example:8776/v3/p?token=abc#frag',
      options: { force: true, os_password: 'hunter2', token: 'gAAAA', application_credential_secret: 'x' },
    });
    const text = await readFile(journal.path, 'utf8');
    expect(text).not.toMatch(/s3cr3t|hunter2|gAAAA|abc|admin:/);
    expect(JSON.parse(text)).toMatchObject({ cloud: 'https://cinder.example:8776/v3/p', options: { force: true } });
  });

  it('skips torn and foreign lines when reading; a missing file is an empty journal', async () => {
    const { io } = ioWith({ XDG_STATE_HOME: dir });
    const journal = new Journal(io);
    expect(await journal.read()).toEqual([]);
    await journal.append(base);
    await appendFile(journal.path, '{"time":"2026-11-27T10:01:00Z","clo\n{"hello":1}\n');
    await journal.append({ ...base, outcome: 'error', reason: 'abort on attach' });
    expect((await journal.read()).map((e) => e.outcome)).toEqual(['requested', 'error']);
  });

  it('a failed write is said once (to the command\'s warning) and does not throw; it never creates a missing home directory', async () => {
    const home = join(dir, 'does-not-exist');
    const { io } = ioWith({ HOME: home });
    const said: string[] = [];
    const journal = new Journal(io, { onWriteError: (m) => said.push(m) });
    await journal.append(base);
    await journal.append(base);
    expect(said).toEqual([`could not write the volmig journal ${journal.path}: home directory ${home} does not exist`]);
    await expect(stat(home)).rejects.toThrow();
  });

  it('keeps concurrent appends whole', async () => {
    const { io } = ioWith({ XDG_STATE_HOME: dir });
    const journal = new Journal(io);
    await Promise.all(Array.from({ length: 40 }, (_, i) => journal.append({ ...base, volume_id: `vol-${i}`, reason: 'x'.repeat(500) })));
    const entries = await journal.read();
    expect(entries).toHaveLength(40);
    expect(new Set(entries.map((e) => e.volume_id)).size).toBe(40);
  });
});

describe('journalCloudName', () => {
  it('prefers the cloud name, else the endpoint without credentials', () => {
    expect(journalCloudName('prod', 'http://x')).toBe('prod');
    expect(journalCloudName(undefined, 'http://u:p@127.0.0.1:1234/v3/admin?x=1')).toBe('http://127.0.0.1:1234/v3/admin');
    expect(journalCloudName(undefined, undefined)).toBe('unknown');
  });
});

describe('a journal that cannot be written, through a command', () => {
  it('migrate says it once as a warning on stderr and still succeeds', async () => {
    const { runVolmig } = await import('../helpers/run.js');
    const nock = (await import('nock')).default;
    const { FAKE_CINDER_ROOT, NOAUTH_ENV } = await import('../helpers/fake-cinder.js');
    const { versionsDocument } = await import('../helpers/nock.js');
    const id = '11111111-1111-4111-8111-111111111111';
    nock(FAKE_CINDER_ROOT).get('/').reply(300, versionsDocument('3.70'));
    nock(FAKE_CINDER_ROOT).get(`/v3/admin/volumes/${id}`).reply(200, { volume: { id, name: 'j', status: 'available', size: 1, migration_status: null, attachments: [], metadata: {}, replication_status: null, volume_type: 't', created_at: 'c', updated_at: 'u', 'os-vol-host-attr:host': 'h@a#a' } });
    nock(FAKE_CINDER_ROOT).post(`/v3/admin/volumes/${id}/action`).reply(202, '');
    const r = await runVolmig(['migrate', id, 'h@b#b', '--skip-checks'], { env: { ...NOAUTH_ENV, HOME: join(dir, 'no-home') } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/Warning: could not write the volmig journal /g)).toHaveLength(1);
    nock.cleanAll();
  });
});
