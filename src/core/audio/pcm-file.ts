import { open, type FileHandle } from 'node:fs/promises';

/** Where an uncompressed WAV/AIFF file keeps its samples, and how they are stored. */
export interface PcmLayout {
  dataOffset: number;
  /** Whole frames present in the file (the header's count, cut to what the file really holds). */
  frames: number;
  channels: number;
  sampleRate: number;
  /** Bytes per sample in the file (samples are left-justified in them, so scaling uses the full width). */
  bytesPerSample: number;
  float: boolean;
  bigEndian: boolean;
}

interface Chunk {
  id: string;
  offset: number;
  size: number;
}

/** Walks RIFF (little-endian) or IFF (big-endian) chunks after the 12-byte form header, reading 8 bytes each. */
async function readChunks(handle: FileHandle, fileSize: number, bigEndian: boolean, want: string[]): Promise<Map<string, Chunk>> {
  const found = new Map<string, Chunk>();
  const header = Buffer.alloc(8);
  for (let at = 12; at + 8 <= fileSize && found.size < want.length;) {
    const { bytesRead } = await handle.read(header, 0, 8, at);
    if (bytesRead < 8) break;
    const id = header.toString('latin1', 0, 4);
    const size = bigEndian ? header.readUInt32BE(4) : header.readUInt32LE(4);
    if (want.includes(id) && !found.has(id)) found.set(id, { id, offset: at + 8, size });
    at += 8 + size + (size % 2);
  }
  return found;
}

async function readBytes(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, offset);
  return buf.subarray(0, bytesRead);
}

const WAVE_PCM = 1;
const WAVE_FLOAT = 3;
const WAVE_EXTENSIBLE = 0xfffe;

async function wavLayout(handle: FileHandle, fileSize: number): Promise<PcmLayout | null> {
  const chunks = await readChunks(handle, fileSize, false, ['fmt ', 'data']);
  const fmtChunk = chunks.get('fmt ');
  const data = chunks.get('data');
  if (!fmtChunk || !data || fmtChunk.size < 16) return null;
  const fmt = await readBytes(handle, fmtChunk.offset, Math.min(fmtChunk.size, 40));
  let tag = fmt.readUInt16LE(0);
  if (tag === WAVE_EXTENSIBLE && fmt.length >= 26) tag = fmt.readUInt16LE(24);
  const channels = fmt.readUInt16LE(2);
  const blockAlign = fmt.readUInt16LE(12);
  if ((tag !== WAVE_PCM && tag !== WAVE_FLOAT) || channels === 0 || blockAlign % channels !== 0) return null;
  const bytesPerSample = blockAlign / channels;
  const float = tag === WAVE_FLOAT;
  if (float ? bytesPerSample !== 4 && bytesPerSample !== 8 : bytesPerSample < 1 || bytesPerSample > 4) return null;
  // A streamed WAV may declare 0 or 0xFFFFFFFF bytes of data: then the data runs to the end of the file.
  const declared = data.size === 0 || data.size === 0xffffffff ? Number.POSITIVE_INFINITY : data.size;
  const bytes = Math.min(declared, fileSize - data.offset);
  const frames = Math.floor(bytes / blockAlign);
  return { dataOffset: data.offset, frames, channels, sampleRate: fmt.readUInt32LE(4), bytesPerSample, float, bigEndian: false };
}

/** The 80-bit IEEE extended float AIFF uses for its sample rate. */
export function readExtended(b: Buffer, at: number): number {
  const exponent = b.readUInt16BE(at) & 0x7fff;
  const mantissa = b.readUInt32BE(at + 2) * 2 ** 32 + b.readUInt32BE(at + 6);
  return exponent === 0 && mantissa === 0 ? 0 : mantissa * 2 ** (exponent - 16383 - 63);
}

/** AIFF-C compression types that are plain PCM: byte order and sample type by four-character code. */
const AIFC_PCM: Record<string, { float: boolean; bigEndian: boolean }> = {
  NONE: { float: false, bigEndian: true },
  twos: { float: false, bigEndian: true },
  in24: { float: false, bigEndian: true },
  in32: { float: false, bigEndian: true },
  sowt: { float: false, bigEndian: false },
  fl32: { float: true, bigEndian: true },
  FL32: { float: true, bigEndian: true },
  fl64: { float: true, bigEndian: true },
  FL64: { float: true, bigEndian: true },
};

