import { describe, expect, it } from 'vitest';
import type { Volume } from '../../src/model/cinder.js';
import { planRecovery, type RecoveryFindings } from '../../src/migration/recover.js';

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

  it('a held status is restored to in-use when attached, available otherwise', () => {
    expect(planRecovery(findings({ status: 'maintenance', migrationStatus: 'migrating', motion: { sampleMs: 1000, progressing: false, evidence: 'x' } })).actions[0]).toMatchObject({ status: 'available' });
    expect(planRecovery(findings({ status: 'retyping', attached: true })).actions[0]).toMatchObject({ status: 'in-use', migrationStatus: 'none' });
  });

  it('refuses while the migration visibly progresses', () => {
    const p = planRecovery(findings({ migrationStatus: 'migrating', motion: { sampleMs: 5000, progressing: true, evidence: 'progress went from 10% to 20%' } }));
    expect(p.actions).toEqual([]);
    expect(p.refusal).toBe('the migration of volume v1 is visibly progressing (progress went from 10% to 20%); recover changes nothing while a copy runs. Watch it with: volmig progress v1 --watch');
  });
});
