// NumPy's legacy `np.random.RandomState` (MT19937), only as far as scikit-learn's estimate_bandwidth needs it:
// seeding from an integer and `permutation(n)`. Verified bit-for-bit against numpy by
// scripts/compare-mean-shift.py (references in tests/fixtures/labels/mean-shift-reference.json).

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const MAX_SEED = 0xffffffff;

/**
 * A MT19937 generator seeded exactly as `np.random.RandomState(seed)` seeds it for an integer seed
 * (numpy's `_legacy_seeding` calls `mt19937_seed`, i.e. Matsumoto's init_genrand), so that the label
 * alignment subsamples the very rows the paper's Python code subsampled.
 */
export class NumpyRandomState {
  private readonly state = new Uint32Array(N);
  private pos = N;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
      throw new RangeError(`Seed must be an integer between 0 and 2**32 - 1, got ${seed}`);
    }
    this.seed(seed);
  }

  /** The next 32-bit output, as numpy's `mt19937_next32` (tempered); an unsigned integer. */
  nextUint32(): number {
    if (this.pos >= N) this.generate();
    let y = this.state[this.pos++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * A uniform integer in [0, max], as numpy's `random_interval`: masked rejection sampling on 32-bit draws.
   * numpy switches to 64-bit draws above 2**32 - 1; JavaScript arrays never get that long, so that is refused.
   */
  randomInterval(max: number): number {
    if (!Number.isInteger(max) || max < 0 || max > MAX_SEED) throw new RangeError(`randomInterval: max out of range: ${max}`);
    if (max === 0) return 0;
    const mask = smallestMask(max);
    let value = (this.nextUint32() & mask) >>> 0;
    while (value > max) value = (this.nextUint32() & mask) >>> 0;
    return value;
  }

  /**
   * `RandomState.permutation(n)`: arange(n) shuffled in place by numpy's legacy Fisher-Yates, which walks from
   * the last index down and swaps i with random_interval(i).
   */
  permutation(n: number): number[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`permutation: n must be a non-negative integer, got ${n}`);
    const out = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i >= 1; i--) {
      const j = this.randomInterval(i);
      const tmp = out[i] as number;
      out[i] = out[j] as number;
      out[j] = tmp;
    }
    return out;
  }

  private seed(seed: number): void {
    let s = seed >>> 0;
    for (let i = 0; i < N; i++) {
      this.state[i] = s;
      s = (Math.imul(1812433253, (s ^ (s >>> 30)) >>> 0) + i + 1) >>> 0;
    }
    this.pos = N;
  }

  private generate(): void {
    const mt = this.state;
    for (let k = 0; k < N; k++) {
      const y = ((mt[k] as number) & UPPER_MASK) | ((mt[(k + 1) % N] as number) & LOWER_MASK);
      const mag = y & 1 ? MATRIX_A : 0;
      mt[k] = ((mt[(k + M) % N] as number) ^ (y >>> 1) ^ mag) >>> 0;
    }
    this.pos = 0;
  }
}

/** The smallest all-ones bit mask that covers `max` (numpy's `mask |= mask >> 1 ... >> 16`). */
function smallestMask(max: number): number {
  let mask = max >>> 0;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}
