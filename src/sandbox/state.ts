import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** One attachment as the legacy os-attach action records it. */
export interface AttachmentRecord {
  attachment_id: string;
  server_id: string | null;
  host_name: string | null;
  device: string | null;
  attached_at: string;
}

/** A volume row, named after Cinder's own columns where it has them. */
export interface VolumeRecord {
  id: string;
  project_id: string;
  user_id: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  /** What `maintenance` or `retyping` replaced; restored when the migration or retype ends. */
  previous_status: string | null;
  /** `host@backend#pool`, null until scheduled. */
  host: string | null;
  volume_type_id: string;
  /** After a generic migration the data lives under the destination volume's id (Cinder's `_name_id`). */
  name_id: string | null;
  migration_status: string | null;
  attach_status: 'attached' | 'detached';
  attachments: AttachmentRecord[];
  metadata: Record<string, string>;
  availability_zone: string;
  snapshot_id: string | null;
  source_volid: string | null;
  replication_status: string | null;
  multiattach: boolean;
  bootable: boolean;
  created_at: string;
  updated_at: string | null;
  launched_at: string | null;
}

export interface SnapshotRecord {
  id: string;
  volume_id: string;
  project_id: string;
  user_id: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string | null;
}

export interface VolumeTypeRecord {
  id: string;
  name: string;
  description: string | null;
  is_public: boolean;
  extra_specs: Record<string, string>;
}

export interface ServiceRecord {
  id: number;
  binary: 'cinder-scheduler' | 'cinder-volume';
  host: string;
  status: 'enabled' | 'disabled';
  disabled_reason: string | null;
  state: 'up' | 'down';
}

export type MigrationKind = 'generic' | 'driver-assisted';
export type MigrationPhase = 'starting' | 'migrating' | 'completing' | 'swapped';

/** An in-flight migration; removed once the source volume records `success` or `error`. */
export interface MigrationRecord {
  volumeId: string;
  sourceHost: string;
  /** As requested (`host@backend` or `host@backend#pool`), then the chosen pool once scheduled. */
  destinationHost: string;
  forceHostCopy: boolean;
  lockVolume: boolean;
  /** Status the migration put on the volume (`maintenance` or `retyping`), restored at the end. */
  heldStatus: string | null;
  retypeToTypeId: string | null;
  kind: MigrationKind | null;
  phase: MigrationPhase;
  targetId: string | null;
  /** Files the copy writes, so a restart can remove them. */
  targetFile: string | null;
  /** Copy processes started for this migration (dd), so a restart can end orphans. */
  pids: number[];
  bytesTotal: number;
  startedAt: string;
  /** The os-migrate_volume / os-retype request that started it, and its caller's project (for user messages). */
  requestId: string;
  requestProjectId?: string;
}

/** The outcome of a finished migration, kept so the reason of an error or abort is never lost. */
export interface MigrationOutcome {
  volumeId: string;
  sourceHost: string;
  destinationHost: string;
  result: 'success' | 'error';
  reason: string | null;
  startedAt: string;
  finishedAt: string;
}

/**
 * A user message (Cinder's `messages` table): what the API serves at GET /messages about an asynchronous failure
 * that the caller was told was accepted. `user_message` is built from the action and detail ids when served.
 */
export interface MessageRecord {
  id: string;
  project_id: string;
  request_id: string;
  resource_type: 'VOLUME';
  resource_uuid: string;
  action_id: string;
  detail_id: string;
  event_id: string;
  message_level: 'ERROR';
  created_at: string;
  expires_at: string;
}

export interface SandboxState {
  version: 1;
  volumes: Record<string, VolumeRecord>;
  snapshots: Record<string, SnapshotRecord>;
  volumeTypes: Record<string, VolumeTypeRecord>;
  services: ServiceRecord[];
  migrations: Record<string, MigrationRecord>;
  outcomes: MigrationOutcome[];
  messages: MessageRecord[];
}

const OUTCOMES_KEPT = 500;

/**
 * The sandbox's database: one JSON document, rewritten whole on every change through write-to-temp, fsync and
 * rename, so a kill -9 at any moment leaves either the old or the new state on disk, never half of one.
 */
export class StateStore {
  readonly path: string;
  state: SandboxState;

  private constructor(path: string, state: SandboxState) {
    this.path = path;
    this.state = state;
  }

  static open(path: string, fresh: () => SandboxState): { store: StateStore; created: boolean } {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) {
      const state = JSON.parse(readFileSync(path, 'utf8')) as SandboxState;
      state.outcomes ??= [];
      state.migrations ??= {};
      state.messages ??= [];
      return { store: new StateStore(path, state), created: false };
    }
    const store = new StateStore(path, fresh());
    store.save();
    return { store, created: true };
  }

  save(): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(this.state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }

  /** Applies a change and persists it before anyone can observe it through the API. */
  update<T>(change: (state: SandboxState) => T): T {
    const result = change(this.state);
    this.save();
    return result;
  }

  recordOutcome(outcome: MigrationOutcome): void {
    this.state.outcomes.push(outcome);
    if (this.state.outcomes.length > OUTCOMES_KEPT) this.state.outcomes.splice(0, this.state.outcomes.length - OUTCOMES_KEPT);
  }
}

/** Cinder's timestamp format in API bodies: `2026-11-27T09:12:42.802158` (UTC, microseconds, no zone). */
export function apiTimestamp(date = new Date()): string {
  return `${date.toISOString().slice(0, 23)}000`;
}
