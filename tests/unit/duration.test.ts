// Duration readers against streams built byte by byte, where the true length is known exactly: MPEG
// frames with and without Xing/VBRI headers, tags at both ends and junk in the middle; Ogg pages with
// real checksums; FLAC frame headers from the committed fixture.
import { open } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileRange, type FileRange } from '../../src/core/library/file-range.js';
import { countFrames, findFrameRun, mpegDuration, parseFrameHeader, type MpegFrame } from '../../src/core/library/mpeg-duration.js';
import { oggCrc } from '../../src/core/kernel/checksums.js';
import { findAudioStream, oggDuration, readPage } from '../../src/core/library/ogg-duration.js';
import { frameEnd, lastFrameEnd, readStreamInfo } from '../../src/core/library/flac-duration.js';
import { readMetadata } from '../../src/core/library/metadata.js';
import { FIXTURES_DIR } from '../support/library-gen.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();
const handles: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.close();
});

async function asFile(bytes: Buffer): Promise<FileRange> {
  const path = join(tempDir(), 'f.bin');
  writeFileSync(path, bytes);
  const handle = await open(path, 'r');
  handles.push(handle);
  return fileRange(handle, bytes.length);
}

// --- MPEG ---

const KBPS_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];

/** One MPEG-1 Layer III 44.1 kHz stereo frame at `kbps` with a silent (zero) body. */
function frame(kbps: number, pad = 0): Buffer {
  const index = KBPS_V1_L3.indexOf(kbps);
  const size = Math.floor((144 * kbps * 1000) / 44100) + pad;
  const f = Buffer.alloc(size);
  f.set([0xff, 0xfb, (index << 4) | (pad << 1), 0x00]);
  return f;
}

const SPF = 1152 / 44100;

/** A VBR-like run: bitrates cycling through a pattern. */
function frames(count: number, rates: number[]): Buffer[] {
  return Array.from({ length: count }, (_, i) => frame(rates[i % rates.length] as number));
}

function xingFrame(count: number, bytes: number): Buffer {
  const f = frame(128);
  f.write('Xing', 36, 'latin1');
  f.writeUInt32BE(3, 40);
  f.writeUInt32BE(count, 44);
  f.writeUInt32BE(bytes, 48);
  return f;
}

function vbriFrame(count: number, bytes: number): Buffer {
  const f = frame(128);
  f.write('VBRI', 36, 'latin1');
  f.writeUInt16BE(1, 40);
  f.writeUInt32BE(bytes, 46);
  f.writeUInt32BE(count, 50);
  return f;
}

function id3v2(bodySize: number): Buffer {
  const tag = Buffer.alloc(10 + bodySize);
  tag.write('ID3', 0, 'latin1');
  tag.set([4, 0, 0], 3);
  for (let i = 0; i < 4; i++) tag[6 + i] = (bodySize >> (7 * (3 - i))) & 0x7f;
  // A frame-sync lookalike inside the tag must not be taken for audio.
  if (bodySize >= 20) tag.set([0xff, 0xfb, 0x90, 0x00], 16);
  return tag;
}

function apeTag(): Buffer {
  const item = Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('Title\0Hello', 'latin1')]);
  const footer = (flags: number) => {
    const b = Buffer.alloc(32);
    b.write('APETAGEX', 0, 'latin1');
    b.writeUInt32LE(2000, 8);
    b.writeUInt32LE(item.length + 32, 12);
    b.writeUInt32LE(1, 16);
    b.writeUInt32LE(flags, 20);
    return b;
  };
  return Buffer.concat([footer(0xa0000000), item, footer(0x80000000)]);
}

function lyrics3(): Buffer {
  const body = Buffer.from('LYRICSBEGININD0000210', 'latin1');
  return Buffer.concat([body, Buffer.from(`${String(body.length).padStart(6, '0')}LYRICS200`, 'latin1')]);
}

function id3v1(): Buffer {
  const b = Buffer.alloc(128);
  b.write('TAG', 0, 'latin1');
  return b;
}

const VBR = [32, 32, 32, 32, 32, 32, 128, 160, 192, 96, 256, 320, 112];

