import type { ChalkInstance } from 'chalk';
import { volumeHost, volumeMigrationStatus, type Pool, type Volume } from '../model/cinder.js';
import { NONE, formatGiB, formatProgress, orNone } from './format.js';
import type { FieldColumn } from './formats.js';
import { renderKeyValue, renderTable, type Column } from './table.js';

/** What a list row or a show view needs: the volume and, while a generic migration runs, its destination. */
export interface VolumeWithTarget {
  volume: Volume;
  target?: Volume;
}

/** Migration column: the status, with the destination host while a generic migration copies (`migrating → h@b#p`). */
export function migrationCell(row: VolumeWithTarget): string {
  const status = volumeMigrationStatus(row.volume);
  if (status === null || status === '') return NONE;
  const destination = row.target ? volumeHost(row.target) : null;
  return destination ? `${status} → ${destination}` : status;
}

function statusColor(c: ChalkInstance, status: string): (text: string) => string {
  if (status === 'available') return c.green;
  if (status === 'in-use') return c.cyan;
  if (status.startsWith('error')) return c.red;
  if (['maintenance', 'retyping', 'creating', 'deleting', 'attaching', 'detaching', 'extending'].includes(status)) return c.yellow;
  return (t) => t;
}

function migrationColor(c: ChalkInstance, status: string | null): (text: string) => string {
  if (status === 'error') return c.red;
  if (status === 'success') return c.green;
  if (status === 'starting' || status === 'migrating' || status === 'completing') return c.yellow;
  if (status?.startsWith('target:')) return c.dim;
  return (t) => t;
}

/**
 * Every column of `volmig list`, in table order: the default six, the four --long adds, and Destination, which only
 * -c asks for (the Migration cell shows it beside the status). `raw` is what -f json/yaml/value/csv print.
 */
export function listColumns(c: ChalkInstance): FieldColumn<VolumeWithTarget>[] {
  return [
    { header: 'ID', value: (r) => r.volume.id, raw: (r) => r.volume.id },
    { header: 'Name', value: (r) => orNone(r.volume.name), raw: (r) => r.volume.name ?? null },
    { header: 'Status', value: (r) => r.volume.status, color: (t, r) => statusColor(c, r.volume.status)(t), raw: (r) => r.volume.status },
    { header: 'Size', value: (r) => formatGiB(r.volume.size), align: 'right', raw: (r) => r.volume.size ?? null },
    { header: 'Host', value: (r) => orNone(volumeHost(r.volume)), raw: (r) => volumeHost(r.volume) },
    {
      header: 'Migration',
      value: migrationCell,
      color: (t, r) => migrationColor(c, volumeMigrationStatus(r.volume))(t),
      raw: (r) => volumeMigrationStatus(r.volume),
    },
    { header: 'Type', value: (r) => orNone(r.volume.volume_type), raw: (r) => r.volume.volume_type ?? null },
    { header: 'Project', value: (r) => orNone(r.volume['os-vol-tenant-attr:tenant_id']), raw: (r) => r.volume['os-vol-tenant-attr:tenant_id'] ?? null },
    { header: 'Name ID', value: (r) => orNone(r.volume['os-vol-mig-status-attr:name_id']), raw: (r) => r.volume['os-vol-mig-status-attr:name_id'] ?? null },
    { header: 'Progress', value: (r) => formatProgress(r.volume.migration_progress), align: 'right', raw: (r) => r.volume.migration_progress ?? null },
    { header: 'Destination', value: (r) => orNone(r.target ? volumeHost(r.target) : null), raw: (r) => (r.target ? volumeHost(r.target) : null) },
  ];
}

/** The columns `volmig list` prints without -c: six, or ten with --long. */
export function defaultListColumns<R>(all: readonly R[], options: { long?: boolean } = {}): R[] {
  return all.slice(0, options.long ? 10 : 6);
}

/** The table of `volmig list` (its default columns). */
export function volumeColumns(c: ChalkInstance, options: { long?: boolean } = {}): Column<VolumeWithTarget>[] {
  return defaultListColumns(listColumns(c), options);
}

function attachmentLines(volume: Volume): string {
  if (!volume.attachments || volume.attachments.length === 0) return NONE;
  return volume.attachments
    .map((a) => {
      const parts = [`server ${orNone(a.server_id)}`];
      if (a.device) parts.push(`on ${a.device}`);
      if (a.host_name) parts.push(`(host ${a.host_name})`);
      parts.push(`[attachment ${a.attachment_id}]`);
      return parts.join(' ');
    })
    .join('\n');
}

/** A field of the `show` view. `optional`: printed without -c only when the volume has it. */
export interface ShowField extends FieldColumn<VolumeWithTarget> {
  optional?: (row: VolumeWithTarget) => boolean;
}

