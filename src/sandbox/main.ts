/**
 * `node dist/sandbox/main.js [flags]` is `volmig sandbox [flags]`: the same flags, output and exit codes, for tests
 * and scripts that run the sandbox as a child process. The CLI's main() parses and reports; this file only launches.
 */
import { main, processIo } from '../cli.js';

process.exitCode = await main([process.argv[0]!, 'volmig', 'sandbox', ...process.argv.slice(2)], processIo());
