import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION, errorLines, judge, otherPool, SECRETS, secretsIn, startFaultCloud, volumeGet, type Auth, type FaultCloud } from './harness.js';

/**
 * Servers that echo the request back, with a secret in it: Keystone's 400 quoting the token request (password,
 * application-credential secret, token), a Block Storage fault quoting the token. None of it is printed, with or
 * without --debug, in the Error: line, the hint, the debug lines or the stack.
 */
const SUITE = 'secrets';
let cloud: FaultCloud;
let volumeId = '';
let to = '';

beforeAll(async () => {
  cloud = await startFaultCloud();
  const v = await cloud.createVolume({ size: 1, name: 'secret-vol' });
  volumeId = v.id;
  to = otherPool(v);
});
beforeEach(() => cloud.beginCase());
afterAll(async () => cloud?.stop());

const KEYSTONE_METHODS: [Auth, string][] = [
  ['password', 'password'],
  ['appcred', 'application credential'],
  ['token', 'token'],
];

describe("Keystone's 400 quoting the token request", () => {
  for (const [auth, method] of KEYSTONE_METHODS) {
    for (const debug of [false, true]) {
      it(`${method}${debug ? ', --debug' : ''}: list, show, migrate`, async () => {
        const results = [];
        for (const args of [['list'], ['show', volumeId], ['migrate', volumeId, to, '--wait']]) {
          cloud.reset({ kind: 'echo', method: 'POST', path: /\/identity\/v3\/auth\/tokens$/ });
          const r = await cloud.run([...args, ...(debug ? ['--debug'] : [])], { auth });
          results.push(r);
          expect(secretsIn(r.stdout + r.stderr), r.stderr).toEqual([]);
          const errors = errorLines(r.stderr);
          expect(errors).toHaveLength(1);
          // the echo is still shown, with the secret replaced: the operator sees what Keystone disliked
          expect(errors[0]).toMatch(new RegExp(`^Error: Keystone refused the ${method} \\(HTTP 400\\): Invalid input for field 'identity': \\{"auth".*"\\*\\*\\*".* is not valid under any of the given schemas$`));
        }
        expect(cloud.counter.actions('os-migrate_volume')).toBe(0);
        judge(cloud, SUITE, `Keystone echo: ${method}${debug ? ' --debug' : ''}`, results, { exit: 4, debug });
      });
    }
  }

  it('a password given on the command line and echoed back', async () => {
    cloud.reset({ kind: 'echo', method: 'POST', path: /\/identity\/v3\/auth\/tokens$/ });
    // the command line's password wins over the environment's (which is not the secret here)
    const r = await cloud.run(['pools', '--os-password', SECRETS.password], { auth: 'password', env: { OS_PASSWORD: 'not-the-password' } });
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^Error: Keystone refused the password \(HTTP 400\): .*"password":"\*\*\*"/)]);
    judge(cloud, SUITE, 'password on the command line, echoed', r, { exit: 4 });
  });
});

describe('Block Storage faults quoting the token', () => {
  for (const debug of [false, true]) {
    it(`a refused migrate request and a refused read${debug ? ', --debug' : ''}: the token is not printed`, async () => {
      const results = [];
      for (const auth of ['password', 'static-token'] as Auth[]) {
        cloud.reset({ kind: 'echo', method: 'POST', path: ACTION });
        const migrate = await cloud.run(['migrate', volumeId, to, '--skip-checks', ...(debug ? ['--debug'] : [])], { auth });
        results.push(migrate);
        expect(migrate.code).toBe(5);
        expect(migrate.stderr).toMatch(/^Your migration request failed to process: Invalid request: \{"os-migrate_volume":.*\} with X-Auth-Token \*\*\*\. \(HTTP 400\)/m);
        cloud.reset({ kind: 'echo', method: 'GET', path: volumeGet(volumeId) });
        const show = await cloud.run(['show', volumeId, '--json', ...(debug ? ['--debug'] : [])], { auth });
        results.push(show);
        expect(show.code).toBe(5);
        for (const r of [migrate, show]) for (const token of cloud.proxy.issuedTokens) expect(r.stdout + r.stderr).not.toContain(token);
      }
      // the echo reached no migrate action: the proxy answered it
      expect(cloud.counter.actions('os-migrate_volume')).toBe(0);
      judge(cloud, SUITE, `Cinder echo${debug ? ' --debug' : ''}`, results, { exit: 5, debug });
    });
  }
});
