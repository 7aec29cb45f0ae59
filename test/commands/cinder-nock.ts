import nock from 'nock';
import { getGlobalDispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { API, ENDPOINT_ROOT, NOAUTH_ENV, VERSIONS_DOCUMENT } from './fixtures.js';
import { runVolmig, type RunOptions, type RunResult } from '../helpers/run.js';

/**
 * nock through undici's global dispatcher: no real network, every interceptor used exactly as declared, and a
 * guard test so a silent loss of interception (another nock version, an explicit Agent) fails loudly.
 */
export function useCinderNock(): void {
  beforeAll(() => {
    nock.disableNetConnect();
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending, 'every declared request was made').toEqual([]);
  });
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
  test('nock intercepts through the global undici dispatcher', () => {
    expect(getGlobalDispatcher().constructor.name).toBe('NockAgent');
  });
}

/** The versions document read once per run (GET / answers 300), then the API under /v3/admin. */
export function cinderApi(): nock.Scope {
  nock(ENDPOINT_ROOT).get('/').reply(300, VERSIONS_DOCUMENT);
  return nock(API);
}

/** volmig in-process against the nocked endpoint, with retries' sleeps made instant. */
export function volmig(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runVolmig(args, { sleep: async () => {}, ...options, env: { ...NOAUTH_ENV, ...(options.env ?? {}) } });
}
