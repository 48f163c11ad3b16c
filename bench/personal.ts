// npm run bench:personal [-- TRACKS]: personal labels learnt from a simulated user's tags, against zero-shot.
//
// The library (default 50,000 tracks, 512-d like a CLAP pack) comes from the generator in
// tests/support/mood-generator.ts: each of 8 labels has a hidden meaning, every track a latent strength per
// label, and a track truly has a label when its strength is high (about 16 % of the library). The zero-shot
// vector of a label is close to its hidden meaning but not at it (cosine 0.6; the rest mostly a
// neighbouring label's meaning), so zero-shot is better than chance and wrong in the same way every time.
//
// It is a real core over a real SQLite database (tests/support/personal-library.ts: the tiny test pack
// installed and active, the embeddings committed as the analysis commits them, the generator's zero-shot
// vectors in the label embeddings cache, so the label encoder never runs). For each tag count (5, 10, 20,
// 50) and each label, a simulated user tags that many tracks (half accepted, half rejected, drawn at
// random, 10 % of the decisions wrong) under a label name of its own, through tags-accept / tags-reject
// (batch decisions), and the background refit runs (personal.flush(): the debounced pass the tag change
// scheduled, run now). Then, for each count, averaged over the labels:
//   zeroShotAuc / personalAuc   what the app shows: k-fold cross-validated ranking AUC over the user's own
//                               (noisy) decisions; personalAuc is that of the score the app USES (the
//                               personal model where active, else zero-shot: below 5 + 5 decisions no model
//                               exists, so at 5 tags the two are equal)
//   personalModelAuc            the personal model's own CV figure where one exists (used or not)
//   trueZeroShotAuc / truePersonalAuc   the yardstick: AUC against the hidden truth over every untagged
//                               track, from scores-label (the ranking the app shows) before and after
//   activeLabels                labels whose personal model is used
//   usedWhereWorse              labels where it is used yet truly ranks worse than zero-shot (must be 0)
// fitMs: the background pass after one label's tags changed at 50 tags (read decisions, nested CV, fit,
// store; every other label checked and skipped), median over the labels, at TRACKS tracks; fitOnlyMs the
// fit and cross-validation alone; indexLoadMs the embedding index load the first ranking pays.
// Last line: one JSON object.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fitLabel, hash32, pairwiseAuc } from '../src/core/personal/fit.js';
import { simulateUser, truthAuc } from '../tests/support/mood-generator.js';
import { personalLibrary } from '../tests/support/personal-library.js';

const TRACKS = Number(process.argv[2] ?? 50_000);
const DIM = 512;
const LABELS = 8;
const COUNTS = [5, 10, 20, 50] as const;
const MISTAKES = 0.1;

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const ms = (x: number): number => Number(x.toFixed(1));
const nameOf = (k: number, count: number): string => `mood ${k} tagged ${count}`;

