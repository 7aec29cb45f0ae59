// Not a command: the progress sources of a run (the storage probes), built from volmig's settings, imported
// inside the actions that watch (migrate/retype --wait, progress --watch, evacuate, recover).
import type { BlockStorageClient } from '../api/block-storage.js';
import type { ProgressProbe } from '../migration/sources/probe.js';
import type { ProgressSources } from '../migration/sources/sources.js';
import type { CommandEnv } from './context.js';

/**
 * The probes, in the order volmig tries them after the server's own migration_progress: Ceph (for RBD pools, with
 * the operator's Ceph client), then the `dd` on this host. A probe that does not apply to a pool costs nothing.
 */
export async function progressSources(env: CommandEnv, client: BlockStorageClient): Promise<ProgressSources> {
  const settings = await env.settings();
  const [{ ProgressSources }, { createCephProbe }, { createProcessProbe }] = await Promise.all([
    import('../migration/sources/sources.js'),
    import('../migration/sources/ceph.js'),
    import('../migration/sources/process.js'),
  ]);
  const probes: ProgressProbe[] = [createCephProbe({ settings: settings.ceph, env: env.io.env }), createProcessProbe()];
  return new ProgressSources(probes, () => client.getPools());
}
