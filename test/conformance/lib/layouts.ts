/** Volume types and pools of each target (what the scenarios and the recorded cases run on). */
export interface Layout {
  /** A type pinned to backend A (volumes of it can never be scheduled to backend B). */
  pinnedA: string;
  /** A type pinned to backend B. */
  pinnedB: string;
  /** A type without backend pin: what a plain migration between backends needs. */
  unpinned: string;
  /** Pool of backend A and of backend B (`host@backend#pool`): generic migrations go A -> B. */
  hostA: string;
  hostB: string;
  /** A type whose volumes can move with the backend's own (driver-assisted) copy, and how to pick the destination. */
  assistedType: string;
}

export const SANDBOX_LAYOUT: Layout = {
  pinnedA: 'lvm-1',
  pinnedB: 'lvm-2',
  unpinned: '__DEFAULT__',
  hostA: 'sandbox@lvm-1#lvm-1',
  hostB: 'sandbox@lvm-2#lvm-2',
  assistedType: 'vendor',
};

export const REAL_LAYOUT: Layout = {
  pinnedA: 'type-a',
  pinnedB: 'type-b',
  unpinned: 'type-any',
  hostA: 'realcinder@ceph-a#ceph-a',
  hostB: 'realcinder@ceph-b#ceph-b',
  // RBD -> RBD in the same cluster: the RBD driver moves the image itself (driver-assisted)
  assistedType: 'type-any',
};

