import { afterEach, describe, expect, it, vi } from 'vitest';
import { Output } from '../../src/ui/output.js';
import { TtyProgressSink } from '../../src/ui/progress-tty.js';
import { terminalIo, type Screen, type TerminalIo } from '../helpers/screen.js';
import { fakeClock, readable, ScriptedMigration, SPINNER } from './tty-scenario.js';

// What `migrate --wait`, `retype --wait` and `progress --watch` show on a terminal, read back from a headless
// terminal fed with the exact bytes the TTY sink writes. Snapshots come from the real tracker (pure), driven by a
// scripted API; time is fake so every moment is exact.

afterEach(() => {
  vi.useRealTimers();
});

const RECEIVED = 'Your migration request has been received. Please check migration status and the server log to see more information.';

async function setUp(cols: number, rows = 12, volumes = 1, command = '$ volmig migrate demo-lvm-1-2g sandbox@vendor#pool-b --wait') {
  const clock = fakeClock();
  const t = terminalIo(cols, rows);
  t.stdout.write(command + '\n');
  t.stderr.write(RECEIVED + '\n');
  const sink = await TtyProgressSink.create(new Output(t.io, {}), volumes, clock.now);
  return { clock, t, sink };
}

/** The screen once the live region's next frame is due. */
async function frame(t: TerminalIo, clock: { advance(ms: number): void }): Promise<Screen> {
  clock.advance(100);
  return t.term.screen();
}

function linesWith(screen: Screen, text: string): string[] {
  return screen.lines.filter((l) => l.includes(text));
}

/** Where the bar starts on a row (its first █ or ░), -1 without a bar. */
function barColumn(line: string): number {
  return [...line].findIndex((ch) => ch === '█' || ch === '░');
}

function widthOf(line: string): number {
  return [...line].length;
}

/** What each width has room for on a lone 2 GiB volume's row besides the bar, percentage and amount. */
const ROOM = [
  { cols: 120, rate: true, eta: true, elapsed: true },
  { cols: 80, rate: true, eta: true, elapsed: false },
  { cols: 60, rate: false, eta: false, elapsed: false },
];

