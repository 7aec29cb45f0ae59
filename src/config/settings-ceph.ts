import { dirname, isAbsolute, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { CephClusterSettings, CephSettings } from './settings.js';

/**
 * The `ceph` key of volmig's settings: how volmig reaches each Ceph cluster with its own client (the `ceph` progress
 * source). Clusters are matched by fsid, or by the cluster name in the pools' `location_info`; conf and keyring paths
 * relative to the settings file are resolved against its folder.
 */
const CEPH_KEYS = ['rbd', 'clusters'] as const;
const CLUSTER_KEYS = ['fsid', 'name', 'conf', 'keyring', 'client_id'] as const;
const FSID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function validateCephSettings(raw: unknown, filepath: string): CephSettings {
  const fail = (key: string, expected: string, value: unknown): never => {
    throw new UsageError(`${filepath}: setting '${key}' must be ${expected}, not ${JSON.stringify(value)}`);
  };
  const unknownKey = (at: string, key: string, known: readonly string[]): never => {
    throw new UsageError(`${filepath}: unknown setting '${at}.${key}' (known settings: ${known.map((k) => `${at}.${k}`).join(', ')})`);
  };
  const text = (key: string, v: unknown): string =>
    typeof v === 'string' && v.trim() !== '' ? v.trim() : fail(key, 'a non-empty string', v);
  const path = (key: string, v: unknown): string => {
    const p = text(key, v);
    return isAbsolute(p) ? p : resolve(dirname(filepath), p);
  };

  if (!isMapping(raw)) return fail('ceph', `a mapping with ${CEPH_KEYS.join(' and/or ')}`, raw);
  const out: CephSettings = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'rbd') out.rbd = text('ceph.rbd', value).includes('/') ? path('ceph.rbd', value) : text('ceph.rbd', value);
    else if (key === 'clusters') {
      if (!Array.isArray(value)) fail('ceph.clusters', 'a list of clusters (each with fsid or name, and conf, keyring, client_id)', value);
      const fsids = new Set<string>();
      out.clusters = (value as unknown[]).map((entry, i) => {
        const at = `ceph.clusters[${i}]`;
        if (!isMapping(entry)) return fail(at, 'a mapping with fsid or name, and conf, keyring, client_id', entry);
        const cluster: CephClusterSettings = {};
        for (const [k, v] of Object.entries(entry)) {
          const key = `${at}.${k}`;
          if (k === 'fsid') {
            const fsid = text(key, v);
            if (!FSID.test(fsid)) fail(key, "the cluster's fsid (a UUID, as `ceph fsid` prints it)", v);
            cluster.fsid = fsid.toLowerCase();
          } else if (k === 'name') cluster.name = text(key, v);
          else if (k === 'conf') cluster.conf = path(key, v);
          else if (k === 'keyring') cluster.keyring = path(key, v);
          else if (k === 'client_id') cluster.client_id = text(key, v).replace(/^client\./, '');
          else unknownKey(at, k, CLUSTER_KEYS);
        }
        if (!cluster.fsid && !cluster.name) {
          throw new UsageError(`${filepath}: setting '${at}' needs fsid or name (which cluster it is for)`);
        }
        if (cluster.fsid) {
          if (fsids.has(cluster.fsid)) throw new UsageError(`${filepath}: setting '${at}.fsid': cluster ${cluster.fsid} is listed twice`);
          fsids.add(cluster.fsid);
        }
        return cluster;
      });
    } else unknownKey('ceph', key, CEPH_KEYS);
  }
  return out;
}
