import { any, list, nullable, number, object, oneOf, optional, record, string, boolean, type Shape } from './validate.js';

/**
 * One shape per resource volmig reads (issue 12), each with only what volmig needs of it. Checked against the
 * recorded answers of real Cinder 21.3 and Keystone 22 (test/conformance/fixtures, shared/cinder/transcripts): a
 * field real Cinder leaves out or sends as null is optional or nullable here, so that no real cloud is refused.
 * The GiB figures of pools are numbers or words (`infinite`, `unknown`), as drivers report them.
 */

const optString = optional(nullable(string));

const link = object({ rel: string, href: string });
const links = optional(nullable(list(link)));

export const attachmentShape: Shape = object({
  id: optString,
  attachment_id: optString,
  volume_id: optString,
  server_id: optString,
  host_name: optString,
  device: optString,
});

/** A volume (GET /volumes/{id}, each element of /volumes/detail). */
export const volumeShape: Shape = object({
  id: string,
  status: string,
  size: number,
  name: optString,
  volume_type: optString,
  volume_type_id: optString,
  created_at: optString,
  updated_at: optString,
  availability_zone: optString,
  attachments: optional(nullable(list(attachmentShape))),
  metadata: optional(nullable(record(any))),
  migration_status: optString,
  replication_status: optString,
  consistencygroup_id: optString,
  group_id: optString,
  cluster_name: optString,
  'os-vol-host-attr:host': optString,
  'os-vol-mig-status-attr:migstat': optString,
  'os-vol-mig-status-attr:name_id': optString,
  'os-vol-tenant-attr:tenant_id': optString,
  migration_progress: optional(nullable(oneOf(string, number))),
});

/** `{"volume": {...}}` */
export const volumeBody: Shape = object({ volume: volumeShape });

/**
 * A page of a collection, without its elements: those are checked one by one as the listing reaches them
 * (src/api/json-page.ts streams them), with the element shape below.
 */
export function pageShape(key: string): Shape {
  return object({ [key]: list(any), [`${key}_links`]: links, count: optional(number) });
}

export const snapshotShape: Shape = object({
  id: string,
  volume_id: string,
  status: string,
  name: optString,
  size: optional(number),
});

const gib = optional(nullable(oneOf(number, string)));

export const poolShape: Shape = object({
  name: string,
  capabilities: optional(
    nullable(
      object({
        volume_backend_name: optString,
        total_capacity_gb: gib,
        free_capacity_gb: gib,
        allocated_capacity_gb: gib,
        provisioned_capacity_gb: gib,
        reserved_percentage: optional(nullable(oneOf(number, string))),
        max_over_subscription_ratio: optional(nullable(oneOf(number, string))),
        location_info: optString,
        storage_protocol: optString,
        backend_state: optString,
        migration_progress_report: optional(nullable(oneOf(boolean, string))),
        migration_progress_report_interval: optional(nullable(oneOf(number, string))),
      }),
    ),
  ),
});

export const poolsBody: Shape = object({ pools: list(poolShape) });

export const serviceShape: Shape = object({
  binary: string,
  host: string,
  status: string,
  state: string,
  zone: optString,
  cluster: optString,
  disabled_reason: optString,
  updated_at: optString,
});

export const servicesBody: Shape = object({ services: list(serviceShape) });

export const volumeTypeShape: Shape = object({
  id: string,
  name: string,
  description: optString,
  is_public: optional(nullable(boolean)),
  extra_specs: optional(nullable(record(any))),
});

export const volumeTypesBody: Shape = object({ volume_types: list(volumeTypeShape) });
export const volumeTypeBody: Shape = object({ volume_type: volumeTypeShape });

/** A user message (GET /messages, 3.3+): what the cloud tells the project about a failed asynchronous action. */
export const userMessageShape: Shape = object({
  id: string,
  user_message: string,
  event_id: optString,
  message_level: optString,
  created_at: optString,
  guaranteed_until: optString,
  request_id: optString,
  resource_type: optString,
  resource_uuid: optString,
});

const versionShape = object({ id: string, status: optString, version: optString, min_version: optString, links });

/** `GET /` (300, every version) or `GET /v3/` (200, one version): either list may be there. */
export const versionsBody: Shape = object({ versions: optional(list(versionShape)), version: optional(versionShape) });

const catalogShape = list(
  object({
    type: string,
    name: optString,
    id: optString,
    endpoints: list(object({ interface: string, url: string, region_id: optString, region: optString, id: optString })),
  }),
);

/** Keystone's `POST /v3/auth/tokens` (and GET) body. The token itself is in the X-Subject-Token header. */
export const tokenBody: Shape = object({
  token: object({
    project: optional(nullable(object({ id: string, name: optString }))),
    catalog: optional(nullable(catalogShape)),
    expires_at: optString,
  }),
});
