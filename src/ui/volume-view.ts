import type { ChalkInstance } from 'chalk';
import { volumeHost, volumeMigrationStatus, type Pool, type Volume } from '../model/cinder.js';
import { NONE, formatGiB, formatProgress, orNone } from './format.js';
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

export function volumeColumns(c: ChalkInstance, options: { long?: boolean } = {}): Column<VolumeWithTarget>[] {
  const columns: Column<VolumeWithTarget>[] = [
    { header: 'ID', value: (r) => r.volume.id },
    { header: 'Name', value: (r) => orNone(r.volume.name) },
    { header: 'Status', value: (r) => r.volume.status, color: (t, r) => statusColor(c, r.volume.status)(t) },
    { header: 'Size', value: (r) => formatGiB(r.volume.size), align: 'right' },
    { header: 'Host', value: (r) => orNone(volumeHost(r.volume)) },
    {
      header: 'Migration',
      value: migrationCell,
      color: (t, r) => migrationColor(c, volumeMigrationStatus(r.volume))(t),
    },
  ];
  if (options.long) {
    columns.push(
      { header: 'Type', value: (r) => orNone(r.volume.volume_type) },
      { header: 'Project', value: (r) => orNone(r.volume['os-vol-tenant-attr:tenant_id']) },
      { header: 'Name ID', value: (r) => orNone(r.volume['os-vol-mig-status-attr:name_id']) },
      { header: 'Progress', value: (r) => formatProgress(r.volume.migration_progress), align: 'right' },
    );
  }
  return columns;
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

/** The readable `show` view, as key/value lines. */
export function renderVolumeView(row: VolumeWithTarget, c: ChalkInstance): string[] {
  const v = row.volume;
  const migration = volumeMigrationStatus(v);
  const pairs: [string, string][] = [
    ['id', v.id],
    ['name', orNone(v.name)],
    ['status', statusColor(c, v.status)(v.status)],
    ['size', formatGiB(v.size)],
    ['type', orNone(v.volume_type)],
    ['host', orNone(volumeHost(v))],
    ['migration status', migration ? migrationColor(c, migration)(migration) : NONE],
  ];
  if (v.migration_progress !== undefined) pairs.push(['migration progress', formatProgress(v.migration_progress)]);
  if (row.target) {
    pairs.push(['migration target', `${row.target.id} (${row.target.status})`]);
    pairs.push(['destination host', orNone(volumeHost(row.target))]);
  }
  pairs.push(
    ['name_id', orNone(v['os-vol-mig-status-attr:name_id'])],
    ['attachments', attachmentLines(v)],
    ['project', orNone(v['os-vol-tenant-attr:tenant_id'])],
    ['availability zone', orNone(v.availability_zone)],
    ['created', orNone(v.created_at)],
    ['updated', orNone(v.updated_at)],
  );
  // Aligned the same whether or not the optional migration lines are present, so two views compare line by line.
  return renderKeyValue(pairs, 'migration progress:'.length);
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

export function renderPools(pools: Pool[]): string[] {
  const columns: Column<Pool>[] = [
    { header: 'Name', value: (p) => p.name },
    { header: 'Backend', value: (p) => orNone(p.capabilities?.volume_backend_name) },
    { header: 'Free', value: (p) => formatGiB(p.capabilities?.free_capacity_gb), align: 'right' },
    { header: 'Total', value: (p) => formatGiB(p.capabilities?.total_capacity_gb), align: 'right' },
    { header: 'Progress report', value: progressReportCell },
  ];
  return renderTable(columns, pools);
}