const work = mkdtempSync(join(tmpdir(), 'moodshelf-bench-personal-'));
try {
  const t0 = performance.now();
  const p = await personalLibrary(work, {
    tracks: TRACKS,
    dim: DIM,
    labels: LABELS,
    seed: 2024,
    names: (k) => COUNTS.map((c) => nameOf(k, c)),
  });
  const buildS = (performance.now() - t0) / 1000;
  say(`library: ${TRACKS} tracks x ${DIM}-d, ${LABELS} labels, built in ${buildS.toFixed(1)} s`);
  const { core } = p;
  try {
    const tIndex = performance.now();
    core.context.index.get(p.packKey);
    const indexLoadMs = performance.now() - tIndex;

    /** Scores by track row (0-based) from the ranking the app shows. */
    const scoresByRow = async (label: string): Promise<{ scores: Float64Array; personal: boolean }> => {
      const r = await core.invoke('scores-label', { label });
      const scores = new Float64Array(TRACKS);
      r.trackIds.forEach((id, k) => (scores[id - 1] = r.scores[k] as number));
      return { scores, personal: r.personal };
    };

    const rows: Record<string, number[]> = {
      zeroShotAuc: [],
      personalAuc: [],
      personalModelAuc: [],
      trueZeroShotAuc: [],
      truePersonalAuc: [],
      activeLabels: [],
      usedWhereWorse: [],
    };
    const fitMs: number[] = [];
    const fitOnlyMs: number[] = [];
    for (const count of COUNTS) {
      const cvZero: number[] = [];
      const cvUsed: number[] = [];
      const cvModel: number[] = [];
      const trueZero: number[] = [];
      const trueUsed: number[] = [];
      let active = 0;
      let worse = 0;
      for (let k = 0; k < LABELS; k++) {
        const label = p.lib.labels[k] as (typeof p.lib.labels)[number];
        const name = nameOf(k, count);
        const before = await scoresByRow(name);
        const decisions = simulateUser(label, count, MISTAKES, hash32(`${k}/${count}`));
        const accepted = decisions.filter((d) => d.accepted).map((d) => p.trackId(d.track));
        const rejected = decisions.filter((d) => !d.accepted).map((d) => p.trackId(d.track));
        await core.invoke('tags-accept', { trackIds: accepted, label: name });
        await core.invoke('tags-reject', { trackIds: rejected, label: name });
        const tFit = performance.now();
        await core.context.personal.flush();
        if (count === 50) fitMs.push(performance.now() - tFit);
        const f = await core.invoke('labels-personal', { label: name });
        const after = await scoresByRow(name);
        if (after.personal !== f.active) throw new Error(`${name}: scores-label and labels-personal disagree`);
        const zsOnDecisions = pairwiseAuc(
          decisions.map((d) => before.scores[d.track] as number),
          decisions.map((d) => d.accepted),
        );
        cvZero.push(f.model?.zeroShotAuc ?? zsOnDecisions);
        cvUsed.push(f.active && f.model ? (f.model.personalAuc as number) : (f.model?.zeroShotAuc ?? zsOnDecisions));
        if (f.model?.personalAuc !== undefined && f.model.personalAuc !== null) cvModel.push(f.model.personalAuc);
        const tagged = new Uint8Array(TRACKS);
        for (const d of decisions) tagged[d.track] = 1;
        const tz = truthAuc(before.scores, label.relevant, tagged);
        const tu = truthAuc(after.scores, label.relevant, tagged);
        trueZero.push(tz);
        trueUsed.push(tu);
        if (f.active) {
          active++;
          if (tu < tz) worse++;
        }
        if (count === 50) {
          // The fit and cross-validation alone, on the same decisions and index.
          const index = core.context.index.get(p.packKey);
          const ds = decisions.map((d) => ({ row: index.rowOf.get(p.trackId(d.track)) as number, accepted: d.accepted }));
          const t = performance.now();
          fitLabel({ data: index.tracks, dim: index.dim }, label.zeroShot, ds, 1);
          fitOnlyMs.push(performance.now() - t);
        }
      }
      rows.zeroShotAuc?.push(r3(mean(cvZero)));
      rows.personalAuc?.push(r3(mean(cvUsed)));
      rows.personalModelAuc?.push(cvModel.length ? r3(mean(cvModel)) : Number.NaN);
      rows.trueZeroShotAuc?.push(r3(mean(trueZero)));
      rows.truePersonalAuc?.push(r3(mean(trueUsed)));
      rows.activeLabels?.push(active);
      rows.usedWhereWorse?.push(worse);
      say(
        `${String(count).padStart(2)} tags/label: CV AUC zero-shot ${r3(mean(cvZero))}, used ${r3(mean(cvUsed))}` +
          ` | true AUC zero-shot ${r3(mean(trueZero))}, used ${r3(mean(trueUsed))} | personal active for ${active}/${LABELS}, worse where used: ${worse}`,
      );
    }
    const beats = COUNTS.every((c, i) => c < 10 || (rows.personalAuc?.[i] as number) > (rows.zeroShotAuc?.[i] as number));
    const beatsTruth = COUNTS.every((c, i) => c < 10 || (rows.truePersonalAuc?.[i] as number) > (rows.trueZeroShotAuc?.[i] as number));
    const neverWorse = (rows.usedWhereWorse ?? []).every((w) => w === 0);
    say(
      `background refit at ${TRACKS} tracks: ${ms(median(fitMs))} ms (fit + CV alone ${ms(median(fitOnlyMs))} ms); index load ${ms(indexLoadMs)} ms`,
    );
    say(
      `personal beats zero-shot from 10 tags on: ${beats ? 'yes' : 'NO'} (truth: ${beatsTruth ? 'yes' : 'NO'}); never used where worse: ${neverWorse ? 'yes' : 'NO'}`,
    );
    say(
      JSON.stringify({
        tracks: TRACKS,
        dim: DIM,
        labels: LABELS,
        counts: COUNTS,
        mistakes: MISTAKES,
        ...rows,
        personalModelAuc: rows.personalModelAuc?.map((x) => (Number.isNaN(x) ? null : x)),
        fitMs: ms(median(fitMs)),
        fitOnlyMs: ms(median(fitOnlyMs)),
        indexLoadMs: ms(indexLoadMs),
        buildS: Number(buildS.toFixed(1)),
        personalBeatsZeroShotFrom10: beats,
        personalBeatsZeroShotFrom10Truth: beatsTruth,
        neverUsedWhereWorse: neverWorse,
      }),
    );
    if (!beats || !neverWorse) process.exitCode = 1;
  } finally {
    await core.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
