"""Zero-shot CLAP baseline (issue 6, item 4): a CLAP pack (`kind: clap`) scored on the same datasets, splits,
top-k, macro F1 and song vote as the trained heads, printed as the "CLAP zero-shot" row of the table.

Audio side, per segment, chosen from what the dataset carries:
  - `embeddings`: 2-D features whose width equals the pack's projection dim are taken as precomputed CLAP
    audio embeddings (e.g. the pack's `audio_embeds` of every 10 s segment, `[N, dim]`, any layout the loaders
    read, aligned with the segment index);
  - `waveforms`: 2-D features at least one second wide are mono waveforms at the pack's sample rate
    (`[N, samples]`, float32, e.g. 480000 for 10 s at 48 kHz); they go through ClapFeatureExtractor and the
    pack's audio ONNX;
  - `synthetic`: the synthetic datasets carry no audio, so every segment gets a deterministic waveform
    (`clap.synthetic_waveform`, seeded by dataset/track/segment). This exercises the whole path (feature
    extraction, audio ONNX, text ONNX, scoring) but its scores are chance-level by construction.
Text side: every label of the dataset's vocabulary through the pack's text ONNX with the manifest's prompt
template ("This is a {} song."), L2-normalised; segment score = cosine.
"""

import numpy as np

from .clap import OnnxClap, l2n, synthetic_waveform
from .train import chance, score_metrics, split_rows


def _segment_numbers(track):
    """Index of every segment within its track (order of appearance)."""
    seen = {}
    out = np.zeros(len(track), dtype=np.int64)
    for i, t in enumerate(track):
        out[i] = seen.get(int(t), 0)
        seen[int(t)] = out[i] + 1
    return out


def audio_source(clap, d):
    f = d.features
    if d.meta.get("layout") == "synthetic":
        return "synthetic"
    if f.ndim == 2 and f.shape[1] == clap.dim:
        return "embeddings"
    if f.ndim == 2 and f.shape[1] >= clap.sample_rate:
        return "waveforms"
    raise ValueError(f"{d.name}: features {tuple(f.shape)} are neither CLAP audio embeddings [N, {clap.dim}] nor "
                     f"waveforms [N, samples >= {clap.sample_rate}] at {clap.sample_rate} Hz")


def clap_segment_mask(d, split, max_tracks=None, tc=None):
    """Rows scored: those of the split's samples (train.split_rows with the training config tc, so the CLAP row
    and the heads' rows score the same segments), limited to the first max_tracks tracks."""
    rows, _ = split_rows(d, split, tc)
    mask = np.zeros(len(d.track), bool)
    mask[rows] = True
    if max_tracks:
        keep = np.unique(d.track[mask])[:max_tracks]
        mask &= np.isin(d.track, keep)
    return mask


def clap_samples(d, split, max_tracks=None, tc=None):
    """(rows, groups) of the split's samples (train.split_rows), limited to the first max_tracks tracks."""
    rows, groups = split_rows(d, split, tc)
    if max_tracks:
        keep = np.isin(d.track[rows], np.unique(d.track[rows])[:max_tracks])
        rows, groups = rows[keep], groups[keep]
    return rows, groups


def clap_scores(clap, d, mask, log=None, batch=8):
    """Cosine scores [n, V] of the masked segments of d against d's vocabulary. Returns (scores, source)."""
    src = audio_source(clap, d)
    rows = np.flatnonzero(mask)
    if src == "embeddings":
        A = l2n(np.asarray(d.features[rows], dtype=np.float32))
    else:
        segno = _segment_numbers(d.track)
        outs = []
        for i in range(0, len(rows), batch):
            r = rows[i:i + batch]
            if src == "synthetic":
                waves = [synthetic_waveform(f"{d.name}/{d.track_ids[d.track[j]]}/{segno[j]}", clap.sample_rate,
                                            clap.seconds) for j in r]
            else:
                waves = [np.asarray(d.features[j], dtype=np.float32) for j in r]
            outs.append(clap.embed_audio(waves, batch=batch))
            if log and (i // batch) % 50 == 0 and i:
                log(f"  {d.name}: {i}/{len(rows)} segments")
        A = np.concatenate(outs) if outs else np.zeros((0, clap.dim), np.float32)
    T = clap.embed_texts(d.space.labels)
    return (A.astype(np.float64) @ T.astype(np.float64).T), src


def evaluate_clap(clap, d, split=2, max_tracks=None, log=None, tc=None):
    """Zero-shot CLAP on dataset d with the same samples and metrics as `train.evaluate` (tc: the training config
    whose split defines the samples)."""
    if not isinstance(clap, OnnxClap):
        clap = OnnxClap(clap)
    rows, groups = clap_samples(d, split, max_tracks, tc)
    mask = np.zeros(len(d.track), bool)
    mask[rows] = True
    s, src = clap_scores(clap, d, mask, log)
    pos = np.cumsum(mask) - 1  # row -> its line in s (rows of the mask, in order)
    r = score_metrics(s[pos[rows]], d, d.track[rows], groups)
    r["audio"] = src
    return r


def evaluate_clap_folds(pack, datasets, folds, split, max_tracks=None, log=print, tc=None):
    """{(test, "clap"): metrics} and chance rows for every fold's held-out dataset (CLAP is not trained, so only
    the test dataset of each fold matters)."""
    clap = OnnxClap(pack)
    results, chance_rows = {}, {}
    for _, test in folds:
        d = datasets[test]
        r = evaluate_clap(clap, d, split, max_tracks, log, tc)
        results[(test, "clap")] = r
        chance_rows[test] = chance(d, split, rows=clap_samples(d, split, max_tracks, tc))
        if log:
            log(f"  CLAP zero-shot {test}: segment F1 {r['segment']:.4f}  song F1 {r['song']:.4f}  "
                f"({r['segments']} segments, {r['tracks']} tracks, audio from {r['audio']})")
    return results, chance_rows

