import type { Volume } from '../../src/model/cinder.js';
import { sandboxAdminApi } from './cli-process.js';

/** Volume reads and writes as the sandbox's noauth admin, for setting the scene and reading server state. */
export interface SandboxVolumes {
  volume(id: string): Promise<Volume>;
  createVolume(spec: { size: number; name: string; volume_type?: string }): Promise<Volume>;
  /** Reads the volume every 25 ms until `done` holds; throws with its status, migration status and host at the timeout. */
  waitFor(id: string, done: (v: Volume) => boolean, timeoutMs?: number): Promise<Volume>;
}

export function sandboxVolumes(apiUrl: string): SandboxVolumes {
  const volumes: SandboxVolumes = {
    async volume(id) {
      const r = await sandboxAdminApi<{ volume: Volume }>(apiUrl, 'GET', `/volumes/${id}`);
      if (r.status !== 200) throw new Error(`GET volume ${id}: ${r.status}`);
      return r.body.volume;
    },
    async createVolume(spec) {
      const r = await sandboxAdminApi(apiUrl, 'POST', '/volumes', { volume: spec });
      if (r.status !== 202) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`);
      return volumes.waitFor(r.body.volume.id, (v) => v.status !== 'creating');
    },
    async waitFor(id, done, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = await volumes.volume(id);
        if (done(v)) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for volume ${id}: ${JSON.stringify({ status: v.status, ms: v.migration_status, host: v['os-vol-host-attr:host'] })}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
  return volumes;
}
