import { volumeHost, type Volume } from '../model/cinder.js';

/** Cinder's notification time form: `2026-11-27T09:12:42+00:00` (API times are UTC, often without a zone). */
function payloadTime(apiTime: string | null | undefined): string | null {
  return apiTime ? `${apiTime.slice(0, 19)}+00:00` : null;
}

/**
 * Cinder's volume notification payload (volume_utils._usage_from_volume, as the sandbox also sends it), built from
 * a volume as the Block Storage API shows it to an admin: what a Ceilometer-style consumer already knows how to read.
 */
export function volumePayloadFromApi(v: Volume): Record<string, unknown> {
  return {
    tenant_id: (v['os-vol-tenant-attr:tenant_id'] as string | undefined) ?? null,
    host: volumeHost(v),
    user_id: v.user_id ?? null,
    availability_zone: v.availability_zone ?? null,
    volume_id: v.id,
    volume_type: v.volume_type_id ?? v.volume_type ?? null,
    display_name: v.name,
    launched_at: payloadTime(v.launched_at as string | undefined),
    created_at: payloadTime(v.created_at),
    status: v.status,
    snapshot_id: v.snapshot_id ?? null,
    size: v.size,
    replication_status: v.replication_status,
    replication_extended_status: null,
    replication_driver_data: null,
    metadata: Object.entries(v.metadata ?? {}).map(([key, value]) => ({ key, value })),
    volume_attachment: (v.attachments ?? []).map((a) => ({ ...a, volume_id: v.id })),
  };
}
