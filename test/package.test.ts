import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, test } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  engines: { node: string };
  files: string[];
};

// These tests look at what `npm pack` ships and what the installed bin runs: the built dist/ (npm test builds first).
beforeAll(() => {
  if (!existsSync(new URL('../dist/cli.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
});

test('the tarball carries only dist, bin, completions, the man page, README.md and package.json', async () => {
  // --ignore-scripts: `prepare` would rebuild; the dist under test is the one npm test just built.
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path).sort();

  const outside = files.filter((p) => !/^(dist|bin|completions)\//.test(p) && !['README.md', 'volmig.1', 'package.json'].includes(p));
  expect(outside).toEqual([]);
  expect(files.filter((p) => p.startsWith('dist/') && !p.endsWith('.js'))).toEqual([]);
  for (const required of [
    'README.md',
    'package.json',
    'bin/volmig.js',
    'dist/cli.js',
    'dist/commands/list.js',
    'completions/volmig.bash',
    'completions/_volmig',
    'completions/volmig.fish',
    'volmig.1',
  ]) {
    expect(files).toContain(required);
  }
  expect(pkg.bin).toEqual({ volmig: 'bin/volmig.js' });
  expect(pkg.engines.node).toBe('>=20.18.1');
});

test('bin/volmig.js --version runs from the built dist and prints the package version', async () => {
  const { stdout, stderr } = await run(process.execPath, ['bin/volmig.js', '--version'], { cwd: root, env: { PATH: process.env.PATH } });
  expect(stdout).toBe(`${pkg.version}\n`);
  expect(stderr).toBe('');
});

test('bin/volmig.js with an unknown command exits 2 with one error line and no stack', async () => {
  const failure = await run(process.execPath, ['bin/volmig.js', 'frobnicate'], { cwd: root, env: { PATH: process.env.PATH } }).then(
    () => undefined,
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
  expect(failure?.code).toBe(2);
  expect(failure?.stdout).toBe('');
  expect(failure?.stderr).toBe("Error: unknown command 'frobnicate'\n(run volmig help <command> for usage)\n");
});

test('`volmig --help` loads no heavy module (undici, chalk, ora, cli-progress, yaml, cosmiconfig, @bomb.sh/tab)', async () => {
  // A resolve hook reports every module the launcher loads; heavy ones belong inside command actions.
  const hook = `export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('LOADED ' + r.url + '\\n'); return r; }`;
  const register = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));`;
  const { stdout, stderr } = await run(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(register)}`, 'bin/volmig.js', '--help'],
    { cwd: root, env: { PATH: process.env.PATH } },
  );
  expect(stdout).toMatch(/^Usage: volmig /);
  const loaded = stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length));
  expect(loaded.some((url) => url.includes('/node_modules/commander/'))).toBe(true); // the hook works
  const heavy = loaded.filter((url) => /\/node_modules\/(undici|chalk|ora|cli-progress|yaml|cosmiconfig|@bomb\.sh|amqplib)\//.test(url));
  expect(heavy).toEqual([]);
});
