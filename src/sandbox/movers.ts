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
 * progress. All-zero chunks are left as holes in the (pre-sized, sparse) destination.
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
      const buffer = Buffer.alloc(FILE_IO_CHUNK);
      const started = Date.now();
      const rate = request.rateBytesPerSecond;
      while (position < request.bytes) {
        if (controller.signal.aborted) throw new CopyAbortedError();
        const length = Math.min(FILE_IO_CHUNK, request.bytes - position);
        const { bytesRead } = await src.read(buffer, 0, length, position);
        const chunk = buffer.subarray(0, length);
        if (bytesRead < length) chunk.fill(0, bytesRead);
        if (!isAllZero(chunk)) await dst.write(chunk, 0, length, position);
        position += length;
        if (rate) await sleepUnlessAborted(started + (position / rate) * 1000 - Date.now(), controller.signal);
      }
      await dst.sync();
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

function isAllZero(buffer: Buffer): boolean {
  // Compare 8 bytes at a time through a BigUint64 view; chunks are 4 MiB, always a multiple of 8 here.
  if (buffer.length % 8 !== 0) return buffer.every((b) => b === 0);
  const view = new BigUint64Array(buffer.buffer, buffer.byteOffset, buffer.length / 8);
  for (let i = 0; i < view.length; i++) if (view[i] !== 0n) return false;
  return true;
}
