import { describe, expect, test } from 'vitest';
import { formatBytes, formatDuration, formatGiB, formatProgress, orNone, parseDuration, visibleLength } from '../../src/ui/format.js';

describe('formatGiB', () => {
  test.each([
    [1, '1 GiB'],
    [18.7, '18.7 GiB'],
    [18.75, '18.8 GiB'],
    [0, '0 GiB'],
    [2048, '2 TiB'],
    [1536, '1.5 TiB'],
    ['18.7', '18.7 GiB'],
    ['infinite', 'infinite'],
    ['unknown', 'unknown'],
    [null, '-'],
    [undefined, '-'],
  ])('%s -> %s', (input, expected) => {
    expect(formatGiB(input as number | string | null | undefined)).toBe(expected);
  });
});

describe('formatDuration', () => {
  test.each([
    [0, '0s'],
    [999, '0s'],
    [45_000, '45s'],
    [185_000, '3m 05s'],
    [3_600_000 * 2 + 4 * 60_000, '2h 04m'],
    [86_400_000 + 3 * 3_600_000, '1d 03h'],
    [-1, '-'],
    [Number.NaN, '-'],
  ])('%s ms -> %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});

describe('parseDuration', () => {
  test.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['45', 45_000],
    ['250ms', 250],
  ])('%s -> %s ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  test.each(['', 'soon', '10x', '1h 30', 'm5'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

test('formatBytes uses binary units', () => {
  expect(formatBytes(512)).toBe('512 B');
  expect(formatBytes(67108864)).toBe('64 MiB');
  expect(formatBytes(1536 * 1024 * 1024)).toBe('1.5 GiB');
});

test('progress: a percent is shown with %, a word as itself, missing as "-" (never 0%)', () => {
  expect(formatProgress('42')).toBe('42%');
  expect(formatProgress('42%')).toBe('42%');
  expect(formatProgress('copying')).toBe('copying');
  expect(formatProgress(undefined)).toBe('-');
  expect(formatProgress('')).toBe('-');
});

test('orNone and visibleLength', () => {
  expect(orNone(null)).toBe('-');
  expect(orNone('')).toBe('-');
  expect(orNone(0)).toBe('0');
  expect(visibleLength('\u001b[32mavailable\u001b[39m')).toBe(9);
});
