import { expect, test } from 'vitest';
import { Chalk } from 'chalk';
import { migrationCell, progressReportCell, renderPools, renderVolumeView } from '../../src/ui/volume-view.js';
import { POOLS, SOURCE_ID, TARGET_ID, migratingSource, migrationTarget, volume } from '../commands/fixtures.js';

const plain = new Chalk({ level: 0 });

test('migration cell: "-" when never migrated, the status, and the destination while a generic migration copies', () => {
  expect(migrationCell({ volume: volume({ id: 'a' }) })).toBe('-');
  expect(migrationCell({ volume: volume({ id: 'a', migration_status: 'success' }) })).toBe('success');
  expect(migrationCell({ volume: migratingSource })).toBe('migrating');
  expect(migrationCell({ volume: migratingSource, target: migrationTarget })).toBe('migrating → realcinder@ceph-a#ceph-a');
  expect(migrationCell({ volume: migrationTarget })).toBe(`target:${SOURCE_ID}`);
});

test('show view lists the documented keys in order, with target and destination while migrating', () => {
  const lines = renderVolumeView({ volume: { ...migratingSource, migration_progress: '42' }, target: migrationTarget }, plain);
  expect(lines).toEqual([
    `id:                  ${SOURCE_ID}`,
    'name:                mig-vol',
    'status:              maintenance',
    'size:                1 GiB',
    'type:                type-any',
    'host:                realcinder@ceph-b#ceph-b',
    'migration status:    migrating',
    'migration progress:  42%',
    `migration target:    ${TARGET_ID} (available)`,
    'destination host:    realcinder@ceph-a#ceph-a',
    'name_id:             -',
    'attachments:         -',
    'project:             admin',
    'availability zone:   nova',
    'created:             2026-11-27T09:12:42.802158',
    'updated:             2026-11-27T09:12:43.480162',
  ]);
});

test('show view prints each attachment on its own line', () => {
  const v = volume({
    id: 'a',
    status: 'in-use',
    attachments: [
      { attachment_id: 'att-1', volume_id: 'a', server_id: 'srv-1', device: '/dev/vdb', host_name: 'compute1' },
      { attachment_id: 'att-2', volume_id: 'a', server_id: 'srv-2', device: null, host_name: null },
    ],
  });
  const lines = renderVolumeView({ volume: v }, plain);
  const at = lines.findIndex((l) => l.startsWith('attachments:'));
  expect(lines.slice(at, at + 2)).toEqual([
    'attachments:         server srv-1 on /dev/vdb (host compute1) [attachment att-1]',
    '                     server srv-2 [attachment att-2]',
  ]);
  expect(lines.some((l) => l.startsWith('migration target'))).toBe(false);
});

test('pools table: capacities in GiB, progress capability with its interval, "-" when not reported', () => {
  expect(progressReportCell(POOLS[0]!)).toBe('-');
  expect(progressReportCell(POOLS[1]!)).toBe('yes, every 5s');
  expect(progressReportCell(POOLS[2]!)).toBe('no');
  expect(renderPools(POOLS)).toEqual([
    'Name                      Backend      Free     Total  Progress report',
    'realcinder@ceph-b#ceph-b  ceph-b   18.7 GiB  18.7 GiB  -',
    'realcinder@ceph-a#ceph-a  ceph-a   12.3 GiB  18.7 GiB  yes, every 5s',
    'lvm1@lvm#fast             lvm       unknown  infinite  no',
  ]);
});
