#!/usr/bin/env node
// Launcher only: all behaviour lives in main(argv, io), which never exits the process itself.
import { main, processIo } from '../dist/cli.js';

process.exitCode = await main(process.argv, processIo());
