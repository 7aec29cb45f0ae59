import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, ftruncateSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProcessProbe, parseDdCommand, parseDdNumber } from '../../src/migration/sources/process.js';
import type { ProbeAnswer, ProbeContext, ProbeSubject } from '../../src/migration/sources/probe.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SOURCE = '6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b';
const TARGET = '0a1b2c3d-4e5f-4a6b-8c7d-9e8f7a6b5c4d';
const OTHER = 'deadbeef-0000-4000-8000-000000000001';
const doubled = (id: string) => id.replace(/-/g, '--');

const root = mkdtempSync(join(tmpdir(), 'volmig-fake-proc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let proc: string;
let n = 0;
beforeEach(() => {
  proc = join(root, `proc-${n++}`);
  mkdirSync(proc);
});
afterEach(() => rmSync(proc, { recursive: true, force: true }));

/** A fake /proc/<pid> with a command line and, optionally, fd 1's position. */
function fakeProcess(pid: number, argv: string[], pos?: number): void {
  const dir = join(proc, String(pid));
  mkdirSync(join(dir, 'fdinfo'), { recursive: true });
  writeFileSync(join(dir, 'cmdline'), `${argv.join('\0')}\0`);
  if (pos !== undefined) writeFileSync(join(dir, 'fdinfo', '1'), `pos:\t${pos}\nflags:\t0100001\nmnt_id:\t25\nino:\t1234\n`);
}

function subject(overrides: Partial<ProbeSubject> = {}): ProbeSubject {
  return {
    volumeId: SOURCE,
    sizeBytes: 3 * GiB,
    migrationStatus: 'migrating',
    sourceHost: 'cinder@lvm-a#lvm-a',
    destinationHost: 'cinder@lvm-b#lvm-b',
    targetVolumeId: TARGET,
    ...overrides,
  };
}

const ctx = (signal = new AbortController().signal): ProbeContext => ({ pools: [], signal });

async function sampleOne(probe = createProcessProbe({ procRoot: proc }), s = subject()): Promise<ProbeAnswer> {
  const answers = await probe.sample([s], ctx());
  expect([...answers.keys()]).toEqual([s.volumeId]);
  return answers.get(s.volumeId)!;
}

describe('dd operands', () => {
  it.each([
    ['512', 512], ['1M', MiB], ['4KiB', 4096], ['10kB', 10_000], ['2x512', 1024], ['1MB', 1_000_000], ['3G', 3 * GiB], ['1b', 512], ['7c', 7],
  ])('parseDdNumber(%s) = %d', (text, value) => expect(parseDdNumber(text)).toBe(value));

  it.each(['', 'M', '1Q', '-5', '1.5M'])('parseDdNumber(%j) is unreadable', (text) => expect(parseDdNumber(text)).toBeUndefined());

  it('counts blocks of ibs unless told bytes (iflag=count_bytes or a B suffix); skip and seek likewise', () => {
    expect(parseDdCommand(['dd', 'if=/a', 'of=/b', 'bs=1M', 'count=3'])).toEqual({ input: '/a', output: '/b', countBytes: 3 * MiB, skipBytes: 0, seekBytes: 0, partial: false });
    expect(parseDdCommand(['dd', 'if=/a', 'of=/b', 'count=100', 'iflag=direct,count_bytes']).countBytes).toBe(100);
    expect(parseDdCommand(['dd', 'if=/a', 'of=/b', 'count=8B', 'bs=1M']).countBytes).toBe(8);
    expect(parseDdCommand(['dd', 'if=/a', 'of=/b', 'count=2']).countBytes).toBe(1024);
    expect(parseDdCommand(['dd', 'if=/a', 'of=/b', 'bs=1M', 'skip=2', 'seek=4096', 'oflag=seek_bytes'])).toMatchObject({ skipBytes: 2 * MiB, seekBytes: 4096, partial: true });
    expect(parseDdCommand(['dd', 'if=/a', 'of=/b', 'seek=0']).partial).toBe(true);
  });
});

describe('process probe over a fake /proc', () => {
  it("reads real Cinder's LVM dd (device-mapper names, dashes doubled): pos of fd 1 against the byte count dd was told", async () => {
    fakeProcess(1, ['/usr/sbin/init']);
    fakeProcess(812, ['python3', '/usr/bin/cinder-volume', `--volume=volume-${SOURCE}`]);
    fakeProcess(4242, [
      'dd',
      `if=/dev/mapper/cinder--volumes-volume--${doubled(SOURCE)}`,
      `of=/dev/mapper/cinder--volumes-volume--${doubled(TARGET)}`,
      `count=${3 * GiB}`,
      'bs=1M',
      'iflag=count_bytes,direct',
      'oflag=direct',
      'conv=sparse',
    ], 1.25 * GiB);
    expect(await sampleOne()).toEqual({ kind: 'reading', reading: { bytesCopied: 1.25 * GiB, totalBytes: 3 * GiB } });
  });

  it('matches on the target alone (the source data under another name_id), with plain LVM paths and a count in blocks', async () => {
    fakeProcess(77, ['/bin/dd', `if=/dev/cinder-volumes/volume-${OTHER}`, `of=/dev/cinder-volumes/volume-${TARGET}`, 'bs=1M', 'count=1024'], 300 * MiB);
    expect(await sampleOne(undefined, subject({ sizeBytes: GiB }))).toEqual({ kind: 'reading', reading: { bytesCopied: 300 * MiB, totalBytes: GiB } });
  });

  it('a dd that copies one slice (skip=/seek= given) is measured against its input file, else the volume size', async () => {
    const input = join(root, `volume-${SOURCE}`);
    const fd = openSync(input, 'w');
    ftruncateSync(fd, 32 * MiB);
    closeSync(fd);
    const slice = (pid: number, file: string, pos: number) =>
      fakeProcess(pid, ['dd', `if=${file}`, `of=/data/lvm-2/volume-${TARGET}`, 'bs=1M', `count=${2 * MiB}`, `skip=${4 * MiB}`, `seek=${4 * MiB}`, 'iflag=count_bytes,skip_bytes', 'oflag=seek_bytes'], pos);
    slice(9001, input, 5 * MiB);
    expect(await sampleOne()).toEqual({ kind: 'reading', reading: { bytesCopied: 5 * MiB, totalBytes: 32 * MiB } });
    rmSync(join(proc, '9001'), { recursive: true });
    slice(9002, `/no/such/volume-${SOURCE}`, 5 * MiB);
    expect(await sampleOne()).toEqual({ kind: 'reading', reading: { bytesCopied: 5 * MiB, totalBytes: 3 * GiB } });
  });

  it('readings never go down, and the last one stays while no dd runs (between slices); unobservable before any', async () => {
    const probe = createProcessProbe({ procRoot: proc });
    expect(await sampleOne(probe)).toEqual({ kind: 'unobservable', why: 'no dd copying this volume runs on this host' });
    const dd = ['dd', `if=/dev/vg/volume-${SOURCE}`, `of=/dev/vg/volume-${TARGET}`, `count=${GiB}`, 'iflag=count_bytes', 'bs=1M'];
    fakeProcess(500, dd, 400 * MiB);
    expect(await sampleOne(probe)).toEqual({ kind: 'reading', reading: { bytesCopied: 400 * MiB, totalBytes: GiB } });
    fakeProcess(500, dd, 100 * MiB);
    expect(await sampleOne(probe)).toEqual({ kind: 'reading', reading: { bytesCopied: 400 * MiB, totalBytes: GiB } });
    rmSync(join(proc, '500'), { recursive: true });
    expect(await sampleOne(probe)).toEqual({ kind: 'reading', reading: { bytesCopied: 400 * MiB, totalBytes: GiB } });
    fakeProcess(501, dd, 700 * MiB);
    expect(await sampleOne(probe)).toEqual({ kind: 'reading', reading: { bytesCopied: 700 * MiB, totalBytes: GiB } });
  });

  it('answers every subject from one scan: each its own dd, another volume\'s dd is not anyone\'s', async () => {
    const second = { volumeId: 'abcdabcd-1111-4222-8333-444455556666', targetVolumeId: null };
    fakeProcess(10, ['dd', `if=/dev/vg/volume-${SOURCE}`, `of=/dev/vg/volume-${TARGET}`, `count=${GiB}`, 'iflag=count_bytes'], 10 * MiB);
    fakeProcess(11, ['dd', `if=/dev/vg/volume-${OTHER}`, 'of=/dev/vg/volume-ffffffff-0000-4000-8000-000000000009', `count=${GiB}`, 'iflag=count_bytes'], 20 * MiB);
    fakeProcess(12, ['dd', `if=/dev/mapper/vg-volume--${doubled(second.volumeId)}`, 'of=/dev/mapper/vg-volume--x', `count=${2 * GiB}`, 'iflag=count_bytes'], 30 * MiB);
    const probe = createProcessProbe({ procRoot: proc });
    const answers = await probe.sample([subject(), subject(second), subject({ volumeId: OTHER.replace('1', '2'), targetVolumeId: null })], ctx());
    expect(answers.size).toBe(3);
    expect(answers.get(SOURCE)).toEqual({ kind: 'reading', reading: { bytesCopied: 10 * MiB, totalBytes: GiB } });
    expect(answers.get(second.volumeId)).toEqual({ kind: 'reading', reading: { bytesCopied: 30 * MiB, totalBytes: 2 * GiB } });
    expect(answers.get(OTHER.replace('1', '2'))).toMatchObject({ kind: 'unobservable' });
  });

  it('never throws: no /proc, an aborted poll, no subjects', async () => {
    const missing = createProcessProbe({ procRoot: join(proc, 'nope') });
    expect(await sampleOne(missing)).toMatchObject({ kind: 'unobservable', why: expect.stringMatching(/^cannot list .*nope \(ENOENT\)$/) });
    fakeProcess(10, ['dd', `if=/dev/vg/volume-${SOURCE}`, `of=/dev/vg/volume-${TARGET}`], 10 * MiB);
    const aborted = new AbortController();
    aborted.abort();
    const answers = await createProcessProbe({ procRoot: proc }).sample([subject()], ctx(aborted.signal));
    expect(answers.get(SOURCE)).toEqual({ kind: 'unobservable', why: 'the /proc scan did not finish before the poll deadline' });
    expect((await createProcessProbe({ procRoot: proc }).sample([], ctx())).size).toBe(0);
  });

  it.skipIf(process.getuid?.() === 0)('an fdinfo it may not read (another user\'s dd) fails, naming what to do', async () => {
    fakeProcess(31, ['dd', `if=/dev/vg/volume-${SOURCE}`, `of=/dev/vg/volume-${TARGET}`], 10 * MiB);
    chmodSync(join(proc, '31', 'fdinfo', '1'), 0o000);
    expect(await sampleOne()).toEqual({
      kind: 'failed',
      message: `cannot read ${join(proc, '31', 'fdinfo', '1')} of the dd copying volume ${SOURCE}: run volmig as root or as the user that runs the copy`,
    });
  });
});
