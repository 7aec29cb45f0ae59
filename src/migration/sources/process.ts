/**
 * The `process` progress source: when volmig runs on the host that runs the copy, the `dd` copying a moving volume
 * tells how far it has got. GNU dd writes its `of=` through file descriptor 1, so `pos:` in /proc/<pid>/fdinfo/1
 * is the byte offset it has reached (the seed's mechanism for LVM and other block backends). One scan of /proc per
 * poll serves every moving volume.
 *
 * A dd belongs to a migration when its `if=` or `of=` path names the volume's id or its temporary target's id, as
 * Cinder names them (`volume-<id>`), also in the device-mapper form whose dashes are doubled
 * (`/dev/mapper/cinder--volumes-volume--<id with -- for ->`). The total is the byte count dd was told
 * (`count=` in bytes, or in blocks) when it copies the whole volume in one go; a dd that copies part of it (given
 * `seek=` or `skip=`, as a throttled copy in slices is) is measured against its input's size, else the volume's.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProbeAnswer, ProbeContext, ProbeReading, ProbeSubject, ProgressProbe } from './probe.js';

export interface ProcessProbeOptions {
  /** Where procfs is mounted (tests point this at a fake tree). Default `/proc`. */
  procRoot?: string;
  /** At most this many /proc entries are looked at per poll, whatever the host runs. Default 20,000. */
  maxProcesses?: number;
  /** Files read at a time during the scan. Default 16. */
  concurrency?: number;
}

/** What a dd command line says, in bytes. */
export interface DdCommand {
  input?: string;
  output?: string;
  /** `count=` converted to bytes (iflag=count_bytes, a `B` suffix, or blocks of ibs). */
  countBytes?: number;
  skipBytes: number;
  seekBytes: number;
  /** `skip=` or `seek=` given at all (even 0): this dd copies one part of a larger copy. */
  partial: boolean;
}

const SUFFIXES: Record<string, number> = { c: 1, w: 2, b: 512, kB: 1000, K: 1024, k: 1024, MB: 1e6, M: 1024 ** 2, xM: 1024 ** 2, GB: 1e9, G: 1024 ** 3, TB: 1e12, T: 1024 ** 4, PB: 1e15, P: 1024 ** 5 };
for (const [binary, iec] of [['K', 'KiB'], ['M', 'MiB'], ['G', 'GiB'], ['T', 'TiB'], ['P', 'PiB']] as const) SUFFIXES[iec] = SUFFIXES[binary]!;

/** GNU dd's numbers: `N`, `N<suffix>` (K, MiB, kB, b, ...), `AxB` products; undefined when unreadable. */
export function parseDdNumber(text: string): number | undefined {
  let product = 1;
  for (const factor of text.split('x')) {
    const m = /^(\d+)([A-Za-z]*)$/.exec(factor);
    if (!m) return undefined;
    const multiplier = m[2] === '' ? 1 : SUFFIXES[m[2]!];
    if (multiplier === undefined) return undefined;
    product *= Number(m[1]) * multiplier;
  }
  return Number.isSafeInteger(product) ? product : undefined;
}

/** Reads dd's operands (`if=`, `of=`, `bs=`, `ibs=`, `obs=`, `count=`, `skip=`, `seek=`, `iflag=`, `oflag=`). */
export function parseDdCommand(argv: readonly string[]): DdCommand {
  const ops = new Map<string, string>();
  for (const arg of argv.slice(1)) {
    const eq = arg.indexOf('=');
    if (eq > 0) ops.set(arg.slice(0, eq), arg.slice(eq + 1));
  }
  const flags = (name: string) => new Set((ops.get(name) ?? '').split(',').filter(Boolean));
  const iflag = flags('iflag');
  const oflag = flags('oflag');
  const bs = ops.has('bs') ? parseDdNumber(ops.get('bs')!) : undefined;
  const ibs = bs ?? (ops.has('ibs') ? parseDdNumber(ops.get('ibs')!) : undefined) ?? 512;
  const obs = bs ?? (ops.has('obs') ? parseDdNumber(ops.get('obs')!) : undefined) ?? 512;
  // `N` counts blocks unless a flag (or coreutils 9.1's `B` suffix) says bytes.
  const toBytes = (value: string | undefined, block: number, bytesFlag: boolean): number | undefined => {
    if (value === undefined) return undefined;
    if (/^\d+B$/.test(value)) return Number(value.slice(0, -1));
    const n = parseDdNumber(value);
    return n === undefined ? undefined : bytesFlag ? n : n * block;
  };
  return {
    input: ops.get('if'),
    output: ops.get('of'),
    countBytes: toBytes(ops.get('count'), ibs, iflag.has('count_bytes')),
    skipBytes: toBytes(ops.get('skip') ?? ops.get('iseek'), ibs, iflag.has('skip_bytes')) ?? 0,
    seekBytes: toBytes(ops.get('seek') ?? ops.get('oseek'), obs, oflag.has('seek_bytes')) ?? 0,
    partial: ['skip', 'seek', 'iseek', 'oseek'].some((op) => ops.has(op)),
  };
}

/** The spellings of a volume id a path may hold: as is, and device-mapper's with every dash doubled. */
function idForms(id: string): string[] {
  return [id.toLowerCase(), id.toLowerCase().replace(/-/g, '--')];
}

function names(path: string | undefined, id: string | null): boolean {
  if (!path || !id) return false;
  const lower = path.toLowerCase();
  return idForms(id).some((form) => lower.includes(form));
}

