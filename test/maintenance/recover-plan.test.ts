import { describe, expect, it } from 'vitest';
import type { Volume } from '../../src/model/cinder.js';
import { planRecovery, type RecoveryFindings } from '../../src/migration/recover/index.js';

function vol(over: Partial<Volume> = {}): Volume {
  return {
    id: 'v1',
    name: 'db',
    status: 'available',
    size: 1,
    created_at: '2026-11-01T00:00:00',
    updated_at: null,
    volume_type: '__DEFAULT__',
    metadata: {},
    replication_status: null,
    attachments: [],
    ...over,
  };
}

function findings(over: Partial<RecoveryFindings>): RecoveryFindings {
  return { volume: vol(), status: 'available', migrationStatus: null, host: 'n@a#a', attached: false, target: null, motion: null, ...over };
}

describe('planRecovery', () => {
  it('nothing to do for a healthy volume', () => {
    const p = planRecovery(findings({ migrationStatus: 'success' }));
    expect(p.actions).toEqual([]);
    expect(p.refusal).toBeNull();
    expect(p.explanation.at(-1)).toBe('  nothing to recover: no migration is stuck and nothing was left behind');
  });

  it('error with a leftover target: reset the volume, clear the target, then delete it (Cinder refuses to delete a target: volume)', () => {
    const target = vol({ id: 't1', name: null, status: 'available', 'os-vol-mig-status-attr:migstat': 'target:v1', 'os-vol-host-attr:host': 'n@b#b' });
    const p = planRecovery(findings({ migrationStatus: 'error', target }));
    expect(p.actions.map((a) => [a.kind, a.volumeId])).toEqual([
      ['reset-volume', 'v1'],
      ['reset-target', 't1'],
      ['delete-target', 't1'],
    ]);
    expect(p.actions[0]).toMatchObject({ migrationStatus: 'none' });
    expect(p.actions[0]).not.toHaveProperty('status');
    expect(p.explanation).toContain('  leftover destination volume t1 (migration status target:v1, status available, host n@b#b)');
  });

  it("the old record left in deleting after an attach mid-migration (real Cinder): detach-reset it, delete it; the source's attachment is only named", () => {
    const old = vol({ id: 'o1', status: 'deleting', 'os-vol-mig-status-attr:migstat': 'deleting', 'os-vol-host-attr:host': 'n@a#a', updated_at: '2026-11-01T00:00:00' });
    const attachments = [{ attachment_id: 'att-1', volume_id: 'v1', server_id: 's1' }];
    const f = findings({ volume: vol({ attachments }), migrationStatus: 'success', host: 'n@b#b', attached: true, target: old, targetKind: 'old-record', targetQuietMs: 5_000 });
    const p = planRecovery(f);
    expect(p.refusal).toBeNull();
    expect(p.actions.map((a) => [a.kind, a.volumeId])).toEqual([
      ['reset-target', 'o1'],
      ['delete-target', 'o1'],
    ]);
    expect(p.actions[0]).toMatchObject({ detach: true });
    expect(p.explanation).toContain(
      "  leftover old record o1 of the migration (migration status deleting, status deleting, host n@a#a): it holds the data from before the migration, and Cinder's delete of it did not finish",
    );
    expect(p.explanation).toContain('  it reads available but has attachment att-1: detach it and attach it again through the compute service (recover does not touch attachments)');
  });

  it('an old record Cinder is still deleting (recently changed, nothing attached) is left alone', () => {
    const old = vol({ id: 'o1', status: 'deleting', 'os-vol-mig-status-attr:migstat': 'deleting' });
    const p = planRecovery(findings({ migrationStatus: 'success', target: old, targetKind: 'old-record', targetQuietMs: 10_000 }));
    expect(p.actions).toEqual([]);
    expect(p.explanation).toContain('  Cinder is still deleting o1 (it changed 10s ago); look again in a few minutes');
    const stuck = planRecovery(findings({ migrationStatus: 'success', target: old, targetKind: 'old-record', targetQuietMs: 180_000 }));
    expect(stuck.actions.map((a) => a.kind)).toEqual(['reset-target', 'delete-target']);
  });

  it('a held status is restored to in-use when attached, available otherwise', () => {
    expect(planRecovery(findings({ status: 'maintenance', migrationStatus: 'migrating', motion: { sampleMs: 1000, progressing: false, evidence: '', observedBy: null, quietForMs: 3_600_000 } }), { assumeStuck: true, minAgeMs: 1_800_000 }).actions[0]).toMatchObject({ status: 'available' });
    expect(planRecovery(findings({ status: 'retyping', attached: true })).actions[0]).toMatchObject({ status: 'in-use', migrationStatus: 'none' });
  });

  it('refuses while the migration visibly progresses', () => {
    const p = planRecovery(findings({ migrationStatus: 'migrating', motion: { sampleMs: 5000, progressing: true, evidence: 'progress went from 10% to 20%', observedBy: 'server', quietForMs: 0 } }));
    expect(p.actions).toEqual([]);
    expect(p.refusal).toBe('the migration of volume v1 is visibly progressing (progress went from 10% to 20%); recover changes nothing while a copy runs. Watch it with: volmig progress v1 --watch');
  });

  const quiet = (over: Partial<RecoveryFindings['motion'] & object> = {}) => ({ sampleMs: 10_000, progressing: false, evidence: '', observedBy: null, quietForMs: 60_000, ...over });

  it('refuses an in-flight migration that no source can see moving: silence is no evidence', () => {
    const p = planRecovery(findings({ status: 'maintenance', migrationStatus: 'migrating', motion: quiet() }));
    expect(p.actions).toEqual([]);
    expect(p.refusal).toBe(
      "volume v1 still says migration_status migrating and no progress source can see this copy (the server gives no numeric migration_progress and no storage probe applies), and nothing changed for 10s: that is no evidence the copy is stuck, so recover changes nothing. If you know it is (its cinder-volume service died), run again with --assume-stuck; it is accepted once the volume has shown no change for --min-age (30m). Watch it with: volmig progress v1 --watch",
    );
  });

  it('--assume-stuck is refused while the volume is younger than --min-age, and accepted after', () => {
    const young = planRecovery(findings({ migrationStatus: 'migrating', motion: quiet({ quietForMs: 5 * 60_000 }) }), { assumeStuck: true, minAgeMs: 30 * 60_000 });
    expect(young.refusal).toBe('--assume-stuck needs volume v1 to have shown no change for 30m (--min-age), and the volume last changed 5m ago (updated_at); younger than that, recover always refuses.');
    const unknown = planRecovery(findings({ migrationStatus: 'starting', motion: quiet({ quietForMs: null }) }), { assumeStuck: true, minAgeMs: 60_000 });
    expect(unknown.refusal).toMatch(/the server gives no updated_at to tell how long; younger than that, recover always refuses\.$/);
    const old = planRecovery(findings({ migrationStatus: 'migrating', motion: quiet({ quietForMs: 31 * 60_000 }) }), { assumeStuck: true, minAgeMs: 30 * 60_000 });
    expect(old.refusal).toBeNull();
    expect(old.actions.map((a) => a.kind)).toEqual(['reset-volume']);
    expect(old.explanation).toContain('  taken as stuck (--assume-stuck): no change for 31m');
  });

  it('a copy a storage probe shows growing is refused even with --assume-stuck', () => {
    const p = planRecovery(
      findings({ migrationStatus: 'migrating', motion: quiet({ progressing: true, observedBy: 'ceph', evidence: 'ceph shows the copy growing from 120 to 224 MiB', quietForMs: 86_400_000 }) }),
      { assumeStuck: true, minAgeMs: 60_000 },
    );
    expect(p.refusal).toMatch(/is visibly progressing \(ceph shows the copy growing from 120 to 224 MiB\)/);
    expect(p.actions).toEqual([]);
  });

  it('the leftovers of an ended migration are not subject to the age rule', () => {
    const target = vol({ id: 't1', status: 'available', 'os-vol-mig-status-attr:migstat': 'target:v1' });
    const p = planRecovery(findings({ migrationStatus: 'error', target }), { assumeStuck: false, minAgeMs: 86_400_000 });
    expect(p.refusal).toBeNull();
    expect(p.actions.map((a) => a.kind)).toEqual(['reset-volume', 'reset-target', 'delete-target']);
  });
});

