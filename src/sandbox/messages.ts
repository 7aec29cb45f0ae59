/**
 * User messages, as Cinder keeps them for asynchronous failures: a record per failed migration naming the volume,
 * the request that started it and why it ended, served at GET /v3/{project_id}/messages (3.3+). Cinder builds the
 * text from fixed action and detail strings (never from an exception, which might hold something secret), and so
 * does the sandbox: `"<action>:<detail>"`, event id `VOLUME_VOLUME_<action id>_<detail id>`.
 *
 * Upstream Cinder defines no migration action (its message fields stop short of migrations), so the sandbox adds
 * one, and the details a migration can end with, with ids from 900 that upstream's sequence will not reach; the
 * scheduler's "no valid backend" keeps upstream's detail 003.
 */
import { randomUUID } from 'node:crypto';
import { apiTimestamp, type MessageRecord, type StateStore } from './state.js';

export interface MessageField {
  readonly id: string;
  readonly text: string;
}

const MIGRATE_VOLUME_ACTION: MessageField = { id: '900', text: 'migrate volume' };

/** Why a migration ended in error, as a user may be told. */
export const MIGRATION_FAILURE = {
  unknown: { id: '001', text: 'An unknown error occurred.' },
  noValidBackend: { id: '003', text: 'Could not find any available weighted backend.' },
  copyFailed: { id: '900', text: "Copying the volume's data to the destination failed." },
  attached: { id: '901', text: 'The volume was attached while it was migrating without a lock; the migration was aborted.' },
  detached: { id: '902', text: 'The volume was detached while it was migrating without a lock; the migration was aborted.' },
  reset: { id: '903', text: 'An administrator reset the migration status, which ended the migration.' },
  serviceStopped: { id: '904', text: 'The volume service stopped while the migration was in flight.' },
} as const satisfies Record<string, MessageField>;

const DETAILS: readonly MessageField[] = Object.values(MIGRATION_FAILURE);
const ACTIONS: readonly MessageField[] = [MIGRATE_VOLUME_ACTION];

/** Cinder's `message_ttl` default: a message is guaranteed to stay 30 days. */
const MESSAGE_TTL_MS = 2_592_000 * 1000;
/** The sandbox keeps at most this many (the oldest go first), so a long-running sandbox's state stays small. */
const MESSAGES_KEPT = 1000;

/** Cinder's _build_user_message: translated action and detail joined by a colon, unknown ids as Cinder words them. */
export function userMessageText(message: Pick<MessageRecord, 'action_id' | 'detail_id'>): string {
  const action = ACTIONS.find((a) => a.id === message.action_id)?.text ?? 'unknown action';
  const detail = DETAILS.find((d) => d.id === message.detail_id)?.text ?? MIGRATION_FAILURE.unknown.text;
  return `${action}:${detail}`;
}

export class UserMessages {
  constructor(private readonly store: StateStore) {}

  /** Records that the migration of `volumeId`, started by `requestId` in `projectId`, ended with `detail`. */
  migrationFailed(spec: { projectId: string; requestId: string; volumeId: string; detail: MessageField }): MessageRecord {
    const now = new Date();
    const record: MessageRecord = {
      id: randomUUID(),
      project_id: spec.projectId,
      request_id: spec.requestId,
      resource_type: 'VOLUME',
      resource_uuid: spec.volumeId,
      action_id: MIGRATE_VOLUME_ACTION.id,
      detail_id: spec.detail.id,
      event_id: `VOLUME_VOLUME_${MIGRATE_VOLUME_ACTION.id}_${spec.detail.id}`,
      message_level: 'ERROR',
      created_at: apiTimestamp(now),
      expires_at: apiTimestamp(new Date(now.getTime() + MESSAGE_TTL_MS)),
    };
    this.store.update((state) => {
      state.messages.push(record);
      if (state.messages.length > MESSAGES_KEPT) state.messages.splice(0, state.messages.length - MESSAGES_KEPT);
    });
    return record;
  }

  /** Unexpired messages a caller may read: admins every project's (Cinder's project_only skips admins). */
  visibleTo(caller: { projectId: string; isAdmin: boolean }, now = new Date()): MessageRecord[] {
    const cutoff = apiTimestamp(now);
    return this.store.state.messages.filter((m) => m.expires_at > cutoff && (caller.isAdmin || m.project_id === caller.projectId));
  }

  delete(id: string): void {
    this.store.update((state) => {
      state.messages = state.messages.filter((m) => m.id !== id);
    });
  }
}
