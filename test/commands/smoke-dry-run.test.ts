import { expect, test } from 'vitest';
import { cinderApi, useCinderNock, volmig } from './cinder-nock.js';

useCinderNock();

test('smoke --dry-run reads the pools and the types, and sends nothing else (any other request would fail here)', async () => {
  const api = cinderApi();
  api.get('/scheduler-stats/get_pools').query({ detail: 'true' }).reply(200, { pools: [{ name: 'a@x#p1' }, { name: 'b@y#p2' }] });
  api.get('/types').reply(200, { volume_types: [{ id: 't1', name: 'pinned', extra_specs: { volume_backend_name: 'x' } }, { id: 't2', name: 'any', extra_specs: {} }] });
  const r = await volmig(['smoke', '--dry-run'], { isTTY: true, now: () => Date.parse('2026-12-01T08:00:00Z') });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(
    [
      'Smoke plan: 2 pairs between 2 pools, one at a time',
      'Each pair creates one 1 GiB volume of type any, moves it onto the source pool if the scheduler put it elsewhere, migrates it, checks it and deletes it.',
      '  #  Pair              Volume it creates',
      '  1  a@x#p1 -> b@y#p2  volmig-smoke-20261201-080000-1',
      '  2  b@y#p2 -> a@x#p1  volmig-smoke-20261201-080000-2',
      'Dry run: nothing was created and nothing was sent.',
      '',
    ].join('\n'),
  );
});
