import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { assertBuilt, ROOT } from '../helpers/cli-process.js';
import { api, startE2eSandbox } from '../migration/e2e-helpers.js';
import type { Volume } from '../../src/model/cinder.js';

let sandbox: SandboxHandle;
const dir = mkdtempSync(join(tmpdir(), 'volmig-loop-'));
beforeAll(async () => {
  assertBuilt();
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'volmig'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'volmig.js')}" "$@"\n`);
  chmodSync(join(dir, 'bin', 'volmig'), 0o755);
  sandbox = await startE2eSandbox();
});
afterAll(async () => {
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function sh(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--norc', '-c', script], {
      env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, HOME: dir, XDG_STATE_HOME: dir, OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: sandbox.url, OS_PROJECT_ID: 'admin', OS_USER_ID: 'admin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('volmig list -f value -c ID feeds a shell loop; --no-headers | wc -l and -f value | wc -l count the volumes', async () => {
  const listed = (await api<{ volumes: Volume[] }>(sandbox, 'GET', '/volumes/detail?all_tenants=1')).body.volumes;
  const r = await sh('for id in $(volmig list --all-projects -f value -c ID); do volmig show "$id" --all-projects -f value -c id -c status; done');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(listed.length * 2);
  expect(new Set(lines.filter((_, i) => i % 2 === 0))).toEqual(new Set(listed.map((v) => v.id)));
  expect(lines.filter((_, i) => i % 2 === 1).every((s) => s === 'available')).toBe(true);

  const counts = await sh('volmig list --all-projects --no-headers | wc -l; volmig list --all-projects -f value | wc -l; volmig list --all-projects | wc -l');
  expect(counts.stdout.split('\n').filter(Boolean).map(Number)).toEqual([listed.length, listed.length, listed.length + 1]);

  // An empty listing: no line at all (the message goes to stderr), so the loop runs zero times.
  const none = await sh('n=0; for id in $(volmig list --status error -f value -c ID); do n=$((n+1)); done; echo "$n"');
  expect(none.stdout).toBe('0\n');
  expect(none.stderr).toBe('No volumes found in project admin (--all-projects lists every project).\n');
}, 90_000);
