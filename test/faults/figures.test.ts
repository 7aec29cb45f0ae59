import { describe, expect, it } from 'vitest';
import { figuresTable } from './global-setup.js';
import type { CaseRecord } from './harness.js';

const record = (over: Partial<CaseRecord>): CaseRecord => ({
  suite: 'x', name: 'y', faults: {}, duplicates: 0, wrongExit: 0, stackTraces: 0, secretsSeen: 0, pastDeadline: 0, runs: 1, ...over,
});

describe('the figures table', () => {
  it('adds faults up by kind and fails on any figure that must be 0', () => {
    const clean = figuresTable([record({ faults: { '5xx': 2, html: 1 } }), record({ faults: { '5xx': 3 } })], 1000);
    expect(clean.failed).toEqual([]);
    expect(clean.table).toMatch(/^faults injected: 5xx +5$/m);
    expect(clean.table).toMatch(/^faults injected: total +6$/m);
    const dirty = figuresTable([record({ duplicates: 1 }), record({ stackTraces: 2, pastDeadline: 1 })], 1000);
    expect(dirty.failed).toEqual(['duplicate migrate/retype requests 1', 'stack traces 2', 'watches past their deadline 1']);
    expect(dirty.table).toMatch(/^stack traces +2 {2}<- must be 0$/m);
  });
});