describe.each(ROOM)('one volume at $cols columns', ({ cols, rate, eta, elapsed }) => {
  it('spinner before numbers exist, then its bar with percentage and amount during the copy, then the last frame and the summary below it', async () => {
    const { clock, t, sink } = await setUp(cols);
    const m = new ScriptedMigration('v1', 'demo-lvm-1-2g', 2, clock.now);

    clock.advance(1000);
    sink.update(m.poll('starting'));
    let screen = await frame(t, clock);
    // The request's answer stays; the row is below it: spinner, name, phase, elapsed, and no percentage.
    expect(screen.text).toContain('Your migration request has been received.');
    expect(linesWith(screen, 'demo-lvm-1-2g')).toHaveLength(2); // the command line and the row
    const starting = screen.lines.find((l) => /^\S demo-lvm-1-2g starting/.test(l))!;
    expect(starting).toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] demo-lvm-1-2g starting elapsed 0:01$/);
    expect(screen.text).not.toMatch(/\d%/);
    expect(screen.cursorVisible).toBe(false);

    // The spinner turns (one frame per redraw) and the clock runs between polls.
    const glyph = starting[0];
    screen = await frame(t, clock);
    expect(screen.lines.find((l) => l.includes(' demo-lvm-1-2g starting'))![0]).not.toBe(glyph);
    clock.advance(1900);
    screen = await t.term.screen();
    expect(screen.lines.find((l) => l.includes(' demo-lvm-1-2g starting'))).toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] demo-lvm-1-2g starting elapsed 0:03$/);

    clock.advance(2000);
    sink.update(m.poll('migrating', '10'));
    clock.advance(5000);
    sink.update(m.poll('migrating', '43'));
    screen = await frame(t, clock);
    const rows = screen.lines.filter((l) => l.startsWith('  demo-lvm-1-2g'));
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatch(/^ {2}demo-lvm-1-2g migrating █+░+ +43% 0\.9\/2\.0 GiB/);
    expect(row.includes('MiB/s')).toBe(rate);
    expect(/eta 0:09/.test(row)).toBe(eta);
    expect(/elapsed 0:10/.test(row)).toBe(elapsed);
    expect(widthOf(row)).toBeLessThanOrEqual(cols - 1);
    expect(screen.text).not.toMatch(SPINNER); // no spinner left behind by the earlier frames
    expect(linesWith(screen, 'starting')).toEqual([]);

    // Never 100% before the server says success, and the bar is not full at 99%.
    clock.advance(5000);
    sink.update(m.poll('completing', '99.7'));
    screen = await frame(t, clock);
    const completing = screen.lines.find((l) => l.includes('demo-lvm-1-2g completing'))!;
    expect(completing).toMatch(/ 99% 2\.0\/2\.0 GiB/);
    expect(completing).toContain('░');

    clock.advance(1000);
    sink.update(m.poll('success'));
    sink.result(m.result());
    sink.stop();
    screen = await t.term.screen();
    expect(screen.cursorVisible).toBe(true);
    // Everything the terminal holds, wrapped lines joined: the request's answer, the last frame, the summary.
    const end = await t.term.history();
    expect(end).toHaveLength(4);
    expect(end.slice(0, 2)).toEqual(['$ volmig migrate demo-lvm-1-2g sandbox@vendor#pool-b --wait', RECEIVED]);
    expect(end[2]).toMatch(/^✔ demo-lvm-1-2g success █+ 100% 2\.0\/2\.0 GiB/);
    expect(end[2]).not.toContain('░');
    expect(end[3]).toBe('demo-lvm-1-2g: migrated sandbox@lvm-1#lvm-1 → sandbox@vendor#pool-b (2.0 GiB in 0:16)');
  });

  it('no number from the server (upstream Cinder): spinner, phase and elapsed time; never a percentage, not even at the end', async () => {
    const { clock, t, sink } = await setUp(cols);
    const m = new ScriptedMigration('v1', 'volmig-issue4', 1, clock.now, 'realcinder@ceph-a#ceph-a', 'realcinder@ceph-b#ceph-b');
    clock.advance(1000);
    sink.update(m.poll('migrating'));
    let screen = await frame(t, clock);
    const row = screen.lines.find((l) => l.includes('volmig-issue4 migrating'))!;
    // 60 columns leave no room for the words beside name, phase and elapsed: the words go, elapsed stays.
    expect(row.replace(SPINNER, '*')).toBe(
      cols >= 80 ? '* volmig-issue4 migrating progress indeterminate  elapsed 0:01' : '* volmig-issue4 migrating elapsed 0:01',
    );
    expect(row).not.toMatch(/█|░|%/);

    clock.advance(8000);
    sink.update(m.poll('completing'));
    screen = await frame(t, clock);
    expect(screen.lines.find((l) => l.includes('volmig-issue4 completing'))).toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] volmig-issue4 completing elapsed 0:09$/);

    sink.update(m.poll('success'));
    sink.result(m.result());
    sink.stop();
    screen = await t.term.screen();
    expect(screen.text).not.toMatch(/\d%|█|░/);
    expect(screen.text).toContain('✔ volmig-issue4 success elapsed 0:09\nvolmig-issue4: migrated realcinder@ceph-a#ceph-a');
    expect(screen.cursorVisible).toBe(true);
  });
});

