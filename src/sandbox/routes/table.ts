/**
 * The sandbox's one route table: every Block Storage path it serves, as `[method, pattern, handler]`. Patterns are
 * the path after `/v3/{project_id}` (or after `/v3` for the project-less URLs of 3.67+); `:name` matches one segment.
 * A literal segment wins over `:name` (`/volumes/detail` is not `/volumes/:id`). To add a route, add a line here and
 * its handler in the module its collection names.
 */
import { volumeAction } from './actions.js';
import { deleteMessage, listMessages, showMessage } from './messages.js';
import { getPools } from './pools.js';
import type { Route } from './route.js';
import { listAvailabilityZones, listServices, updateService } from './services.js';
import { createSnapshot, deleteSnapshot, listSnapshots, showSnapshot } from './snapshots.js';
import { createType, listTypes, showType } from './types.js';
import { listResourceFilters, listVolumeDetails, listVolumeSummaries } from './volume-listing.js';
import { createVolume, deleteVolume, showVolume, updateVolume } from './volumes.js';

export const ROUTES: readonly Route[] = [
  ['GET', '/volumes', listVolumeSummaries],
  ['POST', '/volumes', createVolume],
  ['GET', '/volumes/detail', listVolumeDetails],
  ['GET', '/volumes/:id', showVolume],
  ['PUT', '/volumes/:id', updateVolume],
  ['DELETE', '/volumes/:id', deleteVolume],
  ['POST', '/volumes/:id/action', volumeAction],

  ['GET', '/snapshots', listSnapshots],
  ['POST', '/snapshots', createSnapshot],
  ['GET', '/snapshots/detail', listSnapshots],
  ['GET', '/snapshots/:id', showSnapshot],
  ['DELETE', '/snapshots/:id', deleteSnapshot],

  ['GET', '/types', listTypes],
  ['POST', '/types', createType],
  ['GET', '/types/:id', showType],

  ['GET', '/scheduler-stats/get_pools', getPools],
  ['GET', '/os-services', listServices],
  ['PUT', '/os-services/:action', updateService],
  ['GET', '/os-availability-zone', listAvailabilityZones],
  ['GET', '/resource_filters', listResourceFilters],

  ['GET', '/messages', listMessages],
  ['GET', '/messages/:id', showMessage],
  ['DELETE', '/messages/:id', deleteMessage],
];
