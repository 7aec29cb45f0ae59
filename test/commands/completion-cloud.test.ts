import { createServer, type Server } from 'node:net';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { runVolmig, type RunOptions } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../sandbox/helpers.js';

let cache: string;
beforeEach(async () => {
  cache = await mkdtemp(join(tmpdir(), 'volmig-complete-cache-'));
});
afterEach(async () => {
  await rm(cache, { recursive: true, force: true });
});

/** What the shell gets back: one `value\tdescription` per line, then `:<directive>`. */
async function complete(env: Record<string, string>, words: string[], options: RunOptions = {}): Promise<string[]> {
  const r = await runVolmig(['complete', '--', ...words], { env: { XDG_CACHE_HOME: cache, ...env }, ...options });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout.trimEnd().split('\n');
}
const values = (lines: string[]) => lines.slice(0, -1).map((l) => l.split('\t')[0]);

describe('completion that knows the cloud (the sandbox, in-process)', () => {
  let sandbox: TestSandbox;
  let env: Record<string, string>;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ seed: 'demo' });
    env = { OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: sandbox.url, OS_PROJECT_ID: 'admin', OS_USER_ID: 'admin' };
  });
  afterAll(async () => sandbox?.stop());

  test('migrate <Tab>: the volumes of every project, names (with their id) and ids (with their name)', async () => {
    const lines = await complete(env, ['migrate', 'demo-lvm-1']);
    const one = (await sandbox.volumeByName('demo-lvm-1-1g')) as { id: string };
    expect(lines).toEqual(expect.arrayContaining([`demo-lvm-1-1g\t${one.id}`, expect.stringMatching(/^demo-lvm-1-2g\t[0-9a-f-]{36}$/)]));
    expect(lines.at(-1)).toBe(':4');
    const all = values(await complete(env, ['migrate', '']));
    expect(all).toContain('demo-member-volume'); // project demo's volume: migrate looks in every project
    expect(all).toContain(one.id);
    expect(await complete(env, ['migrate', one.id.slice(0, 8)])).toEqual([`${one.id}\tdemo-lvm-1-1g`, ':4']);
  });

  test('migrate <volume> <Tab>: pools host@backend#pool; evacuate --to/--from, also as --to=...', async () => {
    expect(values(await complete(env, ['migrate', 'demo-lvm-1-1g', 'sandbox@vendor']))).toEqual(['sandbox@vendor#pool-a', 'sandbox@vendor#pool-b', 'sandbox@vendor-lite#pool-c', 'sandbox@vendor-lite#pool-d']);
    expect(values(await complete(env, ['evacuate', '--from', 'sandbox@lvm-1', '--to', 'sandbox@lvm']))).toEqual(['sandbox@lvm-1#lvm-1', 'sandbox@lvm-2#lvm-2']);
    expect(values(await complete(env, ['evacuate', '--to=sandbox@lvm-2']))).toEqual(['sandbox@lvm-2#lvm-2']);
  });

  test('retype <volume> <Tab>: volume types; --migration-status: its values; show: the own project unless --all-projects', async () => {
    expect(values(await complete(env, ['retype', 'demo-lvm-1-1g', '']))).toEqual(['__DEFAULT__', 'lvm-1', 'lvm-2', 'vendor', 'vendor-lite']);
    expect(values(await complete(env, ['list', '--migration-status', 'c']))).toEqual(['completing']);
    expect(values(await complete(env, ['show', 'demo-member']))).toEqual([]);
    expect(values(await complete(env, ['show', '--all-projects', 'demo-member']))).toEqual(['demo-member-volume']);
    expect(values(await complete(env, ['progress', 'demo-lvm-1-1g', 'demo-pool-a-']))).toEqual(['demo-pool-a-2g', 'demo-pool-a-1g']);
    expect(values(await complete(env, ['recover', 'demo-pool-d-1']))).toEqual(['demo-pool-d-1g']);
  });

  test('a broken settings file does not stop it (completion reads no setting it needs)', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(cache, '.volmigrc.json'), '{"output": "xml"}');
    expect(values(await complete(env, ['recover', 'demo-pool-b-1'], { cwd: cache }))).toEqual(['demo-pool-b-1g']);
  });

  test('the --os-* options on the line choose the cloud', async () => {
    const lines = await complete({}, ['--os-auth-type', 'noauth', `--os-endpoint=${sandbox.url}`, '--os-project-id', 'admin', 'migrate', 'demo-pool-c-2']);
    expect(values(lines)).toEqual(['demo-pool-c-2g']);
  });
});

