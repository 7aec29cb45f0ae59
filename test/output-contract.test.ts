import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cinderApi, useCinderNock, volmig } from './commands/cinder-nock.js';
import { SOURCE_ID, POOLS, volume } from './commands/fixtures.js';
import { runVolmig } from './helpers/run.js';

useCinderNock();

const ESC = '\u001b[';
const available = volume({ id: '11111111-1111-4111-8111-111111111111', name: 'db-1' });
const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function listOnce(): void {
  cinderApi().get('/volumes/detail').reply(200, { volumes: [available] });
}

describe('exit codes reachable from list, show and pools', () => {
  test('0: success', async () => {
    listOnce();
    expect((await volmig(['list'])).code).toBe(0);
  });

  test('2: usage errors (unknown command, unknown option, bad value, missing argument), one line, no stack', async () => {
    for (const args of [['frobnicate'], ['list', '--frob'], ['pools', '--limit', '3'], ['list', '--limit', 'many'], ['show']]) {
      const r = await volmig(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
      expect(r.stderr.split('\n')[0], args.join(' ')).toMatch(/^Error: /);
    }
  });

  test('2: nothing configured', async () => {
    const r = await runVolmig(['list']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Error: no cloud configured/);
  });

  test('3: not found', async () => {
    const missing = '00000000-0000-0000-0000-000000000000';
    const api = cinderApi();
    api.get(`/volumes/${missing}`).reply(404, { itemNotFound: { code: 404, message: `Volume ${missing} could not be found.` } });
    api.get('/volumes/detail').query({ name: missing }).reply(200, { volumes: [] });
    expect((await volmig(['show', missing])).code).toBe(3);
  });

  test('4: 401 and 403', async () => {
    cinderApi().get('/volumes/detail').reply(401, { unauthorized: { code: 401, message: 'The request you have made requires authentication.' } });
    const r401 = await volmig(['list']);
    expect(r401.code).toBe(4);
    expect(r401.stderr.split('\n')[0]).toBe('Error: The request you have made requires authentication.');

    cinderApi()
      .get('/scheduler-stats/get_pools')
      .query({ detail: 'true' })
      .reply(403, { forbidden: { code: 403, message: "Policy doesn't allow scheduler_extension:scheduler_stats:get_pools to be performed." } });
    const r403 = await volmig(['pools']);
    expect(r403.code).toBe(4);
    expect(r403.stdout).toBe('');
    expect(r403.stderr.split('\n')[0]).toBe("Error: Policy doesn't allow scheduler_extension:scheduler_stats:get_pools to be performed.");
  });

  test('5: a request the API rejects (400)', async () => {
    cinderApi()
      .get('/volumes/detail')
      .query({ migration_status: 'success', all_tenants: '1' })
      .reply(400, { badRequest: { code: 400, message: 'Invalid filters all_tenants are found in query options.' } });
    const r = await volmig(['list', '--migration-status', 'success', '--all-projects']);
    expect(r.code).toBe(5);
    expect(r.stderr.split('\n')[0]).toBe('Error: Invalid filters all_tenants are found in query options.');
  });

  test('6: a server error (500) and a refused connection', async () => {
    cinderApi().get(`/volumes/${SOURCE_ID}`).reply(500, { computeFault: { code: 500, message: 'The server has either erred or is incapable of performing the requested operation.' } });
    const r500 = await volmig(['show', SOURCE_ID]);
    expect(r500.code).toBe(6);
    expect(r500.stderr).not.toMatch(/\n\s+at /);

    cinderApi().persist().get('/volumes/detail').replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:8776' });
    const refused = await volmig(['list']);
    expect(refused.code).toBe(6);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.split('\n')[0]).toMatch(/^Error: cannot reach http:\/\/cinder\.test:8776\/v3\/admin\/volumes\/detail: connection refused/);
  });
});

