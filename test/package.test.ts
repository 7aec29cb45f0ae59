import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  man: string[];
  license: string;
  scripts: Record<string, string>;
};

// These tests look at what `npm pack` ships and what the installed bin runs: the built dist/ (npm test builds first).
beforeAll(() => {
  if (!existsSync(new URL('../dist/cli.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
});

test('the tarball carries only dist, bin, completions, the man page, README.md, LICENSE and package.json', async () => {
  // --ignore-scripts: `prepare` would rebuild; the dist under test is the one npm test just built.
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path).sort();

  const outside = files.filter((p) => !/^(dist|bin|completions)\//.test(p) && !['README.md', 'LICENSE', 'volmig.1', 'package.json'].includes(p));
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
    'LICENSE',
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
  // commander is loaded through require(), which the ESM hook does not see: CommonJS resolutions are reported too.
  const cjsHook = `const r = Module._resolveFilename; Module._resolveFilename = function (...a) { const f = r.apply(this, a); process.stderr.write('LOADED file://' + f + '\\n'); return f; };`;
  const register = `import Module, { register } from 'node:module'; ${cjsHook} register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));`;
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

test('LICENSE is the Apache License 2.0 that package.json names', () => {
  const license = readFileSync(new URL('../LICENSE', import.meta.url), 'utf8');
  expect(pkg.license).toBe('Apache-2.0');
  expect(license).toMatch(/^\s*Apache License\n\s+Version 2\.0, January 2004\n\s+http:\/\/www\.apache\.org\/licenses\/\n/);
  // The full text: all nine sections of the terms, not a pointer to them.
  for (const section of ['1. Definitions.', '4. Redistribution.', '9. Accepting Warranty or Additional Liability.', 'END OF TERMS AND CONDITIONS']) {
    expect(license).toContain(section);
  }
  expect(license.length).toBeGreaterThan(11000);
});

test('installing the package runs no script of its own (npm 11 warns about a `prepare` at install)', () => {
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(pkg.scripts, hook).not.toHaveProperty(hook);
  expect(pkg.scripts.prepack).toMatch(/npm run build && node scripts\/gen-manpage\.js/);
  expect(pkg.man).toEqual(['./volmig.1']);
  expect(pkg.files).toContain('volmig.1');
});

test('npm install -g of the packed tarball prints no warning, and installs the command and its man page', async (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'volmig-install-'));
  try {
    // --ignore-scripts: prepack would rebuild; the dist under test is the one npm test just built.
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    const prefix = join(dir, 'prefix');
    // --offline: tests reach no network. The dependencies come from npm's cache; on a machine whose cache has never
    // resolved them (a fresh CI clone only ran `npm ci`), npm answers ENOTCACHED and this test cannot run there.
    const installed = await run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', `./volmig-${pkg.version}.tgz`], {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, npm_config_loglevel: 'warn' },
    }).catch((err: { stderr?: string }) => {
      if (/ENOTCACHED/.test(err.stderr ?? '')) return undefined;
      throw err;
    });
    if (!installed) return ctx.skip("npm's cache lacks the dependencies' metadata (ENOTCACHED); nothing was installed");
    expect(installed.stderr).toBe('');
    expect(installed.stdout).toMatch(/^\nadded \d+ packages in [\d.]+m?s\n$/);
    const { stdout } = await run(join(prefix, 'bin', 'volmig'), ['--version'], { env: { PATH: process.env.PATH } });
    expect(stdout).toBe(`${pkg.version}\n`);
    expect(readlinkSync(join(prefix, 'share', 'man', 'man1', 'volmig.1'))).toMatch(/node_modules\/volmig\/volmig\.1$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
