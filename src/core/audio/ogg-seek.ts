/**
 * Seeking in Ogg Opus and Ogg Vorbis by granule-position bisection: pages are found by bisection over the
 * byte range (capture pattern, header, CRC-32 and serial checked), the decoder is fed the stream's header
 * pages and then the pages from a little before the window on, and the position of what it yields is read
 * off the granule position of the last page fed (the end of the last packet completed there): decoding a
 * stretch of pages and flushing ends exactly at that page's granule, whatever the decoder discarded at the
 * start (Vorbis's first packet, Opus's pre-skip). A page that starts with the tail of a packet begun on the
 * page before loses that tail (the packet cannot be decoded without its head).
 *
 * Warm-up: a Vorbis block overlaps only its neighbour, so the output is exact from the second packet; the
 * Opus decoder's state (CELT energy prediction, SILK) converges within a few hundred milliseconds, so
 * decoding starts a second before the window (RFC 7845 asks for at least 80 ms).
 *
 * Calibration: the full-decode index of a granule position is measured by decoding the first audio page
 * from the start of the file (Opus: granule minus pre-skip; Vorbis: the granule itself, for files that
 * start at granule 0).
 */
import { oggCrc } from '../kernel/checksums.js';
import { SeekUnavailable, concatBytes, type ByteReader } from './byte-reader.js';
import { FEED_BYTES, checkAborted, codecDecoder, feed, type Emit, type Seeker } from './seek.js';

/** A page header. */
interface Page {
  pos: number;
  len: number;
  flags: number;
  /** -1 when no packet ends on the page. */
  granule: number;
  serial: number;
}

const CONTINUED = 1;
const BOS = 2;
const EOS = 4;

/** Parses the page at `at` of `b` (whole page present, CRC valid), or null. */
function pageAt(b: Uint8Array, at: number, pos: number): Page | null {
  if (at + 27 > b.length || b[at] !== 0x4f || b[at + 1] !== 0x67 || b[at + 2] !== 0x67 || b[at + 3] !== 0x53 || b[at + 4] !== 0)
    return null;
  const segments = b[at + 26] as number;
  if (at + 27 + segments > b.length) return null;
  let body = 0;
  for (let i = 0; i < segments; i++) body += b[at + 27 + i] as number;
  const len = 27 + segments + body;
  if (at + len > b.length) return null;
  const view = new DataView(b.buffer, b.byteOffset + at, 27);
  if (oggCrc(b.subarray(at, at + len)) !== view.getUint32(22, true)) return null;
  const lo = view.getUint32(6, true);
  const hi = view.getUint32(10, true);
  const granule = lo === 0xffffffff && hi === 0xffffffff ? -1 : hi * 2 ** 32 + lo;
  return { pos: pos + at, len, flags: b[at + 5] as number, granule, serial: view.getUint32(14, true) };
}

/** Largest Ogg page (27 + 255 + 255 * 255 bytes). */
const MAX_PAGE = 65307;

/** Packets ending on a page (lacing values below 255). */
function packetsEnding(b: Uint8Array, at: number): number {
  let n = 0;
  for (let i = 0; i < (b[at + 26] as number); i++) if ((b[at + 27 + i] as number) < 255) n++;
  return n;
}

/**
 * The page without the tail of a packet continued from the page before (flag cleared, CRC redone), or null
 * when nothing else is on it.
 */
function dropContinuation(page: Uint8Array): Uint8Array | null {
  const segments = page[26] as number;
  let skipSegments = 0;
  let skipBytes = 0;
  while (skipSegments < segments) {
    const v = page[27 + skipSegments] as number;
    skipSegments++;
    skipBytes += v;
    if (v < 255) break;
  }
  const left = segments - skipSegments;
  if (left === 0) return null;
  const out = new Uint8Array(page.length - skipSegments - skipBytes);
  out.set(page.subarray(0, 27));
  out[5] = (out[5] as number) & ~CONTINUED;
  out[26] = left;
  out.set(page.subarray(27 + skipSegments, 27 + segments), 27);
  out.set(page.subarray(27 + segments + skipBytes), 27 + left);
  new DataView(out.buffer).setUint32(22, oggCrc(out), true);
  return out;
}

/** Seconds decoded before a window, per codec (see the module comment). */
const PREROLL_SECONDS: Record<'opus' | 'oga', number> = { opus: 1, oga: 0.1 };

