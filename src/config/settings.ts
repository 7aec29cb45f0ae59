/**
 * volmig's own settings (not cloud credentials), found by cosmiconfig under the module name `volmig`:
 * .volmigrc, .volmigrc.json, .volmigrc.yaml, volmig.config.js, package.json#volmig.
 * Implementation of loadSettings lives below the type; unknown keys and wrong types are usage errors naming file and key.
 */
import type { OutputFormat } from '../model/output-format.js';

export interface VolmigSettings {
  /** File the settings came from, if any (for messages). */
  filepath?: string;
  /** Default cloud name when neither --os-cloud nor OS_CLOUD is given. */
  cloud?: string;
  /** Poll interval in seconds for progress watching (the seed's migration_progress_report_interval). */
  migration_progress_report_interval?: number;
  /**
   * Default output, an `-f` value: `json` for every command (as --json); `table`, `yaml`, `value` or `csv` for the
   * commands that have -f (list, show, pools, history); the others print their tables then.
   */
  output?: OutputFormat;
  /** Default --timeout for waits, as a duration ("30m", "90s", "1h"). */
  timeout?: string;
  /** Default --stall-timeout for waits. */
  stall_timeout?: string;
  /**
   * Publish the migrations volmig watches to the cloud's bus (`--notify`): an oslo.messaging transport URL,
   * `rabbit://user:password@host:5672/`.
   */
  notify?: string;
  /** Per-request HTTP timeout in seconds. */
  http_timeout?: number;
  /** TCP connect timeout in seconds. */
  connect_timeout?: number;
  /** How volmig reads progress from Ceph with its own client (the `ceph` progress source). */
  ceph?: CephSettings;
}

/** One Ceph cluster volmig may read: matched by fsid, else by the cluster name in the pools' location_info. */
export interface CephClusterSettings {
  fsid?: string;
  name?: string;
  /** ceph.conf on the machine volmig runs on (never the volume host's path from location_info). */
  conf?: string;
  keyring?: string;
  /** The Ceph client id without `client.` (rbd --id). */
  client_id?: string;
}

export interface CephSettings {
  /** The rbd executable (default: `rbd` on PATH, from Debian's ceph-common). */
  rbd?: string;
  clusters?: CephClusterSettings[];
}

export { loadSettings } from './settings-loader.js';
