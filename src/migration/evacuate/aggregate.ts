import { GIB } from '../../model/duration.js';
import type { AggregateProgress, MoveState } from './types.js';

/** The whole window at one moment: volumes done, failed and running, bytes, and an ETA from overall throughput. */
export function computeAggregate(states: MoveState[], elapsedMs: number): AggregateProgress {
  let done = 0;
  let failed = 0;
  let running = 0;
  let totalBytes = 0;
  let bytesDone = 0;
  let rate = 0;
  let anyRate = false;
  let copiedSoFar = 0;
  for (const s of states) {
    const size = (s.move.volume.size ?? 0) * GIB;
    totalBytes += size;
    // Only what moved during this run counts for its throughput: a migration this run sent moved whole; one it
    // joined counts for the bytes volmig saw move (none when no source gave numbers).
    const startedHere = s.action === 'migrate';
    if (s.result === 'moved' || s.result === 'already-there') {
      done += 1;
      bytesDone += size;
      if (s.result === 'moved') copiedSoFar += startedHere ? size : (s.tracker?.observedBytes() ?? 0);
    } else if (s.result === 'failed' || s.result === 'rejected' || s.result === 'unknown') {
      failed += 1;
    } else if (s.result === 'active') {
      running += 1;
      const copied = s.snapshot?.bytesCopied ?? 0;
      bytesDone += copied;
      copiedSoFar += startedHere ? copied : (s.tracker?.observedBytes() ?? 0);
      if (s.snapshot?.rateBytesPerSecond) {
        rate += s.snapshot.rateBytesPerSecond;
        anyRate = true;
      }
    }
  }
  // Overall throughput (bytes done over wall time) is what an ETA for the whole window should use; the sum of
  // instantaneous per-volume rates over-promises when fewer moves than the cap remain.
  const overall = elapsedMs > 0 && copiedSoFar > 0 ? (copiedSoFar / elapsedMs) * 1000 : null;
  const rateBytesPerSecond = overall ?? (anyRate ? rate : null);
  const left = totalBytes - bytesDone;
  const etaMs = rateBytesPerSecond && rateBytesPerSecond > 0 && left > 0 ? (left / rateBytesPerSecond) * 1000 : left <= 0 ? 0 : null;
  return { total: states.length, done, failed, running, totalBytes, bytesDone, rateBytesPerSecond, etaMs, elapsedMs };
}

