import type { Io } from '../io.js';
import { isInFlight, normalizedMigrationStatus, volumeHost, type Volume } from '../model/cinder.js';
import { journalEnd } from './journal-hook.js';
import type { Journal, JournalEntry, JournalOutcome } from './journal.js';
import type { WatchResult } from './progress.js';

/** Outcomes after which the migration may still run on the server: a later look at the volume may see its end. */
const OPEN: ReadonlySet<JournalOutcome> = new Set(['requested', 'timeout', 'interrupted']);

export interface SeenEnd {
  outcome: JournalOutcome;
  destination: string | null;
  reason?: string;
}

/**
 * The end a volume's state shows for an open journal entry, or null while it may still run (or when the state does
 * not say). A migration: success on another host; `no-op` when it succeeded where it started; `unclean` when it
 * moved but reads available with an attachment (Cinder's end of an attach during an unlocked copy); error. A
 * retype: the new type (and where the volume now is), or error once the volume settled with the old type.
 */
export function endShown(entry: JournalEntry, v: Volume): SeenEnd | null {
  if (isInFlight(v) || v.status === 'retyping' || v.status === 'maintenance') return null;
  const host = volumeHost(v);
  const ms = normalizedMigrationStatus(v);
  if (entry.action === 'retype') {
    const wanted = (entry.destination ?? '').split(' on ')[0]!;
    if (!wanted) return null;
    const moved = host !== null && entry.source_host !== null && host !== entry.source_host;
    if (v.volume_type === wanted || v.volume_type_id === wanted) return { outcome: 'success', destination: moved ? `${wanted} on ${host}` : wanted };
    return { outcome: 'error', destination: wanted, reason: `the volume settled with type ${v.volume_type ?? 'unknown'} on ${host ?? 'an unknown host'}` };
  }
  if (entry.action !== 'migrate') return null;
  if (ms === 'error') return { outcome: 'error', destination: entry.destination, reason: `migration_status error; the volume is on ${host ?? 'an unknown host'} (status ${v.status})` };
  if (ms !== 'success') return null;
  if (host !== null && host === entry.source_host) {
    return { outcome: 'no-op', destination: host, reason: `migration_status success, but the volume is still on ${host}` };
  }
  const attached = Array.isArray(v.attachments) && v.attachments.length > 0;
  if (v.status === 'available' && attached) {
    return { outcome: 'unclean', destination: host, reason: 'moved, but it reads available with an attachment record (attached during the unlocked migration)' };
  }
  return { outcome: 'success', destination: host };
}

/**
 * Closes journal entries that a later look by volmig finds ended: `show`, `list`, `progress` (one-shot and --watch)
 * and evacuate append the end they saw for an entry still `requested` (or timed out, interrupted), with
 * `options.observed_by` naming the command. One read of the journal per command, appends only; a volume without an
 * open entry costs nothing.
 */
export class JournalCloser {
  private readonly pending: Promise<void>[] = [];

  private constructor(
    private readonly journal: Journal,
    private readonly observedBy: string,
    /** The open entry of each volume on this cloud (its latest entry, when that one is open). */
    private readonly open: Map<string, JournalEntry>,
  ) {}

  /** `onWriteError` hears, once, that an observed end could not be appended (the command itself goes on). */
  static async load(io: Io, cloud: string, observedBy: string, onWriteError?: (message: string) => void): Promise<JournalCloser> {
    const { Journal } = await import('./journal.js');
    const journal = new Journal(io, { onWriteError });
    let entries: JournalEntry[] = [];
    try {
      entries = await journal.read();
    } catch {
      // An unreadable journal closes nothing; the command itself goes on.
    }
    return new JournalCloser(journal, observedBy, openEntries(entries, cloud));
  }

  get size(): number {
    return this.open.size;
  }

  /**
   * When volmig itself sent the migration (or retype) now in flight: the open `requested` entry of each volume. A
   * watch that joins a migration it did not start uses it, so that elapsed time and rates are the migration's.
   */
  starts(volumeIds: readonly string[]): Map<string, number> {
    const starts = new Map<string, number>();
    for (const id of volumeIds) {
      const e = this.open.get(id);
      const at = e?.outcome === 'requested' ? Date.parse(e.time) : NaN;
      if (Number.isFinite(at)) starts.set(id, at);
    }
    return starts;
  }

  /** A state read of the volume; the append runs in the background until flush(). */
  note(v: Volume): void {
    const entry = this.open.get(v.id);
    if (!entry) return;
    const end = endShown(entry, v);
    if (end) this.close(entry, end);
  }

  /** The end a watch reached (progress --watch): its outcome, or for a watch that found it idle, the state it read. */
  noteResult(r: WatchResult): void {
    const entry = this.open.get(r.volumeId);
    if (!entry) return;
    if (r.outcome === 'idle' || r.outcome === 'success' || r.outcome === 'error') {
      const volume = r.snapshot?.volume;
      if (r.outcome === 'idle') {
        if (volume) this.note(volume);
        return;
      }
      const { outcome, reason } = journalEnd(r);
      const destination = entry.action === 'retype' ? (volume ? endShown(entry, volume)?.destination ?? entry.destination : entry.destination) : (r.destinationHost ?? entry.destination);
      this.close(entry, { outcome, destination, ...(reason !== undefined ? { reason } : {}) });
    }
  }

  async flush(): Promise<void> {
    await Promise.all(this.pending);
  }

  private close(entry: JournalEntry, end: SeenEnd): void {
    this.open.delete(entry.volume_id);
    this.pending.push(this.journal.append(closingEntry(entry, end, this.observedBy)));
  }
}

/** The entry that closes `entry` with the end a command saw (same request, options and source; who saw it). */
export function closingEntry(entry: JournalEntry, end: SeenEnd, observedBy: string): Omit<JournalEntry, 'time'> {
  return {
    cloud: entry.cloud,
    action: entry.action,
    volume_id: entry.volume_id,
    volume_name: entry.volume_name ?? null,
    source_host: entry.source_host,
    destination: end.destination,
    options: { ...entry.options, observed_by: observedBy },
    outcome: end.outcome,
    ...(end.reason !== undefined ? { reason: end.reason } : {}),
    ...(entry.request_id !== undefined ? { request_id: entry.request_id } : {}),
  };
}

/** The latest entry of each migrate/retype volume on `cloud`, kept when it leaves the migration open. */
export function openEntries(entries: readonly JournalEntry[], cloud: string): Map<string, JournalEntry> {
  const last = new Map<string, JournalEntry>();
  for (const e of entries) {
    if (e.cloud !== cloud || (e.action !== 'migrate' && e.action !== 'retype')) continue;
    last.set(e.volume_id, e);
  }
  for (const [id, e] of last) if (!OPEN.has(e.outcome)) last.delete(id);
  return last;
}
