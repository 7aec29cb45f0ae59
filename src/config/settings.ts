/**
 * volmig's own settings (not cloud credentials), found by cosmiconfig under the module name `volmig`:
 * .volmigrc, .volmigrc.json, .volmigrc.yaml, volmig.config.js, package.json#volmig.
 * Implementation of loadSettings lives below the type; unknown keys and wrong types are usage errors naming file and key.
 */
export interface VolmigSettings {
  /** File the settings came from, if any (for messages). */
  filepath?: string;
  /** Default cloud name when neither --os-cloud nor OS_CLOUD is given. */
  cloud?: string;
  /** Poll interval in seconds for progress watching (the seed's migration_progress_report_interval). */
  migration_progress_report_interval?: number;
  /** Default output: 'table' (human) or 'json'. */
  output?: 'table' | 'json';
  /** Default --timeout for waits, as a duration ("30m", "90s", "1h"). */
  timeout?: string;
  /** Default --stall-timeout for waits. */
  stall_timeout?: string;
  /** Per-request HTTP timeout in seconds. */
  http_timeout?: number;
  /** TCP connect timeout in seconds. */
  connect_timeout?: number;
}

export { loadSettings } from './settings-loader.js';
