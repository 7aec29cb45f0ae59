import { afterEach, describe, expect, it, vi } from 'vitest';
import { computeAggregate, queuedMoveState, type MoveState } from '../../src/migration/evacuate/index.js';
import type { Volume } from '../../src/model/cinder.js';
import { TtyEvacuationRenderer } from '../../src/ui/evacuate-tty.js';
import { Output } from '../../src/ui/output.js';
import { terminalIo } from '../helpers/screen.js';
import { fakeClock, ScriptedMigration, SPINNER } from './tty-scenario.js';

// What `volmig evacuate` shows on a terminal: an aggregate row above one row per running volume, read back from a
// headless terminal. The aggregate comes from the real computeAggregate over scripted move states.

afterEach(() => {
  vi.useRealTimers();
});

const FROM = 'sandbox@lvm-1#lvm-1';
const TO = 'sandbox@vendor#pool-a';

function moveState(id: string, name: string, size: number): MoveState {
  const volume = { id, name, size, status: 'available', 'os-vol-host-attr:host': FROM } as unknown as Volume;
  return queuedMoveState({ volume, destination: TO, action: 'migrate' });
}

async function evacuation(cols: number) {
  const clock = fakeClock();
  const t = terminalIo(cols, 14);
  t.stdout.write('$ volmig evacuate --from sandbox@lvm-1 --to sandbox@vendor#pool-a --yes\n');
  const renderer = await TtyEvacuationRenderer.create(new Output(t.io, {}), 'Evacuating sandbox@lvm-1', clock.now);
  const start = clock.now();
  const big = moveState('a', 'demo-lvm-1-2g', 2);
  const small = moveState('b', 'demo-lvm-1-1g', 1);
  const member = moveState('c', 'demo-member-volume', 1);
  const states = [big, small, member];
  const aggregate = () => computeAggregate(states, clock.now() - start);
  const migrations = new Map<MoveState, ScriptedMigration>();
  const begin = (s: MoveState) => {
    s.result = 'active';
    s.startedAt = clock.now();
    migrations.set(s, new ScriptedMigration(s.move.volume.id, s.move.volume.name!, s.move.volume.size, clock.now, FROM, TO));
    renderer.started(s, aggregate());
  };
  const poll = (s: MoveState, ms: string, progress: string | null = null) => {
    s.snapshot = migrations.get(s)!.poll(ms, progress);
    renderer.progress(s, aggregate());
  };
  const end = (s: MoveState, result: 'moved' | 'failed', reason?: string) => {
    s.result = result;
    s.endedAt = clock.now();
    if (reason) s.reason = reason;
    renderer.finished(s, aggregate());
  };
  return { clock, t, renderer, big, small, member, begin, poll, end };
}

