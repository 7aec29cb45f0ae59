import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { nock } from '../helpers/nock.js';
import { cinderApi, useCinderNock, volmig } from '../commands/cinder-nock.js';
import { API } from '../commands/fixtures.js';
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

describe('migrate with its arguments swapped', () => {
  test('a host first and a volume second: a usage error with the command meant, before any request', async () => {
    const r = await volmig(['migrate', 'node2@ceph#rbd', 'db-1', '--wait']);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "Error: 'node2@ceph#rbd' looks like a destination host and 'db-1' like a volume: the volume comes first\n" +
        'did you mean: volmig migrate db-1 node2@ceph#rbd?\n',
    });
    expect(unanswered).toEqual([]);
  });

  test('host@backend without a pool counts as a host; a name with a space is quoted in the suggestion', async () => {
    const r = await volmig(['migrate', 'node2@lvm', 'my volume']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[1]).toBe("did you mean: volmig migrate 'my volume' node2@lvm?");
    expect(unanswered).toEqual([]);
  });

  test('only a host: the destination error says the volume comes first', async () => {
    expect(await volmig(['migrate', 'node2@ceph#rbd'])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'Error: give exactly one destination: a host (host@backend#pool) or --cluster NAME\n' +
        'the volume comes first: volmig migrate <volume> node2@ceph#rbd\n',
    });
  });

  test('two host-shaped arguments are not called swapped (a volume may be named a@b): the lookup runs', async () => {
    const api = cinderApi();
    let asked: unknown;
    api.get('/volumes/detail').query((q) => ((asked = q), true)).reply(200, { volumes: [] });
    const r = await volmig(['migrate', 'a@b', 'node2@ceph#rbd']);
    expect(asked).toMatchObject({ name: 'a@b' });
    expect(r.code).toBe(3);
    expect(r.stderr).not.toContain('did you mean');
  });
});

describe('show of a volume that is not in the current project', () => {
  test('without --all-projects: exit 3 and a hint to look in every project', async () => {
    cinderApi().get('/volumes/detail').query({ name: 'db-9' }).reply(200, { volumes: [] });
    expect(await volmig(['show', 'db-9'])).toEqual({
      code: 3,
      stdout: '',
      stderr: "Error: No volume with a name or ID of 'db-9' exists.\nOnly project admin was searched; every project: volmig show db-9 --all-projects\n",
    });
  });

  test('with --all-projects: exit 3 and no such hint', async () => {
    cinderApi().get('/volumes/detail').query({ name: 'db-9', all_tenants: '1' }).reply(200, { volumes: [] });
    expect(await volmig(['show', 'db-9', '--all-projects'])).toEqual({
      code: 3,
      stdout: '',
      stderr: "Error: No volume with a name or ID of 'db-9' exists.\n",
    });
  });
});

describe('policy refusals say that an admin role is needed', () => {
  const ADMIN = "This needs an admin role: Cinder's policy refused these credentials (use an admin's, see volmig help environment).";

  test('pools (scheduler stats are admin-only)', async () => {
    const message = "Policy doesn't allow scheduler_extension:scheduler_stats:get_pools to be performed.";
    cinderApi().get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(403, { forbidden: { code: 403, message } }, { 'x-openstack-request-id': 'req-1' });
    expect(await volmig(['pools'])).toEqual({
      code: 4,
      stdout: '',
      stderr: `Error: ${message}\n${ADMIN}\n(HTTP 403 forbidden, request id req-1; GET ${API}/scheduler-stats/get_pools?detail=true)\n`,
    });
  });

  test('show', async () => {
    const id = '11111111-1111-4111-8111-111111111111';
    const message = "Policy doesn't allow volume:get to be performed.";
    cinderApi().get(`/volumes/${id}`).reply(403, { forbidden: { code: 403, message } });
    expect(await volmig(['show', id])).toEqual({
      code: 4,
      stdout: '',
      stderr: `Error: ${message}\n${ADMIN}\n(HTTP 403 forbidden; GET ${API}/volumes/${id})\n`,
    });
  });

  test('a 403 that is not a policy refusal gets no admin hint', async () => {
    cinderApi().get('/volumes/detail').reply(403, { forbidden: { code: 403, message: 'Quota exceeded for this project.' } });
    const r = await volmig(['list']);
    expect(r.code).toBe(4);
    expect(r.stderr).not.toContain('admin role');
  });
});
