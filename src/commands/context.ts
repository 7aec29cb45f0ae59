// The command contract: what src/cli.ts hands every command module. Commands import this, never src/cli.ts.
import type { Command } from 'commander';
import type { BlockStorageClient } from '../api/block-storage.js';
import type { GlobalOptions } from '../config/global-options.js';
import type { VolmigSettings } from '../config/settings.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { RunInterruption } from '../interruption.js';
import type { Output } from '../ui/output.js';

/**
 * What a command action gets: the injected io, the merged global options, an Output, and lazily built
 * settings and client (so `--help` and `completion` never load undici or read config files).
 */
export interface CommandEnv {
  io: Io;
  globals: GlobalOptions;
  out: Output;
  /** The run's one stop (Ctrl-C, SIGTERM), owned by main(): its `signal` ends every request and every wait. */
  interruption: RunInterruption;
  settings(): Promise<VolmigSettings>;
  client(): Promise<BlockStorageClient>;
}

export type CommandAction = (env: CommandEnv) => Promise<number | void>;

export interface CommandContext {
  io: Io;
  /** Wraps an action: builds the env from the command's merged options, records the exit code. */
  action(cmd: Command, run: CommandAction): Promise<void>;
}

/** A command module registers its commander definition against the context. */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

/** For commands: a usage error for a bad option value (exit 2), in one line. */
export function invalidOption(flag: string, value: string, allowed: string): UsageError {
  return new UsageError(`invalid value for ${flag}: '${value}' (expected ${allowed})`);
}
