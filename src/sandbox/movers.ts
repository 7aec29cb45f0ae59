import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { open, type FileHandle } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

export const MiB = 1024 * 1024;
/** Cinder's file-I/O copy moves 4 MiB at a time (volume_utils.copy_volume for file objects). */
const FILE_IO_CHUNK = 4 * MiB;

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
function readFdPosition(pid: number, fd = 1): number | undefined {
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

/** A throttled copy moves a quarter second's worth at a time (the file-I/O mover's step). */
const SLICE_SECONDS = 0.25;
/** A throttled dd is fed this many seconds' worth at a time (64 KiB to 1 MiB). */
const FEED_SECONDS = 0.05;

/**
 * Copies with one real `dd` process, as Cinder's volume_utils.copy_volume does for block devices
 * (`bs=1M count=<bytes> iflag=count_bytes conv=sparse`), reading progress from `/proc/<dd pid>/fdinfo/1` as the
 * seed proposes. dd has no rate option: a throttled dd reads the volume from its stdin, which the sandbox feeds from
 * the source at the rate (`iflag=fullblock` keeps dd's 1 MiB blocks, and so its holes, whole). Either way a single
 * dd writes the destination from start to end, alive for the whole copy, as on a real volume host.
 */
export function startDdCopy(request: CopyRequest): CopyJob {
  const controller = new AbortController();
  const rate = request.rateBytesPerSecond;
  let child: ChildProcess | undefined;
  let reached = 0;

  const args = [
    `of=${request.destination}`,
    'bs=1M',
    `count=${request.bytes}`,
    rate ? 'iflag=count_bytes,fullblock' : 'iflag=count_bytes',
    // nocreat: a copy starting after an abort removed the target must not bring the file back.
    'conv=sparse,notrunc,nocreat',
    'status=none',
  ];

  const done = (async () => {
    if (request.bytes === 0) return;
    if (controller.signal.aborted) throw new CopyAbortedError();
    const dd = spawn('dd', rate ? args : [`if=${request.source}`, ...args], { stdio: [rate ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    child = dd;
    let stderr = '';
    dd.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    if (dd.pid !== undefined) request.onProcessStart?.(dd.pid);
    const onAbort = () => dd.kill('SIGKILL');
    controller.signal.addEventListener('abort', onAbort, { once: true });
    const exited = new Promise<void>((resolve, reject) => {
      dd.on('error', reject);
      dd.on('close', (code, signal) => {
        if (dd.pid !== undefined) request.onProcessEnd?.(dd.pid);
        if (controller.signal.aborted) return reject(new CopyAbortedError());
        if (code === 0) return resolve();
        reject(new Error(`dd exited with ${signal ?? `code ${code}`}: ${stderr.trim()}`));
      });
    });
    try {
      if (rate && dd.stdin) {
        const stdin = dd.stdin;
        stdin.on('error', () => undefined); // dd gone: its exit says why
        const feeding = feedAtRate(request.source, request.bytes, rate, stdin, controller.signal).catch((err: unknown) => {
          dd.kill('SIGKILL');
          throw err;
        });
        await Promise.all([feeding, exited]);
      } else {
        await exited;
      }
      reached = request.bytes;
    } finally {
      controller.signal.removeEventListener('abort', onAbort);
      child = undefined;
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
      const pid = child?.pid;
      const pos = pid === undefined ? undefined : readFdPosition(pid);
      if (pos !== undefined) reached = Math.max(reached, Math.min(pos, request.bytes));
      return reached;
    },
  };
}

/** Writes `bytes` of `source` into a dd's stdin no faster than `rate`, then closes it. */
async function feedAtRate(source: string, bytes: number, rate: number, stdin: Writable, signal: AbortSignal): Promise<void> {
  const block = Math.min(MiB, Math.max(64 * 1024, Math.floor(rate * FEED_SECONDS)));
  const file = await open(source, 'r');
  const started = Date.now();
  try {
    for (let sent = 0; sent < bytes && !signal.aborted; ) {
      // A fresh buffer each time: the stream holds on to what it has not flushed yet.
      const chunk = Buffer.allocUnsafe(Math.min(block, bytes - sent));
      const got = await readFully(file, chunk, sent);
      if (got < chunk.length) chunk.fill(0, got);
      if (!stdin.write(chunk)) await drained(stdin);
      sent += chunk.length;
      await sleepUnlessAborted(started + (sent / rate) * 1000 - Date.now(), signal);
    }
  } finally {
    await file.close();
    stdin.end();
  }
}

/** Resolves when a stream can take more, or can never again (closed, failed). */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
    stream.once('error', done);
  });
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
const HOLE_BLOCK = MiB;
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
