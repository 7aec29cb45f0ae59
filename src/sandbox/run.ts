import { MAX_MINOR, MIN_MINOR } from './http.js';
import { startSandbox, type SandboxOptions } from './index.js';
export { DataDirInUseError } from './index.js';

/** Raw flag values as the CLI receives them (strings), before validation. */
export interface SandboxFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  seed?: string;
  reportInterval?: string;
  copyRate?: string;
  transportUrl?: string;
  maxCopies?: string;
  adminProjects?: string;
  sizeUnitMib?: string;
  phaseDelayMs?: string;
  maxMicroversion?: string;
}

/** A bad flag value: the message is one line naming the flag, the value and what is expected. */
export class SandboxFlagError extends Error {}

function positiveNumber(flag: string, value: string | undefined, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new SandboxFlagError(`invalid value for ${flag}: '${value}' (expected a positive ${integer ? 'integer' : 'number'})`);
  }
  return n;
}

/** `3.NN` within the sandbox's range, as its minor number. */
function microversionMinor(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^3\.(0|[1-9]\d*)$/.exec(value.trim());
  const minor = m ? Number(m[1]) : NaN;
  if (!(minor >= MIN_MINOR && minor <= MAX_MINOR)) {
    throw new SandboxFlagError(`invalid value for ${flag}: '${value}' (expected a microversion from 3.${MIN_MINOR} to 3.${MAX_MINOR})`);
  }
  return minor;
}

export function parseSandboxFlags(flags: SandboxFlags): SandboxOptions {
  let port: number | undefined;
  if (flags.port !== undefined) {
    port = Number(flags.port);
    if (!/^\d+$/.test(flags.port) || port > 65535) {
      throw new SandboxFlagError(`invalid value for --port: '${flags.port}' (expected 0-65535; 0 picks a free port)`);
    }
  }
  if (flags.seed !== undefined && !['demo', 'none'].includes(flags.seed)) {
    throw new SandboxFlagError(`invalid value for --seed: '${flags.seed}' (expected demo or none)`);
  }
  if (flags.host !== undefined && flags.host.trim() === '') throw new SandboxFlagError("invalid value for --host: '' (expected an address)");
  const sizeUnitMib = positiveNumber('--size-unit-mib', flags.sizeUnitMib, true);
  const phaseDelay = flags.phaseDelayMs === undefined ? undefined : Number(flags.phaseDelayMs);
  if (phaseDelay !== undefined && (!Number.isFinite(phaseDelay) || phaseDelay < 0)) {
    throw new SandboxFlagError(`invalid value for --phase-delay-ms: '${flags.phaseDelayMs}' (expected a number >= 0)`);
  }
  return {
    host: flags.host,
    port,
    dataDir: flags.dataDir,
    seed: flags.seed as 'demo' | 'none' | undefined,
    reportIntervalSeconds: positiveNumber('--report-interval', flags.reportInterval),
    copyRateMiBps: positiveNumber('--copy-rate', flags.copyRate),
    transportUrl: flags.transportUrl,
    maxConcurrentCopies: positiveNumber('--max-copies', flags.maxCopies, true),
    adminProjects: flags.adminProjects?.split(',').map((p) => p.trim()).filter(Boolean),
    gibBytes: sizeUnitMib === undefined ? undefined : sizeUnitMib * 1024 * 1024,
    phaseDelayMs: phaseDelay,
    maxMinorVersion: microversionMinor('--max-microversion', flags.maxMicroversion),
  };
}

export interface SandboxConsole {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  signals?: {
    on(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
    off(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  };
}

/**
 * Runs the sandbox until SIGINT or SIGTERM, then stops it and removes its data directory if it made a temporary
 * one. The first stdout line is machine-readable
 * (`Block Storage API listening on http://127.0.0.1:PORT/v3`), the second a ready-to-paste export line.
 */
export async function runSandbox(options: SandboxOptions, io: SandboxConsole): Promise<number> {
  const sandbox = await startSandbox(options);
  io.stdout.write(`Block Storage API listening on ${sandbox.url}\n`);
  io.stdout.write(`export OS_AUTH_TYPE=noauth OS_ENDPOINT=${sandbox.url} OS_PROJECT_ID=admin OS_USER_ID=admin\n`);
  io.stderr.write(
    [
      `Data directory: ${sandbox.dataDir}${sandbox.temporaryDataDir ? ' (temporary: removed when the sandbox stops; --data-dir keeps one)' : ''}`,
      `Log: ${sandbox.logPath}`,
      `Notifications: ${sandbox.notificationsPath}`,
      sandbox.seededVolumeIds.length > 0 ? `Seeded ${sandbox.seededVolumeIds.length} demo volumes.` : undefined,
      'Press Ctrl+C to stop.',
    ]
      .filter(Boolean)
      .join('\n') + '\n',
  );
  const signals = io.signals ?? process;
  const signal = await new Promise<string>((resolve) => {
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    function done(name: string) {
      signals.off('SIGINT', onInt);
      signals.off('SIGTERM', onTerm);
      resolve(name);
    }
    signals.on('SIGINT', onInt);
    signals.on('SIGTERM', onTerm);
  });
  io.stderr.write(`${signal}: stopping the sandbox\n`);
  // stop() removes a temporary data directory (a --data-dir the user gave is theirs to keep).
  await sandbox.stop();
  if (sandbox.temporaryDataDir) io.stderr.write(`Removed the temporary data directory ${sandbox.dataDir}.\n`);
  io.stderr.write('Sandbox stopped.\n');
  return 0;
}
