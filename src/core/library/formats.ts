import { extname } from 'node:path';

/** File extensions the scanner indexes, with the format people know them by. */
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
};

/** True when the path has an extension the scanner should index (case-insensitive). */
export function isAudioPath(path: string): boolean {
  return extname(path).toLowerCase() in AUDIO_EXTENSIONS;
}
