#!/usr/bin/env node
// Launcher only: all behaviour lives in main(argv, io), which never exits the process itself.
import { main, processIo } from '../dist/cli.js';

// `volmig list | head` closes our stdout early; like any Unix filter, stop quietly instead of dying
// on an unhandled EPIPE stack trace. This is the one place allowed to end the process.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const io = processIo();
// Memory (issue 14: a 10,000-volume listing within 80 MiB), applied when volmig first connects to a server: a V8
// flag changed at startup makes the modules loaded after it compile more slowly, which `--help` must not pay.
// V8 reads these flags when it uses them, so setting them while running is enough:
// - undici parses HTTP with WebAssembly (llhttp); optimising that module with TurboFan costs about 35 MiB of peak
//   RSS and 0.3 s, while Liftoff's baseline code parses headers just as well.
// - a listing allocates a page of JSON after another and drops it. V8 would grow its young generation to 16 MiB
//   semi-spaces for that garbage (growth factor 1 keeps the initial size: more, shorter scavenges), and let the
//   old generation grow by at least 8 MiB past the live data before collecting it (optimize-for-size: 2 MiB, and
//   heap-growing-percent keeps the factor near 1.2). About 5 MiB less at the peak for some 10% more CPU.
io.beforeNetwork = async () => {
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--liftoff-only');
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=20');
  setFlagsFromString('--optimize-for-size');
};
process.exitCode = await main(process.argv, io);
