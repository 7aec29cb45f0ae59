import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlockStorageClient, MigrateRequest } from '../../src/api/block-storage.js';
import { CinderApiError, RequestOutcomeUnknownError } from '../../src/api/errors.js';
import type { Volume } from '../../src/model/cinder.js';
import { runEvacuation, type EvacuationPlan, type EvacuationRenderer, type PlannedMove } from '../../src/migration/evacuate/index.js';
import { Journal } from '../../src/migration/journal.js';
import type { Io } from '../../src/io.js';
import { capture } from '../helpers/run.js';

let dir: string;
let io: Io;
let clock = 0;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'volmig-run-'));
  clock = 1_000_000;
  io = {
    stdout: capture(),
    stderr: capture(),
    env: { XDG_STATE_HOME: dir },
    isTTY: false,
    cwd: dir,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SRC = 'n@old#old';
const DST = 'n@new#a';

function vol(id: string, over: Partial<Volume> = {}): Volume {
  return {
    id,
    name: id,
    status: 'available',
    size: 1,
    created_at: '2026-11-01T00:00:00',
    updated_at: '2026-11-01T00:00:00',
    volume_type: '__DEFAULT__',
    metadata: {},
    replication_status: null,
    attachments: [],
    'os-vol-host-attr:host': SRC,
    'os-vol-mig-status-attr:migstat': null,
    ...over,
  };
}

/** Scripted server: each GET of a volume returns the next scripted state (the last one repeats). */
function scripted(script: Record<string, Volume[]>, onMigrate: (id: string, req: MigrateRequest) => void) {
  const reads: Record<string, number> = {};
  const client = {
    microversion: '3.72',
    endpoint: 'http://x/v3/admin',
    projectId: 'admin',
    withSignal() {
      return client;
    },
    async getVolume(id: string) {
      const states = script[id]!;
      const i = Math.min(reads[id] ?? 0, states.length - 1);
      reads[id] = (reads[id] ?? 0) + 1;
      return states[i]!;
    },
    async migrateVolume(id: string, req: MigrateRequest) {
      onMigrate(id, req);
      return { status: 202, requestId: `req-${id}` };
    },
  };
  return client as unknown as BlockStorageClient;
}

const events: string[] = [];
const renderer: EvacuationRenderer = {
  started: (s) => events.push(`start ${s.move.volume.id}`),
  progress: () => {},
  finished: (s) => events.push(`end ${s.move.volume.id} ${s.result}`),
  notice: (l) => events.push(`notice ${l}`),
  stop: () => {},
};

function plan(moves: PlannedMove[]): EvacuationPlan {
  return {
    request: { from: 'n@old', to: [DST], includeInUse: false, order: 'size', force: false, forceHostCopy: false },
    moves,
    refusals: [],
    alreadyMoved: [],
    selectedCount: moves.length,
    warnings: [],
    totalBytes: 0,
  };
}

const NEVER = new AbortController().signal;
const limits = { concurrency: 1, maxPerDestination: 1, continueOnError: false, intervalMs: 1000 };

describe('runEvacuation with a scripted server', () => {
  beforeEach(() => {
    events.length = 0;
  });

  it('a followed migration that finished before the first poll counts as moved; nothing is sent for it', async () => {
    const sent: string[] = [];
    const client = scripted({ f: [vol('f', { 'os-vol-host-attr:host': DST, 'os-vol-mig-status-attr:migstat': 'success' })] }, (id) => sent.push(id));
    const out = await runEvacuation(plan([{ volume: vol('f', { 'os-vol-mig-status-attr:migstat': 'migrating' }), destination: DST, action: 'follow' }]), limits, {
      io, client, journal: new Journal(io), cloud: 'c', renderer, signal: NEVER,
    });
    expect(sent).toEqual([]);
    expect(out.exitCode).toBe(0);
    expect(out.states[0]!.result).toBe('moved');
  });

  it('a volume that shows in flight right before its request is followed, not sent again', async () => {
    const sent: string[] = [];
    const client = scripted(
      {
        v: [
          vol('v', { 'os-vol-mig-status-attr:migstat': 'migrating' }),
          vol('v', { 'os-vol-mig-status-attr:migstat': 'migrating' }),
          vol('v', { 'os-vol-host-attr:host': DST, 'os-vol-mig-status-attr:migstat': 'success' }),
        ],
      },
      (id) => sent.push(id),
    );
    const out = await runEvacuation(plan([{ volume: vol('v'), destination: DST, action: 'migrate' }]), limits, { io, client, journal: new Journal(io), cloud: 'c', renderer, signal: NEVER });
    expect(sent).toEqual([]);
    expect(out.states[0]!.action).toBe('follow');
    expect(out.states[0]!.move.action).toBe('migrate');
    expect(out.states[0]!.result).toBe('moved');
  });

  it('a lost answer is never resent: the volume shows no migration, so the move fails and the journal says unknown', async () => {
    const sent: string[] = [];
    const client = scripted({ u: [vol('u')], w: [vol('w')] }, () => {});
    (client as any).migrateVolume = async (id: string) => {
      sent.push(id);
      throw new RequestOutcomeUnknownError({ method: 'POST', url: `http://x/v3/admin/volumes/${id}/action`, reason: 'connection reset' });
    };
    const journal = new Journal(io);
    const out = await runEvacuation(
      plan([
        { volume: vol('u'), destination: DST, action: 'migrate' },
        { volume: vol('w'), destination: DST, action: 'migrate' },
      ]),
      limits,
      { io, client, journal, cloud: 'c', renderer, signal: NEVER },
    );
    expect(sent).toEqual(['u']); // the failure stops new starts (no --continue-on-error)
    expect(out.exitCode).toBe(1);
    expect(out.states.map((s) => s.result)).toEqual(['failed', 'not-started']);
    expect(out.states[0]!.reason).toMatch(/^the migration request got no answer and the volume shows no migration; not sent again/);
    expect((await journal.read()).map((e) => e.outcome)).toEqual(['unknown']);
    expect(events).toContain('notice Not starting new migrations after the failure of u (u) (use --continue-on-error to go on).');
  });

  it("Cinder's refusal is reported in the seed's words with code and request id, and journaled as rejected", async () => {
    const client = scripted({ r: [vol('r')] }, () => {});
    (client as any).migrateVolume = async () => {
      throw new CinderApiError({ status: 400, faultName: 'badRequest', message: "Invalid host: No available service named 'n@new#a'", requestId: 'req-9', method: 'POST', url: 'http://x' });
    };
    const journal = new Journal(io);
    const out = await runEvacuation(plan([{ volume: vol('r'), destination: DST, action: 'migrate' }]), limits, { io, client, journal, cloud: 'c', renderer, signal: NEVER });
    expect(out.states[0]!.result).toBe('rejected');
    expect(out.states[0]!.reason).toBe("Your migration request failed to process: Invalid host: No available service named 'n@new#a'. (HTTP 400) (Request-ID: req-9)");
    expect(await journal.read()).toMatchObject([{ outcome: 'rejected', request_id: 'req-9', reason: "Invalid host: No available service named 'n@new#a'" }]);
  });

  it('a migration whose status is reset to none on the source host ends as failed (not a wait until the deadline)', async () => {
    const client = scripted(
      {
        x: [
          vol('x'),
          vol('x', { 'os-vol-mig-status-attr:migstat': 'starting' }),
          vol('x', { 'os-vol-mig-status-attr:migstat': 'migrating' }),
          vol('x', { 'os-vol-mig-status-attr:migstat': null, updated_at: '2026-11-02T00:00:00' }),
        ],
      },
      () => {},
    );
    const out = await runEvacuation(plan([{ volume: vol('x'), destination: DST, action: 'migrate' }]), { ...limits, timeoutMs: 3_600_000 }, {
      io, client, journal: new Journal(io), cloud: 'c', renderer, signal: NEVER,
    });
    expect(out.end).toBe('stopped-after-failure');
    expect(out.states[0]!.result).toBe('failed');
    expect(out.aggregate.elapsedMs).toBeLessThan(60_000);
  });

  it("moved but attached meanwhile (real Cinder: available with an attachment record): failed, journaled unclean, recover named", async () => {
    const attachment = { attachment_id: 'att-1', volume_id: 'y', server_id: 's1' };
    const client = scripted(
      {
        y: [
          vol('y'),
          vol('y', { 'os-vol-mig-status-attr:migstat': 'migrating' }),
          vol('y', { 'os-vol-mig-status-attr:migstat': 'success', 'os-vol-host-attr:host': DST, attachments: [attachment] }),
        ],
      },
      () => {},
    );
    const journal = new Journal(io);
    const out = await runEvacuation(plan([{ volume: vol('y'), destination: DST, action: 'migrate' }]), limits, { io, client, journal, cloud: 'c', renderer, signal: NEVER });
    expect(out.exitCode).toBe(1);
    expect(out.states[0]!.result).toBe('failed');
    expect(out.states[0]!.reason).toBe(
      'moved, but it was attached during the migration, which was not locked: it reads available with attachment att-1, and Cinder may have left its old record in deleting; clean up with: volmig recover y',
    );
    expect((await journal.read()).map((e) => e.outcome)).toEqual(['requested', 'unclean']);
  });

  it('a migration that ends in error quotes the server\'s user message about the volume', async () => {
    const client = scripted({ z: [vol('z'), vol('z', { 'os-vol-mig-status-attr:migstat': 'migrating' }), vol('z', { 'os-vol-mig-status-attr:migstat': 'error' })] }, () => {});
    (client as unknown as { listMessages: unknown }).listMessages = async () => [
      { id: 'm', event_id: 'VOLUME_VOLUME_900_003', user_message: 'migrate volume:Could not find any available weighted backend.', created_at: new Date(clock).toISOString() },
    ];
    const out = await runEvacuation(plan([{ volume: vol('z'), destination: DST, action: 'migrate' }]), limits, { io, client, journal: new Journal(io), cloud: 'c', renderer, signal: NEVER });
    expect(out.states[0]!.reason).toBe(
      `migration ended in error on the server (the server's message: "migrate volume:Could not find any available weighted backend."); the volume stayed on ${SRC} (status available)`,
    );
  });

  it('a failing poll is said once and retried; a volume deleted meanwhile (404) ends its move as failed', async () => {
    let reads = 0;
    const client = scripted({ a: [vol('a')], gone: [vol('gone')] }, () => {});
    const base = client.getVolume.bind(client);
    (client as any).getVolume = async (id: string) => {
      if (id === 'gone') {
        reads += 1;
        if (reads > 1) throw new CinderApiError({ status: 404, faultName: 'itemNotFound', message: 'Volume gone could not be found.', method: 'GET', url: 'http://x' });
        return base(id);
      }
      const n = ((client as any).n = ((client as any).n ?? 0) + 1);
      if (n === 1) return vol('a');
      if (n === 2 || n === 3) throw new Error('connect ECONNREFUSED 127.0.0.1:8776');
      return vol('a', { 'os-vol-host-attr:host': DST, 'os-vol-mig-status-attr:migstat': 'success' });
    };
    const out = await runEvacuation(
      plan([
        { volume: vol('a'), destination: DST, action: 'migrate' },
        { volume: vol('gone'), destination: DST, action: 'migrate' },
      ]),
      { ...limits, concurrency: 2, maxPerDestination: 2, continueOnError: true },
      { io, client, journal: new Journal(io), cloud: 'c', renderer, signal: NEVER },
    );
    expect(out.states.map((st) => [st.move.volume.id, st.result, st.reason ?? null])).toEqual([
      ['a', 'moved', null],
      ['gone', 'failed', 'the volume no longer exists (HTTP 404 twice in a row)'],
    ]);
    expect(events.filter((e) => e.startsWith('notice Could not read volume a (a): connect ECONNREFUSED'))).toHaveLength(1);
  });
});
