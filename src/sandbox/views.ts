import { createHash } from 'node:crypto';
import type { Link } from '../model/cinder.js';
import type { SnapshotRecord, VolumeRecord, VolumeTypeRecord } from './state.js';

/** Who is asking and at which microversion: everything a view depends on. */
export interface ViewContext {
  projectId: string;
  isAdmin: boolean;
  /** Minor part of the negotiated microversion (3.NN). */
  minor: number;
  /** `http://host:port` */
  origin: string;
}

function atLeast(ctx: ViewContext, minor: number): boolean {
  return ctx.minor >= minor;
}

export function links(ctx: ViewContext, collection: string, id: string): Link[] {
  return [
    { rel: 'self', href: `${ctx.origin}/v3/${ctx.projectId}/${collection}/${id}` },
    { rel: 'bookmark', href: `${ctx.origin}/${ctx.projectId}/${collection}/${id}` },
  ];
}

/** A stable uuid derived from a name (service uuids must not change across restarts). */
export function stableUuid(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function volumeSummary(v: VolumeRecord, ctx: ViewContext): Record<string, unknown> {
  return { id: v.id, name: v.name, links: links(ctx, 'volumes', v.id) };
}

/**
 * GET /volumes/{id} and /volumes/detail, key for key as Cinder 21 answers (test/sandbox/api.test.ts pins the
 * recorded order); admin-only keys only for admins; newer keys only from the microversion that introduced them.
 */
export function volumeDetail(
  v: VolumeRecord,
  ctx: ViewContext,
  types: Record<string, VolumeTypeRecord>,
  migrationProgress: string | undefined,
): Record<string, unknown> {
  const backendHost = v.host ? v.host.split('#')[0]! : null;
  const view: Record<string, unknown> = {
    id: v.id,
    status: v.status,
    size: v.size,
    availability_zone: v.availability_zone,
    created_at: v.created_at,
    updated_at: v.updated_at,
    name: v.name,
    description: v.description,
    volume_type: types[v.volume_type_id]?.name ?? null,
    snapshot_id: v.snapshot_id,
    source_volid: v.source_volid,
    metadata: v.metadata,
    links: links(ctx, 'volumes', v.id),
    user_id: v.user_id,
    bootable: String(v.bootable),
    encrypted: false,
    replication_status: v.replication_status,
    consistencygroup_id: null,
    multiattach: v.multiattach,
    attachments: v.attachments.map((a) => ({
      id: v.id,
      attachment_id: a.attachment_id,
      volume_id: v.id,
      server_id: a.server_id,
      host_name: ctx.isAdmin ? a.host_name : null,
      device: a.device,
      attached_at: a.attached_at,
    })),
  };
  if (ctx.isAdmin) view.migration_status = v.migration_status;
  if (atLeast(ctx, 13)) view.group_id = null;
  if (atLeast(ctx, 21)) view.provider_id = null;
  if (atLeast(ctx, 48)) {
    view.shared_targets = false;
    view.service_uuid = v.status === 'creating' || !backendHost ? null : stableUuid(backendHost);
  }
  if (atLeast(ctx, 61) && ctx.isAdmin) view.cluster_name = null;
  if (atLeast(ctx, 63)) view.volume_type_id = v.volume_type_id;
  if (atLeast(ctx, 65)) view.consumes_quota = !(v.migration_status ?? '').startsWith('target:');
  if (ctx.isAdmin) {
    view['os-vol-tenant-attr:tenant_id'] = v.project_id;
    view['os-vol-mig-status-attr:migstat'] = v.migration_status;
    view['os-vol-mig-status-attr:name_id'] = v.name_id;
    view['os-vol-host-attr:host'] = v.host;
    if (atLeast(ctx, 72) && v.migration_status === 'migrating' && migrationProgress !== undefined) {
      view.migration_progress = migrationProgress;
    }
  }
  return view;
}

export function snapshotView(s: SnapshotRecord, ctx: ViewContext): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: s.id,
    created_at: s.created_at,
    updated_at: s.updated_at,
    name: s.name,
    description: s.description,
    volume_id: s.volume_id,
    status: s.status,
    size: s.size,
    metadata: s.metadata,
  };
  if (atLeast(ctx, 14)) view.group_snapshot_id = null;
  if (atLeast(ctx, 41)) view.user_id = s.user_id;
  view['os-extended-snapshot-attributes:progress'] = s.status === 'available' ? '100%' : '0%';
  view['os-extended-snapshot-attributes:project_id'] = s.project_id;
  return view;
}

export function volumeTypeView(t: VolumeTypeRecord, ctx: ViewContext): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    is_public: t.is_public,
    description: t.description,
  };
  if (ctx.isAdmin) {
    view.extra_specs = t.extra_specs;
    view.qos_specs_id = null;
  }
  view['os-volume-type-access:is_public'] = t.is_public;
  return view;
}

/** Notification timestamps in payloads: `2026-11-27T09:12:42+00:00` (as in the recorded notifications). */
function payloadTime(apiTime: string | null): string | null {
  return apiTime ? `${apiTime.slice(0, 19)}+00:00` : null;
}

/** Cinder's volume notification payload (volume_utils._usage_from_volume), as recorded from real Cinder. */
export function volumePayload(v: VolumeRecord): Record<string, unknown> {
  return {
    tenant_id: v.project_id,
    host: v.host,
    user_id: v.user_id,
    availability_zone: v.availability_zone,
    volume_id: v.id,
    volume_type: v.volume_type_id,
    display_name: v.name,
    launched_at: payloadTime(v.launched_at),
    created_at: payloadTime(v.created_at),
    status: v.status,
    snapshot_id: v.snapshot_id,
    size: v.size,
    replication_status: v.replication_status,
    replication_extended_status: null,
    replication_driver_data: null,
    metadata: Object.entries(v.metadata).map(([key, value]) => ({ key, value })),
    volume_attachment: v.attachments.map((a) => ({ ...a, volume_id: v.id })),
  };
}