describe.each([120, 80, 60])('several volumes at %i columns', (cols) => {
  it('one row per volume by name, columns aligned; a finished row stays marked until all end, then the summaries print below', async () => {
    const { clock, t, sink } = await setUp(cols, 14, 3, '$ volmig progress a b c --watch');
    const a = new ScriptedMigration('a', 'demo-lvm-1-2g', 2, clock.now);
    const b = new ScriptedMigration('b', 'a-much-longer-volume-name-for-db', 40, clock.now);
    const c = new ScriptedMigration('c', 'lite', 1, clock.now, 'sandbox@vendor-lite#pool-c', 'sandbox@vendor-lite#pool-d');
    sink.update(a.poll('starting'));
    sink.update(b.poll('migrating', '3'));
    sink.update(c.poll('migrating', 'in progress', 'maintenance'));
    clock.advance(5000);
    sink.update(a.poll('migrating', '20'));
    sink.update(b.poll('migrating', '9'));
    sink.update(c.poll('migrating', 'in progress', 'maintenance'));
    let screen = await frame(t, clock);

    const rowA = screen.lines.find((l) => l.startsWith('  demo-lvm-1-2g'))!;
    const rowB = screen.lines.find((l) => l.startsWith('  a-much-longer-'))!;
    const rowC = screen.lines.find((l) => / lite +migrating \(maintenance\)/.test(l))!;
    for (const row of [rowA, rowB, rowC]) {
      expect(row).toBeDefined();
      expect(widthOf(row)).toBeLessThanOrEqual(cols - 1);
    }
    expect(rowA).toMatch(/ 20%/);
    expect(rowB).toMatch(/ {2}9%/);
    expect(rowC).not.toMatch(/%|█|░/);
    expect(rowC[0]).toMatch(SPINNER);
    // Aligned: the phase, the bar and the percentage start in the same column on every row.
    expect(rowA.indexOf('migrating')).toBe(rowB.indexOf('migrating'));
    expect(rowA.indexOf('migrating')).toBe(rowC.indexOf('migrating'));
    expect(barColumn(rowA)).toBe(barColumn(rowB));
    expect(barColumn(rowA)).toBeGreaterThan(0);
    expect(rowA.indexOf('%')).toBe(rowB.indexOf('%'));
    // Long names are cut, never wrapped.
    expect(rowB).toMatch(/a-much-longer-\S*…/);

    clock.advance(5000);
    sink.update(a.poll('success'));
    sink.result(a.result());
    sink.update(b.poll('migrating', '15'));
    screen = await frame(t, clock);
    expect(screen.lines.find((l) => l.includes('demo-lvm-1-2g'))).toMatch(/^✔ demo-lvm-1-2g +success +█+ 100%/);
    expect(screen.text).not.toContain('migrated'); // summaries wait for the rows to stop
    expect(screen.lines.filter((l) => l.includes('a-much-longer-'))).toHaveLength(1);

    sink.update(b.poll('error'));
    sink.result(b.result('error'));
    sink.update(c.poll('success'));
    sink.result(c.result());
    sink.stop();
    const history = await t.term.history();
    const firstRow = history.findIndex((l) => l.startsWith('✔ demo-lvm-1-2g'));
    expect(history.slice(firstRow, firstRow + 3).map((l) => l.slice(0, 2))).toEqual(['✔ ', '✖ ', '✔ ']);
    expect(history.slice(firstRow + 3)).toEqual([
      'demo-lvm-1-2g: migrated sandbox@lvm-1#lvm-1 → sandbox@vendor#pool-b (2.0 GiB in 0:10)',
      'a-much-longer-volume-name-for-db: migration to sandbox@vendor#pool-b failed (migration_status error).',
      '  The volume is still on sandbox@lvm-1#lvm-1 (host unchanged).',
      'lite: migrated sandbox@vendor-lite#pool-c → sandbox@vendor-lite#pool-d (1.0 GiB in 0:10)',
    ]);
    expect((await t.term.screen()).cursorVisible).toBe(true);
  });
});

