import { describe, expect, it } from 'vitest';
import { formatBytesAsGiB, formatClock, formatDuration, formatRate, parseDuration } from '../../src/model/duration.js';

describe('durations', () => {
  it('parses the documented forms', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('45')).toBe(45_000);
    expect(parseDuration('0.5')).toBe(500);
    expect(parseDuration('1H')).toBe(3_600_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('250ms')).toBe(250);
  });
  it('rejects nonsense with a usage error naming the flag', () => {
    expect(() => parseDuration('soon', '--timeout')).toThrow(/invalid value for --timeout: 'soon'/);
    expect(() => parseDuration('0', '--timeout')).toThrow(/--timeout/);
    expect(() => parseDuration('-5')).toThrow();
    expect(() => parseDuration('5x')).toThrow();
    for (const text of ['', '10x', '1h 30', 'm5']) expect(() => parseDuration(text, '--timeout')).toThrow(/invalid value for --timeout/);
  });
  it('formats clocks, durations and rates', () => {
    expect(formatClock(50_000)).toBe('0:50');
    expect(formatClock(3_723_000)).toBe('1:02:03');
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(185_000)).toBe('3m5s');
    expect(formatDuration(86_400_000 + 3 * 3_600_000)).toBe('27h');
    expect(formatRate(120 * 1024 * 1024)).toBe('120 MiB/s');
    expect(formatRate(1.5 * 1024 * 1024)).toBe('1.5 MiB/s');
    expect(formatBytesAsGiB(1536 * 1024 * 1024)).toBe('1.5');
    expect(formatBytesAsGiB(64 * 1024 * 1024)).toBe('0.1');
  });
});
