import { describe, expect, it } from 'vitest';
import {
  ALPHAS,
  MIN_ACCEPTED,
  MIN_REJECTED,
  fitLabel,
  fitWithAlpha,
  pairwiseAuc,
  prototypeDirection,
  stepFrom,
  type Decision,
} from '../../src/core/personal/fit.js';
import { generateMoodLibrary, simulateUser, truthAuc } from '../support/mood-generator.js';

const cos = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    s += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return s / Math.sqrt(na * nb);
};

function scoresOf(lib: ReturnType<typeof generateMoodLibrary>, w: Float32Array): Float64Array {
  const out = new Float64Array(lib.tracks);
  for (let t = 0; t < lib.tracks; t++) {
    let s = 0;
    for (let i = 0; i < lib.dim; i++) s += (lib.embeddings[t * lib.dim + i] as number) * (w[i] as number);
    out[t] = s;
  }
  return out;
}

const lib = generateMoodLibrary({ tracks: 6000, dim: 64, labels: 4, seed: 11 });
const rows = { data: lib.embeddings, dim: lib.dim };
const label = lib.labels[0] as (typeof lib.labels)[number];
const asDecisions = (d: { track: number; accepted: boolean }[]): Decision[] => d.map((x) => ({ row: x.track, accepted: x.accepted }));

describe('personal label fit', () => {
  it('computes the pairwise AUC with ties counting half', () => {
    expect(pairwiseAuc([0.9, 0.1, 0.5, 0.4], [true, false, true, false])).toBe(1);
    expect(pairwiseAuc([0.1, 0.9], [true, false])).toBe(0);
    expect(pairwiseAuc([0.5, 0.5, 0.7], [true, false, false])).toBeCloseTo(0.25, 12);
    expect(Number.isNaN(pairwiseAuc([0.5, 0.6], [true, true]))).toBe(true);
  });

  it('starts at the zero-shot vector and only moves a bounded step from it', () => {
    const decisions = asDecisions(simulateUser(label, 40, 0.1, 3));
    const w0 = label.zeroShot;
    const none = stepFrom(w0, new Float64Array(lib.dim), 4);
    expect(cos(none, w0)).toBeCloseTo(1, 6);
    expect(cos(stepFrom(w0, prototypeDirection(rows, decisions), 0), w0)).toBeCloseTo(1, 6);
    // No accepted (or no rejected) decisions: no direction, so the zero-shot vector.
    expect(
      cos(
        fitWithAlpha(
          rows,
          w0,
          decisions.filter((d) => d.accepted),
          2,
        ).vector,
        w0,
      ),
    ).toBeCloseTo(1, 6);
    const cosines = ALPHAS.map((a) => fitWithAlpha(rows, w0, decisions, a).cosineToZeroShot);
    for (let i = 1; i < cosines.length; i++) expect(cosines[i]).toBeLessThan(cosines[i - 1] as number);
    for (const c of cosines) expect(c).toBeGreaterThan(0);
    const fit = fitLabel(rows, w0, decisions, 1);
    expect(fit).not.toBeNull();
    expect(fit?.cosineToZeroShot).toBeCloseTo(cos(fit?.vector as Float32Array, w0), 5);
    // Unit length, like the zero-shot vector: personal scores are cosines too.
    expect(cos(fit?.vector as Float32Array, fit?.vector as Float32Array)).toBeCloseTo(1, 6);
  });

  it('beats zero-shot on a generated library where zero-shot is near but not at the hidden meaning', () => {
    const decisions = simulateUser(label, 40, 0.1, 5);
    const fit = fitLabel(rows, label.zeroShot, asDecisions(decisions), 7);
    expect(fit?.better).toBe(true);
    expect(fit?.personalAuc).toBeGreaterThan((fit?.zeroShotAuc as number) + 0.02);
    const tagged = new Uint8Array(lib.tracks);
    for (const d of decisions) tagged[d.track] = 1;
    const zs = truthAuc(scoresOf(lib, label.zeroShot), label.relevant, tagged);
    const personal = truthAuc(scoresOf(lib, fit?.vector as Float32Array), label.relevant, tagged);
    expect(personal).toBeGreaterThan(zs + 0.03);
    // Closer to the hidden meaning than zero-shot was.
    expect(cos(fit?.vector as Float32Array, label.hidden)).toBeGreaterThan(cos(label.zeroShot, label.hidden));
  });

  it('makes no model from fewer decisions than the threshold', () => {
    const all = asDecisions(simulateUser(label, 40, 0, 9));
    const acc = all.filter((d) => d.accepted);
    const rej = all.filter((d) => !d.accepted);
    expect(fitLabel(rows, label.zeroShot, [...acc.slice(0, MIN_ACCEPTED - 1), ...rej], 1)).toBeNull();
    expect(fitLabel(rows, label.zeroShot, [...acc, ...rej.slice(0, MIN_REJECTED - 1)], 1)).toBeNull();
    expect(fitLabel(rows, label.zeroShot, [...acc.slice(0, MIN_ACCEPTED), ...rej.slice(0, MIN_REJECTED)], 1)).not.toBeNull();
  });

  it('is not "better" where the cross-validation says zero-shot ranks the decisions as well', () => {
    // The user accepts exactly zero-shot's top tracks and rejects its bottom ones: zero-shot orders every
    // pair right, so no personal model can beat it and it must not be used.
    const s = scoresOf(lib, label.zeroShot);
    const order = Array.from(s.keys()).sort((a, b) => (s[b] as number) - (s[a] as number));
    const decisions = [
      ...order.slice(0, 8).map((row) => ({ row, accepted: true })),
      ...order.slice(-8).map((row) => ({ row, accepted: false })),
    ];
    const fit = fitLabel(rows, label.zeroShot, decisions, 3);
    expect(fit?.zeroShotAuc).toBe(1);
    expect(fit?.better).toBe(false);
  });
});