describe('streams and colour', () => {
  test('on a TTY results and errors are coloured', async () => {
    listOnce();
    const r = await volmig(['list'], { isTTY: true });
    expect(r.stdout).toContain(`${ESC}32mavailable`);
    const bad = await volmig(['list', '--limit', 'x'], { isTTY: true });
    expect(bad.stderr.startsWith(`${ESC}31mError:`)).toBe(true);
  });

  test.each([
    ['NO_COLOR', ['list'], { NO_COLOR: '1' }],
    ['TERM=dumb', ['list'], { TERM: 'dumb' }],
    ['--no-color', ['list', '--no-color'], {}],
    ['--json', ['list', '--json'], {}],
  ])('no colour with %s, even on a TTY', async (_label, args, env) => {
    listOnce();
    const r = await volmig(args, { isTTY: true, env });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(ESC);
  });

  test('no colour when not a terminal', async () => {
    listOnce();
    const r = await volmig(['list']);
    expect(r.stdout).not.toContain(ESC);
  });

  test('--json prints only JSON on stdout; messages stay on stderr', async () => {
    cinderApi().get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: POOLS });
    const r = await volmig(['pools', '--json']);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
    expect(r.stderr).toBe('');
  });
});

describe('global options, help and version', () => {
  test('global options work before or after the command name', async () => {
    const endpoint = 'http://cinder.test:8776/v3';
    const env = { OS_ENDPOINT: undefined };
    for (const args of [
      ['--json', '--os-endpoint', endpoint, 'list'],
      ['list', '--json', '--os-endpoint', endpoint],
      ['--os-endpoint', endpoint, 'list', '--json'],
    ]) {
      listOnce();
      const r = await volmig(args, { env });
      expect(r.code, args.join(' ')).toBe(0);
      expect(JSON.parse(r.stdout), args.join(' ')).toEqual([available]);
    }
  });

  test('--quiet before or after the command drops the informational message but keeps results', async () => {
    for (const args of [['-q', 'list'], ['list', '--quiet']]) {
      cinderApi().get('/volumes/detail').reply(200, { volumes: [] });
      expect(await volmig(args)).toEqual({ code: 0, stdout: '', stderr: '' });
    }
  });

  test('--version and -V print the package version on stdout', async () => {
    for (const flag of ['--version', '-V']) {
      expect(await runVolmig([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  test('volmig help <command> and <command> --help print that command\'s usage on stdout', async () => {
    for (const args of [['help', 'list'], ['list', '--help']]) {
      const r = await runVolmig(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Usage: volmig list \[options\]\n/);
      expect(r.stdout).toContain('--migration-status <status>');
    }
    const pools = await runVolmig(['help', 'pools']);
    expect(pools.stdout).toMatch(/^Usage: volmig pools \[options\]\n/);
  });

  test('volmig with no command prints the help on stderr and exits 2', async () => {
    const r = await runVolmig([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: volmig \[options\] \[command\]/);
  });

  test('--help lists the read commands and loads no client', async () => {
    const r = await runVolmig(['--help']);
    expect(r.code).toBe(0);
    for (const name of ['list', 'show', 'pools', 'completion']) expect(r.stdout).toMatch(new RegExp(`\\n  ${name} `));
    expect(r.stdout).not.toMatch(/\n {2}complete /); // the shell callback stays hidden
  });

  test('--debug shows the stack of an error; without it there is none', async () => {
    cinderApi().get(`/volumes/${SOURCE_ID}`).reply(500, { computeFault: { code: 500, message: 'boom' } });
    const r = await volmig(['show', SOURCE_ID, '--debug']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('volmig settings file: output', () => {
  function withSettings(content: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'volmig-settings-'));
    writeFileSync(join(dir, '.volmigrc.json'), content);
    return dir;
  }

  test('output: json makes --json the default', async () => {
    const jsonDir = withSettings('{"output": "json"}');
    const tableDir = withSettings('{"output": "table"}');
    try {
      listOnce();
      const r = await volmig(['list'], { cwd: jsonDir });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual([available]);
      listOnce();
      const table = await volmig(['list'], { cwd: tableDir });
      expect(table.stdout).toMatch(/^ID +Name +Status/);
    } finally {
      rmSync(jsonDir, { recursive: true, force: true });
      rmSync(tableDir, { recursive: true, force: true });
    }
  });

  test('a broken settings file is a usage error naming file and key, but completion still works', async () => {
    const cwd = withSettings('{"outptu": "json"}');
    try {
      const r = await volmig(['list'], { cwd });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toBe(`Error: ${join(cwd, '.volmigrc.json')}: unknown setting 'outptu' (known settings: cloud, migration_progress_report_interval, output, timeout, stall_timeout, notify, http_timeout, connect_timeout, ceph)`);
      const completion = await volmig(['completion', 'bash'], { cwd });
      expect(completion.code).toBe(0);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
