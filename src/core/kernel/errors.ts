/**
 * An error meant for people: its message is shown as is (CLI one-liner, UI toast), so it names the
 * thing that failed and the reason. `code` lets callers branch without parsing text.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code: string = 'E_USER',
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Narrows an unknown thrown value to a Node system error with a `code` (ENOENT, EACCES, ...). */
export function errnoCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** The message of any thrown value, for logs and stored reasons. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Turns errors a person can act on into UserErrors: SQLite's "database is locked" after the busy timeout
 * means another Moodshelf process (the app or the CLI) holds the library for longer than we wait, and the
 * person should hear that rather than an internal error. Anything else is returned unchanged.
 */
export function asUserError(err: unknown): unknown {
  if (err instanceof UserError) return err;
  const code = errnoCode(err);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT')
    return new UserError(
      'The library is busy: another Moodshelf process (the app or the CLI) is writing to it. Try again when it has finished.',
      'E_BUSY',
    );
  return err;
}
