#!/usr/bin/env node
// Writes volmig.1, the man page, from the built command tree (run by `npm run man` and before `npm pack`).
// test/help/manpage.test.ts checks that the committed file equals this output.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generateManPage } from '../dist/help/manpage.js';

const target = new URL('../volmig.1', import.meta.url);
await writeFile(target, await generateManPage());
console.log(`wrote ${fileURLToPath(target)}`);
