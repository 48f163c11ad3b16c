/**
 * Request schemas and handler definitions. A handler's input schema is the single source of both its
 * runtime check and its static parameter type: `handler(schema, run)` infers `run`'s input from the
 * schema, and `bindHandlers` turns a map of definitions into plain functions that check their input at
 * the boundary (IPC, CLI, tests alike) and fail with a readable `E_INVALID` UserError naming the handler
 * and the parameter. Valibot was chosen over zod by measurement (docs/decisions/schema-library.md).
 */
import * as v from 'valibot';
import { UserError } from './errors.js';

export { v };

/** Any schema. */
export type Schema = v.GenericSchema;

/** A handler definition: the schema of its one parameters object (none: it takes nothing) and its work. */
export interface HandlerDef<S extends Schema | undefined, R> {
  readonly input: S;
  readonly run: S extends Schema ? (input: v.InferOutput<S>) => R : () => R;
}

/** Defines a handler that takes no parameters. */
export function handler<R>(run: () => R): HandlerDef<undefined, R>;
/** Defines a handler whose parameters object `input` checks (and types). */
export function handler<S extends Schema, R>(input: S, run: (input: v.InferOutput<S>) => R): HandlerDef<S, R>;
export function handler(a: unknown, b?: unknown): unknown {
  return typeof a === 'function' ? { input: undefined, run: a } : { input: a, run: b };
}

/** The callable a definition becomes; its parameter is optional when the schema accepts undefined. */
export type HandlerFn<D> =
  D extends HandlerDef<infer S, infer R>
    ? S extends Schema
      ? undefined extends v.InferInput<S>
        ? (params?: v.InferInput<S>) => R
        : (params: v.InferInput<S>) => R
      : () => R
    : never;

/** A map of definitions turned into callables. */
export type BoundHandlers<M> = { [K in keyof M]: HandlerFn<M[K]> };

/** Any handler definition (for maps). */
export type AnyHandlerDef = HandlerDef<Schema | undefined, unknown>;

function issuePath(issue: v.BaseIssue<unknown>): string {
  const keys = (issue.path ?? []).map((p) => String(p.key));
  return keys.length ? `"${keys.join('.')}" ` : '';
}

/** Checks `value` against `schema`, or throws an E_INVALID UserError naming `name` and the first bad parameter. */
export function parseInput<S extends Schema>(name: string, schema: S, value: unknown): v.InferOutput<S> {
  const r = v.safeParse(schema, value, { abortEarly: true });
  if (r.success) return r.output;
  const issue = r.issues[0];
  const path = issuePath(issue);
  const unknownKey = issue.expected === 'never' && path !== '';
  const missing = path !== '' && issue.input === undefined;
  const message = unknownKey ? `${path}is not a parameter it takes` : missing ? `${path}is required` : `${path}${issue.message}`;
  throw new UserError(`${name}: ${message}`, 'E_INVALID');
}

function isEmptyParams(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  return typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;
}

/** Turns one definition into a function that checks its input first; `name` goes into error messages. */
export function bindHandler<D extends AnyHandlerDef>(name: string, def: D): HandlerFn<D> {
  const { input, run } = def as { input: Schema | undefined; run: (i?: unknown) => unknown };
  const fn = (...args: unknown[]): unknown => {
    if (args.length > 1) throw new UserError(`${name}: expected at most one parameters object`, 'E_INVALID');
    if (!input) {
      if (!isEmptyParams(args[0])) throw new UserError(`${name}: takes no parameters`, 'E_INVALID');
      return run();
    }
    return run(parseInput(name, input, args[0]));
  };
  return Object.assign(fn, { input }) as unknown as HandlerFn<D>;
}

/** Binds every definition of a domain's map. */
export function bindHandlers<M extends Record<string, AnyHandlerDef>>(defs: M): BoundHandlers<M> {
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(defs)) out[name] = bindHandler(name, def);
  return out as BoundHandlers<M>;
}

// ---- Common parameter schemas, with messages a person can act on. ----

/** A non-empty string without NUL characters, at most `max` characters. */
export function text(max = 4096) {
  return v.pipe(
    v.string('must be a non-empty string'),
    v.check((s) => s.trim() !== '', 'must be a non-empty string'),
    v.check((s) => !s.includes('\0'), 'contains a NUL character'),
    v.maxLength(max, `must be at most ${max} characters`),
  );
}

/** A string that may be empty (descriptions, queries), at most `max` characters, without NUL. */
export function anyText(max = 4096) {
  return v.pipe(
    v.string('must be a string'),
    v.check((s) => !s.includes('\0'), 'contains a NUL character'),
    v.maxLength(max, `must be at most ${max} characters`),
  );
}

/** An integer within [min, max]. */
export function int(min: number, max: number) {
  const msg = `must be an integer from ${min} to ${max}`;
  return v.pipe(v.number(msg), v.integer(msg), v.minValue(min, msg), v.maxValue(max, msg));
}

/** A database id (1 and up). */
export function id() {
  return int(1, Number.MAX_SAFE_INTEGER);
}

/** A finite number within [min, max]. */
export function num(min: number, max: number) {
  const msg = `must be a number from ${min} to ${max}`;
  return v.pipe(v.number(msg), v.finite(msg), v.minValue(min, msg), v.maxValue(max, msg));
}

/** true or false. */
export function bool() {
  return v.boolean('must be true or false');
}

/** One of a fixed set of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return v.picklist(values, `must be one of ${values.join(', ')}`);
}

/** A list of 1 to `maxLength` ids. */
export function ids(maxLength: number) {
  const msg = `must be a list of 1 to ${maxLength} ids`;
  return v.pipe(v.array(id(), msg), v.minLength(1, msg), v.maxLength(maxLength, msg));
}

/** A list of at most `maxLength` non-empty strings. */
export function texts(maxLength: number, maxChars = 4096) {
  const msg = `must be a list of at most ${maxLength} non-empty strings`;
  return v.pipe(v.array(text(maxChars), msg), v.maxLength(maxLength, msg));
}

/** A parameters object with exactly these fields (unknown ones are refused: they are typos or drift). */
export function params<E extends v.ObjectEntries>(entries: E) {
  return v.strictObject(entries, 'parameters must be an object');
}

/** Like {@link params}, but the whole object may be left out (every field then takes its default). */
export function optionalParams<E extends v.ObjectEntries>(entries: E) {
  // Every field is optional here, so an empty object is a valid default.
  return v.nullish(v.strictObject(entries, 'parameters must be an object'), {} as never);
}

/** An optional field. */
export const opt = v.optional;
