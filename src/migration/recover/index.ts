// `volmig recover`: inspect (read the volume and its leftover, watch an in-flight copy with every source), plan
// (what may be reset, on positive evidence only), apply (carry it out and read back what really changed).
export { inspectForRecovery, type InspectOptions } from './inspect.js';
export { DEFAULT_MIN_AGE_MS, planRecovery, type Motion, type RecoveryAction, type RecoveryFindings, type RecoveryPlan, type RecoveryPolicy } from './plan.js';
export { applyRecovery, type AppliedAction, type ObservedChange, type RecoveryOutcome } from './apply.js';
