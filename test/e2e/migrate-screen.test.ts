import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, assertBuilt, sandboxAdminApi } from '../helpers/cli-process.js';
import { HeadlessTerminal, type Screen } from '../helpers/screen.js';

// `volmig migrate … --wait` and `retype … --wait` as an operator runs them: in a real pseudo-terminal (util-linux
// `script`, always present) of a set size, against `volmig sandbox` started by the test with its copies throttled so
// that a copy lasts a few seconds. What the pty receives is fed into a headless terminal of the same size, and the
// test reads the SCREEN while the copy runs and after it ends, as a person looking at the terminal would.

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const BIN = join(ROOT, 'bin', 'volmig.js');

let sandbox: ChildProcess | undefined;
let dataDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  if (!hasScript) return;
  assertBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'volmig-screen-'));
  // 8 MiB of file per GiB copied at 4 MiB/s: a 2 GiB volume's copy takes about 4 s, a 1 GiB one about 2 s.
  sandbox = spawn(
    process.execPath,
    [BIN, 'sandbox', '--port', '0', '--seed', 'demo', '--copy-rate', '4', '--size-unit-mib', '8', '--report-interval', '0.5', '--phase-delay-ms', '300', '--data-dir', dataDir],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const exported = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the sandbox printed no export line:\n${out}`)), 20_000);
    sandbox!.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = /^export (.*)$/m.exec(out);
      if (line) {
        clearTimeout(timer);
        resolve(line[1]!);
      }
    });
    sandbox!.on('exit', (code) => reject(new Error(`the sandbox exited (${code}):\n${out}`)));
  });
  env = Object.fromEntries(exported.split(' ').map((kv) => kv.split('=') as [string, string]));
  expect(env.OS_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v3$/);
}, 30_000);

afterAll(async () => {
  if (sandbox && sandbox.exitCode === null) {
    const exited = new Promise((resolve) => sandbox!.on('exit', resolve));
    sandbox.kill('SIGINT');
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function migrationStatus(name: string): Promise<string | null> {
  const { body } = await sandboxAdminApi<{ volumes: { name: string; migration_status: string | null }[] }>(env.OS_ENDPOINT!, 'GET', '/volumes/detail?all_tenants=1');
  // The temporary destination volume has the same name; its migration status is `target:<id>`.
  const volume = body.volumes.find((v) => v.name === name && !v.migration_status?.startsWith('target:'));
  return volume?.migration_status ?? null;
}

interface TerminalRun {
  code: number | null;
  /** The screen at the first moment `during` matched (while the command still ran). */
  during: Screen | null;
  /** What the server said at that moment. */
  serverDuring: string | null;
  after: Screen;
  /** All lines the terminal holds at the end (scrollback and screen, wrapped lines joined). */
  history: string[];
}

/**
 * Runs `volmig <args>` in a pty of cols × rows and watches the screen every 100 ms; `during` picks the moment to
 * keep, `typeAt` (optional) the moment to type Ctrl-C.
 */
function inTerminal(
  args: string[],
  cols: number,
  rows: number,
  options: { during: (s: Screen) => boolean; volume: string; ctrlCWhen?: (s: Screen) => boolean },
): Promise<TerminalRun> {
  const term = new HeadlessTerminal(cols, rows);
  const command = `stty cols ${cols} rows ${rows}; exec ${process.execPath} ${BIN} ${args.join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: dataDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dataDir, TERM: 'xterm-256color', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => term.write(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => term.write(d));
  let during: Screen | null = null;
  let serverDuring: string | null = null;
  let typed = false;
  let running = true;
  const watching = (async () => {
    while (running) {
      const screen = await term.screen();
      if (!during && options.during(screen)) {
        during = screen;
        serverDuring = await migrationStatus(options.volume);
      }
      if (!typed && options.ctrlCWhen?.(screen)) {
        typed = true;
        child.stdin!.write('\x03');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return new Promise((resolve) => {
    child.on('close', async (code) => {
      running = false;
      await watching;
      const after = await term.screen();
      resolve({ code, during, serverDuring, after, history: await term.history() });
    });
  });
}

const SPIN = '[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]';

describe.skipIf(!hasScript)('on a real terminal (util-linux script) against volmig sandbox', () => {
  it('migrate --wait at 80 columns: the row with its bar and percentage during the copy; the last frame, the summary and a visible cursor after it', async () => {
    const row = /^ {2}demo-lvm-1-2g migrating +█*░+ +(\d+)% +\d\.\d\/2\.0 GiB/;
    const r = await inTerminal(['migrate', 'demo-lvm-1-2g', 'sandbox@vendor#pool-b', '--wait', '--interval', '0.5'], 80, 24, {
      volume: 'demo-lvm-1-2g',
      during: (s) => s.lines.some((l) => {
        const m = row.exec(l);
        return m !== null && Number(m[1]) >= 10;
      }),
    });
    expect(r.code).toBe(0);
    expect(r.during, `never saw the bar; at the end the screen was:\n${r.after.text}`).not.toBeNull();
    expect(r.serverDuring).toBe('migrating');
    const during = r.during!;
    const lines = during.text.split('\n');
    // The request's answer (wrapped at 80), where the numbers come from (said once), one row for the volume, and
    // nothing else.
    expect(lines[0]).toBe('Your migration request has been received. Please check migration status and the');
    expect(lines[1]).toBe('server log to see more information.');
    expect(lines[2]).toBe("demo-lvm-1-2g: progress from the server's migration_progress.");
    expect(lines.slice(3)).toHaveLength(1);
    expect(lines[3]).toMatch(row);
    expect([...lines[3]!].length).toBeLessThanOrEqual(79);
    expect(Number(row.exec(lines[3]!)![1])).toBeLessThanOrEqual(99);
    expect(during.cursorVisible).toBe(false);

    const end = r.after.text.split('\n');
    expect(end.slice(0, 3)).toEqual(lines.slice(0, 3));
    expect(end[3]).toMatch(/^✔ demo-lvm-1-2g success █+ 100% 2\.0\/2\.0 GiB elapsed \d:\d\d$/);
    // Everything the terminal holds, the terminal's wrapping undone: the answer, the source, the last frame, the summary.
    expect(r.history).toHaveLength(4);
    expect(r.history[3]).toMatch(/^demo-lvm-1-2g: migrated sandbox@lvm-1#lvm-1 → sandbox@vendor#pool-b \(2\.0 GiB in \d:\d\d, [\d.]+ [KMG]iB\/s average\)$/);
    expect(r.after.cursorVisible).toBe(true);
  }, 60_000);

  it('retype --wait at 60 columns: the same row, fitted (the long phase leaves room for the bar and percentage only), during the copy and at the end', async () => {
    const row = /^ {2}demo-lvm-2-2g migrating \(retyping\) +█*░+ +(\d+)%$/;
    const r = await inTerminal(['retype', 'demo-lvm-2-2g', 'vendor', '--migration-policy', 'on-demand', '--wait', '--interval', '0.5'], 60, 20, {
      volume: 'demo-lvm-2-2g',
      during: (s) => s.lines.some((l) => row.test(l)),
    });
    expect(r.code).toBe(0);
    expect(r.during, `never saw the bar; at the end the screen was:\n${r.after.text}`).not.toBeNull();
    const rows = r.during!.lines.filter((l) => l.includes('demo-lvm-2-2g') && !l.includes(': progress from'));
    expect(rows).toHaveLength(1);
    expect(r.during!.lines.filter((l) => l.startsWith('demo-lvm-2-2g: progress from the server'))).toHaveLength(1);
    expect([...rows[0]!].length).toBeLessThanOrEqual(59);
    expect(r.serverDuring).toBe('migrating');
    expect(r.after.lines.filter((l) => /^✔ demo-lvm-2-2g success █+ 100%/.test(l))).toHaveLength(1);
    expect(r.history.at(-1)).toMatch(/^demo-lvm-2-2g: retyped to vendor and migrated sandbox@lvm-2#lvm-2 → sandbox@vendor#pool-[ab] \(/);
    expect(r.after.cursorVisible).toBe(true);
  }, 60_000);

  it('no numeric progress (vendor-lite): a spinner, the phase and elapsed time during the copy, never a percentage', async () => {
    const r = await inTerminal(['migrate', 'demo-pool-c-1g', 'sandbox@vendor-lite#pool-d', '--wait', '--interval', '0.5'], 80, 24, {
      volume: 'demo-pool-c-1g',
      during: (s) => s.lines.some((l) => new RegExp(`^${SPIN} demo-pool-c-1g migrating \\(in progress\\) +elapsed \\d:\\d\\d$`).test(l)),
    });
    expect(r.code).toBe(0);
    expect(r.during, `never saw the spinner; at the end the screen was:\n${r.after.text}`).not.toBeNull();
    expect(r.serverDuring).toBe('migrating');
    expect(r.during!.text).not.toMatch(/%|█|░/);
    expect(r.after.text).not.toMatch(/%|█|░/);
    expect(r.after.text).toMatch(/\n✔ demo-pool-c-1g success elapsed \d:\d\d\ndemo-pool-c-1g: migrated sandbox@vendor-lite#pool-c → sandbox@vendor-lite#pool-d/);
  }, 60_000);

  it('Ctrl-C during the copy: a clean screen (no ^C, no half rows), the cursor restored, how to resume; exit 130', async () => {
    const r = await inTerminal(['migrate', 'demo-pool-a-2g', 'sandbox@lvm-2#lvm-2', '--wait', '--interval', '0.5'], 80, 24, {
      volume: 'demo-pool-a-2g',
      during: (s) => s.lines.some((l) => /^ {2}demo-pool-a-2g migrating .* \d+% /.test(l)),
      ctrlCWhen: (s) => s.lines.some((l) => /^ {2}demo-pool-a-2g migrating .* \d+% /.test(l)),
    });
    expect(r.code).toBe(130);
    const end = r.history;
    expect(end.slice(0, 1)).toEqual(['Your migration request has been received. Please check migration status and the server log to see more information.']);
    expect(end[1]).toBe("demo-pool-a-2g: progress from the server's migration_progress.");
    expect(end[2]).toMatch(/^■ demo-pool-a-2g migrating +█*░+ +\d+% +\d\.\d\/2\.0 GiB( +elapsed \d:\d\d)?$/);
    expect(end.slice(3)).toEqual([
      expect.stringMatching(/^Stopped watching; the migration continues on the server\. Resume with: volmig progress [0-9a-f-]{36} --watch$/),
    ]);
    expect(r.after.text).not.toContain('^C');
    expect(r.after.cursorVisible).toBe(true);
  }, 60_000);
});
