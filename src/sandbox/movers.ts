import { spawn, type ChildProcess } from 'node:child_process';
import { open, type FileHandle } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

export const MiB = 1024 * 1024;
/** Cinder's file-I/O copy moves 4 MiB at a time (volume_utils.copy_volume for file objects). */
export const FILE_IO_CHUNK = 4 * MiB;

/**
 * A running copy of `bytesTotal` bytes from one file to another. `position()` is the logical offset the copy has
 * reached: how progress is measured, whatever the mover.
 */
export interface CopyJob {
  readonly mover: string;
  readonly bytesTotal: number;
  position(): number;
  /** Resolves when every byte is copied; rejects on failure or abort. */
  readonly done: Promise<void>;
  abort(): void;
}

export interface CopyRequest {
  source: string;
  destination: string;
  bytes: number;
  /** Bytes per second through the logical size (holes included); undefined copies as fast as possible. */
  rateBytesPerSecond?: number;
  /** Called with each copy process's pid as soon as it exists (recorded for crash recovery). */
  onProcessStart?: (pid: number) => void;
  onProcessEnd?: (pid: number) => void;
}

export class CopyAbortedError extends Error {
  constructor() {
    super('copy aborted');
  }
}

/** `pos:` of a process's fd 1: GNU dd reopens `of=` on stdout, so this is the byte offset it has written up to. */
export function readFdPosition(pid: number, fd = 1): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    const match = /^pos:\s+(\d+)/m.exec(text);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Ends a dd left running by a sandbox that died (its pid was recorded in the state). A recorded pid may have been
 * reused by an unrelated process since: only a dd writing `targetFile` is killed.
 */
export function killOrphanedCopy(pid: number, targetFile: string | null, log: (line: string) => void): void {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return;
  }
  const isOurs = /(^|\/)dd$/.test(argv[0] ?? '') && targetFile !== null && argv.includes(`of=${targetFile}`);
  if (!isOurs) return;
  try {
    process.kill(pid, 'SIGKILL');
    log(`killed orphaned copy process ${pid} (${argv.filter(Boolean).join(' ')})`);
  } catch {
    /* already gone */
  }
}

/** Waits `ms`, or less when the signal aborts first: a stopped copy or migration never sits out its delay. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** dd has no rate option: a throttled copy runs it in slices of this many seconds' worth of data. */
const SLICE_SECONDS = 0.25;

/**
 * Copies with a real `dd` process, as Cinder's volume_utils.copy_volume does for block devices
 * (`bs=1M`, `conv=sparse`), reading progress from `/proc/<dd pid>/fdinfo/1` as the seed proposes. Throttled copies
 * run dd slice by slice with `skip`/`seek`, so the position stays the logical offset through the volume.
 */
export function startDdCopy(request: CopyRequest): CopyJob {
  const controller = new AbortController();
  let completed = 0;
  let current: { child: ChildProcess; start: number } | undefined;

  const runDd = (offset: number, length: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const args = [
        `if=${request.source}`,
        `of=${request.destination}`,
        'bs=1M',
        `count=${length}`,
        `skip=${offset}`,
        `seek=${offset}`,
        'iflag=count_bytes,skip_bytes',
        'oflag=seek_bytes',
        // nocreat: a slice starting after an abort removed the target must not bring the file back.
        'conv=sparse,notrunc,nocreat',
        'status=none',
      ];
      const child = spawn('dd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      if (child.pid !== undefined) request.onProcessStart?.(child.pid);
      current = { child, start: offset };
      const onAbort = () => child.kill('SIGKILL');
      controller.signal.addEventListener('abort', onAbort, { once: true });
      child.on('error', (err) => {
        controller.signal.removeEventListener('abort', onAbort);
        reject(err);
      });
      child.on('close', (code, signal) => {
        controller.signal.removeEventListener('abort', onAbort);
        current = undefined;
        if (child.pid !== undefined) request.onProcessEnd?.(child.pid);
        if (controller.signal.aborted) return reject(new CopyAbortedError());
        if (code === 0) return resolve();
        reject(new Error(`dd exited with ${signal ?? `code ${code}`}: ${stderr.trim()}`));
      });
    });

  const done = (async () => {
    const started = Date.now();
    const rate = request.rateBytesPerSecond;
    const slice = rate ? Math.max(MiB, Math.floor((rate * SLICE_SECONDS) / MiB) * MiB) : request.bytes;
    while (completed < request.bytes) {
      if (controller.signal.aborted) throw new CopyAbortedError();
      const length = Math.min(slice, request.bytes - completed);
      await runDd(completed, length);
      completed += length;
      // Wait after every slice, the last included, so that the copy never runs faster than the rate.
      if (rate) await sleepUnlessAborted(started + (completed / rate) * 1000 - Date.now(), controller.signal);
    }
    if (controller.signal.aborted) throw new CopyAbortedError();
  })();
  done.catch(() => undefined);

  return {
    mover: 'dd',
    bytesTotal: request.bytes,
    done,
    abort: () => controller.abort(),
    position() {
      const running = current;
      if (running?.child.pid !== undefined) {
        const pos = readFdPosition(running.child.pid);
        if (pos !== undefined && pos >= running.start) return Math.min(Math.max(pos, completed), request.bytes);
      }
      return completed;
    },
  };
}

