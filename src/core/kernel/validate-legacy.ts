import { UserError } from '../kernel/errors.js';

/**
 * Input checks for handler parameters. Handlers are reachable from the renderer and the CLI, so every
 * parameter is validated at the boundary and a bad one is a clear UserError, never a crash deeper in.
 */
export function asObject(value: unknown, handler: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new UserError(`${handler}: parameters must be an object`, 'E_INVALID');
  return value as Record<string, unknown>;
}

/** A required non-empty string parameter. */
export function requireString(o: Record<string, unknown>, key: string, handler: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.trim() === '') throw new UserError(`${handler}: "${key}" must be a non-empty string`, 'E_INVALID');
  if (v.includes('\0')) throw new UserError(`${handler}: "${key}" contains a NUL character`, 'E_INVALID');
  return v;
}

/** An optional string parameter. */
export function optionalString(o: Record<string, unknown>, key: string, handler: string): string | undefined {
  return o[key] === undefined ? undefined : requireString(o, key, handler);
}

/** An optional integer parameter within [min, max]. */
export function optionalInt(o: Record<string, unknown>, key: string, handler: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new UserError(`${handler}: "${key}" must be an integer from ${min} to ${max}`, 'E_INVALID');
  }
  return v;
}

/** A required integer parameter within [min, max]. */
export function requireInt(o: Record<string, unknown>, key: string, handler: string, min: number, max: number): number {
  const v = optionalInt(o, key, handler, min, max);
  if (v === undefined) throw new UserError(`${handler}: "${key}" is required`, 'E_INVALID');
  return v;
}

/** An optional boolean parameter. */
export function optionalBool(o: Record<string, unknown>, key: string, handler: string): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new UserError(`${handler}: "${key}" must be true or false`, 'E_INVALID');
  return v;
}

/** An optional parameter that must be one of a fixed set of strings. */
export function optionalEnum<T extends string>(
  o: Record<string, unknown>,
  key: string,
  handler: string,
  allowed: readonly T[],
): T | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new UserError(`${handler}: "${key}" must be one of ${allowed.join(', ')}`, 'E_INVALID');
  }
  return v as T;
}

/** A required array of integers within [min, max] (ids for batch operations), 1 to maxLength long. */
export function requireIntArray(
  o: Record<string, unknown>,
  key: string,
  handler: string,
  min: number,
  max: number,
  maxLength: number,
): number[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length === 0 || v.length > maxLength) {
    throw new UserError(`${handler}: "${key}" must be a list of 1 to ${maxLength} integers`, 'E_INVALID');
  }
  for (const x of v) {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
      throw new UserError(`${handler}: every entry of "${key}" must be an integer from ${min} to ${max}`, 'E_INVALID');
    }
  }
  return v as number[];
}

/** An optional finite number within [min, max] (scores, thresholds, seconds). */
export function optionalNumber(o: Record<string, unknown>, key: string, handler: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new UserError(`${handler}: "${key}" must be a number from ${min} to ${max}`, 'E_INVALID');
  }
  return v;
}

/** An optional array of non-empty strings (artist or genre lists), at most maxLength long. */
export function optionalStringArray(o: Record<string, unknown>, key: string, handler: string, maxLength: number): string[] | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > maxLength || v.some((x) => typeof x !== 'string' || x.trim() === '' || x.includes('\0'))) {
    throw new UserError(`${handler}: "${key}" must be a list of at most ${maxLength} non-empty strings`, 'E_INVALID');
  }
  return v as string[];
}
