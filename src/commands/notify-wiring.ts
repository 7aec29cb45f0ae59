// Not a command: `--notify <transport url>` (or the settings' `notify`) for the commands that watch migrations.
import type { MigrationNotifications } from '../migration/notifications.js';
import { UsageError } from '../errors.js';
import type { CommandEnv } from './context.js';

/**
 * The run's notifications, when asked for: the transport URL is read before any request (a bad one is a usage
 * error that never shows its password), the broker is reached at the first notification.
 */
export async function notificationsFor(env: CommandEnv, flag: unknown, waits: boolean, waitFlag: string): Promise<MigrationNotifications | undefined> {
  const settings = await env.settings();
  if (flag !== undefined && !waits) throw new UsageError(`--notify applies only with ${waitFlag}: volmig publishes what it watches`);
  const url = (flag as string | undefined) ?? (waits ? settings.notify : undefined);
  if (url === undefined) return undefined;
  const [{ createNotificationPublisher, volmigPublisherId, TransportUrlError }, { MigrationNotifications }] = await Promise.all([
    import('../notify/publisher.js'),
    import('../migration/notifications.js'),
  ]);
  try {
    const publisher = createNotificationPublisher(url, { log: (line) => env.out.warn(line) });
    return new MigrationNotifications(publisher, volmigPublisherId());
  } catch (err) {
    if (err instanceof TransportUrlError) throw new UsageError(`invalid value for --notify: ${err.message}`);
    throw err;
  }
}
