import type { IFormat } from 'music-metadata';
import { asfDeclaredSize } from './asf-size.js';
import type { FileRange } from './file-range.js';
import { lastFrameEnd, readStreamInfo } from './flac-duration.js';
import { mpegDuration } from './mpeg-duration.js';
import { oggDuration } from './ogg-duration.js';
import { COMPLETE_SHARE, tagsOnlyReason, truncatedReason, unfinishedReason } from './reasons.js';
import { wavpackEnd } from './wavpack-duration.js';

/** Stream facts measured from the file's own structure, which override what the tag parser guessed. */
export interface MeasuredStream {
  duration: number;
  bitrate: number | null;
  sampleRate?: number;
  channels?: number;
  codec?: string;
}

/** What measuring found: facts to store, a reason the file is unusable, or nothing to add. */
export type Measured = MeasuredStream | string | null;

/** True for MPEG audio Layer I/II/III (not ADTS AAC, which music-metadata also calls MPEG). */
function isMpegAudio(format: IFormat): boolean {
  return format.container === 'MPEG' && /Layer/i.test(format.codec ?? '');
}

async function measureMpeg(file: FileRange, kind: string): Promise<Measured> {
  const m = await mpegDuration(file, kind);
  if ('reason' in m) return m.reason;
  return { duration: m.duration, bitrate: Math.round(m.bitrate), sampleRate: m.sampleRate, channels: m.channels };
}

async function measureOgg(file: FileRange, kind: string): Promise<Measured> {
  const m = await oggDuration(file);
  if (!m) return null;
  if (m.duration <= 0) return tagsOnlyReason(kind);
  if (!m.complete) return unfinishedReason(kind, m.duration);
  // Opus streams are 48 kHz whatever rate the recording had (which music-metadata reports, 0 if unknown).
  const sampleRate = m.stream.codec === 'Opus' ? 48000 : undefined;
  return { duration: m.duration, bitrate: Math.round((file.size * 8) / m.duration), ...(sampleRate ? { sampleRate } : {}) };
}

async function measureFlac(file: FileRange, format: IFormat, kind: string): Promise<Measured> {
  const info = readStreamInfo(await file.read(0, 64 * 1024));
  if (!info || !info.sampleRate) return null;
  const end = await lastFrameEnd(file, info);
  if (end === null) return null;
  if (info.totalSamples === 0) {
    // The encoder never wrote the length: the last frame tells it.
    return { duration: end / info.sampleRate, bitrate: Math.round((file.size * 8 * info.sampleRate) / end) };
  }
  if (end < info.totalSamples * COMPLETE_SHARE) {
    return truncatedReason(kind, end / info.sampleRate, format.duration ?? info.totalSamples / info.sampleRate);
  }
  return null;
}

async function measureWavPack(file: FileRange, format: IFormat, kind: string): Promise<Measured> {
  const duration = format.duration;
  if (!duration || !format.sampleRate || !format.numberOfSamples) return null;
  const end = await wavpackEnd(file, format.numberOfSamples);
  if (end !== null && end < format.numberOfSamples * COMPLETE_SHARE) return truncatedReason(kind, end / format.sampleRate, duration);
  // music-metadata names the sample format (PCM/DSD) as the codec; the bitrate is the whole file's.
  return { duration, bitrate: Math.round((file.size * 8) / duration), codec: `WavPack ${format.codec ?? ''}`.trim() };
}

async function measureAsf(file: FileRange, format: IFormat, kind: string): Promise<Measured> {
  const declared = await asfDeclaredSize(file);
  if (declared === null || !format.duration || file.size >= declared * COMPLETE_SHARE) return null;
  return truncatedReason(kind, (format.duration * file.size) / declared, format.duration);
}

/**
 * WAVE_FORMAT_EXTENSIBLE (what encoders write for 24-bit, 32-bit or multichannel WAV) names its real
 * format in a sub-format GUID, which music-metadata reports as "non-PCM (65534)": name it properly.
 */
async function measureWave(file: FileRange, format: IFormat): Promise<Measured> {
  if (!/65534/.test(format.codec ?? '') || !format.duration) return null;
  const head = await file.read(0, 4096);
  const at = head.indexOf('fmt ', 12, 'latin1');
  if (at < 0 || at + 8 + 26 > head.length) return null;
  const sub = head.readUInt16LE(at + 8 + 24);
  const codec = sub === 1 ? 'PCM' : sub === 3 ? 'PCM (float)' : null;
  return codec ? { duration: format.duration, bitrate: format.bitrate ? Math.round(format.bitrate) : null, codec } : null;
}

/**
 * AIFF states its sound data size (music-metadata turns it into the bitrate); music-metadata warns
 * about a WAV shorter than its header declares, but not about an AIFF.
 */
function measureAiff(file: FileRange, format: IFormat, kind: string): Measured {
  const { duration, bitrate } = format;
  if (!duration || !bitrate || !format.container?.startsWith('AIFF')) return null;
  const declared = (duration * bitrate) / 8;
  return file.size < declared * COMPLETE_SHARE ? truncatedReason(kind, (file.size * 8) / bitrate, duration) : null;
}

/**
 * Measures what music-metadata, asked for no full read, cannot tell, by reading a few small windows of
 * the file: Ogg durations (on the last page), MPEG durations (Xing/VBRI, size/bitrate for CBR, frame
 * count for VBR without a header; music-metadata gives none for VBR, and mistakes a VBR file that starts
 * with equal-rate frames for CBR), and files cut short though their header states the full length
 * (FLAC, WavPack, WMA, AIFF, Ogg without its end-of-stream page); and it names WAV's extensible
 * format. Returns a reason when the file has no usable audio, and null when there is nothing to add to
 * music-metadata's facts.
 */
export async function measureStream(file: FileRange, format: IFormat, kind: string): Promise<Measured> {
  if (isMpegAudio(format)) return measureMpeg(file, kind);
  switch (format.container) {
    case 'Ogg':
      return measureOgg(file, kind);
    case 'FLAC':
      return measureFlac(file, format, kind);
    case 'WavPack':
      return measureWavPack(file, format, kind);
    case 'ASF/audio':
      return measureAsf(file, format, kind);
    case 'WAVE':
      return measureWave(file, format);
    default:
      return measureAiff(file, format, kind);
  }
}

/**
 * For a file music-metadata found no stream in: when it is named .mp3 and holds an ID3 tag followed by
 * no MPEG frames, say so (tags without audio) rather than calling it unreadable.
 */
export async function explainMissingMpeg(file: FileRange, kind: string): Promise<string | null> {
  const m = await mpegDuration(file, kind);
  return 'reason' in m && m.reason === tagsOnlyReason(kind) ? m.reason : null;
}
