import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { assertBuilt, ROOT } from '../helpers/cli-process.js';

const home = mkdtempSync(join(tmpdir(), 'volmig-demo-home-'));
const userState = join(home, 'state');
const temp = mkdtempSync(join(tmpdir(), 'volmig-demo-tmp-'));
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(temp, { recursive: true, force: true });
});

it('npm run demo journals its migration in a temporary state directory of its own, never the user\'s, and removes it', async () => {
  assertBuilt();
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'demo.js')], {
    cwd: home,
    env: { PATH: process.env.PATH, HOME: home, XDG_STATE_HOME: userState, TMPDIR: temp, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  // While it runs, the demo's own journal records the migration it sent.
  let sawJournal = false;
  const watcher = setInterval(() => {
    for (const dir of readdirSync(temp).filter((d) => d.startsWith('volmig-demo-state-'))) {
      const journal = join(temp, dir, 'volmig', 'journal.jsonl');
      if (existsSync(journal) && readFileSync(journal, 'utf8').includes('"action":"migrate"')) sawJournal = true;
    }
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(watcher);
  expect(code, output).toBe(0);
  expect(output).toContain('demo-lvm-1-2g: migrated sandbox@lvm-1#lvm-1 → sandbox@vendor#pool-a');
  expect(sawJournal).toBe(true);
  expect(existsSync(join(userState, 'volmig', 'journal.jsonl'))).toBe(false);
  expect(readdirSync(temp)).toEqual([]);
}, 90_000);
