import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';

/** One `clouds:` entry as openstacksdk reads it (only the keys volmig uses are typed; the rest are ignored). */
export interface CloudsYamlEntry {
  auth_type?: string;
  auth?: Record<string, unknown>;
  region_name?: string;
  interface?: string;
  endpoint_type?: string;
  block_storage_endpoint_override?: string;
  volume_endpoint_override?: string;
  cacert?: string;
  verify?: boolean | string;
  api_timeout?: number | string;
  [key: string]: unknown;
}

export interface LoadedCloud {
  name: string;
  file: string;
  secureFile?: string;
  entry: CloudsYamlEntry;
}

/** openstacksdk's search order; the first file that exists is the one used. */
export function cloudsYamlCandidates(io: Io): string[] {
  const list: string[] = [];
  if (io.env.OS_CLIENT_CONFIG_FILE) list.push(io.env.OS_CLIENT_CONFIG_FILE);
  list.push(join(io.cwd, 'clouds.yaml'));
  if (io.env.HOME) list.push(join(io.env.HOME, '.config', 'openstack', 'clouds.yaml'));
  list.push('/etc/openstack/clouds.yaml');
  return list;
}

function secureYamlCandidates(io: Io, cloudsFile: string): string[] {
  const list: string[] = [];
  if (io.env.OS_CLIENT_SECURE_FILE) list.push(io.env.OS_CLIENT_SECURE_FILE);
  list.push(join(dirname(cloudsFile), 'secure.yaml'));
  list.push(join(io.cwd, 'secure.yaml'));
  if (io.env.HOME) list.push(join(io.env.HOME, '.config', 'openstack', 'secure.yaml'));
  list.push('/etc/openstack/secure.yaml');
  return [...new Set(list)];
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

async function parseYamlFile(file: string, text: string): Promise<Record<string, unknown>> {
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    // YAML 1.1 as PyYAML (openstacksdk) reads it: `verify: no` is false, not the string "no".
    doc = parse(text, { version: '1.1' });
  } catch (err) {
    throw new UsageError(`cannot parse ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`${file}: expected a mapping with a 'clouds' key`);
  return doc as Record<string, unknown>;
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    if (isPlainObject(current) && isPlainObject(value)) out[key] = deepMerge(current, value);
    else out[key] = value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Finds clouds.yaml, picks the named cloud and merges its secure.yaml secrets in. */
export async function loadCloud(io: Io, name: string, selectedBy: string): Promise<LoadedCloud> {
  const candidates = cloudsYamlCandidates(io);
  if (io.env.OS_CLIENT_CONFIG_FILE && (await readIfExists(io.env.OS_CLIENT_CONFIG_FILE)) === undefined) {
    throw new UsageError(`OS_CLIENT_CONFIG_FILE names ${io.env.OS_CLIENT_CONFIG_FILE}, which does not exist`);
  }
  for (const file of candidates) {
    const text = await readIfExists(file);
    if (text === undefined) continue;
    const doc = await parseYamlFile(file, text);
    const clouds = isPlainObject(doc.clouds) ? doc.clouds : {};
    let entry = clouds[name];
    if (!isPlainObject(entry)) {
      const known = Object.keys(clouds);
      throw new UsageError(
        `cloud '${name}' (${selectedBy}) is not in ${file}` + (known.length ? ` (it has: ${known.join(', ')})` : ' (it defines no clouds)'),
      );
    }
    let secureFile: string | undefined;
    for (const candidate of secureYamlCandidates(io, file)) {
      const secureText = await readIfExists(candidate);
      if (secureText === undefined) continue;
      const secureDoc = await parseYamlFile(candidate, secureText);
      const secureClouds = isPlainObject(secureDoc.clouds) ? secureDoc.clouds : {};
      const secureEntry = secureClouds[name];
      if (isPlainObject(secureEntry)) {
        entry = deepMerge(entry, secureEntry);
        secureFile = candidate;
      }
      break;
    }
    return { name, file, secureFile, entry: entry as CloudsYamlEntry };
  }
  throw new UsageError(`cloud '${name}' (${selectedBy}) was asked for, but no clouds.yaml was found (looked in ${candidates.join(', ')})`);
}
