/**
 * The raw API answers behind volmig's messages: status code and fault body of each request in API_CASES.
 *   VOLMIG_RECORD=1 VOLMIG_TARGET=realcinder  records real Cinder's answers into test/conformance/fixtures/
 *   otherwise                                 compares the target's answers with the committed recordings
 * (real Cinder against its own recordings catches drift; the sandbox must match real Cinder exactly).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_CASES, CaseRunner, readFixture, writeFixture } from '../lib/api-cases.js';
import { openTarget, volName, type Target } from '../lib/target.js';

let t: Target;
let runner: CaseRunner;
const recording = process.env.VOLMIG_RECORD === '1';

function cinderVersion(): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'cinder-api'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

beforeAll(async () => {
  t = await openTarget();
  if (recording && t.kind !== 'realcinder') throw new Error('VOLMIG_RECORD=1 records real Cinder only: use VOLMIG_TARGET=realcinder');
  runner = new CaseRunner(t.api, t.layout, (what) => t.movableVolume(volName(what)));
});
afterAll(async () => {
  await t?.close();
});

describe(`API answers vs recorded real Cinder [${process.env.VOLMIG_TARGET ?? 'sandbox'}${recording ? ', RECORDING' : ''}]`, () => {
  for (const c of API_CASES) {
    it(`${c.name}: ${c.description}`, async () => {
      const { normalized } = await runner.run(c);
      if (recording) {
        writeFixture({
          ...c,
          response: normalized,
          recorded_from: `Debian cinder-api ${cinderVersion()}, two RBD backends (Ceph 16), noauth, ${new Date().toISOString().slice(0, 10)}`,
        });
        return;
      }
      const fixture = readFixture(c.name);
      expect(fixture, `no recording for ${c.name}: run VOLMIG_RECORD=1 VOLMIG_TARGET=realcinder first`).toBeDefined();
      expect(normalized).toEqual(fixture!.response);
    });
  }
});
