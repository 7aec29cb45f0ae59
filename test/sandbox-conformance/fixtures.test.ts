/**
 * The sandbox answers like real Cinder: every request recorded from real Cinder 21.3 into
 * test/conformance/fixtures/ (VOLMIG_RECORD=1 VOLMIG_TARGET=realcinder, see scenarios/04-api-answers.test.ts) is
 * replayed against the built `volmig sandbox`, and the status code and fault body must be the same.
 * Runs in `npm test` (which builds first); the conformance stage repeats it against real Cinder to catch drift.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawApi } from '../conformance/lib/api.js';
import { API_CASES, CaseRunner, FIXTURES_DIR, readFixture } from '../conformance/lib/api-cases.js';
import { startSandbox, type SandboxProcess } from '../conformance/lib/sandbox.js';
import { SANDBOX_LAYOUT } from '../conformance/lib/layouts.js';

let sandbox: SandboxProcess;
let runner: CaseRunner;

beforeAll(async () => {
  // 1 GiB = 4 MiB of file, copied at 2 MiB/s: a migration stays in flight ~2 s (migrate-while-migrating)
  sandbox = await startSandbox(['--size-unit-mib', '4', '--copy-rate', '2']);
  const endpoint = sandbox.env.OS_ENDPOINT!.replace(/\/$/, '');
  const project = sandbox.env.OS_PROJECT_ID ?? 'admin';
  const user = sandbox.env.OS_USER_ID ?? 'admin';
  const api = new RawApi(/\/v3$/.test(endpoint) ? `${endpoint}/${project}` : endpoint, async () => ({
    'X-Auth-Token': `${user}:${project}`,
  }));
  let n = 0;
  runner = new CaseRunner(api, SANDBOX_LAYOUT, async (what) => {
    const v = await api.createVolume(`fixture-${what}-${++n}`, SANDBOX_LAYOUT.pinnedA);
    const r = await api.action(v.id, { 'os-retype': { new_type: SANDBOX_LAYOUT.unpinned, migration_policy: 'never' } });
    expect(r.status, r.text).toBe(202);
    return api.waitVolume(v.id, (x) => x.status === 'available' && x.volume_type === SANDBOX_LAYOUT.unpinned);
  });
});
afterAll(async () => {
  await sandbox?.stop();
});

describe('sandbox vs real Cinder recordings (test/conformance/fixtures)', () => {
  it('every recorded case is one the suite knows, and every case has a recording', () => {
    const files = readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
    expect(files).toEqual(API_CASES.map((c) => c.name).sort());
  });

  for (const c of API_CASES) {
    it(`${c.name}: same status and fault body as real Cinder`, async () => {
      const fixture = readFixture(c.name);
      expect(fixture, `missing recording ${c.name}`).toBeDefined();
      const { normalized } = await runner.run(c);
      expect(normalized).toEqual(fixture!.response);
    });
  }
});
