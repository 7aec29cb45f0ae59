import { describe, expect, it } from 'vitest';
import type { Volume } from '../../src/model/cinder.js';
import type { Io } from '../../src/io.js';
import type { ProgressSnapshot, WatchResult } from '../../src/migration/progress.js';
import { JsonLinesProgressSink } from '../../src/ui/progress-json.js';
import { PlainProgressSink } from '../../src/ui/progress-plain.js';
import { plainProgressLine } from '../../src/ui/progress-format.js';
import { Output } from '../../src/ui/output.js';
import { capture } from '../helpers/run.js';
import { validatedEvents } from '../helpers/json-events.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

function snap(over: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return {
    volumeId: 'v1',
    name: 'vol-1',
    at: 1_000_000,
    phase: 'migrating',
    status: 'available',
    migrationStatus: 'migrating',
    percent: 43,
    indeterminate: false,
    source: 'server',
    serverProgress: '43',
    bytesCopied: 0.43 * 10 * GIB,
    totalBytes: 10 * GIB,
    sizeBytes: 10 * GIB,
    rateBytesPerSecond: 120 * MIB,
    etaMs: 50_000,
    elapsedMs: 12_000,
    startKnown: true,
    sourceHost: 'h@a#a',
    host: 'h@a#a',
    destination: 'h@b#b',
    completionGap: false,
    resetObserved: false,
    lastResult: null,
    lastChangeAt: 1_000_000,
    changed: true,
    volume: {} as Volume,
    ...over,
  };
}

function io(isTTY: boolean, env: Record<string, string> = {}): Io & { stdout: ReturnType<typeof capture>; stderr: ReturnType<typeof capture> } {
  return { stdout: capture(isTTY), stderr: capture(isTTY), env, isTTY, cwd: '/' };
}

const success: WatchResult = {
  volumeId: 'v1',
  name: 'vol-1',
  kind: 'migration',
  outcome: 'success',
  exitCode: 0,
  snapshot: snap({ phase: 'success', percent: 100, bytesCopied: 10 * GIB, etaMs: 0, migrationStatus: 'success', host: 'h@b#b' }),
  summary: 'vol-1: migrated h@a#a → h@b#b (10.0 GiB in 1:25, 120 MiB/s average)',
  details: [],
  sourceHost: 'h@a#a',
  destinationHost: 'h@b#b',
  durationMs: 85_000,
  durationFrom: 'start',
  averageBytesPerSecond: 120 * MIB,
  source: 'server',
};

describe('plain lines', () => {
  it('match the documented form', () => {
    expect(plainProgressLine(snap())).toBe('vol-1 migrating 43% 4.3/10.0 GiB 120 MiB/s eta 0:50');
    expect(plainProgressLine(snap({ percent: null, bytesCopied: null, indeterminate: true, serverProgress: null }))).toBe(
      'vol-1 migrating progress indeterminate elapsed 0:12',
    );
    expect(plainProgressLine(snap({ status: 'maintenance' }))).toBe('vol-1 migrating (maintenance) 43% 4.3/10.0 GiB 120 MiB/s eta 0:50');
    expect(plainProgressLine(snap({ phase: 'completing', percent: 99 }))).toBe('vol-1 completing 99% 4.3/10.0 GiB');
  });

  it('one line per change, a heartbeat when nothing changes, no escape codes even with colour forced', () => {
    const t = io(false, { FORCE_COLOR: '1' });
    const sink = new PlainProgressSink(new Output(t, {}), 30_000);
    sink.update(snap());
    sink.update(snap({ at: 1_005_000, changed: false, rateBytesPerSecond: 100 * MIB }));
    sink.update(snap({ at: 1_010_000, percent: 50, bytesCopied: 5 * GIB }));
    sink.update(snap({ at: 1_045_000, percent: 50, bytesCopied: 5 * GIB, changed: false }));
    sink.result(success);
    expect(t.stderr.text).toBe(
      'vol-1 migrating 43% 4.3/10.0 GiB 120 MiB/s eta 0:50\n' +
        'vol-1 migrating 50% 5.0/10.0 GiB 120 MiB/s eta 0:50\n' +
        'vol-1 migrating 50% 5.0/10.0 GiB 120 MiB/s eta 0:50\n',
    );
    expect(t.stdout.text).toBe('vol-1: migrated h@a#a → h@b#b (10.0 GiB in 1:25, 120 MiB/s average)\n');
  });
});

describe('JSON lines', () => {
  it('one event per change and a result line, each a JSON object', () => {
    const t = io(false);
    const sink = new JsonLinesProgressSink(new Output(t, { json: true }), () => 1_800_000_000_000);
    sink.update(snap());
    sink.update(snap({ changed: false }));
    sink.update(snap({ percent: null, bytesCopied: null, indeterminate: true, serverProgress: 'in progress', etaMs: null, rateBytesPerSecond: null }));
    sink.result(success);
    const lines = validatedEvents('progress', t.stdout.text);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual({
      event: 'progress',
      time: new Date(1_000_000).toISOString(),
      volume_id: 'v1',
      name: 'vol-1',
      status: 'available',
      migration_status: 'migrating',
      phase: 'migrating',
      progress: 43,
      indeterminate: false,
      source: 'server',
      server_progress: '43',
      bytes_copied: Math.round(0.43 * 10 * GIB),
      total_bytes: 10 * GIB,
      rate_bytes_per_second: 120 * MIB,
      eta_seconds: 50,
      elapsed_seconds: 12,
      elapsed_from: 'start',
      host: 'h@a#a',
      source_host: 'h@a#a',
      destination: 'h@b#b',
    });
    expect(lines[1]).toMatchObject({ progress: null, indeterminate: true, server_progress: 'in progress', eta_seconds: null });
    expect(lines[2]).toMatchObject({ event: 'result', result: 'success', exit_code: 0, progress: 100, destination_host: 'h@b#b' });
    expect(t.stderr.text).toBe('');
  });
});

// The terminal renderer is tested by what the screen shows: test/ui/progress-tty-screen.test.ts.
