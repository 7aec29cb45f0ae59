/**
 * Starts what the chosen target needs once for the whole run: for VOLMIG_TARGET=sandbox the built
 * `volmig sandbox --port 0 --data-dir <tmp>` (its export line tells the scenarios where it listens); the
 * real targets are brought up by test/conformance/real-cinder/up.sh and keystone/up.sh beforehand and only
 * checked here, so a missing stack fails in seconds with a clear message instead of in every scenario.
 */
import type { TestProject } from 'vitest/node';
import { startSandbox } from './lib/sandbox.js';

export default async function setup(project: TestProject) {
  const kind = process.env.VOLMIG_TARGET ?? 'sandbox';
  if (kind !== 'sandbox') {
    const probe = await fetch('http://127.0.0.1:8776/').catch((e: Error) => e);
    if (probe instanceof Error || probe.status !== 300) {
      throw new Error(
        `VOLMIG_TARGET=${kind}: real Cinder does not answer on http://127.0.0.1:8776/ ` +
          `(${probe instanceof Error ? probe.message : `HTTP ${probe.status}`}); start it with ` +
          `bash test/conformance/real-cinder/up.sh${kind === 'keystone' ? ' && bash test/conformance/keystone/up.sh' : ''}`,
      );
    }
    project.provide('sandbox', null);
    return;
  }
  // 1 GiB volumes as 128 MiB files copied at 32 MiB/s: each copy takes ~4 s, long enough to watch it in flight
  const sandbox = await startSandbox(['--size-unit-mib', '128', '--copy-rate', '32']);
  project.provide('sandbox', { env: sandbox.env, dataDir: sandbox.dataDir });
  return async () => {
    await sandbox.stop();
  };
}
