// Lists a view loads again on every event and after its own actions (labels, saved playlists, write
// runs) can have two loads in flight at once, and their answers may arrive in either order. Applying
// whichever arrives last could put an older list over a newer one and leave it there until the next
// change; `latestOnly` applies only the answer of the load asked for last.

/**
 * Wraps `load` so that of overlapping calls only the latest one's answer reaches `apply`; an earlier
 * call's answer (or failure) arriving afterwards is dropped. The returned function resolves once its own
 * call is settled, and rejects only when the latest call failed.
 */
export function latestOnly<T>(load: () => Promise<T>, apply: (value: T) => void): () => Promise<void> {
  let latest = 0;
  return async () => {
    const mine = ++latest;
    let value: T;
    try {
      value = await load();
    } catch (err) {
      if (mine === latest) throw err;
      return;
    }
    if (mine === latest) apply(value);
  };
}