describe('MPEG frame headers', () => {
  it('parses version, layer, rate, size and samples per frame', () => {
    expect(parseFrameHeader(Buffer.from([0xff, 0xfb, 0x90, 0x00]), 0)).toMatchObject({
      version: 1,
      layer: 3,
      bitrate: 128000,
      sampleRate: 44100,
      channels: 2,
      samplesPerFrame: 1152,
      size: 417,
    });
    // MPEG-2 Layer III, 22.05 kHz, 64 kbps, padded, mono: 576 samples, 72 * 64000 / 22050 + 1 bytes.
    expect(parseFrameHeader(Buffer.from([0xff, 0xf3, 0x82, 0xc0]), 0)).toMatchObject({
      version: 2,
      sampleRate: 22050,
      channels: 1,
      samplesPerFrame: 576,
      size: 209,
    });
    // MPEG-2.5, 8 kHz, 8 kbps.
    expect(parseFrameHeader(Buffer.from([0xff, 0xe3, 0x18, 0xc0]), 0)).toMatchObject({ version: 2.5, sampleRate: 8000, size: 72 });
    // Layer I, 44.1 kHz, 32 kbps: four-byte slots.
    expect(parseFrameHeader(Buffer.from([0xff, 0xff, 0x10, 0x00]), 0)).toMatchObject({ layer: 1, samplesPerFrame: 384, size: 32 });
  });

  it('rejects free-format, bad bitrate, reserved version, layer, rate and emphasis', () => {
    for (const h of [
      [0xff, 0xfb, 0x00, 0x00],
      [0xff, 0xfb, 0xf0, 0x00],
      [0xff, 0xeb, 0x90, 0x00],
      [0xff, 0xf9, 0x90, 0x00],
      [0xff, 0xfb, 0x9c, 0x00],
      [0xff, 0xfb, 0x90, 0x02],
      [0xfe, 0xfb, 0x90, 0x00],
    ]) {
      expect(parseFrameHeader(Buffer.from(h), 0), h.join(',')).toBeNull();
    }
  });

  it('finds a run of frames, not a lone sync pattern', () => {
    const lone = Buffer.from([0xff, 0xfb, 0x90, 0x00, 1, 2, 3]);
    const stream = Buffer.concat([lone, Buffer.alloc(100), ...frames(5, [128])]);
    expect(findFrameRun(stream, 0)).toBe(lone.length + 100);
  });
});

describe('MPEG duration', () => {
  it('CBR without a header: size / bitrate, from three sampled windows', async () => {
    const file = await asFile(Buffer.concat([id3v2(300), ...frames(2000, [128])]));
    const m = await mpegDuration(file, 'MP3');
    expect(m).toMatchObject({ method: 'cbr', bitrate: 128000, sampleRate: 44100, channels: 2 });
    expect('duration' in m && m.duration).toBeCloseTo((2000 * 417 * 8) / 128000, 6);
  });

  it('VBR without a header: counts every frame, even when the first frames share one rate', async () => {
    const file = await asFile(Buffer.concat([id3v2(50), ...frames(3000, VBR)]));
    const m = await mpegDuration(file, 'MP3');
    expect(m).toMatchObject({ method: 'frames' });
    expect('duration' in m && m.duration).toBeCloseTo(3000 * SPF, 9);
  });

  it('VBR that is constant at start, middle and end is still counted when the windows disagree', async () => {
    const body = [...frames(1000, [32]), ...frames(1000, VBR), ...frames(1000, [32])];
    const m = await mpegDuration(await asFile(Buffer.concat(body)), 'MP3');
    expect(m).toMatchObject({ method: 'frames' });
    expect('duration' in m && m.duration).toBeCloseTo(3000 * SPF, 9);
  });

  it('reads the Xing and VBRI frame counts', async () => {
    const audio = frames(1500, VBR);
    const bytes = audio.reduce((n, f) => n + f.length, 417);
    const xing = await mpegDuration(await asFile(Buffer.concat([xingFrame(1500, bytes), ...audio])), 'MP3');
    expect(xing).toMatchObject({ method: 'xing' });
    expect('duration' in xing && xing.duration).toBeCloseTo(1500 * SPF, 9);
    const vbri = await mpegDuration(await asFile(Buffer.concat([id3v2(40), vbriFrame(1500, bytes), ...audio])), 'MP3');
    expect(vbri).toMatchObject({ method: 'vbri' });
    expect('duration' in vbri && vbri.duration).toBeCloseTo(1500 * SPF, 9);
  });

  it('ignores ID3v2, APEv2, Lyrics3 and ID3v1 tags and skips junk in the middle', async () => {
    const junk = Buffer.alloc(5000, 0x55);
    junk.set([0xff, 0xfb, 0x90, 0x00], 1000);
    const file = await asFile(Buffer.concat([id3v2(2000), ...frames(700, VBR), junk, ...frames(800, VBR), apeTag(), lyrics3(), id3v1()]));
    const m = await mpegDuration(file, 'MP3');
    expect('duration' in m && m.duration).toBeCloseTo(1500 * SPF, 9);
  });

  it('counts frames across 1 MiB read boundaries exactly', async () => {
    const audio = frames(12000, VBR);
    const first = parseFrameHeader(audio[0] as Buffer, 0) as MpegFrame;
    const all = Buffer.concat(audio);
    const file = await asFile(all);
    expect(await countFrames(file, 0, all.length, first, all.subarray(0, 4))).toBe(12000 * 1152);
  });

  it('says a Xing file that holds far less than it declares is truncated', async () => {
    const audio = frames(300, VBR);
    const m = await mpegDuration(await asFile(Buffer.concat([xingFrame(3000, 3000 * 600), ...audio])), 'MP3');
    expect(m).toEqual({ reason: expect.stringMatching(/MP3 file is truncated: it holds about 7\.8 s of the 78\.4 s/) });
  });

  it('trusts the frames when only the Xing byte count is wrong', async () => {
    const audio = frames(1000, VBR);
    const m = await mpegDuration(await asFile(Buffer.concat([xingFrame(1000, 50_000_000), ...audio])), 'MP3');
    expect('duration' in m && m.duration).toBeCloseTo(1000 * SPF, 9);
  });

  it('tells tags without audio from bytes that are not MPEG at all', async () => {
    expect(await mpegDuration(await asFile(id3v2(4000)), 'MP3')).toEqual({ reason: expect.stringMatching(/tags but no audio/) });
    expect(await mpegDuration(await asFile(Buffer.concat([id3v2(100), Buffer.alloc(30000)])), 'MP3')).toEqual({
      reason: expect.stringMatching(/tags but no audio/),
    });
    const noise = Buffer.from(Array.from({ length: 50000 }, (_, i) => (i * 7919 + 13) % 251));
    expect(await mpegDuration(await asFile(noise), 'MP3')).toEqual({ reason: expect.stringMatching(/no audio stream could be found/) });
  });
});