/** Every field of `volmig show`, in view order; the header is the view's key, what -c names. */
export function showFields(c: ChalkInstance): ShowField[] {
  const v = (r: VolumeWithTarget) => r.volume;
  const migrating = (r: VolumeWithTarget) => r.target !== undefined;
  return [
    { header: 'id', value: (r) => v(r).id, raw: (r) => v(r).id },
    { header: 'name', value: (r) => orNone(v(r).name), raw: (r) => v(r).name ?? null },
    { header: 'status', value: (r) => v(r).status, color: (t, r) => statusColor(c, v(r).status)(t), raw: (r) => v(r).status },
    { header: 'size', value: (r) => formatGiB(v(r).size), raw: (r) => v(r).size ?? null },
    { header: 'type', value: (r) => orNone(v(r).volume_type), raw: (r) => v(r).volume_type ?? null },
    { header: 'host', value: (r) => orNone(volumeHost(v(r))), raw: (r) => volumeHost(v(r)) },
    {
      header: 'migration status',
      value: (r) => volumeMigrationStatus(v(r)) || NONE,
      color: (t, r) => (volumeMigrationStatus(v(r)) ? migrationColor(c, volumeMigrationStatus(v(r)))(t) : t),
      raw: (r) => volumeMigrationStatus(v(r)),
    },
    {
      header: 'migration progress',
      value: (r) => formatProgress(v(r).migration_progress),
      raw: (r) => v(r).migration_progress ?? null,
      optional: (r) => v(r).migration_progress !== undefined,
    },
    {
      header: 'migration target',
      value: (r) => (r.target ? `${r.target.id} (${r.target.status})` : NONE),
      raw: (r) => r.target?.id ?? null,
      optional: migrating,
    },
    {
      header: 'destination host',
      value: (r) => orNone(r.target ? volumeHost(r.target) : null),
      raw: (r) => (r.target ? volumeHost(r.target) : null),
      optional: migrating,
    },
    { header: 'name_id', value: (r) => orNone(v(r)['os-vol-mig-status-attr:name_id']), raw: (r) => v(r)['os-vol-mig-status-attr:name_id'] ?? null },
    { header: 'attachments', value: (r) => attachmentLines(v(r)), raw: (r) => v(r).attachments ?? [] },
    { header: 'project', value: (r) => orNone(v(r)['os-vol-tenant-attr:tenant_id']), raw: (r) => v(r)['os-vol-tenant-attr:tenant_id'] ?? null },
    { header: 'availability zone', value: (r) => orNone(v(r).availability_zone), raw: (r) => v(r).availability_zone ?? null },
    { header: 'created', value: (r) => orNone(v(r).created_at), raw: (r) => v(r).created_at ?? null },
    { header: 'updated', value: (r) => orNone(v(r).updated_at), raw: (r) => v(r).updated_at ?? null },
  ];
}

/** The fields the view prints without -c: every one the volume has. */
export function presentShowFields(fields: readonly ShowField[], row: VolumeWithTarget): ShowField[] {
  return fields.filter((f) => f.optional?.(row) ?? true);
}

/** The chosen fields as the readable `key: value` view. */
export function renderShowFields(fields: readonly FieldColumn<VolumeWithTarget>[], row: VolumeWithTarget): string[] {
  const pairs: [string, string][] = fields.map((f) => {
    const text = f.value(row);
    return [f.header, f.color ? f.color(text, row) : text];
  });
  // Aligned the same whether or not the optional migration lines are present, so two views compare line by line.
  return renderKeyValue(pairs, 'migration progress:'.length);
}

/** The readable `show` view, as key/value lines. */
export function renderVolumeView(row: VolumeWithTarget, c: ChalkInstance): string[] {
  return renderShowFields(presentShowFields(showFields(c), row), row);
}

/** `yes, every 30s` / `no` / `-` (not reported: upstream Cinder drivers never report it). */
export function progressReportCell(pool: Pool): string {
  const caps = pool.capabilities ?? {};
  const reported = caps.migration_progress_report;
  if (reported === undefined || reported === null) return NONE;
  const on = reported === true || String(reported).toLowerCase() === 'true';
  if (!on) return 'no';
  const interval = caps.migration_progress_report_interval;
  return interval !== undefined && interval !== null ? `yes, every ${interval}s` : 'yes';
}

/** The capability as a boolean (drivers may report the text "True"), null when the pool does not report it. */
function progressReportRaw(pool: Pool): boolean | null {
  const reported = pool.capabilities?.migration_progress_report;
  if (reported === undefined || reported === null) return null;
  return reported === true || String(reported).toLowerCase() === 'true';
}

/** Every column of `volmig pools`; Report interval only on -c (the Progress report cell shows it). */
export function poolColumns(): FieldColumn<Pool>[] {
  return [
    { header: 'Name', value: (p) => p.name, raw: (p) => p.name },
    { header: 'Backend', value: (p) => orNone(p.capabilities?.volume_backend_name), raw: (p) => p.capabilities?.volume_backend_name ?? null },
    { header: 'Free', value: (p) => formatGiB(p.capabilities?.free_capacity_gb), align: 'right', raw: (p) => p.capabilities?.free_capacity_gb ?? null },
    { header: 'Total', value: (p) => formatGiB(p.capabilities?.total_capacity_gb), align: 'right', raw: (p) => p.capabilities?.total_capacity_gb ?? null },
    { header: 'Progress report', value: progressReportCell, raw: progressReportRaw },
    {
      header: 'Report interval',
      value: (p) => orNone(p.capabilities?.migration_progress_report_interval),
      align: 'right',
      raw: (p) => p.capabilities?.migration_progress_report_interval ?? null,
    },
  ];
}

export function renderPools(pools: Pool[]): string[] {
  return renderTable(poolColumns().slice(0, 5), pools);
}
