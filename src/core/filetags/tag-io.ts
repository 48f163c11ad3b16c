/**
 * Reads and changes the mood fields of one file with node-taglib-sharp (a TagLib# port in plain
 * JavaScript). It rewrites only the tag block: the audio frames are copied through untouched, and
 * every frame, comment, atom or attribute other than the ones named here is kept as it was read.
 */
import {
  AsfContentDescriptor,
  AsfObjectDataType,
  File as TagFile,
  Id3v2FrameClassType,
  Id3v2FrameIdentifiers,
  Id3v2Settings,
  Id3v2UserTextInformationFrame,
  Mpeg4AppleDataBoxFlagType,
  Mpeg4BoxType,
  ReadStyle,
  StringType,
  TagTypes,
  type AsfTag,
  type Id3v2Tag,
  type Id3v2TextInformationFrame,
  type Mpeg4AppleDataBox,
  type Mpeg4AppleTag,
  type Mpeg4Box,
  type XiphComment,
} from 'node-taglib-sharp';
import { extname } from 'node:path';
import { UserError, errorMessage } from '../kernel/errors.js';
import { SCORES_FIELD, fieldsOf, managedFields, splitFieldValues, tagFamilyFor, type MoodTagFormat } from './mood-fields.js';

// A file without an ID3v2 tag gets a v2.4 one (TMOO needs 2.4); an existing tag keeps its version.
Id3v2Settings.defaultVersion = 4;

/** Values of the managed fields present in a file (a field absent from the map is absent from the file). */
export type FieldValues = Record<string, string[]>;

/** A change to make: new values per field, or null to remove the field. */
export type FieldChanges = Record<string, string[] | null>;

/** What a file holds in the fields Moodshelf manages. */
export interface MoodTagState {
  format: MoodTagFormat;
  fields: FieldValues;
}

const ITUNES_MEAN = 'com.apple.iTunes';

function mimeFor(path: string): string {
  // node-taglib-sharp picks the parser by extension; temp copies keep the extension, and naming it
  // explicitly makes `.wave`/`.aifc` resolve too.
  const ext = extname(path).toLowerCase().slice(1);
  const alias: Record<string, string> = { wave: 'wav', aifc: 'aiff', aif: 'aiff', oga: 'ogg', m4b: 'm4a', mp4: 'm4a', asf: 'wma' };
  return `taglib/${alias[ext] ?? ext}`;
}

function openTagFile(path: string): TagFile {
  try {
    return TagFile.createFromPath(path, mimeFor(path), ReadStyle.None);
  } catch (err) {
    throw new UserError(`Cannot read the tags of ${path}: ${errorMessage(err)}`, 'E_TAGS');
  }
}

function txxxFrames(tag: Id3v2Tag, description: string): Id3v2UserTextInformationFrame[] {
  return tag
    .getFramesByClassType<Id3v2UserTextInformationFrame>(Id3v2FrameClassType.UserTextInformationFrame)
    .filter((f) => f.description.toUpperCase() === description.toUpperCase());
}

function nonEmpty(values: readonly string[]): string[] {
  return values.filter((v) => v !== '');
}

interface Accessor {
  format: MoodTagFormat;
  get(field: string): string[];
  set(field: string, values: string[] | null): void;
}

function id3Accessor(file: TagFile, create: boolean): Accessor | null {
  const tag = file.getTag(TagTypes.Id3v2, create) as Id3v2Tag | undefined;
  if (!tag) return null;
  const format: MoodTagFormat = tag.version >= 4 ? 'id3v2.4' : 'id3v2.3';
  return {
    format,
    get(field) {
      if (field === 'TMOO') {
        return nonEmpty(
          tag
            .getFramesByIdentifier<Id3v2TextInformationFrame>(Id3v2FrameClassType.TextInformationFrame, Id3v2FrameIdentifiers.TMOO as never)
            .flatMap((f) => f.text),
        );
      }
      const desc = field.slice('TXXX:'.length);
      return nonEmpty(txxxFrames(tag, desc).flatMap((f) => f.text));
    },
    set(field, values) {
      if (field === 'TMOO') {
        tag.removeFrames(Id3v2FrameIdentifiers.TMOO as never);
        if (values && values.length > 0) tag.setTextFrame(Id3v2FrameIdentifiers.TMOO as never, ...values);
        return;
      }
      const desc = field.slice('TXXX:'.length);
      for (const f of txxxFrames(tag, desc)) tag.removeFrame(f);
      if (values && values.length > 0) {
        const frame = Id3v2UserTextInformationFrame.fromDescription(desc, format === 'id3v2.4' ? StringType.UTF8 : StringType.UTF16);
        frame.text = values;
        tag.addFrame(frame);
      }
    },
  };
}

function vorbisAccessor(file: TagFile): Accessor | null {
  const tag = file.getTag(TagTypes.Xiph, true) as XiphComment | undefined;
  if (!tag) return null;
  return {
    format: 'vorbis',
    get: (field) => nonEmpty(tag.getField(field) ?? []),
    set(field, values) {
      tag.removeField(field);
      if (values && values.length > 0) tag.setFieldAsStrings(field, ...values);
    },
  };
}

/** The ilst box behind an AppleTag (TagLib#'s own reader is kept private). */
interface ItemList {
  getItunesTagBoxes(mean: string, name: string): Mpeg4Box[];
}

/**
 * Every text value of the ----:mean:name atoms. TagLib#'s getItunesStrings returns only the first DATA
 * box of each atom, but mutagen and Picard store a list as several DATA boxes in one atom: reading them
 * all keeps previews and the undo log exact.
 */
