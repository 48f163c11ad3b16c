// Waveform peaks for the inspector: the track is fetched from its media URL and decoded at a low
// sample rate (as wavesurfer does), so the player itself can stream with Range requests.

/** Sample rate tracks are decoded at for drawing. */
const DECODE_RATE = 8000;

/** Peaks (max absolute sample per bucket, 0..1) and the decoded duration. */
export interface Peaks {
  peaks: Float32Array;
  duration: number;
}

/** Fetches and decodes a track, reducing it to `buckets` peaks. */
export async function loadPeaks(url: string, buckets = 1200, signal?: AbortSignal): Promise<Peaks> {
  const res = await fetch(url, signal ? { signal } : {});
  if (!res.ok) throw new Error(`The audio could not be loaded (HTTP ${res.status})`);
  const bytes = await res.arrayBuffer();
  const ctx = new OfflineAudioContext(1, 1, DECODE_RATE);
  const audio = await ctx.decodeAudioData(bytes);
  const data = audio.getChannelData(0);
  const out = new Float32Array(buckets);
  const per = data.length / buckets;
  let max = 0;
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * per);
    const to = Math.min(data.length, Math.floor((b + 1) * per));
    let m = 0;
    for (let i = from; i < to; i++) {
      const v = Math.abs(data[i] as number);
      if (v > m) m = v;
    }
    out[b] = m;
    if (m > max) max = m;
  }
  if (max > 0) for (let b = 0; b < buckets; b++) out[b] = (out[b] as number) / max;
  return { peaks: out, duration: audio.duration };
}
