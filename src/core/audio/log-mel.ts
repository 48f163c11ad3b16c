/**
 * A log-mel spectrogram computed the way transformers.js's `spectrogram()` computes CLAP's input features
 * (centred frames with reflect padding, a window, the power spectrum, mel filters, 10 * log10 of the power
 * floored at 1e-10), without its cost: transformers.js runs the mel product as a 64 x 513 x 1001 ONNX
 * MatMul in a session of its own, and that session's threads spin after every call. Measured on the
 * 2-core machine, one 10 s CLAP segment: 39 ms of CPU per call back to back, 75 ms when calls are 30 ms
 * apart (the spinning), as the analysis calls it between encoder runs. Here the mel filters are applied
 * over their non-zero bins only and the FFT is a real FFT through a half-size complex one.
 *
 * The filters and window are the feature extractor's own (read from the loaded one), so the features
 * equal transformers.js's to float rounding (its product accumulates in float32).
 */

/** What {@link createLogMel} needs from a feature extractor. */
export interface LogMelConfig {
  /** Mel filters, [mels][fftLength / 2 + 1]. */
  filters: ArrayLike<ArrayLike<number>>;
  /** The analysis window, fftLength long. */
  window: ArrayLike<number>;
  fftLength: number;
  hop: number;
}

/** Log-mel features of one waveform: frames x mels, row-major (transformers.js's `transpose: true`). */
export interface LogMel {
  frames: number;
  mels: number;
  data: Float32Array;
}

/** The power spectrum (fftLength / 2 + 1 bins) of a real frame, by a complex FFT of half its length. */
function createPowerSpectrum(n: number): (frame: Float64Array, out: Float64Array) => void {
  if (n < 4 || (n & (n - 1)) !== 0) throw new Error(`log-mel: the FFT length must be a power of two (got ${n})`);
  const m = n / 2;
  const bits = Math.log2(m);
  const reverse = new Uint32Array(m);
  for (let i = 0; i < m; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    reverse[i] = r;
  }
  // Twiddles of the half-size FFT (e^{-2 pi i j / m}) and of the real split (e^{-2 pi i k / n}).
  const cosM = new Float64Array(m / 2);
  const sinM = new Float64Array(m / 2);
  for (let j = 0; j < m / 2; j++) {
    cosM[j] = Math.cos((2 * Math.PI * j) / m);
    sinM[j] = -Math.sin((2 * Math.PI * j) / m);
  }
  const cosN = new Float64Array(m + 1);
  const sinN = new Float64Array(m + 1);
  for (let k = 0; k <= m; k++) {
    cosN[k] = Math.cos((2 * Math.PI * k) / n);
    sinN[k] = -Math.sin((2 * Math.PI * k) / n);
  }
  const re = new Float64Array(m);
  const im = new Float64Array(m);
  return (frame, out) => {
    for (let i = 0; i < m; i++) {
      const r = reverse[i] as number;
      re[r] = frame[2 * i] as number;
      im[r] = frame[2 * i + 1] as number;
    }
    for (let size = 2; size <= m; size *= 2) {
      const half = size / 2;
      const step = m / size;
      for (let start = 0; start < m; start += size) {
        for (let j = 0; j < half; j++) {
          const wr = cosM[j * step] as number;
          const wi = sinM[j * step] as number;
          const a = start + j;
          const b = a + half;
          const br = re[b] as number;
          const bi = im[b] as number;
          const tr = wr * br - wi * bi;
          const ti = wr * bi + wi * br;
          const ar = re[a] as number;
          const ai = im[a] as number;
          re[a] = ar + tr;
          im[a] = ai + ti;
          re[b] = ar - tr;
          im[b] = ai - ti;
        }
      }
    }
    // X[k] = E[k] + e^{-2 pi i k / n} O[k], E and O the spectra of the even and odd samples.
    for (let k = 0; k <= m; k++) {
      const a = k % m;
      const c = (m - k) % m;
      const zr = re[a] as number;
      const zi = im[a] as number;
      const cr = re[c] as number;
      const ci = -(im[c] as number);
      const er = (zr + cr) / 2;
      const ei = (zi + ci) / 2;
      const or = (zi - ci) / 2;
      const oi = -(zr - cr) / 2;
      const wr = cosN[k] as number;
      const wi = sinN[k] as number;
      const xr = er + wr * or - wi * oi;
      const xi = ei + wr * oi + wi * or;
      out[k] = xr * xr + xi * xi;
    }
  };
}

/** Returns the log-mel function for one configuration (tables built once). */
export function createLogMel(config: LogMelConfig): (waveform: Float32Array) => LogMel {
  const { fftLength: n, hop } = config;
  const bins = n / 2 + 1;
  const mels = config.filters.length;
  if (config.window.length !== n) throw new Error(`log-mel: the window has ${config.window.length} samples, the FFT ${n}`);
  // Each filter's non-zero bins, its weights rounded to float32 as transformers.js's product takes them.
  const ranges = Array.from({ length: mels }, (_, i) => {
    const f = config.filters[i] as ArrayLike<number>;
    if (f.length !== bins) throw new Error(`log-mel: mel filter ${i} has ${f.length} bins, expected ${bins}`);
    let lo = 0;
    while (lo < bins && f[lo] === 0) lo++;
    let hi = bins;
    while (hi > lo && f[hi - 1] === 0) hi--;
    return { lo, weights: Float64Array.from({ length: hi - lo }, (_, k) => Math.fround(f[lo + k] as number)) };
  });
  const window = Float64Array.from(config.window);
  const power = createPowerSpectrum(n);
  const frame = new Float64Array(n);
  const spectrum = new Float64Array(bins);
  const pad = n / 2;
  return (waveform) => {
    const len = waveform.length;
    if (len <= pad) throw new Error(`log-mel: ${len} samples are too few for reflect padding of ${pad}`);
    // Centred frames over the waveform reflect-padded by n / 2 on each side (numpy's "reflect").
    const padded = len + 2 * pad;
    const frames = Math.floor(1 + Math.floor((padded - n) / hop));
    const at = (i: number): number => {
      const j = i - pad;
      return (j < 0 ? waveform[-j] : j >= len ? waveform[2 * (len - 1) - j] : waveform[j]) as number;
    };
    const data = new Float32Array(frames * mels);
    for (let t = 0; t < frames; t++) {
      const offset = t * hop;
      const inside = offset >= pad && offset + n - pad <= len;
      for (let j = 0; j < n; j++) frame[j] = (inside ? (waveform[offset - pad + j] as number) : at(offset + j)) * (window[j] as number);
      power(frame, spectrum);
      const row = t * mels;
      for (let i = 0; i < mels; i++) {
        const { lo, weights } = ranges[i] as { lo: number; weights: Float64Array };
        let acc = 0;
        for (let k = 0; k < weights.length; k++) acc += (weights[k] as number) * Math.fround(spectrum[lo + k] as number);
        // mel_floor 1e-10, then power_to_db with reference 1 and min_value 1e-10.
        data[row + i] = 10 * Math.log10(Math.max(1e-10, Math.fround(acc)));
      }
    }
    return { frames, mels, data };
  };
}
