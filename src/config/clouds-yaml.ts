import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { loadPyJson, loadPyYaml, pyStr } from './pyyaml.js';

/**
 * clouds.yaml, secure.yaml and clouds-public.yaml found and read as openstacksdk 0.101 does
 * (openstack/config/loader.py): values keep the types PyYAML gives them (see pyyaml.ts).
 */

export type PyDict = Record<string, unknown>;

/** A region of a cloud's `regions:` list (or `region_name`), with its `values` overriding the cloud's keys. */
export interface KnownRegion {
  name: string;
  values: PyDict;
}

export interface LoadedCloud {
  name: string;
  /** The clouds file the cloud was read from (undefined when it is defined in a secure file only). */
  file?: string;
  /** The secure file merged over the clouds file, if any. */
  secureFile?: string;
  /** clouds-public file whose `profile:` was expanded, if any. */
  vendorFile?: string;
  /** The cloud's keys: profile first, the cloud's own keys over it (`auth` merged key by key). */
  entry: PyDict;
  /** From `regions:` or `region_name` (a list or "A,B"), else from the profile; undefined when none is known. */
  regions?: KnownRegion[];
}

function isDict(v: unknown): v is PyDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** os.path.expanduser for `~` and `~/...` (from $HOME). */
export function expandHome(io: Io, p: string): string {
  const home = io.env.HOME;
  if (home && (p === '~' || p.startsWith('~/'))) return home + p.slice(1);
  return p;
}

/**
 * openstacksdk's CONFIG_SEARCH_PATH: the current directory, appdirs' user config dir ($XDG_CONFIG_HOME/openstack,
 * default ~/.config/openstack), ~/.config/openstack ($SNAP_REAL_HOME's under a snap), appdirs' site config dir
 * ($XDG_CONFIG_DIRS each + /openstack, joined with ':' as appdirs does; default /etc/xdg/openstack), /etc/openstack.
 */
function configSearchPath(io: Io): string[] {
  const home = io.env.HOME;
  const dirs: string[] = [io.cwd];
  const xdgHome = io.env.XDG_CONFIG_HOME;
  if (xdgHome !== undefined) dirs.push(join(xdgHome, 'openstack'));
  else if (home) dirs.push(join(home, '.config', 'openstack'));
  const unixHome = io.env.SNAP_REAL_HOME ?? home;
  if (unixHome) dirs.push(join(unixHome, '.config', 'openstack'));
  const xdgDirs = io.env.XDG_CONFIG_DIRS ?? '/etc/xdg';
  dirs.push(
    xdgDirs
      .split(':')
      .map((d) => `${expandHome(io, d.replace(/\/+$/, ''))}/openstack`)
      .join(':'),
  );
  dirs.push('/etc/openstack');
  return dirs;
}

const SUFFIXES = ['.yaml', '.yml', '.json'];

function candidates(io: Io, base: string, override: string | undefined): string[] {
  const list = configSearchPath(io).flatMap((d) => SUFFIXES.map((s) => join(d, base + s)));
  if (override) list.unshift(override);
  return list;
}

/** OS_CLIENT_CONFIG_FILE, then clouds.yaml / clouds.yml / clouds.json in each directory of the search path. */
function cloudsFileCandidates(io: Io): string[] {
  return candidates(io, 'clouds', io.env.OS_CLIENT_CONFIG_FILE || undefined);
}

/** OS_CLIENT_SECURE_FILE, then secure.{yaml,yml,json} in each directory: searched on its own, not beside clouds.yaml. */
function secureFileCandidates(io: Io): string[] {
  return candidates(io, 'secure', io.env.OS_CLIENT_SECURE_FILE || undefined);
}

function vendorFileCandidates(io: Io): string[] {
  return candidates(io, 'clouds-public', undefined);
}

/**
 * The first candidate that can be read, parsed (JSON when the name ends in `json`, else YAML). Like openstacksdk, a
 * file that is missing or cannot be opened (permissions, a directory) is passed over; one that does not parse is
 * an error.
 */
async function loadFirst(io: Io, list: string[]): Promise<{ file: string; doc: PyDict } | undefined> {
  for (const file of list) {
    const path = isAbsolute(file) ? file : resolve(io.cwd, file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      continue;
    }
    let doc: unknown;
    try {
      doc = file.endsWith('json') ? await loadPyJson(text) : await loadPyYaml(text);
    } catch (err) {
      throw new UsageError(`cannot parse ${file}: ${(err as Error).message.split('\n')[0]}`);
    }
    if (doc === null || doc === undefined) return { file, doc: {} };
    if (!isDict(doc)) throw new UsageError(`${file}: expected a mapping with a 'clouds' key`);
    return { file, doc };
  }
  return undefined;
}

/** openstacksdk _util.merge_clouds: nested mappings merged, everything else replaced. */
function mergeClouds(base: PyDict, extra: PyDict): PyDict {
  const out: PyDict = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    if (isDict(value)) out[key] = isDict(current) ? mergeClouds(current, value) : { ...value };
    else out[key] = value;
  }
  return out;
}

/** openstacksdk loader._auth_update: dict.update, except that `auth` is updated key by key. */
export function authUpdate(target: PyDict, source: PyDict): PyDict {
  for (const [key, value] of Object.entries(deepCopy(source) as PyDict)) {
    if (key === 'auth' && isDict(value)) target.auth = { ...(isDict(target.auth) ? target.auth : {}), ...value };
    else target[key] = value;
  }
  return target;
}

