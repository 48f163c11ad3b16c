#!/usr/bin/env node
// Regenerates the small audio fixtures in tests/fixtures/audio with ffmpeg (apt-get install ffmpeg).
// The outputs are committed, so tests and CI never need ffmpeg. Every file carries the same tags, and
// its title is the fixed-width placeholder TITLE_PLACEHOLDER so that tests/library-gen.ts can stamp a
// unique title into a copy by replacing bytes of equal length (unique content, valid structure).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TITLE_PLACEHOLDER = 'MSTITLE-0000000000';
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'fixtures', 'audio');
mkdirSync(out, { recursive: true });

const tags = [
  '-metadata',
  `title=${TITLE_PLACEHOLDER}`,
  '-metadata',
  'artist=Fixture Artist',
  '-metadata',
  'album=Fixture Album',
  '-metadata',
  'album_artist=Fixture Band',
  '-metadata',
  'track=3',
  '-metadata',
  'date=2021',
  '-metadata',
  'genre=Ambient',
];

/** name, input (lavfi), codec args */
const fixtures = [
  ['mp3.mp3', 'sine=f=440:d=1.5', ['-ac', '2', '-ar', '44100', '-c:a', 'libmp3lame', '-b:a', '64k', '-id3v2_version', '4']],
  ['mp3-id3v23.mp3', 'sine=f=330:d=1.5', ['-ac', '1', '-ar', '22050', '-c:a', 'libmp3lame', '-b:a', '32k', '-id3v2_version', '3']],
  ['flac.flac', 'sine=f=523:d=1.5', ['-ac', '2', '-ar', '44100', '-c:a', 'flac']],
  ['vorbis.ogg', 'sine=f=587:d=1.5', ['-ac', '2', '-ar', '44100', '-c:a', 'libvorbis', '-q:a', '0']],
  ['opus.opus', 'sine=f=659:d=1.5', ['-ac', '2', '-ar', '48000', '-c:a', 'libopus', '-b:a', '24k']],
  ['aac.m4a', 'sine=f=698:d=1.5', ['-ac', '2', '-ar', '44100', '-c:a', 'aac', '-b:a', '48k']],
  ['alac.m4a', 'sine=f=784:d=1', ['-ac', '2', '-ar', '44100', '-c:a', 'alac']],
  ['pcm.wav', 'sine=f=880:d=1', ['-ac', '2', '-ar', '22050', '-c:a', 'pcm_s16le']],
  ['pcm.aiff', 'sine=f=988:d=1', ['-ac', '2', '-ar', '22050', '-c:a', 'pcm_s16be', '-write_id3v2', '1']],
  // Odd shapes: telephone rate, studio rate, mono, 5.1.
  ['mono-8k.wav', 'sine=f=300:d=1', ['-ac', '1', '-ar', '8000', '-c:a', 'pcm_s16le']],
  ['hires-192k.flac', 'sine=f=1000:d=0.5', ['-ac', '1', '-ar', '192000', '-c:a', 'flac', '-sample_fmt', 's32']],
  ['surround-6ch.flac', 'sine=f=220:d=0.5', ['-ac', '6', '-ar', '48000', '-c:a', 'flac']],
];

for (const [name, src, codec] of fixtures) {
  execFileSync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', src, ...tags, ...codec, '-bitexact', join(out, name)],
    { stdio: 'inherit' },
  );
  process.stdout.write(`wrote ${name}\n`);
}
