/** The tags domain's events. */
export type TagEvents = {
  /** Tags were accepted, rejected, added, removed, undone or redone on these tracks. */
  'tags-changed': { trackIds: number[] };
};
