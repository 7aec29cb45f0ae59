import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Io } from '../../src/io.js';
import { capture, type CapturedStream } from './run.js';
import { FAKE_CINDER_ROOT } from './fake-cinder.js';

export { nock };

/**
 * nock 15.0.0 intercepts undici only through undici's global dispatcher. Every test file that mocks HTTP calls
 * this once: no real network, and a test fails when one of its mocks was never called.
 */
export function useNock(): void {
  beforeAll(() => {
    nock.disableNetConnect();
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending, 'nock mocks that were never called').toEqual([]);
  });
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
}

export interface TestIo extends Io {
  stdout: CapturedStream;
  stderr: CapturedStream;
  /** Every sleep the code asked for, in ms (sleeps return at once). */
  sleeps: number[];
}

/** An Io for API/config unit tests: no real sleeping, captured streams, env and cwd as given. */
export function testIo(options: { env?: Record<string, string | undefined>; cwd?: string } = {}): TestIo {
  const sleeps: number[] = [];
  let clock = 1_800_000_000_000;
  return {
    stdout: capture(),
    stderr: capture(),
    env: { HOME: '/nonexistent-volmig-home', ...(options.env ?? {}) },
    isTTY: false,
    cwd: options.cwd ?? '/nonexistent-volmig-cwd',
    sleeps,
    now: () => (clock += 5),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    },
  };
}

/** The versions document real Cinder 21.3 answers on `GET /` with HTTP 300 (transcripts/transcript.txt, section A). */
export function versionsDocument(max: string, min = '3.0', host = FAKE_CINDER_ROOT) {
  return {
    versions: [
      {
        id: 'v3.0',
        status: 'CURRENT',
        version: max,
        min_version: min,
        updated: '2022-08-31T00:00:00Z',
        links: [
          { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
          { rel: 'self', href: `${host}/v3/` },
        ],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
      },
    ],
  };
}
