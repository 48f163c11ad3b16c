/** A file that holds less than this share of what its own header declares was cut off. */
export const COMPLETE_SHARE = 0.9;

function seconds(s: number): string {
  return `${Math.round(s * 10) / 10} s`;
}

/** The reason for a file whose header declares `declared` seconds but that holds only `present`. */
export function truncatedReason(kind: string, present: number, declared: number): string {
  return `The ${kind} file is truncated: it holds about ${seconds(present)} of the ${seconds(declared)} its header declares`;
}

/** The reason for an Ogg file that stops before its end-of-stream page. */
export function unfinishedReason(kind: string, present: number): string {
  return `The ${kind} file is truncated: it stops after ${seconds(present)}, before the end of its stream`;
}

/** The reason for a file with valid tags and no audio after them. */
export function tagsOnlyReason(kind: string): string {
  return `The ${kind} file is truncated: it contains tags but no audio data`;
}

/** The reason for a file in which no audio stream of its kind was found at all. */
export function noStreamReason(kind: string): string {
  return `Not a readable ${kind} file: no audio stream could be found in it (wrong extension, or damaged)`;
}
