import type { RegisterCommand } from './context.js';
import { registerList } from './list.js';
import { registerShow } from './show.js';
import { registerPools } from './pools.js';
import { registerCompletion } from './completion.js';
import { registerMigrate } from './migrate.js';
import { registerRetype } from './retype.js';
import { registerProgress } from './progress.js';
import { registerEvacuate } from './evacuate.js';
import { registerHistory } from './history.js';
import { registerSandbox } from './sandbox.js';
import { registerSmoke } from './smoke.js';
import { registerRecover } from './recover.js';
import { registerDoctor } from './doctor.js';

/**
 * Every command, in help order. Each module only declares its options; heavy modules are imported inside
 * the action so that `volmig --help` stays fast.
 */
export const COMMANDS: RegisterCommand[] = [
  registerList,
  registerShow,
  registerPools,
  registerMigrate,
  registerRetype,
  registerProgress,
  registerEvacuate,
  registerHistory,
  registerSandbox,
  registerSmoke,
  registerRecover,
  registerDoctor,
  registerCompletion,
];
