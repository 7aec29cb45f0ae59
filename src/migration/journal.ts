import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ExitCode, VolmigError } from '../errors.js';
import type { Io } from '../io.js';

/**
 * One line of the local journal: a migration or retype volmig started (or tried to), and how it ended as far as
 * volmig saw. `evacuate` reads it back to resume without sending a migration twice; `volmig history` prints it.
 */
export interface JournalEntry {
  time: string;
  /** Cloud name (clouds.yaml / OS_CLOUD) or the endpoint URL with credentials, query and fragment removed. */
  cloud: string;
  /** recover: what `volmig recover` did (or refused to do) to a migration's remains. */
  action: 'migrate' | 'retype' | 'recover';
  volume_id: string;
  volume_name?: string | null;
  source_host: string | null;
  /** Destination host or cluster for a migration, the new type for a retype. */
  destination: string | null;
  options: Record<string, unknown>;
  /**
   * no-op: the server said success but the volume did not move; unclean: it moved, but was attached meanwhile and
   * the old record was left behind (see WatchResult.end). A later observation closes a `requested`, `timeout` or
   * `interrupted` entry by appending the end it saw (options.observed_by names the command).
   */
  outcome: 'requested' | 'rejected' | 'success' | 'no-op' | 'unclean' | 'error' | 'timeout' | 'interrupted' | 'unknown';
  reason?: string;
  request_id?: string;
}

export type JournalOutcome = JournalEntry['outcome'];

export interface JournalOptions {
  /** Called once per Journal when a write fails (the commands pass their Output's warning); default: nothing. */
  onWriteError?: (message: string) => void;
}

const SECRET_KEY = /pass|token|secret|credential|auth/i;

/**
 * Append-only JSON-lines file in the user's state directory:
 * `$XDG_STATE_HOME/volmig/journal.jsonl`, else `$HOME/.local/state/volmig/journal.jsonl`.
 * The directory is 0700 and the file 0600 because the journal records which volumes an operator touched.
 * A failed write never fails the migration it records (the request has already been sent): it warns once.
 */
export class Journal {
  readonly path: string;
  private readonly baseMustExist: string | null;
  private prepared = false;
  private warned = false;
  private readonly onWriteError: (message: string) => void;

  constructor(
    private readonly io: Io,
    options: JournalOptions = {},
  ) {
    const located = journalLocation(io.env);
    this.path = located.path;
    this.baseMustExist = located.baseMustExist;
    this.onWriteError =
      options.onWriteError ?? (() => {});
  }

  async append(entry: Omit<JournalEntry, 'time'> & { time?: string }): Promise<void> {
    const line = JSON.stringify(sanitizeEntry({ ...entry, time: entry.time ?? new Date(this.now()).toISOString() }));
    try {
      await this.prepare();
      // O_APPEND keeps concurrent writers (several evacuation workers, two volmig processes) from interleaving
      // within a line of this size.
      const handle = await open(this.path, 'a', 0o600);
      try {
        await handle.appendFile(line + '\n', 'utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (!this.warned) {
        this.warned = true;
        const why = err instanceof Error ? err.message : String(err);
        this.onWriteError(`could not write the volmig journal ${this.path}: ${why}`);
      }
    }
  }

  /** Every readable entry in file order; a torn or foreign line is skipped, a missing file is an empty journal. */
  async read(filter: { volume?: string } = {}): Promise<JournalEntry[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new VolmigError(`cannot read the volmig journal ${this.path}: ${(err as Error).message}`, ExitCode.FAILED, { cause: err });
    }
    const entries: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      if (!isJournalEntry(parsed)) continue;
      if (filter.volume !== undefined && parsed.volume_id !== filter.volume && parsed.volume_name !== filter.volume) {
        continue;
      }
      entries.push(parsed);
    }
    return entries;
  }

  private now(): number {
    return (this.io.now ?? Date.now)();
  }

  private async prepare(): Promise<void> {
    if (this.prepared) return;
    if (this.baseMustExist !== null) {
      // Never invent a home directory (tests and service accounts run with a HOME that does not exist).
      const info = await stat(this.baseMustExist).catch(() => null);
      if (!info?.isDirectory()) throw new Error(`home directory ${this.baseMustExist} does not exist`);
    }
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const existing = await stat(this.path).catch(() => null);
    if (existing && (existing.mode & 0o077) !== 0) await chmod(this.path, 0o600);
    this.prepared = true;
  }
}

export function journalLocation(env: Record<string, string | undefined>): { path: string; baseMustExist: string | null } {
  const xdg = env.XDG_STATE_HOME;
  // The XDG spec says a relative XDG_STATE_HOME is invalid and must be ignored.
  if (xdg && xdg.startsWith('/')) return { path: join(xdg, 'volmig', 'journal.jsonl'), baseMustExist: null };
  const home = env.HOME || env.USERPROFILE;
  if (!home) return { path: join('/nonexistent', '.local', 'state', 'volmig', 'journal.jsonl'), baseMustExist: '/nonexistent' };
  return { path: join(home, '.local', 'state', 'volmig', 'journal.jsonl'), baseMustExist: home };
}

/**
 * How a cloud is named in the journal: the clouds.yaml name when there is one, else the endpoint URL without
 * user info, query or fragment (a noauth endpoint never carries a secret, but a pasted URL might).
 */
export function journalCloudName(cloudName: string | undefined | null, endpoint: string | undefined | null): string {
  if (cloudName) return cloudName;
  if (!endpoint) return 'unknown';
  return stripUrlCredentials(endpoint);
}

export function stripUrlCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    // Not a URL: keep only what cannot be a credential-bearing authority.
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

function sanitizeEntry(entry: JournalEntry): JournalEntry {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry.options ?? {})) {
    if (SECRET_KEY.test(key)) continue;
    options[key] = value;
  }
  const clean: JournalEntry = {
    time: entry.time,
    cloud: looksLikeUrl(entry.cloud) ? stripUrlCredentials(entry.cloud) : entry.cloud,
    action: entry.action,
    volume_id: entry.volume_id,
    source_host: entry.source_host ?? null,
    destination: entry.destination ?? null,
    options,
    outcome: entry.outcome,
  };
  if (entry.volume_name !== undefined) clean.volume_name = entry.volume_name;
  if (entry.reason !== undefined) clean.reason = entry.reason;
  if (entry.request_id !== undefined) clean.request_id = entry.request_id;
  return clean;
}

function looksLikeUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
}

const OUTCOMES = new Set<JournalOutcome>(['requested', 'rejected', 'success', 'no-op', 'unclean', 'error', 'timeout', 'interrupted', 'unknown']);

function isJournalEntry(value: unknown): value is JournalEntry {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.time === 'string' &&
    typeof v.cloud === 'string' &&
    (v.action === 'migrate' || v.action === 'retype' || v.action === 'recover') &&
    typeof v.volume_id === 'string' &&
    OUTCOMES.has(v.outcome as JournalOutcome)
  );
}
