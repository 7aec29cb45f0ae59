#!/usr/bin/env node
// `npm run bench`: every benchmark, each beside its anchor measured in this same run, in ONE table.
//   list     volmig list vs cinder list (and openstack volume list), replay server, 10,000 and 100,000 volumes
//   watch    progress --all --watch on 500 migrations: CPU % of a core, requests per interval
//   movers   the sandbox's movers (file I/O and dd) vs dd itself: time and copy size of a sparse file, dense throughput
//   startup  volmig --help vs node -e 0
// Benchmarks are not tests: nothing here runs in .ci/run. The exit code is 1 when a target is missed.
// Usage: node bench/run.js [--runs N] [--watch-seconds S] [--only list,watch,movers,startup] [--no-100k] [--json FILE]
import { existsSync, writeFileSync } from 'node:fs';
import { machine } from './lib.js';

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(option('runs') ?? 3);
const watchSeconds = Number(option('watch-seconds') ?? 60);
const only = new Set((option('only') ?? 'list,watch,movers,startup').split(','));
const log = (line) => process.stderr.write(`${line}\n`);

if (!existsSync(new URL('../dist/cli.js', import.meta.url))) {
  console.error('bench: dist/ is missing; run `npm run build` first (or `npm run bench`)');
  process.exit(2);
}

const before = machine();
const started = Date.now();
const rows = [];
const section = async (name, load) => {
  if (!only.has(name)) return;
  try {
    rows.push(...(await load()));
  } catch (err) {
    rows.push({ bench: name, measure: 'error', note: `FAILED: ${err instanceof Error ? err.message : String(err)}`, ok: false });
  }
};

await section('list', async () => (await import('./list.js')).run({ runs, large: !args.includes('--no-100k'), log }));
await section('watch', async () => (await import('./watch.js')).run({ seconds: watchSeconds, log }));
await section('movers', async () => {
  log('bench: movers ...');
  const movers = await import('./movers.js');
  // movers.js writes its targets as '<= 2' for its own table; here they read like every other row's.
  return (await movers.run()).map((r) => ({ ...r, ok: movers.met(r), target: r.target.replace('<=', '≤').replace('>=', '≥') + '×' }));
});
await section('startup', async () => {
  log('bench: startup ...');
  return (await import('./startup.js')).run({ runs: 15 });
});
const after = machine();

const fmt = (n) => {
  if (n === undefined || n === null || Number.isNaN(n)) return '';
  if (typeof n !== 'number') return String(n);
  if (Math.abs(n) >= 100 || Number.isInteger(n)) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
};
const table = rows.map((r) => [
  r.bench ?? '',
  r.measure ?? '',
  r.value === undefined ? '' : `${fmt(r.value)}${r.unit ? ` ${r.unit}` : ''}`,
  r.anchorName ?? '',
  r.anchor === undefined ? '' : `${fmt(r.anchor)}${r.unit && r.anchorName && !r.anchorName.startsWith('listing') ? ` ${r.unit}` : ''}`,
  typeof r.ratio === 'number' ? `${r.ratio.toFixed(2)}×` : '',
  r.target ?? '',
  r.ok === undefined ? '' : r.ok ? 'met' : 'MISSED',
  r.note ?? '',
]);
const header = ['bench', 'measure', 'volmig', 'anchor', 'anchor value', 'ratio', 'target', '', 'note'];
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();

console.log(`volmig benchmarks, ${new Date(started).toISOString().slice(0, 16).replace('T', ' ')} UTC, node ${process.version}`);
console.log(`machine: ${before.cores} cores (${before.model}); load average ${before.load} at the start, ${after.load} at the end`);
console.log(`took ${Math.round((Date.now() - started) / 1000)} s; list: median of ${runs} runs (peak RSS: the highest), replay server pages of 1000`);
console.log('');
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of table) console.log(line(row));

const jsonPath = option('json');
if (jsonPath) writeFileSync(jsonPath, JSON.stringify({ started: new Date(started).toISOString(), machine: { before, after }, node: process.version, rows }, null, 2) + '\n');
if (rows.some((r) => r.ok === false)) process.exitCode = 1;
