// Windows read by byte offset (WAV, AIFF) or decoded after a seek (MP3 frame index, FLAC seek table or
// frame-sync bisection, Ogg Opus/Vorbis granule bisection) equal the same windows cut from a decode of the
// whole file from its start with the streaming decoder, on full-length files from real encoders
// (tests/support/real-corpus.ts) and on files built to take the awkward paths (Ogg packets across pages,
// pages without a granule, a FLAC SEEKTABLE, junk inside an MP3).
//
// Tolerance, and why:
// - WAV: one 16-bit step (2^-15): the reference (audio-decode's WAV decoder) scales positive integer
//   samples by 1/32767 (1/8388607 at 24 bits), the direct reads (like its AIFF decoder) by 1/32768; AIFF
//   and float WAV are bit-identical.
// - FLAC and Vorbis: bit-identical (FLAC frames decode independently; a Vorbis block overlaps only its
//   neighbour, and the first packet decoded is priming).
// - MP3: 1e-6 (observed <= 1.2e-7): decoding starts >= 10 frames and 2 KiB early (bit reservoir, granule
//   overlap), after which mpg123's output differs from a full decode only by float rounding (its synthesis
//   ring buffer starts at another phase).
// - Opus: 1e-6 (observed 0): decoding starts >= 1 s early, and the decoder's state converges (measured:
//   1e-2 after 80 ms, 1e-6 after 320 ms, exact well within 1 s).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSegments, type DecodedSegments } from '../../src/core/audio/decode.js';
import { flacFrameDecodersCreated } from '../../src/core/audio/flac-frames.js';
import { flacFrameHeader, openFlacSeeker } from '../../src/core/audio/flac-seek.js';
import { openByteReader } from '../../src/core/audio/byte-reader.js';
import { crc8, oggCrc } from '../../src/core/kernel/checksums.js';
import { fullGrid, planSegments, type SegmentSpec } from '../../src/core/audio/segments.js';
import { ensureRealCorpus, requireFfmpeg, type CorpusFile } from '../support/real-corpus.js';

const RATE = 24000;
const SECONDS = 10;
/** Largest difference allowed per codec (see the file's comment). */
const TOLERANCE: Record<string, number> = { pcm: 2 ** -15, mp3: 1e-6, opus: 1e-6, vorbis: 0, flac: 0 };

let files: CorpusFile[] = [];
let dir = '';

