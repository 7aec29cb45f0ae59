import { expect } from 'vitest';
import { describeRun, type CliResult } from './volmig.js';

/** Exit code assertion whose failure shows the whole run (command, exit, stdout, stderr). */
export function expectExit(r: CliResult, code: number): void {
  expect(r.code, describeRun(r)).toBe(code);
}

export const ACCEPTED =
  'Your migration request has been received. Please check migration status and the server log to see more information.';
export const REFUSED = 'Your migration request failed to process: ';
export const RETYPE_REFUSED = 'Your retype request failed to process: ';

/** The generic 400 of os-migrate_volume (api-facts.md; same text on real Cinder and the sandbox). */
export function genericMigrate400(volumeId: string): string {
  return (
    `Invalid volume: Volume ${volumeId} status must be available or in-use, must not be migrating, have snapshots, ` +
    'be replicated, be part of a group and destination host/cluster must be different than the current one'
  );
}

/** The escape character that starts every ANSI colour/cursor sequence. */
export const ESC = String.fromCharCode(27);
