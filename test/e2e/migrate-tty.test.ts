import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { ROOT, assertBuilt } from '../helpers/cli-process.js';
import { getVolume, migstat, startE2eSandbox, volumeByName, waitFor } from '../migration/e2e-helpers.js';

// util-linux `script` gives volmig a real pseudo-terminal, and a ^C written to it is a real Ctrl-C (SIGINT from
// the terminal to the foreground process), the way an operator stops watching.
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

let sandbox: SandboxHandle;
beforeAll(async () => {
  assertBuilt();
  sandbox = await startE2eSandbox();
});
afterAll(async () => {
  await sandbox?.stop();
});

function inTerminal(command: string, onOutput: (text: string, typeCtrlC: () => void) => void): Promise<{ code: number | null; text: string }> {
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: '/nonexistent-volmig-home',
      TERM: 'xterm-256color',
      OS_AUTH_TYPE: 'noauth',
      OS_ENDPOINT: sandbox.url,
      OS_PROJECT_ID: 'admin',
      OS_USER_ID: 'admin',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    text += d;
    onOutput(text, () => child.stdin.write('\x03'));
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (text += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, text })));
}

describe.skipIf(!hasScript)('on a terminal (util-linux script)', () => {
  it('Ctrl-C while the spinner runs: terminal restored, resume message, exit 130, migration goes on', async () => {
    const v = await volumeByName(sandbox, 'demo-pool-c-2g');
    let typed = false;
    const r = await inTerminal(`node bin/volmig.js migrate ${v.id} sandbox@vendor-lite#pool-d --wait --interval 0.5`, (text, ctrlC) => {
      // The row's words are coloured (dim): read them without the colour codes.
      // eslint-disable-next-line no-control-regex
      if (!typed && /migrating \(in progress\)/.test(text.replace(/\x1b\[[0-9;]*m/g, ''))) {
        typed = true;
        ctrlC();
      }
    });
    expect(r.code).toBe(130);
    expect(r.text).toContain('\x1b[?25l');
    const tail = r.text.slice(r.text.lastIndexOf('\x1b[?25l'));
    expect(tail).toContain('\x1b[?25h');
    expect(r.text).toContain(`Stopped watching; the migration continues on the server. Resume with: volmig progress ${v.id} --watch`);
    await waitFor('the migration to finish', async () => migstat(await getVolume(sandbox, v.id)) === 'success');
  });

  it('numeric progress draws a bar (not plain lines) and ends with the summary', async () => {
    const v = await volumeByName(sandbox, 'demo-lvm-1-1g');
    const r = await inTerminal(`node bin/volmig.js migrate ${v.id} sandbox@lvm-2#lvm-2 --wait --interval 0.5`, () => {});
    expect(r.code).toBe(0);
    expect(r.text).toMatch(/█+░*/);
    expect(r.text).toMatch(/\d+% \d\.\d\/1\.0 GiB/);
    expect(r.text).not.toMatch(/demo-lvm-1-1g migrating \d+% [\d.]+\/1\.0 GiB [\d.]+ MiB\/s eta \d+:\d\d\r?\n/);
    expect(r.text).toContain('demo-lvm-1-1g: migrated sandbox@lvm-1#lvm-1 → sandbox@lvm-2#lvm-2');
  });
});
