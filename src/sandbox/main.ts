/**
 * Standalone entry (`node dist/sandbox/main.js --port 0 ...`), for tests and scripts that run the sandbox as a child
 * process without the volmig CLI around it. Same flags and output as `volmig sandbox`.
 */
import { parseArgs } from 'node:util';
import { DataDirInUseError, parseSandboxFlags, runSandbox, SandboxFlagError } from './run.js';

async function mainEntry(argv: string[]): Promise<number> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        seed: { type: 'string' },
        'report-interval': { type: 'string' },
        'copy-rate': { type: 'string' },
        'transport-url': { type: 'string' },
        'max-copies': { type: 'string' },
        'admin-projects': { type: 'string' },
        'size-unit-mib': { type: 'string' },
        'phase-delay-ms': { type: 'string' },
      },
    }) as { values: Record<string, string | undefined> });
  } catch (err) {
    process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  try {
    const options = parseSandboxFlags({
      host: values.host,
      port: values.port,
      dataDir: values['data-dir'],
      seed: values.seed,
      reportInterval: values['report-interval'],
      copyRate: values['copy-rate'],
      transportUrl: values['transport-url'],
      maxCopies: values['max-copies'],
      adminProjects: values['admin-projects'],
      sizeUnitMib: values['size-unit-mib'],
      phaseDelayMs: values['phase-delay-ms'],
    });
    return await runSandbox(options, { stdout: process.stdout, stderr: process.stderr, signals: process });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`Error: ${message}\n`);
    if (err instanceof SandboxFlagError || err instanceof DataDirInUseError) return 2;
    const code = (err as { exitCode?: unknown }).exitCode;
    if (typeof code === 'number') return code;
    return (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 6 : 1;
  }
}

process.exitCode = await mainEntry(process.argv.slice(2));