describe('the live region on a terminal', () => {
  it('the screen at 80 columns, moment by moment', async () => {
    const { clock, t, sink } = await setUp(80, 8);
    const m = new ScriptedMigration('v1', 'demo-lvm-1-2g', 2, clock.now);
    clock.advance(1000);
    sink.update(m.poll('starting'));
    expect(readable(await frame(t, clock))).toBe(
      [
        '$ volmig migrate demo-lvm-1-2g sandbox@vendor#pool-b --wait',
        'Your migration request has been received. Please check migration status and the',
        'server log to see more information.',
        '* demo-lvm-1-2g starting elapsed 0:01',
      ].join('\n'),
    );
    clock.advance(4000);
    sink.update(m.poll('migrating', '10'));
    expect(readable(await frame(t, clock)).split('\n').slice(3)).toEqual(['  demo-lvm-1-2g migrating █░░░░░░░░░░░░░░░░  10% 0.2/2.0 GiB']);
    clock.advance(5000);
    sink.update(m.poll('migrating', '43'));
    sink.notice('Could not read volume v1: Service Unavailable (HTTP 503); retrying.');
    expect(readable(await frame(t, clock)).split('\n').slice(3)).toEqual([
      'Could not read volume v1: Service Unavailable (HTTP 503); retrying.',
      '  demo-lvm-1-2g migrating ███████░░░░░░░░░░  43% 0.9/2.0 GiB 133 MiB/s eta 0:09',
    ]);
    clock.advance(5000);
    sink.update(m.poll('success'));
    sink.result(m.result());
    sink.stop();
    const screen = await t.term.screen();
    expect(readable(screen).split('\n').slice(3)).toEqual([
      'Could not read volume v1: Service Unavailable (HTTP 503); retrying.',
      '✔ demo-lvm-1-2g success █████████████████████████ 100% 2.0/2.0 GiB elapsed 0:15',
      'demo-lvm-1-2g: migrated sandbox@lvm-1#lvm-1 → sandbox@vendor#pool-b (2.0 GiB in',
      '0:15)',
    ]);
    expect(screen.cursorVisible).toBe(true);
    expect(screen.cursor).toEqual({ x: 0, y: 7 });
  });

  it('at most ~10 frames a second, and nothing written when the frame did not change', async () => {
    const { clock, t, sink } = await setUp(60);
    const m = new ScriptedMigration('v1', 'demo-lvm-1-2g', 2, clock.now);
    sink.update(m.poll('migrating', '10'));
    const before = t.term.writes;
    // 50 polls in 50 ms (a fast poll loop) draw nothing until the next frame is due, then one frame.
    for (let i = 11; i < 61; i++) {
      clock.advance(1);
      sink.update(m.poll('migrating', String(i)));
    }
    expect(t.term.writes - before).toBe(0);
    clock.advance(100);
    expect(t.term.writes - before).toBe(1);
    expect((await t.term.screen()).text).toContain(' 60% 1.2/2.0 GiB');
    // At 60 columns the row has no clock on it: ten seconds without a new number write nothing.
    const quiet = t.term.writes;
    clock.advance(10_000);
    expect(t.term.writes).toBe(quiet);
    sink.stop();
  });

  it('a spinner row is redrawn ten times a second, not more', async () => {
    const { clock, t, sink } = await setUp(80);
    const m = new ScriptedMigration('v2', 'volmig-issue4', 1, clock.now);
    sink.update(m.poll('migrating'));
    const start = t.term.writes;
    clock.advance(1000);
    expect(t.term.writes - start).toBe(10);
    sink.stop();
  });

  it('Ctrl-C: the ^C the terminal echoed is wiped, the last frame stays, the cursor is visible again', async () => {
    const { clock, t, sink } = await setUp(80);
    const m = new ScriptedMigration('v1', 'demo-lvm-1-2g', 2, clock.now);
    sink.update(m.poll('migrating', '10'));
    clock.advance(5000);
    sink.update(m.poll('migrating', '43'));
    await frame(t, clock);
    t.term.write('^C'); // the terminal's echo of the keystroke, at the cursor
    sink.result(m.result('interrupted'));
    sink.stop();
    t.stderr.write('Stopped watching; the migration continues on the server. Resume with: volmig progress v1 --watch\n');
    const screen = await t.term.screen();
    expect(screen.text).not.toContain('^C');
    expect(screen.text.split('\n').slice(3)).toEqual([
      '■ demo-lvm-1-2g migrating ██████████░░░░░░░░░░░░░░ 43% 0.9/2.0 GiB elapsed 0:05',
      'Stopped watching; the migration continues on the server. Resume with: volmig pro',
      'gress v1 --watch',
    ]);
    expect(screen.cursorVisible).toBe(true);
  });

  it('a failed watch (stop without a result) restores the cursor and keeps the last frame', async () => {
    const { clock, t, sink } = await setUp(80);
    const m = new ScriptedMigration('v1', 'demo-lvm-1-2g', 2, clock.now);
    sink.update(m.poll('migrating', '10'));
    await frame(t, clock);
    sink.stop();
    t.stderr.write('Not allowed: the token lacks the admin role (HTTP 403)\n');
    const screen = await t.term.screen();
    expect(screen.text.split('\n').slice(3)).toEqual([
      '  demo-lvm-1-2g migrating █░░░░░░░░░░░░░░░░  10% 0.2/2.0 GiB',
      'Not allowed: the token lacks the admin role (HTTP 403)',
    ]);
    expect(screen.cursorVisible).toBe(true);
  });

  it('a resize redraws the rows for the new width without leaving copies of the old ones', async () => {
    const { clock, t, sink } = await setUp(120);
    const m = new ScriptedMigration('v1', 'demo-lvm-1-2g', 2, clock.now);
    sink.update(m.poll('migrating', '10'));
    clock.advance(5000);
    sink.update(m.poll('migrating', '43'));
    let screen = await frame(t, clock);
    expect(screen.lines.find((l) => l.includes('demo-lvm-1-2g migrating'))).toContain('elapsed 0:05');
    t.resize(60);
    screen = await frame(t, clock);
    const rows = screen.lines.filter((l) => l.includes('demo-lvm-1-2g migrating') || l.includes('elapsed') || l.includes('GiB'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^ {2}demo-lvm-1-2g migrating █+░+ {2}43% 0\.9\/2\.0 GiB$/);
    expect(screen.text).toContain('Your migration request has been received.');
    t.resize(100);
    screen = await frame(t, clock);
    expect(screen.lines.filter((l) => l.includes('demo-lvm-1-2g migrating'))).toHaveLength(1);
    sink.stop();
  });

  it('more volumes than the terminal has lines: the rows that fit, and how many more', async () => {
    const clock = fakeClock();
    const t = terminalIo(80, 6);
    const sink = await TtyProgressSink.create(new Output(t.io, {}), 2, clock.now);
    const all = Array.from({ length: 9 }, (_, i) => new ScriptedMigration(`v${i}`, `vol-${i}`, 1, clock.now));
    for (const m of all) sink.update(m.poll('migrating', String(10 + i(m))));
    const screen = await frame(t, clock);
    expect(screen.lines.slice(0, 5).map((l) => l.slice(0, 7))).toEqual(['  vol-0', '  vol-1', '  vol-2', '  vol-3', '… and 5']);
    expect(screen.lines[4]).toBe('… and 5 more');
    sink.stop();

    function i(m: ScriptedMigration): number {
      return Number(m.id.slice(1));
    }
  });

  it('a terminal that reports 0 columns (script, some CI ptys) is taken as 80 wide', async () => {
    const clock = fakeClock();
    const t = terminalIo(80, 8);
    t.stderr.columns = 0;
    const sink = await TtyProgressSink.create(new Output(t.io, {}), 1, clock.now);
    const m = new ScriptedMigration('v1', 'demo-lvm-1-2g', 2, clock.now);
    sink.update(m.poll('migrating', '10'));
    const screen = await frame(t, clock);
    expect(screen.lines[0]).toBe('  demo-lvm-1-2g migrating █░░░░░░░░░░░░░░░░  10% 0.2/2.0 GiB');
    sink.stop();
  });
});
