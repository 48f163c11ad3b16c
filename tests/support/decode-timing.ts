/**
 * Decode time per track and format: the quick policy's windows (3 x 10 s, 24 kHz mono, resampled) of each
 * full-length file of the real-audio corpus (tests/support/real-corpus.ts), decoded in this thread, median of
 * `--runs` (default 5) after one warm-up, with seeking (the default) and decoding from the start.
 *
 * CLI (no npm needed): npx tsx tests/support/decode-timing.ts [--runs 5] [--decode path/to/decode.ts]
 * `--decode` times another checkout's decodeSegments as well (e.g. an exported older commit), as `other`.
 * Prints one JSON line: per format {format, method, seekMs, startMs, otherMs?, seekSeconds, startSeconds}.
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodeSegments, type DecodeSegmentsOptions, type DecodedSegments } from '../../src/core/audio/decode.js';
import { planSegments, type SegmentSpec } from '../../src/core/audio/segments.js';
import { ensureRealCorpus } from './real-corpus.js';

type Decode = (path: string, specs: SegmentSpec[], options: DecodeSegmentsOptions) => Promise<DecodedSegments>;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const runs = Number(arg('runs') ?? 5);
  const otherPath = arg('decode');
  const other = otherPath ? ((await import(pathToFileURL(resolve(otherPath)).href)) as { decodeSegments: Decode }).decodeSegments : null;
  const corpus = await ensureRealCorpus();
  const rows: object[] = [];
  for (const f of corpus.files) {
    const specs = planSegments(f.reference.duration, { kind: 'quick', count: 3 }, 10);
    const options = { targetRate: 24000, segmentSeconds: 10, duration: f.reference.duration };
    const variants: [string, () => Promise<DecodedSegments>][] = [
      ['seek', () => decodeSegments(f.path, specs, options)],
      ['start', () => decodeSegments(f.path, specs, { ...options, seek: false })],
      ...(other ? [['other', () => other(f.path, specs, options)] as [string, () => Promise<DecodedSegments>]] : []),
    ];
    const times = new Map<string, number[]>(variants.map(([name]) => [name, []]));
    const results = new Map<string, DecodedSegments>();
    for (const [name, run] of variants) results.set(name, await run()); // warm-up: codec loading
    for (let r = 0; r < runs; r++) {
      for (const [name, run] of variants) {
        const t0 = performance.now();
        await run();
        times.get(name)?.push(performance.now() - t0);
      }
    }
    const seek = results.get('seek') as DecodedSegments;
    const start = results.get('start') as DecodedSegments;
    rows.push({
      format: f.format,
      method: seek.method,
      seekMs: Math.round(median(times.get('seek') as number[])),
      startMs: Math.round(median(times.get('start') as number[])),
      ...(other ? { otherMs: Math.round(median(times.get('other') as number[])) } : {}),
      seekSeconds: Math.round(seek.decodedSamples / seek.sourceRate),
      startSeconds: Math.round(start.decodedSamples / start.sourceRate),
    });
    process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
  }
  process.stdout.write(`${JSON.stringify({ runs, loadavg: loadavg()[0], rows })}\n`);
}
