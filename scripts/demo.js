#!/usr/bin/env node
// `npm run demo`: a local sandbox with the demo seed, one migration watched live, the result listed, sandbox stopped.
// Needs only a build (npm run demo builds first) and a free port on 127.0.0.1.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../dist/sandbox/index.js';

const BIN = fileURLToPath(new URL('../bin/volmig.js', import.meta.url));
const MiB = 1024 * 1024;
const VOLUME = 'demo-lvm-1-2g';
const DESTINATION = 'sandbox@vendor#pool-a';

// Small volume files (64 MiB per GiB) copied at 16 MiB/s: the 2 GiB demo volume takes about 8 seconds, long enough
// to watch the bar move, short enough for a first look.
const sandbox = await startSandbox({ port: 0, seed: 'demo', gibBytes: 64 * MiB, copyRateMiBps: 16, reportIntervalSeconds: 1 });
// The demo's migration goes into a journal of its own, removed with the sandbox: the user's journal
// (~/.local/state/volmig) records real clouds only, and an entry for a sandbox that is gone would mislead history
// and evacuate.
const stateDir = await mkdtemp(join(tmpdir(), 'volmig-demo-state-'));
const env = {
  ...process.env,
  XDG_STATE_HOME: stateDir,
  OS_AUTH_TYPE: 'noauth',
  OS_ENDPOINT: sandbox.url,
  OS_PROJECT_ID: 'admin',
  OS_USER_ID: 'admin',
};
for (const key of ['OS_CLOUD', 'OS_AUTH_URL', 'OS_TOKEN', 'OS_PASSWORD', 'OS_USERNAME']) delete env[key];

let interrupted = false;
process.on('SIGINT', () => {
  // volmig (same process group) gets the Ctrl-C too and prints how to resume; the demo just tidies up.
  interrupted = true;
});

function volmig(args) {
  process.stderr.write(`\n$ volmig ${args.join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: 'inherit' });
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}

let exitCode = 0;
try {
  process.stderr.write(`Sandbox Block Storage API on ${sandbox.url} (data in ${sandbox.dataDir})\n`);
  exitCode = await volmig(['pools']);
  if (exitCode === 0) exitCode = await volmig(['migrate', VOLUME, DESTINATION, '--wait']);
  if (exitCode === 0 && !interrupted) exitCode = await volmig(['list', '--migration-status', 'success']);
} finally {
  await sandbox.stop();
  await rm(sandbox.dataDir, { recursive: true, force: true });
  await rm(stateDir, { recursive: true, force: true });
  process.stderr.write('\nSandbox stopped.\n');
}
process.exitCode = interrupted ? 130 : exitCode;
