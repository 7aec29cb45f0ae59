// Not a command: how the commands that look at volumes (show, list, progress) close the journal's open entries.
import type { BlockStorageClient } from '../api/block-storage.js';
import type { JournalCloser } from '../migration/journal-close.js';
import type { CommandEnv } from './context.js';

/** The journal closer of this command, on the cloud the journal names this connection by. */
export async function journalCloser(env: CommandEnv, client: BlockStorageClient, observedBy: string): Promise<JournalCloser> {
  const [{ JournalCloser }, { journalCloudName }] = await Promise.all([import('../migration/journal-close.js'), import('../migration/journal.js')]);
  const settings = await env.settings();
  const cloud = journalCloudName(env.globals.osCloud ?? env.io.env.OS_CLOUD ?? settings.cloud, client.endpoint);
  return JournalCloser.load(env.io, cloud, observedBy, (line) => env.out.warn(line));
}
