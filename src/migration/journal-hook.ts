import type { BlockStorageClient } from '../api/block-storage.js';
import type { Volume } from '../model/cinder.js';
import type { Io } from '../io.js';
import type { JournalOutcome } from './journal.js';
import type { WatchResult } from './progress.js';

/** What migrate and retype record of a request and of its end (src/migration/journal.ts writes it). */
export interface JournalHook {
  (entry: {
    action: 'migrate' | 'retype';
    volume: Volume | { id: string; name?: string | null };
    sourceHost: string | null;
    destination: string | null;
    options: Record<string, unknown>;
    outcome: JournalOutcome;
    reason?: string;
    requestId?: string;
  }): Promise<void>;
}

/** Records each request and its end in the local journal (src/migration/journal.ts); a failed write only warns. */
export async function journalHook(io: Io, client: BlockStorageClient, cloudName: string | undefined, warn: (line: string) => void): Promise<JournalHook> {
  const { Journal, journalCloudName } = await import('./journal.js');
  const journal = new Journal(io, { onWriteError: warn });
  const cloud = journalCloudName(cloudName, client.endpoint);
  return async (e) => {
    await journal.append({
      cloud,
      action: e.action,
      volume_id: e.volume.id,
      volume_name: e.volume.name ?? null,
      source_host: e.sourceHost,
      destination: e.destination,
      options: e.options,
      outcome: e.outcome,
      ...(e.reason !== undefined ? { reason: e.reason } : {}),
      ...(e.requestId !== undefined ? { request_id: e.requestId } : {}),
    });
  };
}

/** How a --wait ended, in the journal's terms: a stall is a timeout; a volume gone, idle or unreadable leaves it unknown. */
export function journalEnd(r: WatchResult): { outcome: JournalOutcome; reason: string | undefined } {
  const outcome = r.end ?? (r.outcome === 'stalled' ? 'timeout' : r.outcome === 'gone' || r.outcome === 'idle' || r.outcome === 'denied' ? 'unknown' : r.outcome);
  return { outcome, reason: r.outcome === 'success' ? undefined : r.summary };
}
