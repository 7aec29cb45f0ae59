import type { JUnitCase, JUnitSuite } from '../junit.js';
import type { SmokeFailureKind, SmokeRun } from './types.js';

/** The JUnit view of a run: one test case per pair (and per locked variant). */
export function smokeSuite(run: SmokeRun, cloud: string): JUnitSuite {
  const cases: JUnitCase[] = run.cases.map((c) => {
    const jc: JUnitCase = { name: c.name, classname: 'volmig.smoke', time: c.durationMs / 1000 };
    if (c.skipped) jc.skipped = 'not run: interrupted (Ctrl-C)';
    else if (c.failure?.kind === 'interrupted') jc.error = { message: c.failure.message, type: 'Interrupted' };
    else if (c.failure) {
      const details = [...c.failure.details];
      if (c.volumeId) details.push(`volume ${c.volumeId}`);
      jc.failure = { message: c.failure.message, type: FAILURE_TYPES[c.failure.kind], details: details.join('\n') || undefined };
    }
    if (c.volumeId) jc.properties = { volume_id: c.volumeId };
    return jc;
  });
  return {
    name: 'volmig smoke',
    timestamp: new Date(run.startedAt).toISOString().replace(/\.\d+Z$/, ''),
    properties: { cloud, volume_type: run.volumeType, pools: run.pools.join(',') },
    cases,
  };
}

const FAILURE_TYPES: Record<SmokeFailureKind, string> = {
  setup: 'SetupFailed',
  rejected: 'MigrationRejected',
  error: 'MigrationFailed',
  timeout: 'MigrationTimedOut',
  check: 'CheckFailed',
  interrupted: 'Interrupted',
};