describe('tag reading', () => {
  it('keeps each file to its own tags when files with and without APEv2 are read at once', async () => {
    const dir = tempDir();
    const tagged = Buffer.concat([...frames(300, [128]), apeTag()]);
    const plain = Buffer.concat([id3v2(64), ...frames(300, [128])]);
    const paths = Array.from({ length: 24 }, (_, i) => join(dir, `${i}.mp3`));
    paths.forEach((p, i) => writeFileSync(p, i % 2 ? plain : tagged));
    const read = async (p: string) => {
      const handle = await open(p, 'r');
      try {
        return await readMetadata(p, fileRange(handle, (await handle.stat()).size));
      } finally {
        await handle.close();
      }
    };
    const metas = await Promise.all(paths.map(read));
    metas.forEach((m, i) => expect(m.common.title, paths[i]).toBe(i % 2 ? undefined : 'Hello'));
  });
});

// --- Ogg ---

/** One Ogg page with a correct checksum; `body` must fit one page (< 255 * 255 bytes). */
function oggPage(serial: number, seq: number, granule: bigint, flags: number, body: Buffer): Buffer {
  const lacing: number[] = [];
  let left = body.length;
  while (left >= 255) {
    lacing.push(255);
    left -= 255;
  }
  lacing.push(left);
  const page = Buffer.alloc(27 + lacing.length + body.length);
  page.write('OggS', 0, 'latin1');
  page[5] = flags;
  page.writeBigInt64LE(granule, 6);
  page.writeUInt32LE(serial, 14);
  page.writeUInt32LE(seq, 18);
  page[26] = lacing.length;
  page.set(lacing, 27);
  body.copy(page, 27 + lacing.length);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

function vorbisIdent(rate: number): Buffer {
  const b = Buffer.alloc(30);
  b.write('\x01vorbis', 0, 'latin1');
  b[11] = 2;
  b.writeUInt32LE(rate, 12);
  return b;
}

function opusHead(preSkip: number, inputRate: number): Buffer {
  const b = Buffer.alloc(19);
  b.write('OpusHead', 0, 'latin1');
  b[8] = 1;
  b[9] = 2;
  b.writeUInt16LE(preSkip, 10);
  b.writeUInt32LE(inputRate, 12);
  return b;
}

/** A stream: BOS page, `pages` audio pages of 4 KiB whose granules step up to `last`, the last with EOS. */
function oggStream(serial: number, head: Buffer, last: bigint, pages = 40, eos = true): Buffer[] {
  const out = [oggPage(serial, 0, 0n, 0x02, head), oggPage(serial, 1, 0n, 0, Buffer.alloc(300, 1))];
  for (let i = 1; i <= pages; i++) {
    const granule = (last * BigInt(i)) / BigInt(pages);
    out.push(oggPage(serial, 1 + i, granule, i === pages && eos ? 0x04 : 0, Buffer.alloc(4096, i)));
  }
  return out;
}

describe('Ogg duration', () => {
  it('matches libogg checksums on a real file', () => {
    const fixture = readFileSync(join(FIXTURES_DIR, 'vorbis.ogg'));
    expect(readPage(fixture, 0)).not.toBeNull();
    expect(findAudioStream(fixture)).toMatchObject({ codec: 'Vorbis', granuleRate: 44100 });
    expect(findAudioStream(readFileSync(join(FIXTURES_DIR, 'opus.opus')))).toMatchObject({ codec: 'Opus', granuleRate: 48000 });
  });

  it('Vorbis: last granule / rate', async () => {
    const file = await asFile(Buffer.concat(oggStream(7, vorbisIdent(44100), 44100n * 200n)));
    expect(await oggDuration(file)).toMatchObject({ duration: 200, complete: true, stream: { codec: 'Vorbis', serial: 7 } });
  });

  it('Opus: 48 kHz granules minus the pre-skip, whatever the input rate', async () => {
    const file = await asFile(Buffer.concat(oggStream(9, opusHead(312, 44100), 48000n * 100n + 312n)));
    expect(await oggDuration(file)).toMatchObject({ duration: 100, complete: true, stream: { codec: 'Opus', preSkip: 312 } });
  });

  it('follows the audio stream past a Skeleton stream and ignores other streams at the end', async () => {
    const skeleton = oggPage(1, 0, 0n, 0x02, Buffer.from('fishead\0' + '\0'.repeat(56), 'latin1'));
    const audio = oggStream(5, vorbisIdent(48000), 48000n * 30n);
    const other = oggPage(1, 1, 999_999_999n, 0x04, Buffer.alloc(100));
    const file = await asFile(Buffer.concat([skeleton, ...audio, other]));
    expect(await oggDuration(file)).toMatchObject({ duration: 30, stream: { serial: 5 } });
  });

  it('looks further back when junk follows the last page, and skips a page with a bad checksum', async () => {
    const pages = oggStream(3, vorbisIdent(44100), 44100n * 60n);
    const withJunk = Buffer.concat([...pages, Buffer.alloc(300 * 1024, 0x4f)]);
    expect(await oggDuration(await asFile(withJunk))).toMatchObject({ duration: 60 });
    const damaged = Buffer.concat(pages);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 10) ^ 0xff, damaged.length - 10);
    const m = await oggDuration(await asFile(damaged));
    expect(m?.duration).toBeCloseTo((60 * 39) / 40, 6);
    expect(m?.complete).toBe(false);
  });

  it('marks a file that stops before its last page, and one with headers only', async () => {
    const cut = await oggDuration(await asFile(Buffer.concat(oggStream(3, vorbisIdent(44100), 44100n * 60n, 40, false))));
    expect(cut).toMatchObject({ duration: 60, complete: false });
    const headersOnly = await oggDuration(await asFile(Buffer.concat(oggStream(3, vorbisIdent(44100), 0n, 0))));
    expect(headersOnly?.duration).toBe(0);
  });

  it('returns null for bytes that are not Ogg', async () => {
    expect(await oggDuration(await asFile(Buffer.from('this is text, not audio\n')))).toBeNull();
  });
});

// --- FLAC ---

describe('FLAC end of audio', () => {
  it('finds the last frame of a real file at its STREAMINFO total, and less in a cut copy', async () => {
    const bytes = readFileSync(join(FIXTURES_DIR, 'flac.flac'));
    const info = readStreamInfo(bytes);
    expect(info).toMatchObject({ sampleRate: 44100, totalSamples: Math.round(1.5 * 44100) });
    if (!info) return;
    expect(await lastFrameEnd(await asFile(bytes), info)).toBe(info.totalSamples);
    const cut = await lastFrameEnd(await asFile(bytes.subarray(0, Math.floor(bytes.length / 2))), info);
    expect(cut).toBeGreaterThan(0);
    expect(cut).toBeLessThan(info.totalSamples * 0.7);
  });

  it('rejects a sync pattern whose header checksum does not match', () => {
    const info = { offset: 0, maxBlockSize: 4096, sampleRate: 44100, totalSamples: 0 };
    // Fixed block size 4096 (code 12), 44.1 kHz (code 9), stereo, 16-bit, frame number 3, CRC-8 0x00 (wrong).
    expect(frameEnd(Buffer.from([0xff, 0xf8, 0xc9, 0x18, 0x03, 0x00]), 0, info)).toBeNull();
  });
});