async function aiffLayout(handle: FileHandle, fileSize: number, aifc: boolean): Promise<PcmLayout | null> {
  const chunks = await readChunks(handle, fileSize, true, ['COMM', 'SSND']);
  const commChunk = chunks.get('COMM');
  const ssnd = chunks.get('SSND');
  if (!commChunk || !ssnd || commChunk.size < 18) return null;
  const comm = await readBytes(handle, commChunk.offset, Math.min(commChunk.size, 22));
  const kind = aifc && comm.length >= 22 ? AIFC_PCM[comm.toString('latin1', 18, 22)] : { float: false, bigEndian: true };
  if (!kind) return null;
  const channels = comm.readUInt16BE(0);
  const bytesPerSample = Math.ceil(comm.readUInt16BE(6) / 8);
  if (channels === 0 || (kind.float ? bytesPerSample !== 4 && bytesPerSample !== 8 : bytesPerSample < 1 || bytesPerSample > 4)) return null;
  const ssndHeader = await readBytes(handle, ssnd.offset, 8);
  if (ssndHeader.length < 8) return null;
  const dataOffset = ssnd.offset + 8 + ssndHeader.readUInt32BE(0);
  const inFile = Math.floor(Math.max(0, fileSize - dataOffset) / (bytesPerSample * channels));
  const frames = Math.min(comm.readUInt32BE(2), inFile);
  return { dataOffset, frames, channels, sampleRate: readExtended(comm, 8), bytesPerSample, ...kind };
}

/**
 * The layout of an uncompressed WAV or AIFF file, or null for anything else (ADPCM, µ-law, compressed
 * AIFF-C, RF64, damaged headers): those go through the streaming decoder instead.
 */
async function readPcmLayout(handle: FileHandle, fileSize: number): Promise<PcmLayout | null> {
  const form = await readBytes(handle, 0, 12);
  if (form.length < 12) return null;
  const id = form.toString('latin1', 0, 4);
  const type = form.toString('latin1', 8, 12);
  let layout: PcmLayout | null = null;
  if (id === 'RIFF' && type === 'WAVE') layout = await wavLayout(handle, fileSize);
  else if (id === 'FORM' && (type === 'AIFF' || type === 'AIFC')) layout = await aiffLayout(handle, fileSize, type === 'AIFC');
  return layout && layout.sampleRate > 0 && Number.isFinite(layout.sampleRate) ? layout : null;
}

/**
 * A reader of one sample at a byte offset. The common widths are read from the bytes directly (sign taken
 * by shifting into the top bits): Buffer's generic readIntLE/BE cost several times more per sample.
 */
function sampleReader(layout: PcmLayout): (b: Buffer, at: number) => number {
  const { bytesPerSample: n, float, bigEndian: be } = layout;
  if (float) {
    if (n === 4) return be ? (b, at) => b.readFloatBE(at) : (b, at) => b.readFloatLE(at);
    return be ? (b, at) => b.readDoubleBE(at) : (b, at) => b.readDoubleLE(at);
  }
  // WAV stores 8-bit samples unsigned, AIFF signed.
  if (n === 1) return be ? (b, at) => b.readInt8(at) / 128 : (b, at) => ((b[at] as number) - 128) / 128;
  const scale = 1 / 2 ** (8 * n - 1);
  const byte = (b: Buffer, at: number): number => b[at] as number;
  if (n === 2)
    return be
      ? (b, at) => (((byte(b, at) << 24) | (byte(b, at + 1) << 16)) >> 16) * scale
      : (b, at) => (((byte(b, at + 1) << 24) | (byte(b, at) << 16)) >> 16) * scale;
  if (n === 3)
    return be
      ? (b, at) => (((byte(b, at) << 24) | (byte(b, at + 1) << 16) | (byte(b, at + 2) << 8)) >> 8) * scale
      : (b, at) => (((byte(b, at + 2) << 24) | (byte(b, at + 1) << 16) | (byte(b, at) << 8)) >> 8) * scale;
  return be ? (b, at) => b.readInt32BE(at) * scale : (b, at) => b.readInt32LE(at) * scale;
}

/** Converts interleaved frames to mono (the mean of the channels, as downmix() does). */
function framesToMono(bytes: Buffer, layout: PcmLayout): Float32Array {
  const read = sampleReader(layout);
  const { channels, bytesPerSample } = layout;
  const frameBytes = channels * bytesPerSample;
  const out = new Float32Array(Math.floor(bytes.length / frameBytes));
  const k = 1 / channels;
  for (let i = 0, at = 0; i < out.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, at += bytesPerSample) sum += read(bytes, at);
    out[i] = sum * k;
  }
  return out;
}

/** An uncompressed file opened for reading any span of frames directly by byte offset. */
export interface PcmFile {
  layout: PcmLayout;
  /** Mono samples of frames [from, to), clamped to the frames present. */
  readMono(from: number, to: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/**
 * Opens a WAV/AIFF file for direct reads, or returns null (file closed) when it is not plain PCM.
 * Reading a window by offset costs the same at 3 minutes as at 3 hours: no decoding from the start.
 */
export async function openPcmFile(path: string): Promise<PcmFile | null> {
  const handle = await open(path, 'r');
  try {
    const layout = await readPcmLayout(handle, (await handle.stat()).size);
    if (!layout) {
      await handle.close();
      return null;
    }
    const frameBytes = layout.channels * layout.bytesPerSample;
    return {
      layout,
      async readMono(from, to) {
        const a = Math.max(0, from);
        const b = Math.min(layout.frames, to);
        if (b <= a) return new Float32Array(0);
        return framesToMono(await readBytes(handle, layout.dataOffset + a * frameBytes, (b - a) * frameBytes), layout);
      },
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
