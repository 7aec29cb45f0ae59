import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { UsageError } from '../../src/errors.js';
import type { Io } from '../../src/io.js';
import { runVolmig } from '../helpers/run.js';

let root: string;
let cwd: string;
let home: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'volmig-settings-'));
  cwd = join(root, 'project', 'sub');
  home = join(root, 'home');
  await mkdir(cwd, { recursive: true });
  await mkdir(home, { recursive: true });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function write(file: string, text: string): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

function io(dir = cwd): Io {
  return { stdout: { write: () => true }, stderr: { write: () => true }, env: { HOME: home }, isTTY: false, cwd: dir };
}

describe('loadSettings', () => {
  it('no settings file anywhere: empty settings', async () => {
    expect(await loadSettings(io())).toEqual({});
  });

  it('.volmigrc.json in the working directory', async () => {
    const file = await write(
      join(cwd, '.volmigrc.json'),
      JSON.stringify({ cloud: 'prod', migration_progress_report_interval: 5, output: 'json', timeout: '30m', stall_timeout: '90s', http_timeout: 20, connect_timeout: 4 }),
    );
    expect(await loadSettings(io())).toEqual({
      filepath: file,
      cloud: 'prod',
      migration_progress_report_interval: 5,
      output: 'json',
      timeout: '30m',
      stall_timeout: '90s',
      http_timeout: 20,
      connect_timeout: 4,
    });
  });

  it('.volmigrc (YAML, no extension) and .volmigrc.yaml', async () => {
    const rc = await write(join(cwd, '.volmigrc'), 'cloud: lab\nhttp_timeout: 7\n');
    expect(await loadSettings(io())).toEqual({ filepath: rc, cloud: 'lab', http_timeout: 7 });
    await rm(rc);
    const yaml = await write(join(cwd, '.volmigrc.yaml'), 'output: table\n');
    expect(await loadSettings(io())).toEqual({ filepath: yaml, output: 'table' });
  });

  it('package.json#volmig and volmig.config.js', async () => {
    const pkg = await write(join(cwd, 'package.json'), JSON.stringify({ name: 'ops', volmig: { cloud: 'from-pkg' } }));
    expect(await loadSettings(io())).toEqual({ filepath: pkg, cloud: 'from-pkg' });
    await rm(pkg);
    const js = await write(join(cwd, 'volmig.config.js'), 'module.exports = { cloud: "from-js", migration_progress_report_interval: 2 };\n');
    expect(await loadSettings(io())).toEqual({ filepath: js, cloud: 'from-js', migration_progress_report_interval: 2 });
  });

  it('found in a parent directory, and in $HOME when the project has none', async () => {
    const parent = await write(join(root, 'project', '.volmigrc.json'), '{"cloud": "parent"}');
    expect((await loadSettings(io())).filepath).toBe(parent);
    await rm(parent);
    const inHome = await write(join(home, '.volmigrc.yaml'), 'cloud: home\n');
    expect(await loadSettings(io())).toEqual({ filepath: inHome, cloud: 'home' });
  });

  it('an unknown key is a usage error naming the file and the key', async () => {
    const file = await write(join(cwd, '.volmigrc.json'), '{"cloud": "prod", "colour": "never"}');
    const err = await loadSettings(io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toBe(
      `${file}: unknown setting 'colour' (known settings: cloud, migration_progress_report_interval, output, timeout, stall_timeout, notify, http_timeout, connect_timeout, ceph)`,
    );
  });

  it.each([
    ['http_timeout', '"fast"', 'a number of seconds or a duration such as "30s" or "2m", from 1s to 1h, not "fast"'],
    ['connect_timeout', '-1', 'a number of seconds or a duration such as "30s" or "2m", from 1s to 1h, not -1'],
    ['output', '"xml"', 'one of "table", "json", "yaml", "value", "csv", not "xml"'],
    ['timeout', '"soon"', 'a duration such as "90s", "30m" or "1h", not "soon"'],
    ['stall_timeout', '"0s"', 'a duration such as "90s", "30m" or "1h", not "0s"'],
    ['cloud', '42', 'a non-empty string, not 42'],
  ])('a wrong type for %s is a usage error naming the file and the key', async (key, value, expected) => {
    const file = await write(join(cwd, '.volmigrc.json'), `{"${key}": ${value}}`);
    await expect(loadSettings(io())).rejects.toThrow(`${file}: setting '${key}' must be ${expected}`);
  });

  it('accepts every duration form the --timeout flag accepts', async () => {
    await write(join(cwd, '.volmigrc.json'), '{"timeout": "1h30m", "stall_timeout": "45"}');
    const settings = await loadSettings(io());
    expect(settings.timeout).toBe('1h30m');
    expect(settings.stall_timeout).toBe('45');
  });

  it('a syntax error names the file', async () => {
    const file = await write(join(cwd, '.volmigrc.json'), '{"cloud": ');
    const err = await loadSettings(io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(file);
  });

  it('through the CLI: a bad settings file exits 2 with the file and key on stderr', async () => {
    const file = await write(join(cwd, '.volmigrc.json'), '{"http_timeout": "fast"}');
    const result = await runVolmig(['pools'], { cwd, env: { HOME: home } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Error: ${file}: setting 'http_timeout' must be a number of seconds or a duration such as "30s" or "2m", from 1s to 1h, not "fast"`);
  });
});
