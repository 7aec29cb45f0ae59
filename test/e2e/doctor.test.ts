import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { assertBuilt } from '../helpers/cli-process.js';
import { startE2eSandbox, volmigRun } from '../migration/e2e-helpers.js';

let sandbox: SandboxHandle;
beforeAll(async () => {
  assertBuilt();
  sandbox = await startE2eSandbox({ seed: 'none' });
});
afterAll(async () => sandbox?.stop());

describe('volmig doctor against the sandbox (built CLI)', () => {
  it('an admin: noauth, the endpoint override, microversion 3.72, may migrate, server progress; exit 0', async () => {
    const r = await volmigRun(sandbox, ['doctor'], { SHELL: '/usr/bin/zsh' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('  environment:        OS_AUTH_TYPE, OS_ENDPOINT, OS_USER_ID, OS_PROJECT_ID\n');
    expect(r.stdout).toContain(`  block storage:      ${sandbox.url}/admin (endpoint override)\n`);
    expect(r.stdout).toContain('  microversion:       3.72 in use (server 3.0 to 3.72, volmig up to 3.72)\n');
    // e2eLayout: the default six pools plus one disabled backend's (the down one reports none); vendor's two report.
    expect(r.stdout).toMatch(/\n {2}ok {4}may migrate {8}yes: get_pools \(\d+ pools\) and os-services answered; these credentials may migrate\n/);
    expect(r.stdout).toMatch(/\n {2}ok {4}progress: server {3}migration_progress at microversion 3\.72; 2 of \d+ pools also report their own driver-assisted copies\n/);
    expect(r.stdout).toContain('  -     progress: ceph     not needed: no pool is Ceph RBD\n');
    expect(r.stdout).toContain('  no    completion         not installed for zsh\n');
    expect(r.stdout).toContain('→ volmig completion zsh > "${fpath[1]}/_volmig" (then restart zsh)\n');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('Ready: volmig authenticates and reaches the Block Storage API, and these credentials may migrate.');
  });

  it('a member of project demo: may not migrate (the sandbox\'s policy 403s), still exit 0', async () => {
    const r = await volmigRun(sandbox, ['doctor', '--json'], { OS_PROJECT_ID: 'demo', OS_USER_ID: 'demo' });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.checks.find((c: { name: string }) => c.name === 'admin')).toMatchObject({ ok: false, optional: true });
    expect(report.endpoints.block_storage).toBe(`${sandbox.url}/demo`);
  });

  it('a microversion pinned below 3.72: no server progress, and doctor says it is the pin', async () => {
    const r = await volmigRun(sandbox, ['doctor', '--os-volume-api-version', '3.70']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  flags:              --os-volume-api-version\n');
    expect(r.stdout).toContain('  microversion:       3.70 in use (pinned to 3.70) (server 3.0 to 3.72, volmig up to 3.72)\n');
    expect(r.stdout).toContain('  no    progress: server   no migration_progress: it needs microversion 3.72, and the microversion is pinned to 3.70 (the server has 3.72)\n');
  });

  it('a sandbox that is not there: exit 6 with the reason', async () => {
    const r = await volmigRun(sandbox, ['doctor', '--http-timeout', '2'], { OS_ENDPOINT: 'http://127.0.0.1:9/v3' });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^Error: cannot reach http:\/\/127\.0\.0\.1:9\//);
  });
});
