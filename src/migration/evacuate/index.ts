// `volmig evacuate`: types (request, plan, move states), plan (what to move where, sends nothing), scheduler (the
// caps), run (the state machine that sends and follows), aggregate (the window's totals).
export * from './types.js';
export { evacuationTag, orderVolumes, planEvacuation, preflightFor } from './plan.js';
export { SlotScheduler } from './scheduler.js';
export { runEvacuation } from './run.js';
export { computeAggregate } from './aggregate.js';
