#!/usr/bin/env node
// The sandbox's movers beside dd, measured in the same run on the same files (issue 14 item 3):
//   - a 10 GiB volume file holding 100 MiB of random data in 100 places (1% data): the file-I/O mover and the dd
//     mover against `dd bs=1M conv=sparse` (target: at most 2x its time), and the copies' size on disk against
//     the data they hold (holes kept at 1 MiB: target about 1x);
//   - a 1 GiB volume file of random data: both movers' throughput against `dd bs=1M` (target: at least 0.9x).
// Figures are the best of --runs for the sparse file, of twice that plus one for the quick dense copies.
// Page cache warm (each source is read once first); runs alternate mover and anchor so drift hits both alike;
// every copy a mover makes is compared with its source once (cmp), so a fast wrong copy cannot pass.
// Usage: node bench/movers.js [--runs N]   (after `npm run build`). `run()` answers the rows for `npm run bench`.
import { spawnSync } from 'node:child_process';
import { randomFillSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SPARSE_BYTES = 10 * GiB;
const SPARSE_PLACES = 100;
const DENSE_BYTES = 1 * GiB;

const MOVERS_JS = new URL('../dist/sandbox/movers.js', import.meta.url);

/**
 * The best (shortest) of the runs: other processes on a shared machine only ever add time, and a dense copy of a
 * few tenths of a second varies by a third from run to run under load, so medians swing where minima hold.
 */
function best(values) {
  return Math.min(...values);
}

/** 1 MiB of random data at 100 places (1 MiB-aligned) spread over the file; the rest is a hole. */
function buildSparse(path) {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, SPARSE_BYTES);
    const stride = SPARSE_BYTES / MiB / SPARSE_PLACES;
    for (let i = 0; i < SPARSE_PLACES; i++) {
      const offset = (Math.floor(i * stride) + (i % 7) * 3) * MiB;
      writeSync(fd, randomBytes(MiB), 0, MiB, offset);
    }
  } finally {
    closeSync(fd);
  }
  return SPARSE_PLACES * MiB;
}

function buildDense(path) {
  const fd = openSync(path, 'w');
  const block = Buffer.allocUnsafe(16 * MiB);
  try {
    for (let offset = 0; offset < DENSE_BYTES; offset += block.length) writeSync(fd, randomFillSync(block), 0, block.length, offset);
  } finally {
    closeSync(fd);
  }
}

function sh(argv, what) {
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${what}: \`${argv.join(' ')}\` exited ${r.status ?? r.signal}: ${String(r.stderr).trim()}`);
}

/** A fresh sparse destination of the full size, as the sandbox's Storage.createFile makes one. */
function freshDestination(path, bytes) {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
}

// The previous copy is removed before the clock starts, for the movers as for dd: removing a file whose pages are
// still being written back waits for them, which is the previous run's cost, not this one's.
async function timeMover(start, source, destination, bytes) {
  rmSync(destination, { force: true });
  const t0 = performance.now();
  freshDestination(destination, bytes);
  await start({ source, destination, bytes }).done;
  return (performance.now() - t0) / 1000;
}

function timeDd(source, destination, sparse) {
  rmSync(destination, { force: true });
  const t0 = performance.now();
  sh(['dd', `if=${source}`, `of=${destination}`, 'bs=1M', ...(sparse ? ['conv=sparse'] : []), 'status=none'], 'anchor');
  return (performance.now() - t0) / 1000;
}

const allocatedMiB = (path) => (statSync(path).blocks * 512) / MiB;

/**
 * Runs the measurements and answers one row per figure:
 * `{ bench: 'movers', measure, value, unit, anchorName, anchor, ratio, target }`.
 */