describe.each([120, 80, 60])('evacuate at %i columns', (cols) => {
  it('an aggregate row above one row per running volume; finished volumes leave a result line above; the last frame stays', async () => {
    const e = await evacuation(cols);
    e.begin(e.big);
    e.begin(e.small);
    e.clock.advance(100);
    let screen = await e.t.term.screen();
    const aggregate = () => screen.lines.find((l) => l.startsWith('Evacuating sandbox@lvm-1'))!;
    expect(aggregate()).toMatch(/^Evacuating sandbox@lvm-1 ░+ 0\/3 volumes {2}0\.0\/4\.0 GiB/);
    // Requested, not yet seen by the server: a spinner and the phase, no percentage.
    const waiting = screen.lines.filter((l) => /^ {2}\S demo-lvm-1-[12]g requested/.test(l));
    expect(waiting).toHaveLength(2);
    for (const row of waiting) {
      expect(row[2]).toMatch(SPINNER);
      expect(row).not.toMatch(/%/);
    }

    e.clock.advance(1000);
    e.poll(e.big, 'migrating', '10');
    e.poll(e.small, 'starting');
    e.clock.advance(4000);
    e.poll(e.big, 'migrating', '50');
    e.poll(e.small, 'migrating', '20');
    e.clock.advance(100);
    screen = await e.t.term.screen();
    expect(aggregate()).toMatch(/^Evacuating sandbox@lvm-1 [█░]+ 0\/3 volumes {2}1\.2\/4\.0 GiB/);
    const rowBig = screen.lines.find((l) => l.startsWith('    demo-lvm-1-2g migrating'))!;
    const rowSmall = screen.lines.find((l) => l.startsWith('    demo-lvm-1-1g migrating'))!;
    expect(rowBig).toMatch(/ 50% 1\.0\/2\.0 GiB/);
    expect(rowSmall).toMatch(/ 20% 0\.2\/1\.0 GiB/);
    expect(rowBig.indexOf('%')).toBe(rowSmall.indexOf('%'));
    for (const line of [aggregate(), rowBig, rowSmall]) expect([...line].length).toBeLessThanOrEqual(cols - 1);
    // Every row once: no stale copies of earlier frames (the requested rows are gone).
    expect(screen.lines.filter((l) => l.includes('demo-lvm-1-2g'))).toHaveLength(1);
    expect(screen.text).not.toContain('requested');

    e.clock.advance(3000);
    e.poll(e.big, 'success');
    e.end(e.big, 'moved');
    e.begin(e.member);
    e.clock.advance(100);
    screen = await e.t.term.screen();
    const lines = screen.text.split('\n');
    const moved = lines.findIndex((l) => l.startsWith('✔ moved demo-lvm-1-2g to sandbox@vendor#pool-a in 0:08'));
    expect(moved).toBeGreaterThan(0);
    expect(lines[moved + 1]).toMatch(/^Evacuating sandbox@lvm-1 [█░]+ 1\/3 volumes/);
    expect(lines.slice(moved + 2)).toHaveLength(2);
    expect(lines[moved + 2]).toMatch(/^ {4}demo-lvm-1-1g +migrating +[█░]+ +20%/);
    // At 60 columns the longest name gives way to the bar's amount (cut, never wrapped).
    expect(lines[moved + 3]).toMatch(cols > 60 ? /^ {2}\S demo-member-volume +requested/ : /^ {2}\S demo-member-vol\S*… +requested/);

    e.poll(e.small, 'error');
    e.end(e.small, 'failed', 'migration_status error');
    e.poll(e.member, 'success');
    e.end(e.member, 'moved');
    e.renderer.stop();
    e.t.stdout.write('Evacuation finished: 2 of 3 moved, 1 failed (0:08).\n');
    screen = await e.t.term.screen();
    const history = await e.t.term.history();
    expect(history.slice(1)).toEqual([
      '✔ moved demo-lvm-1-2g to sandbox@vendor#pool-a in 0:08',
      '✖ failed demo-lvm-1-1g: migration_status error',
      '✔ moved demo-member-volume to sandbox@vendor#pool-a in 0:00',
      expect.stringMatching(/^Evacuating sandbox@lvm-1 [█░]+ 2\/3 volumes {2}1 failed/),
      'Evacuation finished: 2 of 3 moved, 1 failed (0:08).',
    ]);
    expect(history[4]).not.toMatch(/eta/);
    expect(screen.cursorVisible).toBe(true);
  });
});

describe('evacuate notices', () => {
  it('a notice scrolls above the rows, which stay whole below it', async () => {
    const e = await evacuation(80);
    e.begin(e.big);
    e.poll(e.big, 'migrating', '30');
    e.clock.advance(100);
    e.renderer.notice('Not starting new migrations after the failure of demo-lvm-1-1g (use --continue-on-error to go on).');
    const history = await e.t.term.history();
    expect(history.slice(1)).toEqual([
      'Not starting new migrations after the failure of demo-lvm-1-1g (use --continue-on-error to go on).',
      expect.stringMatching(/^Evacuating sandbox@lvm-1 [█░]+ 0\/3 volumes {2}0\.6\/4\.0 GiB/),
      expect.stringMatching(/^ {4}demo-lvm-1-2g migrating [█░]+ {2}30% 0\.6\/2\.0 GiB/),
    ]);
    e.renderer.stop();
  });
});
