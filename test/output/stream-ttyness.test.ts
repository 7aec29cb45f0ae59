import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVolmig, type RunResult } from '../helpers/run.js';
import { startCloud, type TestCloud } from '../maintenance/sandbox-helpers.js';

// Each stream's styling follows that stream: a terminal on one side never puts escape codes into the other
// (`volmig history | less` from a terminal, `volmig migrate --wait 2>log` at a terminal). Every command runs twice
// in-process against a sandbox: stdout a terminal and stderr piped, then the other way round.

const ESC = '\u001b';
let cloud: TestCloud;
let vol: string;
let other: string;

beforeAll(async () => {
  cloud = await startCloud({ gibMiB: 1, copyRateMiBps: 64 });
  vol = (await cloud.createVolume({ size: 1, name: 'tty-a' })).id;
  other = (await cloud.createVolume({ size: 1, name: 'tty-b' })).id;
  await cloud.waitFor(vol, (v) => v.status === 'available');
  await cloud.waitFor(other, (v) => v.status === 'available');
}, 60_000);
afterAll(async () => {
  await cloud?.stop();
});

async function both(args: () => string[]): Promise<{ outTTY: RunResult; errTTY: RunResult }> {
  const outTTY = await runVolmig(args(), { env: cloud.env, stdoutTTY: true, stderrTTY: false });
  const errTTY = await runVolmig(args(), { env: cloud.env, stdoutTTY: false, stderrTTY: true });
  return { outTTY, errTTY };
}

describe('stdout and stderr differ in TTY-ness', () => {
  const cases: [string, () => string[]][] = [
    ['list', () => ['list']],
    ['list --long', () => ['list', '--long']],
    ['show', () => ['show', vol]],
    ['pools', () => ['pools']],
    ['progress (one shot)', () => ['progress', vol]],
    ['progress --all', () => ['progress', '--all']],
    ['migrate --dry-run', () => ['migrate', vol, 'sandbox@lvm-2#lvm-2', '--dry-run']],
    ['migrate refused (unknown pool)', () => ['migrate', vol, 'sandbox@nosuch#nosuch']],
    ['retype --dry-run', () => ['retype', vol, 'lvm-2', '--dry-run']],
    ['evacuate --dry-run', () => ['evacuate', '--from', 'sandbox@lvm-2', '--to', 'sandbox@lvm-1#lvm-1', '--dry-run']],
    ['recover (nothing to do)', () => ['recover', other, '--yes']],
    ['history', () => ['history']],
    ['completion', () => ['completion', 'bash']],
    ['help', () => ['help', 'migrate']],
    ['a usage error', () => ['list', '--limit', 'many']],
  ];
  for (const [name, args] of cases) {
    it(name, async () => {
      const { outTTY, errTTY } = await both(args);
      expect(outTTY.code, outTTY.stderr).toBe(errTTY.code);
      expect(outTTY.stderr, 'stderr piped while stdout is a terminal').not.toContain(ESC);
      expect(errTTY.stdout, 'stdout piped while stderr is a terminal').not.toContain(ESC);
    });
  }

  it('migrate --wait: the live display goes to the terminal stderr, stdout (piped) gets only the plain summary', async () => {
    const from = (await cloud.volume(vol))['os-vol-host-attr:host'] as string;
    const to = from === 'sandbox@lvm-2#lvm-2' ? 'sandbox@lvm-1#lvm-1' : 'sandbox@lvm-2#lvm-2';
    const errTTY = await runVolmig(['migrate', vol, to, '--wait', '--interval', '0.5'], { env: cloud.env, stdoutTTY: false, stderrTTY: true });
    expect(errTTY.code, errTTY.stderr).toBe(0);
    expect(errTTY.stdout).toBe(errTTY.stdout.match(/^tty-a: migrated \S+ → \S+ \(1\.0 GiB in \d+:\d\d(, [^)]+)?\)\n$/)?.[0]);
    expect(errTTY.stderr).toContain(`${ESC}[?25l`);
    const outTTY = await runVolmig(['migrate', vol, from, '--wait', '--interval', '0.5'], { env: cloud.env, stdoutTTY: true, stderrTTY: false });
    expect(outTTY.code).toBe(0);
    expect(outTTY.stderr).not.toContain(ESC);
    expect(outTTY.stderr).toMatch(/^tty-a (starting|migrating)/m);
  }, 60_000);

  it('history colours its outcome only on a terminal stdout', async () => {
    const colour = await runVolmig(['history'], { env: { ...cloud.env, FORCE_COLOR: undefined }, stdoutTTY: true, stderrTTY: false });
    expect(colour.stdout).toContain(`${ESC}[32msuccess`);
    const plain = await runVolmig(['history'], { env: cloud.env, stdoutTTY: false, stderrTTY: true });
    expect(plain.stdout).toContain('success');
    expect(plain.stdout).not.toContain(ESC);
  });
});
