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

process.exitCode = await main(process.argv, processIo());
