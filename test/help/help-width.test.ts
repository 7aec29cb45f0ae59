import { EventEmitter } from 'node:events';
import { describe, expect, test } from 'vitest';
import type { Command } from 'commander';
import { createProgram, main } from '../../src/cli.js';
import { COMMAND_FOOTERS } from '../../src/help/footers.js';
import type { Io } from '../../src/io.js';
import { capture } from '../helpers/run.js';

/** volmig in-process with stdout a terminal of `columns` columns, or piped (`columns` undefined). */
async function helpAt(args: string[], columns?: number) {
  const stdout = capture(columns !== undefined);
  const stderr = capture(columns !== undefined);
  // A pipe can still report a width (a capture says 100): piped help must ignore it and use 80.
  stdout.columns = columns ?? 132;
  stderr.columns = columns ?? 132;
  const io: Io = {
    stdout,
    stderr,
    env: { HOME: '/nonexistent-volmig-home', NO_COLOR: '1' },
    isTTY: columns !== undefined,
    cwd: '/nonexistent-volmig-cwd',
    signals: new EventEmitter(),
  };
  const code = await main(['node', 'volmig', ...args], io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Every line's width in characters (code points), so that a `…` or `↔` counts as the one column it takes. */
function widest(text: string): { width: number; line: string } {
  let found = { width: 0, line: '' };
  for (const line of text.split('\n')) {
    const width = [...line].length;
    if (width > found.width) found = { width, line };
  }
  return found;
}

const program: Command = await createProgram(
  { stdout: capture(), stderr: capture(), env: {}, isTTY: false, cwd: '/' },
  { io: {} as Io, action: async () => {} },
);
const commands = program.createHelp().visibleCommands(program).map((c) => c.name());
const topics = ['environment', 'config', 'exit-codes'];

test('every footer in src/help/footers.ts belongs to a command, and every command has one', () => {
  expect(Object.keys(COMMAND_FOOTERS).sort()).toEqual([...commands].sort());
});

test('the command list is the one the tests below go through', () => {
  expect(commands).toEqual([
    'list', 'show', 'pools', 'migrate', 'retype', 'progress', 'evacuate', 'history', 'sandbox', 'smoke', 'recover', 'doctor', 'completion', 'help',
  ]);
});

describe.each([
  ['piped (80 columns)', undefined, 80],
  ['a 60-column terminal', 60, 60],
  ['a 72-column terminal', 72, 72],
])('help fits %s', (_label, columns, width) => {
  test('root help (--help and `help`)', async () => {
    for (const args of [['--help'], ['help']]) {
      const r = await helpAt(args, columns);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Usage: volmig \[options\] \[command\]\n/);
      expect(widest(r.stdout).width, widest(r.stdout).line).toBeLessThanOrEqual(width);
    }
  });

  test.each(commands)('volmig help %s, and --help after it', async (name) => {
    const viaHelp = await helpAt(['help', name], columns);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stderr).toBe('');
    expect(viaHelp.stdout).toMatch(new RegExp(`^Usage: volmig ${name} `));
    expect(widest(viaHelp.stdout).width, widest(viaHelp.stdout).line).toBeLessThanOrEqual(width);
    // Every command's help ends with examples of itself.
    expect(viaHelp.stdout).toMatch(/\n\nExamples:\n {2}\S/);
    const block = viaHelp.stdout.slice(viaHelp.stdout.lastIndexOf('\nExamples:\n'));
    expect(block).toMatch(name === 'completion' ? /volmig completion / : new RegExp(`\\n {2}volmig ${name}\\b`));
    if (name !== 'help') expect(await helpAt([name, '--help'], columns)).toEqual(viaHelp);
  });

  test.each(topics)('volmig help %s', async (topic) => {
    const r = await helpAt(['help', topic], columns);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.length).toBeGreaterThan(200);
    expect(widest(r.stdout).width, widest(r.stdout).line).toBeLessThanOrEqual(width);
  });
});

test('on a wide terminal help uses the width it has', async () => {
  const r = await helpAt(['help', 'environment'], 120);
  expect(widest(r.stdout).width).toBeGreaterThan(80);
  expect(widest(r.stdout).width).toBeLessThanOrEqual(120);
});

test('volmig with no command prints root help on stderr, at the width of stderr, and exits 2', async () => {
  const r = await helpAt([]);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^Usage: volmig \[options\] \[command\]\n/);
  expect(widest(r.stderr).width).toBeLessThanOrEqual(80);
});

test('root help sums the --os-* options up in one row; they stay accepted and `help environment` lists them all', async () => {
  const root = await helpAt(['--help']);
  expect(root.stdout).toContain('\n  --os-cloud <name>  ');
  expect(root.stdout).toMatch(/\n {2}--os-<name> <value> +the other OpenStack connection options\n/);
  const osOptions = program.options.map((o) => o.long!).filter((l) => l.startsWith('--os-'));
  expect(osOptions).toHaveLength(25);
  for (const long of osOptions.filter((l) => l !== '--os-cloud')) expect(root.stdout, long).not.toContain(long + ' <');

  const environment = await helpAt(['help', 'environment']);
  for (const long of osOptions) expect(environment.stdout, long).toMatch(new RegExp(`\\n {2}${long} `));

  // Hidden from root help only: still parsed, before or after the command, and still offered as a suggestion.
  const accepted = await helpAt(['--os-auth-url', 'http://keystone.test:5000/v3', 'pools', '--os-username', 'op']);
  expect(accepted.code).toBe(2);
  expect(accepted.stderr).toMatch(/^Error: password authentication is missing the password/);
  const typo = await helpAt(['pools', '--os-usrname', 'op']);
  expect(typo.stderr).toBe("Error: unknown option '--os-usrname'\n(Did you mean --os-username?)\n(run volmig help <command> for usage)\n");
});
