import { describe, expect, it } from 'vitest';
import { FIRST_LOOK_MS, PollEngine, type PollTick } from '../../src/migration/poll.js';
import type { Io } from '../../src/io.js';

function io(): Io {
  return { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, isTTY: false, cwd: '/' } as unknown as Io;
}

describe('PollEngine: a deadline that passed before the first look', () => {
  it('still gets one look, whose requests stop after FIRST_LOOK_MS; then the wait ends at its deadline', async () => {
    const engine = new PollEngine({ io: io(), signal: new AbortController().signal, intervalMs: 10, deadlineAt: Date.now() - 1 });
    const ticks: PollTick[] = [];
    const started = Date.now();
    let abortedAfter = -1;
    const end = await engine.run(async (t) => {
      ticks.push(t);
      // a request that never answers: only the tick's signal ends it
      await new Promise<void>((resolve) => t.signal.addEventListener('abort', () => resolve(), { once: true }));
      abortedAfter = Date.now() - started;
      return 'continue';
    });
    expect(end).toBe('deadline');
    expect(ticks.map((t) => t.index)).toEqual([0]);
    expect(abortedAfter).toBeGreaterThanOrEqual(FIRST_LOOK_MS - 20);
    expect(abortedAfter).toBeLessThan(FIRST_LOOK_MS + 500);
  });

  it('a look that finds the wait over ends it as done', async () => {
    const engine = new PollEngine({ io: io(), signal: new AbortController().signal, intervalMs: 10, deadlineAt: Date.now() - 1 });
    expect(await engine.run(async () => 'done')).toBe('done');
  });

  it('a deadline that passes during the wait ends it without another look', async () => {
    const engine = new PollEngine({ io: io(), signal: new AbortController().signal, intervalMs: 10, deadlineAt: Date.now() + 50 });
    let ticks = 0;
    expect(await engine.run(async () => (ticks++, 'continue'))).toBe('deadline');
    expect(ticks).toBeGreaterThan(1);
    expect(ticks).toBeLessThan(10);
  });
});

describe('the read-back after a lost answer is bounded by the command deadline', () => {
  it('10 s without a deadline; the time left, at least a second, with one', async () => {
    const { readBackBudget } = await import('../../src/migration/reconcile.js');
    expect(readBackBudget(undefined, 1000)).toBe(10_000);
    expect(readBackBudget(60_000, 1000)).toBe(10_000);
    expect(readBackBudget(3000, 1000)).toBe(2000);
    expect(readBackBudget(1000, 5000)).toBe(1000);
  });
});

describe('CommandDeadline', () => {
  it('a --timeout beyond what a timer can hold (about 24.8 days) never fires during the run', async () => {
    const { CommandDeadline } = await import('../../src/migration/request.js');
    const d = new CommandDeadline(io(), new AbortController().signal, 99_999_999_999 * 1000);
    await new Promise((r) => setTimeout(r, 20));
    expect(d.signal.aborted).toBe(false);
    expect(d.passed).toBe(false);
  });

  it('a request the deadline stopped is a timeout (exit 7), one the operator stopped an interruption (130)', async () => {
    const { RequestAbortedError } = await import('../../src/api/errors.js');
    const { DeadlineReason } = await import('../../src/migration/poll.js');
    const { InterruptReason } = await import('../../src/interruption.js');
    expect(new RequestAbortedError({ method: 'GET', url: 'u', reason: new DeadlineReason('timeout', 'the --timeout passed') }).exitCode).toBe(7);
    expect(new RequestAbortedError({ method: 'GET', url: 'u', reason: new DeadlineReason('stall', 'the --stall-timeout passed') }).exitCode).toBe(7);
    expect(new RequestAbortedError({ method: 'GET', url: 'u', reason: new InterruptReason('SIGINT') }).exitCode).toBe(130);
  });
});

describe('classifyPollError: an answer volmig cannot use is a server fault, retried', () => {
  it('a malformed body and a body past the cap are "retry", never "end" or "missing"', async () => {
    const { classifyPollError } = await import('../../src/migration/poll.js');
    const { BodyTooLargeError, MalformedBodyError } = await import('../../src/api/errors.js');
    const malformed = new MalformedBodyError({ service: 'the Block Storage API', method: 'GET', url: 'http://c/v3/p/volumes/x', problem: 'volume.status is a number, not a string', requestId: 'req-1' });
    expect(classifyPollError(malformed)).toEqual({ kind: 'retry', description: malformed.message });
    const big = new BodyTooLargeError({ method: 'GET', url: 'http://c/v3/p/volumes/x', status: 200, limitBytes: 64 * 1024 * 1024 });
    expect(classifyPollError(big).kind).toBe('retry');
  });
});