/** Opens an Ogg Opus/Vorbis file for decoding by seeking, or null (another codec, chained or odd streams, too short). */
export async function openOggSeeker(reader: ByteReader, codec: 'opus' | 'oga'): Promise<Seeker | null> {
  // The header pages: until the identification, comment (and Vorbis setup) packets are complete. Pages
  // of other logical streams (a cover picture muxed as a stream of its own) are left out.
  const wantPackets = codec === 'opus' ? 2 : 3;
  let at = 0;
  let serial = -1;
  let packets = 0;
  let sampleRate = 0;
  let preSkip = 0;
  const headerPages: Uint8Array[] = [];
  while (packets < wantPackets) {
    const b = await reader.read(at, MAX_PAGE);
    const page = pageAt(b, 0, at);
    if (!page || (at === 0 && !(page.flags & BOS))) return null;
    at += page.len;
    if (serial === -1) {
      // The beginning-of-stream pages come first: take the one of this codec.
      if (!(page.flags & BOS)) return null;
      const body = b.subarray(27 + (b[26] as number));
      const id = String.fromCharCode(...body.subarray(0, 8));
      if (codec === 'opus' && id === 'OpusHead') {
        sampleRate = 48000;
        preSkip = (body[10] as number) | ((body[11] as number) << 8);
      } else if (codec === 'oga' && id.startsWith('\x01vorbis')) {
        sampleRate = new DataView(body.buffer, body.byteOffset).getUint32(12, true);
      } else continue;
      serial = page.serial;
    } else if (page.serial !== serial) continue;
    headerPages.push(b.slice(0, page.len));
    packets += packetsEnding(b, 0);
  }
  if (sampleRate <= 0) return null;
  const headBytes = concatBytes(headerPages);
  // The first audio pages, up to the first that ends a packet (its granule calibrates the numbering).
  const leadPages: Uint8Array[] = [];
  let firstAudio: Page | null = null;
  for (let pos = at; !firstAudio && pos < reader.size && leadPages.length < 64;) {
    const b = await reader.read(pos, MAX_PAGE);
    const page = pageAt(b, 0, pos);
    if (!page) return null;
    pos += page.len;
    if (page.serial !== serial) continue;
    leadPages.push(b.slice(0, page.len));
    if (page.granule >= 0) firstAudio = page;
  }
  if (!firstAudio || firstAudio.flags & EOS) return null;

  /** The first page of this stream at or after `pos` that ends a packet, or null. */
  const pageFrom = async (pos: number): Promise<Page | null> => {
    let scanFrom = pos;
    while (scanFrom < reader.size) {
      const b = await reader.read(scanFrom, 2 * MAX_PAGE);
      let found: Page | null = null;
      for (let p = 0; p + 27 <= b.length && p < MAX_PAGE; p++) {
        if (b[p] !== 0x4f) continue;
        const page = pageAt(b, p, scanFrom);
        if (page && page.serial === serial) {
          found = page;
          break;
        }
      }
      if (!found) return null;
      if (found.granule >= 0) return found;
      scanFrom = found.pos + found.len;
    }
    return null;
  };

  /** The header of the page starting exactly at `pos` (any serial), or null. */
  const pageExactly = async (pos: number): Promise<{ page: Page; bytes: Uint8Array } | null> => {
    const b = await reader.read(pos, MAX_PAGE);
    const page = pageAt(b, 0, pos);
    return page ? { page, bytes: b.subarray(0, page.len) } : null;
  };

  // Calibrate: decode the first audio page as a full decode does and compare with its granule.
  const calibration = await codecDecoder(codec);
  let produced = 0;
  try {
    produced += (await feed(calibration, headBytes)).length;
    produced += (await feed(calibration, concatBytes(leadPages))).length;
    produced += (await feed(calibration, undefined)).length;
  } catch {
    return null;
  } finally {
    calibration.free();
  }
  /** Full-decode index of granule position g = g + shift. */
  const shift = produced - firstAudio.granule;
  if (produced === 0 || shift > 0 || shift < -(preSkip + sampleRate)) return null;

  /** The last page of the stream ending a packet at or before granule `target` (at least the first audio page). */
  const pageBefore = async (target: number): Promise<Page> => {
    let best = firstAudio;
    let lo = firstAudio.pos + firstAudio.len;
    let hi = reader.size;
    while (hi - lo > MAX_PAGE) {
      const mid = Math.floor((lo + hi) / 2);
      const page = await pageFrom(mid);
      if (!page || page.granule > target || page.flags & EOS) hi = mid;
      else {
        best = page;
        lo = page.pos + page.len;
      }
    }
    // Refine page by page.
    for (;;) {
      const next = await pageFrom(best.pos + best.len);
      if (!next || next.granule > target || next.flags & EOS || next.pos - best.pos > 2 * MAX_PAGE) return best;
      best = next;
    }
  };

  const fromStart = async (to: number, emit: Emit, signal?: AbortSignal): Promise<number> => {
    const dec = await codecDecoder(codec);
    let position = 0;
    try {
      for (let pos = 0; position < to;) {
        checkAborted(signal);
        const chunk = await reader.read(pos, FEED_BYTES);
        pos += chunk.length;
        const mono = await feed(dec, chunk.length ? chunk : undefined);
        if (mono.length) emit(position, mono);
        position += mono.length;
        if (chunk.length === 0) break;
      }
    } finally {
      dec.free();
    }
    return position;
  };

  const seeked = async (from: number, to: number, prerollSamples: number, emit: Emit, signal?: AbortSignal): Promise<number> => {
    const before = await pageBefore(from - shift - prerollSamples);
    // Start on the page after it (its first new packet starts at before.granule), never on the last page:
    // audio-decode trims the end of the stream by the granule step from the page before.
    let first = await pageExactly(before.pos + before.len);
    if (!first || first.page.serial !== serial || first.page.flags & EOS) first = await pageExactly(before.pos);
    if (!first) throw new SeekUnavailable(`${reader.path}: no Ogg page after a seek`);
    const dec = await codecDecoder(codec);
    const out: Float32Array[] = [];
    let total = 0;
    let end = -1;
    const take = (mono: Float32Array): void => {
      if (mono.length) out.push(mono);
      total += mono.length;
    };
    try {
      take(await feed(dec, headBytes));
      let pos = first.page.pos;
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const flushPending = async (): Promise<void> => {
        if (pendingBytes === 0) return;
        const chunk = concatBytes(pending);
        pending = [];
        pendingBytes = 0;
        take(await feed(dec, chunk));
      };
      // Until a packet starts, the tail of the packet begun before the first page fed is dropped.
      let inTail = true;
      for (let isFirst = true; ; isFirst = false) {
        checkAborted(signal);
        const next = isFirst ? first : await pageExactly(pos);
        if (!next) break; // the end of the file (or damage): decode what there is
        pos = next.page.pos + next.page.len;
        if (next.page.serial !== serial) continue;
        let bytes: Uint8Array | null = next.bytes;
        if (inTail && next.page.flags & CONTINUED) bytes = dropContinuation(next.bytes);
        inTail = bytes === null;
        if (bytes) {
          pending.push(bytes.slice());
          pendingBytes += bytes.length;
          if (pendingBytes >= FEED_BYTES) await flushPending();
        }
        if (next.page.granule >= 0) end = next.page.granule;
        if ((next.page.granule >= 0 && next.page.granule + shift >= to) || next.page.flags & EOS) break;
      }
      await flushPending();
      take(await feed(dec, undefined));
    } finally {
      dec.free();
    }
    if (end < 0 || total === 0) throw new SeekUnavailable(`${reader.path}: no audio decoded after a seek`);
    const start = end + shift - total;
    // The first packet fed starts at before.granule; what is lost before the output begins is priming.
    const expected = before.granule + shift;
    if (first.page.pos === before.pos + before.len && (start < expected || start > expected + 4 * 8192)) {
      throw new SeekUnavailable(`${reader.path}: decoded audio does not line up with the granule positions`);
    }
    if (start > from) return -(start - from);
    let position = start;
    for (const mono of out) {
      emit(position, mono);
      position += mono.length;
    }
    return total;
  };

  return {
    sampleRate,
    async decodeSpan(from: number, to: number, emit: Emit, signal?: AbortSignal): Promise<number> {
      let preroll = Math.round(PREROLL_SECONDS[codec] * sampleRate);
      for (let attempt = 0; attempt < 3; attempt++) {
        if (from - shift - preroll <= firstAudio.granule) return fromStart(to, emit, signal);
        const got = await seeked(from, to, preroll, emit, signal);
        if (got >= 0) return got;
        // Pages holding more time than the preroll: start earlier.
        preroll += -got + sampleRate;
      }
      throw new SeekUnavailable(`${reader.path}: the pages before ${Math.round(from / sampleRate)} s could not be reached`);
    },
  };
}
