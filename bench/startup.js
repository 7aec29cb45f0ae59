#!/usr/bin/env node
// Cold-start benchmark: median wall time of `node bin/volmig.js --help` beside a bare `node -e 0`.
// The target (issue 14, item 5) is at most 1.6x node itself: heavy modules must load inside command actions only.
// Usage: node bench/startup.js [--runs N] [--check]   (--check exits 1 when the ratio misses the target)
// `npm run bench` runs it through run() and prints its rows in the one table.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const TARGET_RATIO = 1.6;
const root = fileURLToPath(new URL('..', import.meta.url));

function timeOnce(argv) {
  const start = performance.now();
  const result = spawnSync(process.execPath, argv, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`\`node ${argv.join(' ')}\` exited ${result.status}: ${String(result.stderr).trim()}`);
  return elapsed;
}

// CPU time (user + system) of the child itself, read at its exit: unlike wall time it hardly moves with the load
// of other processes, so it tells whether a regression is real when the wall-time ratio swings.
const CPU_HOOK = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('\\nCPU_US '+(u.user+u.system)+'\\n')})`;

function cpuOnce(argv) {
  const result = spawnSync(process.execPath, ['--import', CPU_HOOK, ...argv], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const match = /CPU_US (\d+)/.exec(String(result.stderr));
  if (result.status !== 0 || !match) throw new Error(`\`node ${argv.join(' ')}\` exited ${result.status}: ${String(result.stderr).trim()}`);
  return Number(match[1]) / 1000;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Medians over `runs` alternating runs: wall and CPU time of `node -e 0` and `volmig --help`. */
export function measureStartup(runs = 15) {
  if (!existsSync(new URL('../dist/cli.js', import.meta.url))) throw new Error('dist/ is missing; run `npm run build` first (or `npm run bench`)');
  const cases = [
    { label: 'node -e 0', argv: ['-e', '0'] },
    { label: 'volmig --help', argv: ['bin/volmig.js', '--help'] },
  ];
  // One untimed run each warms the file-system cache; then the two commands alternate so drift hits both alike.
  for (const c of cases) timeOnce(c.argv);
  const samples = cases.map(() => []);
  for (let i = 0; i < runs; i += 1) cases.forEach((c, j) => samples[j].push(timeOnce(c.argv)));
  const cpuSamples = cases.map(() => []);
  for (let i = 0; i < runs; i += 1) cases.forEach((c, j) => cpuSamples[j].push(cpuOnce(c.argv)));
  const [nodeMs, volmigMs] = samples.map(median);
  const [nodeCpu, volmigCpu] = cpuSamples.map(median);
  // The fastest run of each: what the start costs when no other process gets in the way.
  const [nodeFastest, volmigFastest] = samples.map((s) => Math.min(...s));
  return { runs, nodeMs, volmigMs, nodeCpu, volmigCpu, nodeFastest, volmigFastest };
}

/** Rows for `npm run bench`. */
export async function run({ runs = 15 } = {}) {
  const m = measureStartup(runs);
  const bench = 'startup (volmig --help)';
  return [
    {
      bench,
      measure: 'wall time',
      value: m.volmigMs,
      unit: 'ms',
      anchorName: 'node -e 0',
      anchor: m.nodeMs,
      ratio: m.volmigMs / m.nodeMs,
      target: `≤ ${TARGET_RATIO}×`,
      ok: m.volmigMs / m.nodeMs <= TARGET_RATIO,
      note: `median of ${runs}`,
    },
    {
      bench,
      measure: 'wall time, fastest',
      value: m.volmigFastest,
      unit: 'ms',
      anchorName: 'node -e 0',
      anchor: m.nodeFastest,
      ratio: m.volmigFastest / m.nodeFastest,
      note: `fastest of ${runs}: the cost without other processes in the way`,
    },
    { bench, measure: 'CPU time', value: m.volmigCpu, unit: 'ms', anchorName: 'node -e 0', anchor: m.nodeCpu, ratio: m.volmigCpu / m.nodeCpu, note: 'user+sys, less sensitive to load' },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const runsIndex = args.indexOf('--runs');
  const runs = runsIndex >= 0 ? Number(args[runsIndex + 1]) : 15;
  const check = args.includes('--check');
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`bench: --runs needs a positive whole number, got '${args[runsIndex + 1]}'`);
    process.exit(2);
  }
  let m;
  try {
    m = measureStartup(runs);
  } catch (err) {
    console.error(`bench: ${err.message}`);
    process.exit(err.message.startsWith('dist/') ? 2 : 1);
  }
  const { nodeMs, volmigMs, nodeCpu, volmigCpu } = m;
  const ratio = volmigMs / nodeMs;
  const ok = ratio <= TARGET_RATIO;
  // Wall time on a busy machine swings widely: the load average is printed so a reading can be judged.
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`node ${process.version}, ${runs} runs each, median wall time (${cpus().length} CPUs, load average ${load})`);
  console.log(`  node -e 0          ${nodeMs.toFixed(1).padStart(7)} ms`);
  console.log(`  volmig --help      ${volmigMs.toFixed(1).padStart(7)} ms`);
  console.log(`  ratio              ${ratio.toFixed(2).padStart(7)}x  (target <= ${TARGET_RATIO}x: ${ok ? 'met' : 'MISSED'})`);
  console.log(`median CPU time (user+sys), less sensitive to load:`);
  console.log(`  node -e 0          ${nodeCpu.toFixed(1).padStart(7)} ms`);
  console.log(`  volmig --help      ${volmigCpu.toFixed(1).padStart(7)} ms`);
  console.log(`  ratio              ${(volmigCpu / nodeCpu).toFixed(2).padStart(7)}x`);
  if (check && !ok) process.exitCode = 1;
}
