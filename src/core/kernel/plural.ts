/**
 * "1 track", "2 tracks", "0 tracks": a count with its noun in the right number, so no message says
 * "1 segments". `plural` is for nouns that do not just take an "s". Shared by the core's messages and the CLI.
 */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
