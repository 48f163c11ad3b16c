/**
 * Environment for the process that hosts the app's core (its utility process, core-process.ts), read by
 * the C library when the process starts, so it is given when the process is spawned (see
 * {@link coreProcessEnv}). The `moodshelf` command runs in the user's shell with the shell's environment:
 * `MALLOC_ARENA_MAX=2 moodshelf analyze` gives it the same (README, Performance).
 *
 * MALLOC_ARENA_MAX=2: glibc gives each thread that allocates its own malloc arena, up to eight per core,
 * and the core runs many threads (ONNX Runtime's pool, the inference, decode and scan workers); memory freed
 * in one arena is not reused by another, so an analysis's resident memory kept growing after its model had
 * loaded. bench:analyze (the app's path on the built core) with the MERT-size pack: peak 1238 MB with glibc's
 * default (16 arenas on 2 cores), 1068 MB with two, at the same speed (0.90 and 0.89 segments/s end to end). Other C
 * libraries ignore the variable.
 */
export const CORE_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** `env` plus {@link CORE_PROCESS_ENV}, where the user has not set those variables already. */
export function coreProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [k, v] of Object.entries(CORE_PROCESS_ENV)) if (out[k] === undefined) out[k] = v;
  return out;
}
