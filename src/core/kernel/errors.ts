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