describe('bounded, silent, cached', () => {
  let hang: Server;
  let hangPort: number;
  const accepted: unknown[] = [];
  beforeAll(async () => {
    // Accepts connections and never answers: a Block Storage API that hangs.
    hang = createServer((socket) => accepted.push(socket));
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    hangPort = (hang.address() as { port: number }).port;
  });
  afterAll(() => {
    for (const s of accepted) (s as { destroy(): void }).destroy();
    hang.close();
  });

  test('an API that never answers: within about a second, no candidates, nothing on stderr, exit 0', async () => {
    const started = Date.now();
    const lines = await complete({ OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: `http://127.0.0.1:${hangPort}/v3`, OS_PROJECT_ID: 'admin' }, ['migrate', '']);
    const took = Date.now() - started;
    expect(lines).toEqual([':4']);
    expect(accepted.length).toBeGreaterThan(0);
    expect(took).toBeLessThan(2500);
  });

  test('nothing configured, or an unreachable API: no candidates, no message, exit 0', async () => {
    expect(await complete({}, ['migrate', ''])).toEqual([':4']);
    expect(await complete({ OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: 'http://127.0.0.1:9/v3', OS_PROJECT_ID: 'admin' }, ['retype', 'v', ''])).toEqual([':4']);
    // The static completions do not need the cloud and still answer.
    expect(await complete({}, ['completion', ''])).toEqual(['bash\t', 'zsh\t', 'fish\t', ':4']);
  });

  test('values are cached per cloud for about 30 s in $XDG_CACHE_HOME/volmig (0600), with no secret in the file', async () => {
    const sandbox = await startTestSandbox({ seed: 'demo' });
    try {
      let clock = Date.parse('2026-12-01T10:00:00Z');
      const now = () => clock;
      const env = { OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: sandbox.url, OS_PROJECT_ID: 'admin', OS_USER_ID: 'admin', OS_PASSWORD: 'never-in-the-cache' };
      expect(values(await complete(env, ['retype', 'x', 'vendor'], { now }))).toEqual(['vendor', 'vendor-lite']);
      const dir = join(cache, 'volmig');
      const [file, ...more] = await readdir(dir);
      expect(more).toEqual([]);
      expect(file).toMatch(/^completion-[0-9a-f]{24}\.json$/);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      expect((await stat(join(dir, file!))).mode & 0o777).toBe(0o600);
      const text = await readFile(join(dir, file!), 'utf8');
      expect(text).toContain('"vendor-lite"');
      expect(text).not.toContain('never-in-the-cache');

      // The sandbox gone: within 30 s the cache answers; after that nothing does.
      await sandbox.stop();
      clock += 20_000;
      expect(values(await complete(env, ['retype', 'x', 'vendor'], { now }))).toEqual(['vendor', 'vendor-lite']);
      clock += 15_000;
      expect(values(await complete(env, ['retype', 'x', 'vendor'], { now }))).toEqual([]);
      // Another cloud (another endpoint) has a cache file of its own.
      await complete({ ...env, OS_ENDPOINT: 'http://127.0.0.1:9/v3' }, ['retype', 'x', ''], { now });
      expect(await readdir(dir)).toEqual([file]); // nothing fetched there, so nothing saved
    } finally {
      await sandbox.stop().catch(() => {});
    }
  });
});
