import { createCipheriv, createHash } from 'node:crypto';
import type { Storage } from './backends.js';
import type { StateStore } from './state.js';
import { MiB } from './movers.js';
import type { Provisioning } from './provisioning.js';

const DEMO_MEMBER_PROJECT = 'demo';

/** Deterministic bytes, so a volume's checksum is the same on every run of the demo. */
function pattern(label: string, length: number): Buffer {
  const key = createHash('sha256').update(label).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

/**
 * `--seed demo`: on every pool two `available` volumes of project `admin` (1 and 2 GiB, default unpinned type, no
 * snapshots), each with a little data (1 MiB at the start, at a third and at two thirds of the volume; the rest a
 * hole), plus one volume of the member project `demo`.
 */
export function seedDemo(provisioning: Provisioning, store: StateStore, storage: Storage): string[] {
  const defaultType = Object.values(store.state.volumeTypes).find((t) => t.name === '__DEFAULT__')!;
  const created: string[] = [];
  const write = (host: string, id: string, sizeGb: number, label: string) => {
    const bytes = storage.volumeBytes(sizeGb);
    const chunk = Math.min(MiB, Math.floor(bytes / 8));
    const file = storage.fileFor(host, id);
    for (const [i, offset] of [0, Math.floor(bytes / 3), Math.floor((2 * bytes) / 3)].entries()) {
      const aligned = offset - (offset % 4096);
      storage.writeAt(file, aligned, pattern(`${label}-${i}`, chunk));
    }
  };
  for (const backend of storage.layout.backends) {
    for (const pool of backend.pools) {
      const host = `${storage.layout.hostName}@${backend.name}#${pool.name}`;
      for (const size of [1, 2]) {
        const name = `demo-${pool.name}-${size}g`;
        const v = provisioning.newVolume({ projectId: 'admin', userId: 'admin', size, name, description: `demo volume on ${host}`, typeId: defaultType.id, host, immediate: true });
        write(host, v.id, size, name);
        created.push(v.id);
      }
    }
  }
  const first = storage.layout.backends[0]!;
  const memberHost = `${storage.layout.hostName}@${first.name}#${first.pools[0]!.name}`;
  const member = provisioning.newVolume({
    projectId: DEMO_MEMBER_PROJECT,
    userId: DEMO_MEMBER_PROJECT,
    size: 1,
    name: 'demo-member-volume',
    description: 'owned by the member project demo',
    typeId: defaultType.id,
    host: memberHost,
    immediate: true,
  });
  write(memberHost, member.id, 1, 'demo-member-volume');
  created.push(member.id);
  return created;
}
