import type { VolumeType } from '../../model/cinder.js';

export interface SmokePair {
  source: string;
  destination: string;
  locked: boolean;
}

export function caseName(pair: SmokePair): string {
  return `${pair.source} -> ${pair.destination}${pair.locked ? ' (locked)' : ''}`;
}

/** Every ordered pair of distinct pools, in the given order (A→B, A→C, B→A, ...); with lock, each twice. */
export function orderedPairs(pools: string[], lock: boolean): SmokePair[] {
  const pairs: SmokePair[] = [];
  for (const source of pools) {
    for (const destination of pools) {
      if (source === destination) continue;
      pairs.push({ source, destination, locked: false });
      if (lock) pairs.push({ source, destination, locked: true });
    }
  }
  return pairs;
}

/** A type whose extra specs pin no backend, so the scheduler may put the volume anywhere and it may move anywhere. */
export function pickUnpinnedType(types: VolumeType[]): VolumeType | undefined {
  const unpinned = types.filter((t) => !t.extra_specs?.volume_backend_name);
  return unpinned.find((t) => t.name === '__DEFAULT__') ?? unpinned[0];
}
