/**
 * Which field of which tag format carries moods, for reading at scan time and writing on request.
 * Every format has a de-facto standard mood field that other players read:
 *
 * - ID3v2.4: TMOO, plus TXXX:MOOD for readers that only know ID3v2.3 (MP3, and the ID3 chunk of WAV/AIFF);
 *   an ID3v2.3 tag keeps its version and gets TXXX:MOOD only (TMOO does not exist in 2.3)
 * - Vorbis comments (FLAC, Ogg Vorbis, Opus): MOOD, one comment per value
 * - MP4/M4A: the iTunes freeform atom ----:com.apple.iTunes:MOOD
 * - ASF/WMA: WM/Mood
 *
 * Per-label scores go into a namespaced custom field of the same tag (MOODSHELF_SCORES, JSON).
 */
import { extname } from 'node:path';
import type { IAudioMetadata } from 'music-metadata';

/** The tag formats moods are written to. */
export type MoodTagFormat = 'id3v2.4' | 'id3v2.3' | 'vorbis' | 'mp4' | 'asf';

/** The custom field holding per-label scores (JSON object label -> score), in every format's namespace. */
export const SCORES_FIELD = 'MOODSHELF_SCORES';

/** The tag family a file extension is written with (before its ID3 version is known), or null when unsupported. */
export function tagFamilyFor(path: string): 'id3' | 'vorbis' | 'mp4' | 'asf' | null {
  switch (extname(path).toLowerCase()) {
    case '.mp3':
    case '.wav':
    case '.wave':
    case '.aif':
    case '.aiff':
    case '.aifc':
      return 'id3';
    case '.flac':
    case '.ogg':
    case '.oga':
    case '.opus':
      return 'vorbis';
    case '.m4a':
    case '.m4b':
    case '.mp4':
      return 'mp4';
    case '.wma':
    case '.asf':
      return 'asf';
    default:
      return null;
  }
}

/** The mood field and the scores field of a format, as named in previews and the undo log. */
export function fieldsOf(format: MoodTagFormat): { mood: string[]; scores: string } {
  switch (format) {
    case 'id3v2.4':
      return { mood: ['TMOO', 'TXXX:MOOD'], scores: `TXXX:${SCORES_FIELD}` };
    case 'id3v2.3':
      return { mood: ['TXXX:MOOD'], scores: `TXXX:${SCORES_FIELD}` };
    case 'vorbis':
      return { mood: ['MOOD'], scores: SCORES_FIELD };
    case 'mp4':
      return { mood: ['----:com.apple.iTunes:MOOD'], scores: `----:com.apple.iTunes:${SCORES_FIELD}` };
    case 'asf':
      return { mood: ['WM/Mood'], scores: SCORES_FIELD };
  }
}

/** Every field a format's writer manages (what a preview reports and the undo log stores). */
export function managedFields(format: MoodTagFormat): string[] {
  const f = fieldsOf(format);
  return [...f.mood, f.scores];
}

/**
 * A field's values as separate moods. ID3v2.3 has no multi-value text frames, so v2.3 writers (mutagen,
 * Picard, TagLib) join values with "/"; music-metadata splits them the same way at scan time. The raw
 * values are what the undo log keeps; this view is what moods are compared and merged by.
 */
export function splitFieldValues(format: MoodTagFormat, values: readonly string[]): string[] {
  return format === 'id3v2.3'
    ? values
        .flatMap((v) => v.split('/'))
        .map((v) => v.trim())
        .filter((v) => v !== '')
    : [...values];
}

/** music-metadata's native ids of mood fields, per tag type (ID3 v2.2 and APEv2 included for reading). */
const NATIVE_MOOD_IDS = new Set(['TMOO', 'TXXX:MOOD', 'TXX:MOOD', 'MOOD', '----:com.apple.iTunes:MOOD', 'WM/Mood', 'Mood']);

function textValues(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  // TXXX frames parse to { description, text } in some music-metadata versions.
  if (value && typeof value === 'object' && 'text' in value) return textValues((value as { text: unknown }).text);
  return [];
}

/**
 * Distinct mood values (trimmed, case-insensitively de-duplicated, first spelling kept) from a list.
 * WM/Mood written by older Windows tools is one "a; b" string, so ASF values are split on semicolons.
 */
export function cleanMoodValues(values: Iterable<string>, splitSemicolons = false): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of values) {
    for (const part of splitSemicolons ? raw.split(';') : [raw]) {
      const v = part.trim().replace(/\s+/g, ' ');
      if (v === '' || v.length > 200 || seen.has(v.toLowerCase())) continue;
      seen.add(v.toLowerCase());
      out.push(v);
    }
  }
  return out;
}

/**
 * The mood values a file carries, from music-metadata's native tags (its `common.mood` keeps only one
 * value): ID3v2.4 TMOO, ID3v2.3/2.4 TXXX:MOOD, Vorbis/FLAC/Opus MOOD, MP4 ----:com.apple.iTunes:MOOD,
 * ASF WM/Mood (and APEv2 Mood).
 */
export function moodsFromMetadata(meta: Pick<IAudioMetadata, 'native'>): string[] {
  const values: string[] = [];
  let asf = false;
  for (const [type, tags] of Object.entries(meta.native ?? {})) {
    for (const tag of tags) {
      const id = type === 'vorbis' ? tag.id.toUpperCase() : tag.id;
      if (!NATIVE_MOOD_IDS.has(id)) continue;
      if (id === 'MOOD' && type !== 'vorbis') continue;
      if (id === 'Mood' && type !== 'APEv2') continue;
      if (type === 'asf') asf = true;
      values.push(...textValues(tag.value));
    }
  }
  return cleanMoodValues(values, asf);
}
