import { execFileSync } from 'node:child_process';

/**
 * Runs ffmpeg synchronously (required: .ci/run installs it) to encode or decode a test signal; returns what it
 * wrote to stdout (decoded PCM with `-f f32le -`). A failure names the package to install.
 */
export function ffmpeg(args: string[]): Buffer {
  try {
    return execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], { maxBuffer: 1 << 28 });
  } catch (err) {
    throw new Error(`ffmpeg failed (apt-get install ffmpeg): ${(err as Error).message}`);
  }
}
