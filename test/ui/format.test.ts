import { describe, expect, test } from 'vitest';
import { formatGiB, formatProgress, orNone, visibleLength } from '../../src/ui/format.js';

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