beforeAll(async () => {
  requireFfmpeg();
  files = (await ensureRealCorpus()).files;
  dir = mkdtempSync(join(tmpdir(), 'moodshelf-seek-'));
}, 240_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function corpusFile(format: string): CorpusFile {
  const f = files.find((c) => c.format === format);
  if (!f) throw new Error(`no corpus file ${format}`);
  return f;
}

/** Every third window of the full grid (so each needs its own seek), the first and the last. */
function spreadWindows(duration: number): SegmentSpec[] {
  const grid = fullGrid(duration, SECONDS);
  return grid.filter((s, i) => i === 0 || i % 3 === 1 || i === grid.length - 1);
}

function maxDiff(a: DecodedSegments, b: DecodedSegments): number {
  let m = 0;
  a.segments.forEach((s, i) => {
    const x = s.samples;
    const y = b.segments[i]?.samples as Float32Array;
    expect(y.length).toBe(x.length);
    for (let k = 0; k < x.length; k++) m = Math.max(m, Math.abs((x[k] as number) - (y[k] as number)));
  });
  return m;
}

async function both(path: string, specs: SegmentSpec[], duration: number): Promise<{ full: DecodedSegments; seeked: DecodedSegments }> {
  const options = { targetRate: RATE, segmentSeconds: SECONDS, duration };
  const full = await decodeSegments(path, specs, { ...options, seek: false });
  const seeked = await decodeSegments(path, specs, options);
  expect(full.method).not.toBe('seek');
  expect(seeked.segments.map((s) => s.spec)).toEqual(full.segments.map((s) => s.spec));
  return { full, seeked };
}

const SEEKABLE: [string, string][] = [
  ['wav-s16', 'pcm'],
  ['wav-s24', 'pcm'],
  ['wav-f32', 'pcm'],
  ['aiff', 'pcm'],
  ['mp3-vbr-xing', 'mp3'],
  ['mp3-vbr-noxing', 'mp3'],
  ['mp3-cbr-xing', 'mp3'],
  ['mp3-cbr-noxing', 'mp3'],
  ['mp3-vbr-apev2', 'mp3'],
  ['vorbis', 'vorbis'],
  ['opus', 'opus'],
  ['flac-cover', 'flac'],
  ['flac-24-96', 'flac'],
];

describe('decoding windows by seeking, on full-length files from real encoders', () => {
  it.each(SEEKABLE)(
    '%s: every window read by offset or seek equals the full decode (%s tolerance)',
    async (format, codec) => {
      const f = corpusFile(format);
      const { full, seeked } = await both(f.path, spreadWindows(f.reference.duration), f.reference.duration);
      const method = codec === 'pcm' ? 'pcm' : 'seek';
      expect(seeked.method).toBe(method);
      expect(maxDiff(full, seeked)).toBeLessThanOrEqual(TOLERANCE[codec] as number);
      // The quick policy's three windows cost a fraction of the file.
      const quick = await decodeSegments(f.path, planSegments(f.reference.duration, { kind: 'quick', count: 3 }, SECONDS), {
        targetRate: RATE,
        segmentSeconds: SECONDS,
        duration: f.reference.duration,
      });
      expect(quick.method).toBe(method);
      expect(quick.decodedSamples / quick.sourceRate).toBeLessThan(0.25 * f.reference.duration);
    },
    60_000,
  );

  it.each([
    // aac is decoded by seeking too (noise-substituted bands aside): tests/integration/decode-mp4-aac.test.ts.
    ['alac', 'stream'],
    ['wavpack', 'stream'],
    ['wma', 'stream'],
  ])(
    '%s is decoded from the start, as before (%s)',
    async (format, method) => {
      const f = corpusFile(format);
      const specs = planSegments(f.reference.duration, { kind: 'quick', count: 3 }, SECONDS);
      const r = await decodeSegments(f.path, specs, { targetRate: RATE, segmentSeconds: SECONDS, duration: f.reference.duration });
      expect(r.method).toBe(method);
    },
    60_000,
  );
});

// --- Files built to take the awkward paths. ---

/** Samples (at 48 kHz) in an Opus packet, from its TOC byte (RFC 6716, 3.1). */
function opusPacketSamples(p: Uint8Array): number {
  const toc = p[0] as number;
  const config = toc >> 3;
  const frame = config < 12 ? [480, 960, 1920, 2880][config % 4] : config < 16 ? [480, 960][config % 2] : [120, 240, 480, 960][config % 4];
  const code = toc & 3;
  const frames = code === 0 ? 1 : code < 3 ? 2 : (p[1] as number) & 0x3f;
  return (frame as number) * frames;
}

function oggPage(serial: number, seq: number, flags: number, granule: number, lacing: number[], body: Uint8Array): Buffer {
  const page = Buffer.alloc(27 + lacing.length + body.length);
  page.write('OggS', 0, 'latin1');
  page[5] = flags;
  if (granule < 0) page.fill(0xff, 6, 14);
  else page.writeBigInt64LE(BigInt(granule), 6);
  page.writeUInt32LE(serial, 14);
  page.writeUInt32LE(seq, 18);
  page[26] = lacing.length;
  Buffer.from(lacing).copy(page, 27);
  Buffer.from(body).copy(page, 27 + lacing.length);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

/**
 * Re-paginates an Ogg Opus file into pages of at most `maxBody` bytes: packets run across pages (the next
 * page is flagged "continued") and some pages end no packet (granule -1), as other muxers write them.
 */
function repaginateOpus(src: Buffer, maxBody: number): Buffer {
  const pages: { flags: number; granule: bigint; serial: number; segs: number[]; body: Buffer; raw: Buffer }[] = [];
  for (let at = 0; at + 27 <= src.length;) {
    const n = src[at + 26] as number;
    const segs = [...src.subarray(at + 27, at + 27 + n)];
    const bodyLen = segs.reduce((a, b) => a + b, 0);
    const len = 27 + n + bodyLen;
    pages.push({
      flags: src[at + 5] as number,
      granule: src.readBigInt64LE(at + 6),
      serial: src.readUInt32LE(at + 14),
      segs,
      body: src.subarray(at + 27 + n, at + len),
      raw: src.subarray(at, at + len),
    });
    at += len;
  }
  const head = pages.slice(0, 2); // OpusHead, OpusTags
  const packets: Buffer[] = [];
  let partial: Buffer[] = [];
  for (const p of pages.slice(2)) {
    let o = 0;
    for (const s of p.segs) {
      partial.push(p.body.subarray(o, o + s));
      o += s;
      if (s < 255) {
        packets.push(Buffer.concat(partial));
        partial = [];
      }
    }
  }
  const serial = (head[0] as (typeof pages)[number]).serial;
  const out: Buffer[] = head.map((p) => p.raw);
  let seq = 2;
  let granule = 0;
  let lacing: number[] = [];
  let body: Buffer[] = [];
  let bodyLen = 0;
  let continued = false;
  let lastEnded = -1;
  const flush = (eos: boolean): void => {
    out.push(oggPage(serial, seq++, (continued ? 1 : 0) | (eos ? 4 : 0), lastEnded, lacing, Buffer.concat(body)));
    lacing = [];
    body = [];
    bodyLen = 0;
    lastEnded = -1;
  };
  const finalGranule = Number(pages.at(-1)?.granule ?? 0);
  packets.forEach((packet, i) => {
    const vals: number[] = [];
    for (let left = packet.length; ; left -= 255) {
      vals.push(Math.min(255, left));
      if (left < 255) break;
    }
    let o = 0;
    vals.forEach((v, k) => {
      if (lacing.length > 0 && (bodyLen + v > maxBody || lacing.length === 255)) {
        const next = k > 0; // the packet goes on on the next page
        flush(false);
        continued = next;
      } else if (lacing.length === 0) continued = k > 0;
      lacing.push(v);
      body.push(packet.subarray(o, o + v));
      bodyLen += v;
      o += v;
    });
    granule += opusPacketSamples(packet);
    lastEnded = i === packets.length - 1 ? finalGranule : granule;
  });
  flush(true);
  return Buffer.concat(out);
}

/** Inserts a SEEKTABLE (a point every `every` samples) into a native FLAC file, found by walking its frames. */
function withSeekTable(src: Buffer, every: number): Buffer {
  let at = 4;
  let streamInfoEnd = 0;
  for (;;) {
    const last = ((src[at] as number) & 0x80) !== 0;
    const len = src.readUIntBE(at + 1, 3);
    if (((src[at] as number) & 0x7f) === 0) streamInfoEnd = at + 4 + len;
    at += 4 + len;
    if (last) break;
  }
  const audio = at;
  const blockSize = src.readUInt16BE(8 + 2);
  const points: { sample: number; offset: number }[] = [];
  let nextPoint = 0;
  for (let p = audio; p + 16 < src.length; p++) {
    if (src[p] !== 0xff) continue;
    const f = flacFrameHeader(src, p);
    if (!f) continue;
    const sample = f.variable ? f.number : f.number * blockSize;
    if (sample >= nextPoint) {
      points.push({ sample, offset: p - audio });
      nextPoint = sample + every;
    }
    p += 16;
  }
  const table = Buffer.alloc(4 + points.length * 18);
  table[0] = 3;
  table.writeUIntBE(points.length * 18, 1, 3);
  points.forEach((pt, i) => {
    table.writeBigUInt64BE(BigInt(pt.sample), 4 + i * 18);
    table.writeBigUInt64BE(BigInt(pt.offset), 4 + i * 18 + 8);
    table.writeUInt16BE(blockSize, 4 + i * 18 + 16);
  });
  // STREAMINFO is first: put the table right after it (the last-block flag stays where it was).
  const head = Buffer.from(src.subarray(0, streamInfoEnd));
  head[4] = (head[4] as number) & 0x7f;
  return Buffer.concat([head, table, src.subarray(streamInfoEnd)]);
}

/**
 * Decodes [from, to) of a native FLAC file through its seeker and checks what the frame path promises: runs that
 * follow each other from a frame at or before `from` to the end of the frame holding `to - 1`, no further (the
 * streaming decoder, fed 256 KiB at a time, would run on past it).
 */
async function checkFlacSpan(path: string, from: number, to: number): Promise<void> {
  const reader = await openByteReader(path);
  try {
    const seeker = await openFlacSeeker(reader);
    if (!seeker) throw new Error(`${path}: not seekable`);
    const runs: [number, number][] = [];
    const decoded = await seeker.decodeSpan(from, to, (start, mono) => runs.push([start, mono.length]));
    const [start] = runs[0] as [number, number];
    const [lastStart, lastLength] = runs.at(-1) as [number, number];
    runs.slice(1).forEach(([s], i) => expect(s).toBe((runs[i] as [number, number])[0] + (runs[i] as [number, number])[1]));
    expect(start).toBeLessThanOrEqual(from);
    expect(lastStart + lastLength).toBeGreaterThanOrEqual(to);
    expect(lastStart + lastLength - to).toBeLessThan(readFileSync(path).readUInt16BE(8 + 2)); // a block (STREAMINFO's)
    expect(decoded).toBe(lastStart + lastLength - start);
  } finally {
    await reader.close();
  }
}

/** The byte offset of the first frame of a fixed-blocking FLAC file that starts at or after `sample`, or -1. */
function flacFrameAt(bytes: Uint8Array, sample: number): number {
  const blockSize = (bytes[10] as number) * 256 + (bytes[11] as number); // STREAMINFO's minimum block size
  for (let p = 0; p + 16 < bytes.length; p++) {
    const h = bytes[p] === 0xff ? flacFrameHeader(bytes, p) : null;
    if (h && !h.variable && h.number * blockSize >= sample) return p;
  }
  return -1;
}

/** FLAC's "UTF-8" coding of a frame or sample number (up to 36 bits). */
function flacNumber(v: number): number[] {
  if (v < 0x80) return [v];
  const extra = v < 0x800 ? 1 : v < 0x10000 ? 2 : v < 0x200000 ? 3 : v < 0x4000000 ? 4 : v < 0x80000000 ? 5 : 6;
  const lead = extra === 6 ? 0xfe : (0xff00 >> (extra + 1)) & 0xff;
  const out = [lead | Math.floor(v / 2 ** (6 * extra))];
  for (let i = extra - 1; i >= 0; i--) out.push(0x80 | (Math.floor(v / 2 ** (6 * i)) & 0x3f));
  return out;
}

/** FLAC's frame CRC-16 (polynomial 0x8005) over `b`. */
function flacCrc16(b: Uint8Array): number {
  let c = 0;
  for (const x of b) {
    c ^= x << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x8005) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}

/**
 * Rewrites a fixed-blocking native FLAC file as variable blocking: every frame header carries its first
 * sample's number instead of its frame number (as flake and some other encoders write them), with the
 * header's CRC-8 and the frame's CRC-16 made again. The frames are found by walking their headers.
 */
function withVariableBlocking(src: Buffer): Buffer {
  let at = 4;
  for (;;) {
    const last = ((src[at] as number) & 0x80) !== 0;
    at += 4 + src.readUIntBE(at + 1, 3);
    if (last) break;
  }
  const starts: { pos: number; number: number; blockSize: number }[] = [];
  for (let p = at; p + 16 < src.length; p++) {
    const f = src[p] === 0xff ? flacFrameHeader(src, p) : null;
    if (f && !f.variable && f.number === starts.length) starts.push({ pos: p, number: f.number, blockSize: f.blockSize });
  }
  const frames: Buffer[] = [src.subarray(0, at)];
  let sample = 0;
  starts.forEach((f, i) => {
    const end = starts[i + 1]?.pos ?? src.length;
    const frame = src.subarray(f.pos, end);
    const numberEnd = 5 + flacNumber(f.number).length - 1;
    let headerEnd = numberEnd;
    const bs = (frame[2] as number) >> 4;
    const sr = (frame[2] as number) & 15;
    headerEnd += bs === 6 ? 1 : bs === 7 ? 2 : 0;
    headerEnd += sr === 12 ? 1 : sr === 13 || sr === 14 ? 2 : 0;
    const head = Buffer.from([
      0xff,
      0xf9,
      frame[2] as number,
      frame[3] as number,
      ...flacNumber(sample),
      ...frame.subarray(numberEnd, headerEnd),
    ]);
    const body = Buffer.concat([head, Buffer.from([crc8(head, 0, head.length)]), frame.subarray(headerEnd + 1, frame.length - 2)]);
    const crc = Buffer.alloc(2);
    crc.writeUInt16BE(flacCrc16(body));
    frames.push(body, crc);
    sample += f.blockSize;
  });
  return Buffer.concat(frames);
}

describe('decoding windows by seeking, in files that take the awkward paths', () => {
  it('Ogg Opus whose packets run across pages, some pages ending no packet', async () => {
    const f = corpusFile('opus');
    const path = join(dir, 'small-pages.opus');
    writeFileSync(path, repaginateOpus(readFileSync(f.path), 200));
    const pages = readFileSync(path);
    let continuedPages = 0;
    let noGranule = 0;
    for (let at = 0; at + 27 <= pages.length;) {
      const n = pages[at + 26] as number;
      let len = 27 + n;
      for (let i = 0; i < n; i++) len += pages[at + 27 + i] as number;
      if ((pages[at + 5] as number) & 1) continuedPages++;
      if (pages.readBigInt64LE(at + 6) === -1n) noGranule++;
      at += len;
    }
    expect(continuedPages).toBeGreaterThan(100);
    expect(noGranule).toBeGreaterThan(10);
    const { full, seeked } = await both(path, spreadWindows(f.reference.duration), f.reference.duration);
    expect(seeked.method).toBe('seek');
    expect(maxDiff(full, seeked)).toBeLessThanOrEqual(TOLERANCE.opus as number);
  }, 60_000);

  it('Ogg Vorbis in 255-segment pages (ffmpeg with a long page duration)', async () => {
    const path = join(dir, 'long-pages.ogg');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      '-i',
      corpusFile('flac-cover').path,
      '-t',
      '120',
      '-c:a',
      'libvorbis',
      '-q:a',
      '8',
      '-page_duration',
      '60000000',
      path,
    ]);
    const { full, seeked } = await both(path, spreadWindows(119), 119);
    expect(seeked.method).toBe('seek');
    expect(maxDiff(full, seeked)).toBe(0);
  }, 60_000);

  it('FLAC with a SEEKTABLE', async () => {
    const f = corpusFile('flac-cover');
    const path = join(dir, 'seektable.flac');
    writeFileSync(path, withSeekTable(readFileSync(f.path), 44100 * 10));
    const { full, seeked } = await both(path, spreadWindows(f.reference.duration), f.reference.duration);
    expect(seeked.method).toBe('seek');
    expect(maxDiff(full, seeked)).toBe(0);
  }, 60_000);

  it('FLAC: frames split by their headers, only those a span needs, up to the last frame and past a trailing ID3v1 tag', async () => {
    const f = corpusFile('flac-cover');
    const duration = f.reference.duration;
    // A span: the frames from the seek point through the one holding its last sample, and no more (no 256 KiB
    // chunk decoded past its end), in runs that follow each other.
    await checkFlacSpan(f.path, 60 * 44100 + 123, 70 * 44100 + 123);
    // A window ending in the file's last frame, in the file as it is and with an ID3v1 tag after the audio.
    const tail = [{ index: 1000, start: duration - SECONDS }];
    const plain = await both(f.path, tail, duration);
    expect(plain.seeked.method).toBe('seek');
    expect(maxDiff(plain.full, plain.seeked)).toBe(0);
    const path = join(dir, 'id3v1.flac');
    const tag = Buffer.alloc(128, 0x20);
    tag.write('TAGMoodshelf', 0, 'latin1');
    writeFileSync(path, Buffer.concat([readFileSync(f.path), tag]));
    // The tag does not stop the last frame decoding (audio-decode's stream decoder drops that frame: its CRC-16
    // search never closes it), so the window is the audio as it is.
    const tagged = await decodeSegments(path, tail, { targetRate: RATE, segmentSeconds: SECONDS, duration });
    expect(tagged.method).toBe('seek');
    expect(maxDiff(plain.full, tagged)).toBe(0);
  }, 60_000);

  it('FLAC with variable blocking (headers carrying sample numbers): seeks and splits frames by them, exactly', async () => {
    const f = corpusFile('flac-cover');
    const path = join(dir, 'variable.flac');
    writeFileSync(path, withVariableBlocking(readFileSync(f.path)));
    const bytes = readFileSync(path);
    // The second frame's header now says "variable blocking, first sample <block size>".
    const block = bytes.readUInt16BE(8 + 2);
    let second = false;
    for (let p = 0; p + 16 < bytes.length && !second; p++) {
      const h = bytes[p] === 0xff ? flacFrameHeader(bytes, p) : null;
      second = h !== null && h.variable && h.number === block;
    }
    expect(second).toBe(true);
    const { full, seeked } = await both(path, spreadWindows(f.reference.duration), f.reference.duration);
    expect(seeked.method).toBe('seek');
    expect(maxDiff(full, seeked)).toBe(0);
    // The same samples as the fixed-blocking original.
    const original = await decodeSegments(f.path, spreadWindows(f.reference.duration), {
      targetRate: RATE,
      segmentSeconds: SECONDS,
      duration: f.reference.duration,
    });
    expect(maxDiff(original, seeked)).toBe(0);
    await checkFlacSpan(path, 60 * 44100 + 123, 70 * 44100 + 123);
  }, 60_000);

  it('FLAC with a damaged frame inside a window: libFLAC reports it and the file is decoded from its start instead', async () => {
    const f = corpusFile('flac-cover');
    const bytes = Buffer.from(readFileSync(f.path));
    // Damage the middle of the frame that holds second 100 (frames found by their headers, as the seeker does).
    const frame = flacFrameAt(bytes, 100 * 44100);
    expect(frame).toBeGreaterThan(0);
    for (let i = 200; i < 260; i++) bytes[frame + i] = (bytes[frame + i] as number) ^ 0x5a;
    const path = join(dir, 'damaged.flac');
    writeFileSync(path, bytes);
    const early = await both(path, [{ index: 3, start: 30 }], f.reference.duration);
    expect(early.seeked.method).toBe('seek');
    expect(maxDiff(early.full, early.seeked)).toBe(0);
    const damaged = await both(path, [{ index: 9, start: 95 }], f.reference.duration);
    expect(damaged.seeked.method).toBe('stream');
    expect(maxDiff(damaged.full, damaged.seeked)).toBe(0);
    // The decoder that met the damage was dropped, not reset (after libFLAC's error its wrapper had freed a buffer
    // twice): the next window gets a new one, which then serves every window after it, exactly.
    const before = flacFrameDecodersCreated();
    for (const format of ['flac-24-96', 'flac-cover']) {
      const g = corpusFile(format);
      const again = await both(g.path, spreadWindows(g.reference.duration), g.reference.duration);
      expect(again.seeked.method).toBe('seek');
      expect(maxDiff(again.full, again.seeked)).toBe(0);
    }
    expect(flacFrameDecodersCreated()).toBe(before + 1);
  }, 60_000);

  it('FLAC with a damaged frame header: frames are split up to it, audio-decode streams on from the last good one', async () => {
    const f = corpusFile('flac-cover');
    const bytes = Buffer.from(readFileSync(f.path));
    const clean = await decodeSegments(
      f.path,
      [
        { index: 3, start: 30 },
        { index: 9, start: 95 },
        { index: 20, start: 200 },
      ],
      { targetRate: RATE, segmentSeconds: SECONDS, duration: f.reference.duration, seek: false },
    );
    // The header of the frame that holds second 100 loses its CRC-8: no split can be made there.
    const frame = flacFrameAt(bytes, 100 * 44100);
    bytes[frame + 4] = (bytes[frame + 4] as number) ^ 0xff;
    expect(flacFrameHeader(bytes, frame)).toBeNull();
    const path = join(dir, 'damaged-header.flac');
    writeFileSync(path, bytes);
    const seeked = await decodeSegments(
      path,
      clean.segments.map((s) => s.spec),
      {
        targetRate: RATE,
        segmentSeconds: SECONDS,
        duration: f.reference.duration,
      },
    );
    expect(seeked.method).toBe('seek');
    const diff = (i: number, until = Infinity): number => {
      const a = clean.segments[i]?.samples as Float32Array;
      const b = seeked.segments[i]?.samples as Float32Array;
      let m = 0;
      for (let k = 0; k < Math.min(a.length, until); k++) m = Math.max(m, Math.abs((a[k] as number) - (b[k] as number)));
      return m;
    };
    // Before the damage and after it (each frame header says where it is), the windows are the clean file's.
    expect(diff(0)).toBe(0);
    expect(diff(2)).toBe(0);
    // The window across it: exact up to the damaged frame (the streaming decoder then drops that frame).
    expect(diff(1, Math.floor(4.9 * RATE))).toBe(0);
    expect(diff(1)).toBeGreaterThan(0);
  }, 60_000);

  it('MP3 with junk between frames: seeks before it, decodes from the start past it', async () => {
    const f = corpusFile('mp3-cbr-noxing');
    const bytes = readFileSync(f.path);
    const path = join(dir, 'junk.mp3');
    // 1,000 bytes of junk about two thirds in, between two frames (found by the frame headers' sync).
    let cut = Math.floor(bytes.length * 0.66);
    while (!(bytes[cut] === 0xff && ((bytes[cut + 1] as number) & 0xe0) === 0xe0 && bytes[cut + 2] === bytes[cut + 2 + 417])) cut++;
    writeFileSync(path, Buffer.concat([bytes.subarray(0, cut), Buffer.alloc(1000, 0x55), bytes.subarray(cut)]));
    const early = await both(
      path,
      [
        { index: 3, start: 30 },
        { index: 10, start: 100 },
      ],
      f.reference.duration,
    );
    expect(early.seeked.method).toBe('seek');
    expect(maxDiff(early.full, early.seeked)).toBeLessThanOrEqual(TOLERANCE.mp3 as number);
    const late = await both(
      path,
      [
        { index: 3, start: 30 },
        { index: 25, start: 250 },
      ],
      f.reference.duration,
    );
    expect(late.seeked.method).toBe('stream');
    expect(maxDiff(late.full, late.seeked)).toBe(0);
  }, 60_000);
});