interface DdProcess {
  pid: string;
  command: DdCommand;
}

/** `pos:` of /proc/<pid>/fdinfo/1, or an errno code when it cannot be read. */
async function outputPosition(procRoot: string, pid: string): Promise<number | { code: string }> {
  try {
    const text = await readFile(join(procRoot, pid, 'fdinfo', '1'), 'utf8');
    const m = /^pos:\s+(\d+)/m.exec(text);
    return m ? Number(m[1]) : { code: 'EINVAL' };
  } catch (err) {
    return { code: (err as NodeJS.ErrnoException).code ?? 'EIO' };
  }
}

async function fileSize(path: string | undefined): Promise<number | undefined> {
  if (!path) return undefined;
  try {
    const s = await stat(path);
    return s.isFile() && s.size > 0 ? s.size : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `work` over `items` with at most `limit` in flight, stopping early when `signal` aborts. */
async function eachLimited<T>(items: readonly T[], limit: number, signal: AbortSignal, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal.aborted) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function createProcessProbe(options: ProcessProbeOptions = {}): ProgressProbe {
  const procRoot = options.procRoot ?? '/proc';
  const maxProcesses = options.maxProcesses ?? 20_000;
  const concurrency = options.concurrency ?? 16;
  /** The furthest reading shown per volume: readings never go down, and a gap between dd runs keeps the last one. */
  const shown = new Map<string, ProbeReading>();
  /** The last scan found a dd on this host: then a copy that names only its temporary target may be one of ours. */
  let ddSeen = false;

  async function scan(signal: AbortSignal): Promise<DdProcess[] | { failed: string }> {
    let entries: string[];
    try {
      entries = (await readdir(procRoot)).filter((e) => /^\d+$/.test(e)).slice(0, maxProcesses);
    } catch (err) {
      return { failed: `cannot list ${procRoot} (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
    }
    const found: DdProcess[] = [];
    ddSeen = false;
    await eachLimited(entries, concurrency, signal, async (pid) => {
      let argv: string[];
      try {
        argv = (await readFile(join(procRoot, pid, 'cmdline'), 'utf8')).split('\0');
      } catch {
        return; // gone since the listing, or not ours to read
      }
      if (!/(^|\/)dd$/.test(argv[0] ?? '')) return;
      ddSeen = true;
      found.push({ pid, command: parseDdCommand(argv.filter((a, i) => i === 0 || a !== '')) });
    });
    return found;
  }

  async function answerFor(subject: ProbeSubject, dds: DdProcess[]): Promise<ProbeAnswer> {
    const mine = dds.filter(
      ({ command: c }) =>
        names(c.input, subject.volumeId) || names(c.output, subject.volumeId) || names(c.input, subject.targetVolumeId) || names(c.output, subject.targetVolumeId),
    );
    const previous = shown.get(subject.volumeId);
    if (mine.length === 0) {
      return previous ? { kind: 'reading', reading: previous } : { kind: 'unobservable', why: 'no dd copying this volume runs on this host' };
    }
    let best: { pos: number; dd: DdProcess } | undefined;
    let denied: string | undefined;
    for (const dd of mine) {
      const pos = await outputPosition(procRoot, dd.pid);
      if (typeof pos !== 'number') {
        if (pos.code === 'EACCES' || pos.code === 'EPERM') denied = dd.pid;
        continue;
      }
      if (!best || pos > best.pos) best = { pos, dd };
    }
    if (!best) {
      if (denied !== undefined) {
        return {
          kind: 'failed',
          message: `cannot read ${join(procRoot, denied, 'fdinfo', '1')} of the dd copying volume ${subject.volumeId}: run volmig as root or as the user that runs the copy`,
        };
      }
      return previous ? { kind: 'reading', reading: previous } : { kind: 'unobservable', why: 'the dd copying this volume has just ended' };
    }
    const c = best.dd.command;
    const totalBytes = !c.partial && c.countBytes !== undefined ? c.countBytes : ((await fileSize(c.input)) ?? subject.sizeBytes);
    const reading: ProbeReading = { bytesCopied: Math.min(Math.max(best.pos, previous?.bytesCopied ?? 0), totalBytes), totalBytes };
    shown.set(subject.volumeId, reading);
    return { kind: 'reading', reading };
  }

  return {
    source: 'process',
    // A dd may name only the temporary destination (a throttled copy reads its source from a pipe): worth a lookup
    // of the target only when this host runs some dd at all.
    needsTarget: () => ddSeen,
    async sample(subjects, ctx: ProbeContext) {
      const answers = new Map<string, ProbeAnswer>();
      if (subjects.length === 0) return answers;
      try {
        const dds = await scan(ctx.signal);
        for (const subject of subjects) {
          if (ctx.signal.aborted) {
            answers.set(subject.volumeId, { kind: 'unobservable', why: 'the /proc scan did not finish before the poll deadline' });
          } else if ('failed' in dds) {
            answers.set(subject.volumeId, { kind: 'unobservable', why: dds.failed });
          } else {
            answers.set(subject.volumeId, await answerFor(subject, dds));
          }
        }
      } catch (err) {
        // Never throws: a fault here must not stop the watch.
        const message = `process probe: ${err instanceof Error ? err.message : String(err)}`;
        for (const subject of subjects) if (!answers.has(subject.volumeId)) answers.set(subject.volumeId, { kind: 'failed', message });
      }
      return answers;
    },
  };
}
