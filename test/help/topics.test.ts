import { readFileSync, readdirSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { expect, test } from 'vitest';
import { main } from '../../src/cli.js';
import { ExitCode } from '../../src/errors.js';
import { CLOUD_OPTIONS } from '../../src/config/global-options.js';
import { SETTINGS_KEYS, SETTINGS_SEARCH_PLACES } from '../../src/config/settings-loader.js';
import type { Io } from '../../src/io.js';
import { capture } from '../helpers/run.js';

const src = (path: string) => readFileSync(new URL(`../../src/${path}`, import.meta.url), 'utf8');

/** `volmig help <topic>` on a terminal so wide that no row wraps: one line per row. */
async function topic(name: string): Promise<string> {
  const stdout = capture(true);
  stdout.columns = 400;
  const stderr = capture();
  const io: Io = { stdout, stderr, env: { NO_COLOR: '1' }, isTTY: false, cwd: '/nonexistent', signals: new EventEmitter() };
  const code = await main(['node', 'volmig', 'help', name], io);
  expect(code).toBe(0);
  expect(stderr.text).toBe('');
  return stdout.text;
}

/** The rows of the README's `## Exit codes` table, markdown code marks removed. */
function readmeExitCodes(): [string, string][] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Exit codes\n'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| code |')));
  return [...table.matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((m) => [m[1]!, m[2]!.replace(/`/g, '')]);
}

test('the README table, `volmig help exit-codes` and ExitCode (src/errors.ts) agree', async () => {
  const text = await topic('exit-codes');
  const listed = [...text.matchAll(/^ {2}(\d+) +(.+)$/gm)].map((m) => [m[1]!, m[2]!] as [string, string]);
  expect(listed.map(([code]) => Number(code))).toEqual(Object.values(ExitCode));
  expect(listed.map(([code]) => code)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '130', '143']);
  expect(readmeExitCodes()).toEqual(listed);
});

test('`help environment` names every OS_* variable volmig reads, and every --os-* option', async () => {
  const text = await topic('environment');
  const files = [
    ...readdirSync(new URL('../../src/config/', import.meta.url)).map((f) => `config/${f}`),
    ...readdirSync(new URL('../../src/api/', import.meta.url)).map((f) => `api/${f}`),
  ].filter((f) => f.endsWith('.ts'));
  const read = new Set(files.flatMap((f) => [...src(f).matchAll(/\b(?:OS|CINDER)_[A-Z_]+\b/g)].map((m) => m[0])));
  expect(read.size).toBeGreaterThan(25);
  for (const variable of read) expect(text, variable).toMatch(new RegExp(`\\b${variable}\\b`));
  for (const spec of CLOUD_OPTIONS) {
    const long = spec.flags.split(' ')[0]!;
    expect(text, long).toMatch(new RegExp(`^ {2}${long} `, 'm'));
  }
});

test('`help environment` names every clouds.yaml key src/config/cloud.ts reads', async () => {
  const text = await topic('environment');
  const cloud = src('config/cloud.ts');
  const authKeys = [...cloud.matchAll(/\by\('([a-z_]+)'\)/g)].map((m) => `auth.${m[1]}`);
  const entryKeys = [...cloud.matchAll(/\bc\.([a-z_]+)\b/g)].map((m) => m[1]!).filter((k) => k !== 'auth');
  expect(authKeys.length).toBeGreaterThan(10);
  // default_domain and the tenant_* spellings are openstacksdk aliases the table leaves out; the others are listed.
  const aliases = new Set(['auth.default_domain', 'auth.tenant_id', 'auth.tenant_name', 'endpoint_type']);
  for (const key of new Set([...authKeys, ...entryKeys])) {
    if (aliases.has(key)) continue;
    expect(text, key).toContain(key);
  }
  for (const place of ['OS_CLIENT_CONFIG_FILE', './clouds.yaml', '~/.config/openstack/clouds.yaml', '/etc/openstack/clouds.yaml']) {
    expect(text).toContain(place);
  }
});

test('`help config` lists every settings key, every file name it is searched under, and the duration bounds', async () => {
  const text = await topic('config');
  const block = text.slice(text.indexOf('\nKeys:\n'), text.indexOf('\n\n', text.indexOf('\nKeys:\n')));
  const keys = [...block.matchAll(/^ {2}([a-z_]+) {2,}/gm)].map((m) => m[1]);
  expect(keys).toEqual(SETTINGS_KEYS);
  for (const place of SETTINGS_SEARCH_PLACES) expect(text).toContain(place);
  expect(text).toContain('  interval       from 0.5s to 24h\n');
  expect(text).toContain('  HTTP timeout   from 1s to 1h\n');
  expect(text).toContain('  45             a bare number is seconds\n');
});
