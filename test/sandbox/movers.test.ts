import { createHash, randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CopyAbortedError, startDdCopy, startFileCopy, type CopyJob, type CopyRequest } from '../../src/sandbox/movers.js';

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'volmig-movers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const allocated = (path: string) => statSync(path).blocks * 512;

/** A sparse file of `bytes` with `data` written at each offset (any alignment). */
function sparseFile(name: string, bytes: number, writes: [offset: number, length: number][]): string {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  for (const [offset, length] of writes) writeSync(fd, randomBytes(length), 0, length, offset);
  closeSync(fd);
  return path;
}

/** A fresh, pre-sized, empty destination, as the sandbox's Storage.createFile makes one. */
function destination(name: string, bytes: number): string {
  const path = join(dir, name);
  rmSync(path, { force: true });
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  return path;
}

const movers: [string, (r: CopyRequest) => CopyJob][] = [
  ['file-io', (r) => startFileCopy(r)],
  ['dd', (r) => startDdCopy(r)],
];

describe.each(movers)('%s mover', (name, start) => {
  it('copies a sparse volume exactly and keeps its holes at 1 MiB granularity', async () => {
    const bytes = 48 * MiB + 12345;
    // Data in 1 MiB blocks 0, 5 (two small writes), 6 (crossing into 7), 20 and the short last block.
    const source = sparseFile(`${name}-src`, bytes, [
      [0, 4096],
      [5 * MiB + 100, 10],
      [5 * MiB + 900_000, 10],
      [7 * MiB - 2048, 4096],
      [20 * MiB, MiB],
      [bytes - 3, 3],
    ]);
    const copy = destination(`${name}-copy`, bytes);
    const job = start({ source, destination: copy, bytes });
    await job.done;
    expect(job.position()).toBe(bytes);
    expect(statSync(copy).size).toBe(bytes);
    expect(sha(copy)).toBe(sha(source));
    // Blocks 0, 5, 6, 7 and 20 and the short last one hold data (a 4 MiB granularity would allocate 16 MiB).
    const expected = 5 * MiB + (bytes % MiB);
    expect(allocated(copy)).toBeGreaterThanOrEqual(expected - 4096);
    expect(allocated(copy)).toBeLessThanOrEqual(6 * MiB + 64 * 1024);
  });

  it('throttled, its position rises steadily through holes, then stops at once on abort', async () => {
    const bytes = 64 * MiB;
    const source = sparseFile(`${name}-holes`, bytes, [[60 * MiB, MiB]]);
    const copy = destination(`${name}-holes-copy`, bytes);
    const rate = 8 * MiB;
    const job = start({ source, destination: copy, bytes, rateBytesPerSecond: rate });
    const started = Date.now();
    const samples: { t: number; position: number }[] = [];
    while (Date.now() - started < 1600) {
      samples.push({ t: Date.now() - started, position: job.position() });
      await new Promise((r) => setTimeout(r, 40));
    }
    job.abort();
    await expect(job.done).rejects.toBeInstanceOf(CopyAbortedError);
    const atAbort = job.position();
    await new Promise((r) => setTimeout(r, 300));
    expect(job.position()).toBe(atAbort);

    const positions = samples.map((s) => s.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    // The copy runs at the rate through the holes: about 8 MiB/s, never ahead of it by more than one step.
    const last = samples.at(-1)!;
    expect(last.position).toBeLessThanOrEqual((rate * (last.t + 100)) / 1000 + 2 * MiB);
    expect(last.position).toBeGreaterThanOrEqual((rate * last.t) / 1000 / 3);
    // Smooth: it advances in steps of a quarter second's worth (2 MiB here), over many distinct readings.
    const steps = positions.slice(1).map((p, i) => p - positions[i]!);
    expect(Math.max(...steps)).toBeLessThanOrEqual(2 * MiB);
    expect(new Set(positions).size).toBeGreaterThanOrEqual(4);
  });
});
