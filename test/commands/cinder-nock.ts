import { getGlobalDispatcher } from 'undici';
import { expect, test } from 'vitest';
import { nock, useNock, versionsDocument } from '../helpers/nock.js';
import { API, ENDPOINT_ROOT, NOAUTH_ENV } from './fixtures.js';
import { runVolmig, type RunOptions, type RunResult } from '../helpers/run.js';

/**
 * The shared nock setup (no real network, every declared request made) plus a guard test, so that a silent loss
 * of interception (another nock version, an explicit Agent) fails loudly.
 */
export function useCinderNock(): void {
  useNock();
  test('nock intercepts through the global undici dispatcher', () => {
    expect(getGlobalDispatcher().constructor.name).toBe('NockAgent');
  });
}

/** The versions document read once per run (GET / answers 300, here advertising the sandbox's 3.72), then the API under /v3/admin. */
export function cinderApi(): nock.Scope {
  nock(ENDPOINT_ROOT).get('/').reply(300, versionsDocument('3.72', '3.0', ENDPOINT_ROOT));
  return nock(API);
}

/** volmig in-process against the nocked endpoint, with retries' sleeps made instant. */
export function volmig(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runVolmig(args, { sleep: async () => {}, ...options, env: { ...NOAUTH_ENV, ...(options.env ?? {}) } });
}
