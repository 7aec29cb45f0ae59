#!/usr/bin/env node
// Watch benchmark: `volmig progress --all --watch --interval 10` following 500 migrations on the replay server
// (bench/replay-server.js --progress: every in-flight volume reports a rising migration_progress), stdout and
// stderr piped (the plain renderer, as under cron or CI). Measured over a fixed window after the first poll: the
// CPU time volmig's process used (/proc/<pid>/stat utime + stime), as per cent of one core, and requests per
// interval. There is no outside anchor: the figure to keep is the 1.4% of a core, one request per interval.
// Usage: node bench/watch.js [--seconds 60]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ROOT } from './lib.js';
import { startReplayServer } from './replay-server.js';

const MIGRATIONS = 500;
const INTERVAL_S = 10;
const CPU_TARGET_PERCENT = 2;
const CLOCK_TICKS = 100; // USER_HZ on Linux

function cpuTicks(pid) {
  // Fields after the command name (which may hold blanks): state is field 3, utime 14 and stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function run({ seconds = 60, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const server = await startReplayServer({ volumes: MIGRATIONS, migratingEvery: 1, progress: true });
  log(`bench: watch ${MIGRATIONS} migrations, --interval ${INTERVAL_S}, ${seconds} s window ...`);
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: server.endpoint, OS_PROJECT_ID: 'admin', OS_USER_ID: 'admin' };
  const child = spawn(process.execPath, ['bin/volmig.js', 'progress', '--all', '--watch', '--interval', String(INTERVAL_S)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdoutBytes = 0;
  let stderrText = '';
  child.stdout.on('data', (c) => (stdoutBytes += c.length));
  child.stderr.on('data', (c) => {
    if (stderrText.length < 100_000) stderrText += c;
  });
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  try {
    // The window starts once the first poll is answered and drawn (startup and the first render are not the steady state).
    const deadline = Date.now() + 30_000;
    while (server.counts.listing === 0 && Date.now() < deadline) await sleep(50);
    if (server.counts.listing === 0) throw new Error(`volmig progress made no listing request within 30 s: ${stderrText.trim().slice(-300)}`);
    await sleep(2000);
    const requestsBefore = server.requests().total;
    const ticksBefore = cpuTicks(child.pid);
    const started = Date.now();
    await sleep(seconds * 1000);
    const ticksAfter = cpuTicks(child.pid);
    const windowS = (Date.now() - started) / 1000;
    const requests = server.requests().total - requestsBefore;
    child.kill('SIGINT');
    const end = await Promise.race([exited, sleep(10_000).then(() => undefined)]);
    if (!end) {
      child.kill('SIGKILL');
      throw new Error('volmig progress --watch did not stop within 10 s of SIGINT');
    }
    const cpuPercent = (((ticksAfter - ticksBefore) / CLOCK_TICKS) * 100) / windowS;
    const perInterval = requests / (windowS / INTERVAL_S);
    const bench = `watch ${MIGRATIONS} migrations`;
    return [
      {
        bench,
        measure: 'CPU',
        value: cpuPercent,
        unit: '% of a core',
        target: `≤ ${CPU_TARGET_PERCENT}%`,
        ok: cpuPercent <= CPU_TARGET_PERCENT,
        note: `${windowS.toFixed(0)} s window, plain output; Ctrl-C exit ${end.code ?? end.signal}`,
      },
      {
        bench,
        measure: 'requests per interval',
        value: perInterval,
        unit: '',
        target: '1',
        ok: Math.round(perInterval) <= 1,
        note: `${requests} in ${windowS.toFixed(0)} s at --interval ${INTERVAL_S}; ${server.cloud.records.length} volumes (one page)`,
      },
    ];
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await server.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--seconds');
  console.log(JSON.stringify(await run({ seconds: i >= 0 ? Number(process.argv[i + 1]) : 60 }), null, 2));
}