/**
 * Copies through file I/O in 4 MiB chunks (the RBD-style path): the position of the destination file is the
 * progress. Zeros are found and skipped per 1 MiB block (HOLE_BLOCK), so the (pre-sized, sparse, fresh)
 * destination keeps the source's holes at the granularity `dd bs=1M conv=sparse` keeps them. A throttled copy
 * moves in smaller steps (a quarter second's worth, 1 MiB at least), so its position advances smoothly, holes
 * included.
 */
export function startFileCopy(request: CopyRequest, mover = 'file-io'): CopyJob {
  const controller = new AbortController();
  let position = 0;

  const done = (async () => {
    let src: FileHandle | undefined;
    let dst: FileHandle | undefined;
    try {
      src = await open(request.source, 'r');
      dst = await open(request.destination, 'r+');
      const rate = request.rateBytesPerSecond;
      const step = rate ? Math.min(FILE_IO_CHUNK, Math.max(HOLE_BLOCK, Math.floor((rate * SLICE_SECONDS) / HOLE_BLOCK) * HOLE_BLOCK)) : FILE_IO_CHUNK;
      // Two buffers: the next chunk is read while the current one is written, as a pipeline of two.
      const buffers = [pageAlignedBuffer(step), pageAlignedBuffer(step)];
      const source = src;
      const readChunk = async (offset: number, buffer: Buffer): Promise<Buffer> => {
        const chunk = buffer.subarray(0, Math.min(step, request.bytes - offset));
        const bytesRead = await readFully(source, chunk, offset);
        if (bytesRead < chunk.length) chunk.fill(0, bytesRead);
        return chunk;
      };
      const started = Date.now();
      let reading: Promise<Buffer> | undefined = request.bytes > 0 ? readChunk(0, buffers[0]!) : undefined;
      try {
        for (let i = 1; reading; i++) {
          const chunk = await reading;
          reading = undefined;
          if (controller.signal.aborted) throw new CopyAbortedError();
          const next = position + chunk.length;
          if (next < request.bytes) reading = readChunk(next, buffers[i % 2]!);
          await writeDataBlocks(dst, chunk, position);
          position = next;
          if (rate) await sleepUnlessAborted(started + (position / rate) * 1000 - Date.now(), controller.signal);
        }
      } finally {
        // A read still in flight (after a failure or an abort) must end before its file is closed.
        await reading?.catch(() => undefined);
      }
      // No fsync, as with the dd mover (dd without conv=fsync): the sandbox's crash model is a killed process, whose
      // writes the page cache keeps, not a lost machine.
      if (controller.signal.aborted) throw new CopyAbortedError();
    } finally {
      await src?.close();
      await dst?.close();
    }
  })();
  done.catch(() => undefined);

  return {
    mover,
    bytesTotal: request.bytes,
    done,
    abort: () => controller.abort(),
    position: () => position,
  };
}

/** Zeros are detected, and holes kept, per block of this size. */
export const HOLE_BLOCK = MiB;
/** Compared against with Buffer.equals (memcmp), never allocated again. */
const ZERO_BLOCK = Buffer.alloc(HOLE_BLOCK);

/**
 * A buffer that starts on a page boundary. Node's own large buffers come from malloc, 16 bytes past one, and the
 * kernel's copies into such a buffer (above all the zero-fill of holes) run several times slower than into an
 * aligned one: reading a sparse 10 GiB file through them took 4x as long as dd. V8 maps WebAssembly memory on
 * (64 KiB) page boundaries, so its bytes, seen through a Buffer, are aligned.
 */
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer } };

function pageAlignedBuffer(bytes: number): Buffer {
  const pages = Math.ceil(bytes / 65536);
  return Buffer.from(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer, 0, bytes);
}

/** Reads until `chunk` is full or the file ends; answers the bytes read. */
async function readFully(file: FileHandle, chunk: Buffer, position: number): Promise<number> {
  let total = 0;
  while (total < chunk.length) {
    const { bytesRead } = await file.read(chunk, total, chunk.length - total, position + total);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  return total;
}

async function writeFully(file: FileHandle, chunk: Buffer, from: number, to: number, position: number): Promise<void> {
  for (let offset = from; offset < to; ) {
    const { bytesWritten } = await file.write(chunk, offset, to - offset, position + (offset - from));
    offset += bytesWritten;
  }
}

/**
 * Writes the blocks of `chunk` that hold any data, adjacent ones in one write, and skips the all-zero ones: the
 * destination is a fresh sparse file, so a skipped block is a hole that reads back as zeros.
 */
async function writeDataBlocks(dst: FileHandle, chunk: Buffer, position: number): Promise<void> {
  let runStart = -1;
  for (let offset = 0; offset < chunk.length; offset += HOLE_BLOCK) {
    const end = Math.min(offset + HOLE_BLOCK, chunk.length);
    const zero = chunk.subarray(offset, end).equals(end - offset === HOLE_BLOCK ? ZERO_BLOCK : ZERO_BLOCK.subarray(0, end - offset));
    if (!zero && runStart < 0) runStart = offset;
    if (zero && runStart >= 0) {
      await writeFully(dst, chunk, runStart, offset, position + runStart);
      runStart = -1;
    }
  }
  if (runStart >= 0) await writeFully(dst, chunk, runStart, chunk.length, position + runStart);
}
