import { HTTP_TIMEOUT_BOUNDS, INTERVAL_BOUNDS, parseDuration, type DurationBounds } from '../model/duration.js';
import { UsageError } from '../errors.js';
import { isOutputFormat, OUTPUT_FORMATS } from '../model/output-format.js';
import type { Io } from '../io.js';
import type { VolmigSettings } from './settings.js';
import { validateCephSettings } from './settings-ceph.js';

export const SETTINGS_SEARCH_PLACES = [
  'package.json',
  '.volmigrc',
  '.volmigrc.json',
  '.volmigrc.yaml',
  '.volmigrc.yml',
  '.volmigrc.js',
  '.volmigrc.cjs',
  '.volmigrc.mjs',
  'volmig.config.js',
  'volmig.config.cjs',
  'volmig.config.mjs',
];

type Check = (value: unknown) => string | undefined;

const nonEmptyString: Check = (v) => (typeof v === 'string' && v.trim() !== '' ? undefined : 'a non-empty string');
// The same parser as --timeout/--stall-timeout, so a value the file accepts is one the flags accept too.
const duration: Check = (v) => {
  if (typeof v !== 'string') return 'a duration such as "90s", "30m" or "1h"';
  try {
    parseDuration(v);
    return undefined;
  } catch {
    return 'a duration such as "90s", "30m" or "1h"';
  }
};

/**
 * A number of seconds or a duration string, within bounds, as the flags take it; stored as seconds. `validateSettings`
 * replaces the value by what this returns.
 */
const boundedSeconds = (bounds: DurationBounds): Check => {
  const expected = `a number of seconds or a duration such as "30s" or "2m", from ${showBound(bounds.minMs!)} to ${showBound(bounds.maxMs!)}`;
  return (v) => {
    if (typeof v !== 'number' && typeof v !== 'string') return expected;
    try {
      parseDuration(String(v), 'x', bounds);
      return undefined;
    } catch {
      return expected;
    }
  };
};

function showBound(ms: number): string {
  return ms < 1000 ? `${ms}ms` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${ms / 1000}s`;
}

const SETTINGS_SCHEMA: Record<Exclude<keyof VolmigSettings, 'filepath'>, Check> = {
  cloud: nonEmptyString,
  migration_progress_report_interval: boundedSeconds(INTERVAL_BOUNDS),
  output: (v) => (isOutputFormat(v) ? undefined : `one of ${OUTPUT_FORMATS.map((f) => `"${f}"`).join(', ')}`),
  timeout: duration,
  stall_timeout: duration,
  notify: nonEmptyString,
  http_timeout: boundedSeconds(HTTP_TIMEOUT_BOUNDS),
  connect_timeout: boundedSeconds(HTTP_TIMEOUT_BOUNDS),
  // checked key by key in validateCephSettings (its messages name the nested key, e.g. ceph.clusters[0].keyring)
  ceph: () => undefined,
};

/** Keys whose value is normalised to a number of seconds. */
const SECONDS_KEYS = new Set(['migration_progress_report_interval', 'http_timeout', 'connect_timeout']);

export const SETTINGS_KEYS = Object.keys(SETTINGS_SCHEMA);

/** Checks a parsed settings document; an unknown key or a wrong type is a usage error naming the file and the key. */
function validateSettings(raw: unknown, filepath: string): VolmigSettings {
  if (raw === null || raw === undefined) return { filepath };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError(`${filepath}: volmig settings must be a mapping of keys to values (known keys: ${SETTINGS_KEYS.join(', ')})`);
  }
  const out: Record<string, unknown> = { filepath };
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const check = (SETTINGS_SCHEMA as Record<string, Check | undefined>)[key];
    if (!check) {
      throw new UsageError(`${filepath}: unknown setting '${key}' (known settings: ${SETTINGS_KEYS.join(', ')})`);
    }
    if (key === 'ceph') {
      out.ceph = validateCephSettings(value, filepath);
      continue;
    }
    const expected = check(value);
    if (expected) throw new UsageError(`${filepath}: setting '${key}' must be ${expected}, not ${JSON.stringify(value)}`);
    out[key] = SECONDS_KEYS.has(key) ? parseDuration(String(value), key) / 1000 : typeof value === 'string' ? value.trim() : value;
  }
  return out as VolmigSettings;
}

/**
 * volmig's own settings via cosmiconfig (module name `volmig`), from io.cwd up to the project root, then $HOME.
 * No file is fine: every setting has a default.
 */
export async function loadSettings(io: Io): Promise<VolmigSettings> {
  const { cosmiconfig } = await import('cosmiconfig');
  const explorer = (searchStrategy: 'project' | 'none') =>
    cosmiconfig('volmig', { searchPlaces: SETTINGS_SEARCH_PLACES, searchStrategy, cache: false });
  let result: { config: unknown; filepath: string; isEmpty?: boolean } | null;
  try {
    result = await explorer('project').search(io.cwd);
    if (!result && io.env.HOME && io.env.HOME !== io.cwd) result = await explorer('none').search(io.env.HOME);
  } catch (err) {
    const e = err as { filepath?: string; message?: string; code?: string };
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return {};
    const where = e.filepath ? `${e.filepath}: ` : '';
    throw new UsageError(`${where}cannot read volmig settings: ${(e.message ?? String(err)).split('\n')[0]}`);
  }
  if (!result) return {};
  return validateSettings(result.isEmpty ? null : result.config, result.filepath);
}
