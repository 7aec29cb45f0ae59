// `volmig smoke`: pairs (which migrations to try), steps (create, migrate, check, delete), run (the loop and its
// interruption), junit-suite (the CI report).
export { caseName, orderedPairs, pickUnpinnedType, type SmokePair } from './pairs.js';
export { runSmoke } from './run.js';
export { smokeSuite } from './junit-suite.js';
export type { SmokeCaseResult, SmokeDeps, SmokeEvents, SmokeFailureKind, SmokeOptions, SmokeRun } from './types.js';