export async function run({ runs = 5, dir: parent = tmpdir() } = {}) {
  if (!existsSync(MOVERS_JS)) throw new Error('dist/ is missing: run `npm run build` first (or `npm run bench`)');
  const { startDdCopy, startFileCopy } = await import(MOVERS_JS.href);
  const movers = [
    { name: 'file-I/O mover', start: (r) => startFileCopy(r) },
    { name: 'dd mover', start: (r) => startDdCopy(r) },
  ];
  const dir = mkdtempSync(join(parent, 'volmig-bench-movers-'));
  const rows = [];
  try {
    const sparse = join(dir, 'sparse-10g');
    const dense = join(dir, 'dense-1g');
    const copy = join(dir, 'copy');
    const data = buildSparse(sparse);
    buildDense(dense);
    // Warm the page cache: the figures are for sources already in memory.
    for (const source of [sparse, dense]) sh(['dd', `if=${source}`, 'of=/dev/null', 'bs=4M', 'status=none'], 'warm-up');

    for (const [source, bytes, sparseAnchor] of [[sparse, SPARSE_BYTES, true], [dense, DENSE_BYTES, false]]) {
      const anchorName = sparseAnchor ? 'dd bs=1M conv=sparse' : 'dd bs=1M';
      const times = { anchor: [] };
      const onDisk = {};
      for (const m of movers) {
        times[m.name] = [];
        // Once per mover, untimed: the copy must equal the source, and (sparse) keep its holes.
        await timeMover(m.start, source, copy, bytes);
        sh(['cmp', source, copy], `${m.name} copy of ${source}`);
        onDisk[m.name] = allocatedMiB(copy);
      }
      timeDd(source, copy, sparseAnchor);
      onDisk.anchor = allocatedMiB(copy);
      // A dense 1 GiB copy takes a few tenths of a second, where other processes' noise weighs most: more runs.
      const rounds = sparseAnchor ? runs : 2 * runs + 1;
      for (let i = 0; i < rounds; i++) {
        // The anchor goes first on every other run, so neither side always inherits the other's writeback.
        if (i % 2 === 1) times.anchor.push(timeDd(source, copy, sparseAnchor));
        for (const m of movers) times[m.name].push(await timeMover(m.start, source, copy, bytes));
        if (i % 2 === 0) times.anchor.push(timeDd(source, copy, sparseAnchor));
      }
      rmSync(copy, { force: true });
      const anchor = best(times.anchor);
      for (const m of movers) {
        const seconds = best(times[m.name]);
        if (sparseAnchor) {
          rows.push({ bench: 'movers', measure: `10 GiB, 1% data: ${m.name} time`, value: seconds, unit: 's', anchorName, anchor, ratio: seconds / anchor, target: '<= 2' });
          rows.push({
            bench: 'movers',
            measure: `10 GiB, 1% data: ${m.name} copy on disk`,
            value: onDisk[m.name],
            unit: 'MiB',
            anchorName: 'data in the file',
            anchor: data / MiB,
            ratio: onDisk[m.name] / (data / MiB),
            target: '<= 1.05',
          });
        } else {
          const mibps = bytes / MiB / seconds;
          const anchorMibps = bytes / MiB / anchor;
          rows.push({ bench: 'movers', measure: `1 GiB dense: ${m.name} throughput`, value: mibps, unit: 'MiB/s', anchorName, anchor: anchorMibps, ratio: mibps / anchorMibps, target: '>= 0.9' });
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function met(row) {
  const [op, bound] = row.target.split(' ');
  return op === '<=' ? row.ratio <= Number(bound) : row.ratio >= Number(bound);
}

function printTable(rows, runs) {
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`movers vs dd, best of ${runs} runs (sparse) and of ${2 * runs + 1} (dense) (node ${process.version}, ${cpus().length} CPUs, load average ${load})`);
  const fmt = (v, unit) => `${v.toFixed(unit === 'MiB/s' || unit === 'MiB' ? 0 : 2)} ${unit}`;
  const lines = rows.map((r) => [r.measure, fmt(r.value, r.unit), `${r.anchorName} ${fmt(r.anchor, r.unit)}`, `${r.ratio.toFixed(2)}x`, `target ${r.target}x: ${met(r) ? 'met' : 'MISSED'}`]);
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  for (const l of lines) console.log(`  ${l.map((cell, i) => (i === 1 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const runsIndex = args.indexOf('--runs');
  const runs = runsIndex >= 0 ? Number(args[runsIndex + 1]) : 5;
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`bench: --runs needs a positive whole number, got '${args[runsIndex + 1]}'`);
    process.exit(2);
  }
  try {
    printTable(await run({ runs }), runs);
  } catch (err) {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
