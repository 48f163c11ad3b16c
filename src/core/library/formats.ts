import { extname } from 'node:path';

/**
 * File extensions the scanner indexes, with the format people know them by. Each one is both probed
 * (music-metadata plus duration.ts) and decoded (audio-decode, see src/core/audio/decode.ts): a format
 * only belongs here when both work, so nothing is indexed that analysis then cannot read.
 */
export const AUDIO_EXTENSIONS: Readonly<Record<string, string>> = {
  '.mp3': 'MP3',
  '.flac': 'FLAC',
  '.ogg': 'Ogg Vorbis',
  '.oga': 'Ogg Vorbis',
  '.opus': 'Opus',
  '.m4a': 'MPEG-4 audio (AAC or ALAC)',
  '.wav': 'WAV',
  '.wave': 'WAV',
  '.aif': 'AIFF',
  '.aiff': 'AIFF',
  '.aifc': 'AIFF',
  '.wv': 'WavPack',
  '.wma': 'Windows Media Audio',
};

/** True when the path has an extension the scanner should index (case-insensitive). */
export function isAudioPath(path: string): boolean {
  return extname(path).toLowerCase() in AUDIO_EXTENSIONS;
}
