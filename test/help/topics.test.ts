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
  // Prefixes in comments (OS_TENANT_*) are not variables.
  const read = new Set(files.flatMap((f) => [...src(f).matchAll(/\b(?:OS|CINDER)_[A-Z_]*[A-Z]\b/g)].map((m) => m[0])));
  expect(read.size).toBeGreaterThan(25);
  for (const variable of read) expect(text, variable).toMatch(new RegExp(`\\b${variable}\\b`));
  for (const spec of CLOUD_OPTIONS) {
    const long = spec.flags.split(' ')[0]!;
    expect(text, long).toMatch(new RegExp(`^ {2}${long} `, 'm'));
  }
});

test('`help environment` names the clouds.yaml keys src/config/cloud.ts reads', async () => {
  const text = await topic('environment');
  const cloud = src('config/cloud.ts');
  // The keys an operator writes; each one must be read by cloud.ts (by name) and named by the topic.
  const keys = [
    'auth.auth_url', 'auth.username', 'auth.user_id', 'auth.password', 'auth.project_name', 'auth.project_id',
    'auth.user_domain_name', 'auth.user_domain_id', 'auth.project_domain_name', 'auth.project_domain_id',
    'auth.domain_id', 'auth.domain_name', 'auth.token', 'auth.application_credential_id',
    'auth.application_credential_name', 'auth.application_credential_secret', 'auth_type', 'region_name', 'regions',
    'interface', 'cacert', 'verify', 'insecure', 'api_timeout', 'volume_api_version', 'identity_api_version',
    'default_domain_id', 'default_domain_name', 'block_storage_endpoint_override', 'volumev3_endpoint_override',
    'block_storage_interface', 'volume_interface', 'block_storage_region_name', 'profile',
  ];
  for (const key of keys) {
    const bare = key.replace(/^auth\./, '').replace(/^block_storage_|^volumev3_|^volume_/, '');
    expect(cloud, key).toContain(bare);
    expect(text, key).toContain(key.replace(/^auth\./, ''));
  }
  for (const place of ['OS_CLIENT_CONFIG_FILE', '$XDG_CONFIG_HOME/openstack', '~/.config/openstack/clouds.yaml', '/etc/xdg/openstack', '/etc/openstack/clouds.yaml', 'clouds.yml', 'clouds.json']) {
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