function itunesStrings(tag: Mpeg4AppleTag, name: string): string[] {
  const ilst = (tag as unknown as { _ilstBox?: ItemList })._ilstBox;
  if (!ilst || typeof ilst.getItunesTagBoxes !== 'function') return tag.getItunesStrings(ITUNES_MEAN, name);
  return ilst
    .getItunesTagBoxes(ITUNES_MEAN, name)
    .flatMap((b) => b.getChildren<Mpeg4AppleDataBox>(Mpeg4BoxType.DATA))
    .filter((d) => (d.flags & Mpeg4AppleDataBoxFlagType.ContainsText) === Mpeg4AppleDataBoxFlagType.ContainsText)
    .map((d) => d.text);
}

function mp4Accessor(file: TagFile): Accessor | null {
  const tag = file.getTag(TagTypes.Apple, true) as Mpeg4AppleTag | undefined;
  if (!tag) return null;
  const nameOf = (field: string): string => field.slice(`----:${ITUNES_MEAN}:`.length);
  return {
    format: 'mp4',
    get: (field) => nonEmpty(itunesStrings(tag, nameOf(field))),
    // One ---- atom per value: how TagLib# stores lists; mutagen, Picard and music-metadata read them all.
    set: (field, values) => tag.setItunesStrings(ITUNES_MEAN, nameOf(field), ...(values ?? [])),
  };
}

function asfAccessor(file: TagFile): Accessor | null {
  const tag = file.getTag(TagTypes.Asf, true) as AsfTag | undefined;
  if (!tag) return null;
  const library = (): ReturnType<AsfTag['metadataLibraryObject']['getRecords']> =>
    tag.metadataLibraryObject.getRecords(0, 0, 'WM/Mood').concat(tag.metadataLibraryObject.getRecords(0, 0, SCORES_FIELD));
  return {
    format: 'asf',
    get(field) {
      const ext = tag.getDescriptors(field).map((d) => d.stringValue);
      // Multi-valued attributes written by Windows Media Player or mutagen sit in the metadata library.
      const lib = library()
        .filter((r) => r.name === field)
        .map((r) => r.stringValue);
      return nonEmpty([...ext, ...lib]);
    },
    set(field, values) {
      tag.metadataLibraryObject.removeRecords(0, 0, field);
      tag.removeDescriptors(field);
      if (values && values.length > 0) {
        // One attribute per value (not one "a; b" string): mutagen, ffmpeg and music-metadata read a list.
        tag.setDescriptors(field, ...values.map((v) => new AsfContentDescriptor(field, AsfObjectDataType.Unicode, v)));
      }
    },
  };
}

function accessorFor(file: TagFile, path: string, create: boolean): Accessor {
  const family = tagFamilyFor(path);
  const acc =
    family === 'id3'
      ? id3Accessor(file, create)
      : family === 'vorbis'
        ? vorbisAccessor(file)
        : family === 'mp4'
          ? mp4Accessor(file)
          : family === 'asf'
            ? asfAccessor(file)
            : null;
  if (acc) return acc;
  if (family === 'id3' && !create) return { format: 'id3v2.4', get: () => [], set: () => undefined };
  throw new UserError(
    `Cannot write moods into ${path}: the ${extname(path) || 'extensionless'} format has no supported tag`,
    'E_UNSUPPORTED',
  );
}

function readWith(acc: Accessor): MoodTagState {
  const fields: FieldValues = {};
  for (const field of managedFields(acc.format)) {
    const v = acc.get(field);
    if (v.length > 0) fields[field] = v;
  }
  return { format: acc.format, fields };
}

/** Reads the managed mood and scores fields of a file (no tag yet reads as empty). */
export function readMoodTags(path: string): MoodTagState {
  if (!tagFamilyFor(path)) throw new UserError(`Cannot read moods from ${path}: unsupported file type`, 'E_UNSUPPORTED');
  const file = openTagFile(path);
  try {
    return readWith(accessorFor(file, path, false));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`Cannot read the tags of ${path}: ${errorMessage(err)}`, 'E_TAGS');
  } finally {
    file.dispose();
  }
}

/**
 * The changes that make a file hold `moods` (and `scores`, when given) in its format's fields; fields
 * already holding exactly those values are left out. An empty mood list removes the mood fields.
 */
export function plannedChanges(state: MoodTagState, moods: readonly string[], scores: string | null): FieldChanges {
  const wanted: FieldChanges = {};
  const f = fieldsOf(state.format);
  for (const field of f.mood) wanted[field] = moods.length > 0 ? [...moods] : null;
  if (scores !== null) wanted[f.scores] = [scores];
  const changes: FieldChanges = {};
  for (const [field, values] of Object.entries(wanted)) {
    const current = state.fields[field] ?? null;
    // The scores field is one JSON value: never split it.
    const view = (v: string[] | null): string[] | null => (v === null || field === f.scores ? v : splitFieldValues(state.format, v));
    if (!sameValues(view(current), view(values))) changes[field] = values;
  }
  return changes;
}

/** True when two field values are identical (null = absent), order included. */
export function sameValues(a: readonly string[] | null | undefined, b: readonly string[] | null | undefined): boolean {
  const x = a && a.length > 0 ? a : null;
  const y = b && b.length > 0 ? b : null;
  if (x === null || y === null) return x === y;
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Applies field changes to the file at `path` in place and returns the state read back after saving.
 * Call it on a temporary copy only (see safe-write): node-taglib-sharp rewrites the file it opened.
 */
export function applyMoodChanges(path: string, changes: FieldChanges): MoodTagState {
  const file = openTagFile(path);
  try {
    const acc = accessorFor(file, path, true);
    for (const [field, values] of Object.entries(changes)) acc.set(field, values);
    file.save();
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`Cannot write the tags of ${path}: ${errorMessage(err)}`, 'E_TAGS');
  } finally {
    file.dispose();
  }
  return readMoodTags(path);
}