/** copy.deepcopy of loaded data: mappings and lists copied, scalars (PyFloat, PyTimestamp included) shared. */
function deepCopy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deepCopy);
  if (isDict(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepCopy(x)]));
  return v;
}

/** openstacksdk _util.normalize_keys on the top level only: `-` in keys becomes `_`. */
function normalizeKeyNames(d: PyDict): PyDict {
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k.replace(/-/g, '_'), v]));
}

function expandRegions(regions: unknown[], cloud: string, file: string | undefined): KnownRegion[] {
  return regions.map((region) => {
    if (isDict(region)) {
      const keys = Object.keys(region);
      if (!('name' in region) || keys.some((k) => k !== 'name' && k !== 'values')) {
        throw new UsageError(
          `invalid entry in the regions of cloud '${cloud}'${file ? ` in ${file}` : ''}: ${JSON.stringify(region, (_k, v) => (typeof v === 'bigint' ? String(v) : v))} (a region is a name, or a mapping with only 'name' and 'values')`,
        );
      }
      return { name: pyStr(region.name), values: isDict(region.values) ? region.values : {} };
    }
    return { name: pyStr(region), values: {} };
  });
}

/**
 * openstacksdk _get_known_regions: `regions:` (names or {name, values}), else `region_name` (a list, or text split
 * at commas), else the profile's `regions` or `region_name` (not split).
 */
function knownRegions(own: PyDict, profile: PyDict | undefined, cloud: string, file: string | undefined): KnownRegion[] | undefined {
  const config = normalizeKeyNames(own);
  if ('regions' in config) return expandRegions(Array.isArray(config.regions) ? config.regions : [config.regions], cloud, file);
  if ('region_name' in config) {
    const value = config.region_name;
    const names = Array.isArray(value) ? value : pyStr(value).split(',');
    return expandRegions(names, cloud, file);
  }
  if (profile) {
    if (Array.isArray(profile.regions) && profile.regions.length > 0) return expandRegions(profile.regions, cloud, file);
    if (profile.region_name) return [{ name: pyStr(profile.region_name), values: {} }];
  }
  return undefined;
}

/** Where openstacksdk looks, for messages: each directory once, with the file names it tries there. */
function describeSearch(io: Io): string {
  const override = io.env.OS_CLIENT_CONFIG_FILE ? `${io.env.OS_CLIENT_CONFIG_FILE} (OS_CLIENT_CONFIG_FILE), then ` : '';
  return `${override}clouds.yaml, clouds.yml or clouds.json in ${[...new Set(configSearchPath(io))].join(', ')}`;
}

/**
 * The named cloud as openstacksdk builds it before any command-line or environment value is applied: the first
 * clouds file, the first secure file merged over it (whole documents, so a cloud may live in secure.yaml only),
 * and its `profile:` expanded from the first clouds-public file.
 */
export async function loadCloud(io: Io, name: string, selectedBy: string): Promise<LoadedCloud> {
  const clouds = await loadFirst(io, cloudsFileCandidates(io));
  const secure = await loadFirst(io, secureFileCandidates(io));
  let doc: PyDict = clouds?.doc ?? {};
  if (secure && Object.keys(secure.doc).length > 0) doc = mergeClouds(doc, secure.doc);
  const all = isDict(doc.clouds) ? doc.clouds : {};
  const own = all[name];
  const where = [clouds?.file, secure?.file].filter(Boolean).join(' and ');
  if (!clouds && !(secure && isDict(secure.doc.clouds))) {
    throw new UsageError(`cloud '${name}' (${selectedBy}) was asked for, but no clouds.yaml was found (looked for ${describeSearch(io)})`);
  }
  if (!isDict(own)) {
    const known = Object.keys(all);
    throw new UsageError(
      `cloud '${name}' (${selectedBy}) is not in ${where}` + (known.length ? ` (it has: ${known.join(', ')})` : ' (it defines no clouds)'),
    );
  }

  // _expand_vendor_profile: `profile:` (formerly `cloud:`) names an entry of clouds-public's `public-clouds:`.
  const profileName = own.profile ?? own.cloud;
  let profile: PyDict | undefined;
  let vendorFile: string | undefined;
  if (profileName !== undefined && profileName !== null && profileName !== '' && profileName !== false) {
    const vendor = await loadFirst(io, vendorFileCandidates(io));
    const publicClouds = vendor && isDict(vendor.doc['public-clouds']) ? vendor.doc['public-clouds'] : {};
    const found = publicClouds[pyStr(profileName)];
    if (!isDict(found)) {
      const place = vendor ? `is not in ${vendor.file}` : `is not defined: no clouds-public.yaml was found (looked for clouds-public.yaml, .yml or .json in ${[...new Set(configSearchPath(io))].join(', ')})`;
      throw new UsageError(`cloud '${name}' uses profile '${pyStr(profileName)}', which ${place}`, {
        hint: 'volmig reads profiles from a local clouds-public.yaml only: it neither fetches them nor carries openstacksdk’s built-in vendor list.',
      });
    }
    profile = found;
    vendorFile = vendor!.file;
  }
  const entry: PyDict = { auth: {} };
  if (profile) authUpdate(entry, profile);
  authUpdate(entry, own);
  delete entry.cloud;
  const secureClouds = secure && isDict(secure.doc.clouds) ? secure.doc.clouds : {};
  return {
    name,
    file: clouds?.file,
    secureFile: isDict(secureClouds[name]) ? secure!.file : undefined,
    vendorFile,
    entry,
    regions: knownRegions(own, profile, name, clouds?.file ?? secure?.file),
  };
}
