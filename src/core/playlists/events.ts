/** The playlists domain's events. */
export type PlaylistEvents = {
  /** A saved playlist was created, changed or deleted. */
  'playlists-changed': { id: number; change: 'saved' | 'renamed' | 'deleted' };
};
