import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { nock } from '../helpers/nock.js';
import { useCinderNock } from '../commands/cinder-nock.js';
import { runVolmig } from '../helpers/run.js';

useCinderNock();

const USAGE = '(run volmig help <command> for usage)\n';
const RED = '\u001b[31m';

// Requests nock had no answer for: a check that must come "before any request" leaves this at zero.
let unanswered: string[] = [];
const onNoMatch = (req: { method?: string; href?: string }) => unanswered.push(`${req.method} ${req.href}`);
beforeEach(() => {
  unanswered = [];
  nock.emitter.on('no match', onNoMatch);
});
afterEach(() => {
  nock.emitter.removeListener('no match', onNoMatch);
});

describe("commander's parse errors in volmig's Error: style", () => {
  test.each([
    [['list', '--frob'], "Error: unknown option '--frob'\n" + USAGE],
    [['list', '--al-projects'], "Error: unknown option '--al-projects'\n(Did you mean --all-projects?)\n" + USAGE],
    [['pool'], "Error: unknown command 'pool'\n(Did you mean pools?)\n" + USAGE],
    [['show'], "Error: missing required argument 'volume'\n" + USAGE],
    [['list', 'extra'], "Error: too many arguments for 'list'. Expected 0 arguments but got 1.\n" + USAGE],
  ])('volmig %j', async (args, stderr) => {
    expect(await runVolmig(args)).toEqual({ code: 2, stdout: '', stderr });
  });

  test("on a terminal commander's error line is red like volmig's own", async () => {
    const commander = await runVolmig(['list', '--frob'], { isTTY: true });
    const own = await runVolmig(['list', '--limit', 'x'], { isTTY: true });
    expect(commander.stderr.startsWith(`${RED}Error: unknown option '--frob'`)).toBe(true);
    expect(own.stderr.startsWith(`${RED}Error: `)).toBe(true);
  });
});

describe('volmig help <name>', () => {
  test('an unknown name is a usage error with one error line, not the whole help', async () => {
    expect(await runVolmig(['help', 'nosuch'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "Error: no command or help topic named 'nosuch'\n" +
        '(run volmig help for the commands; the help topics are environment, config, exit-codes)\n',
    });
  });

  test('a command name prints that command\'s help on stdout; no name prints root help', async () => {
    const migrate = await runVolmig(['help', 'migrate']);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toMatch(/^Usage: volmig migrate \[options\] <volume> \[host\]\n/);
    const root = await runVolmig(['help']);
    expect(root).toEqual(await runVolmig(['--help']));
  });
});
