import type { Io } from '../io.js';

/**
 * When volmig itself sent the migration (or retype) now in flight, from the journal: the latest `requested` entry of
 * each volume on this cloud that no later entry of the same volume has closed. A watch that joins a migration it
 * did not start uses it, so that elapsed time and rates are the migration's, not the watch's.
 */
export async function journalStarts(io: Io, cloud: string, volumeIds: readonly string[]): Promise<Map<string, number>> {
  const starts = new Map<string, number>();
  if (volumeIds.length === 0) return starts;
  const { Journal } = await import('./journal.js');
  let entries;
  try {
    entries = await new Journal(io).read();
  } catch {
    return starts;
  }
  const wanted = new Set(volumeIds);
  for (const e of entries) {
    if (!wanted.has(e.volume_id) || e.cloud !== cloud) continue;
    if (e.outcome === 'requested') {
      const at = Date.parse(e.time);
      if (Number.isFinite(at)) starts.set(e.volume_id, at);
    } else {
      starts.delete(e.volume_id);
    }
  }
  return starts;
}
