// `volmig smoke`: pairs (which migrations to try), steps (create, migrate, check, delete), run (the loop and its
// interruption), junit-suite (the CI report).
export { caseName, orderedPairs, pickUnpinnedType, type SmokePair } from './pairs.js';
export { planSmoke, runSmoke } from './run.js';
export { smokeSuite } from './junit-suite.js';
export type { SmokeCaseResult, SmokeDeps, SmokeEvents, SmokeFailureKind, SmokeOptions, SmokePlan, SmokeRun, PlannedPair } from './types.js';
