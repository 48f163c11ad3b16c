"""Synthetic multi-dataset features with a planted shared emotion structure.

Every synthetic track has a hidden "true emotion" point z in the sentence-embedding space (a random mix of
labels from the union of the three vocabularies plus noise). Each dataset annotates the track with ITS
vocabulary (the labels nearest to z: MTG 1-2, CAL500 3-5, Emotify exactly 3), and the audio features of its
segments carry z through a fixed nonlinear map shared by all datasets (layers 3, 6, 9, 12 of a [13, H] hidden
state stack), plus a per-dataset offset (domain shift) and noise. Zero-shot transfer is therefore possible
exactly to the extent that label embeddings of different vocabularies line up, as in the paper.

Label embeddings: the real ones from data/paper/label-embeddings.json (vendored in the repo), unless the caller
passes its own (synthetic_label_spaces: labels assigned to 12 latent emotions)."""

import zlib

import numpy as np

from .data import LabelSpace, SegmentDataset, _norm, load_label_embeddings, split_tracks
from .vocab import VOCABULARIES

DEFAULTS = {
    "tracks": {"mtg-jamendo": 600, "cal500": 200, "emotify": 200},
    "segments": [2, 4],
    "hidden": 32,
    "num_layers": 12,
    "signal_layers": [3, 6, 9, 12],
    "subspace": 24,
    "emotion_noise": 0.35,
    "segment_noise": 0.15,
    "feature_noise": 0.3,
    "domain_shift": 0.5,
    "labels_per_track": {"mtg-jamendo": [1, 2], "cal500": [3, 5], "emotify": [3, 3]},
    "splits": {"mtg-jamendo": [0.6, 0.2, 0.2], "cal500": [0.8, 0.1, 0.1], "emotify": [0.8, 0.1, 0.1]},
}


def synthetic_label_spaces(dim=384, emotions=12, seed=0):
    rng = np.random.default_rng(seed)
    E = _norm(rng.normal(size=(emotions, dim)))
    out = {}
    for name, v in VOCABULARIES.items():
        em = [zlib.crc32(l.split(",")[0].encode()) % emotions for l in v["labels"]]
        plain = _norm(E[em] + 0.6 * rng.normal(size=(len(em), dim)) / np.sqrt(dim) * 4)
        expanded = _norm(plain + 0.8 * rng.normal(size=plain.shape) / np.sqrt(dim) * 4)
        out[name] = LabelSpace(list(v["labels"]), plain, expanded)
    return out


def make_synthetic(params=None, seed=0, label_spaces=None):
    p = dict(DEFAULTS)
    p.update(params or {})
    spaces = label_spaces or load_label_embeddings()
    source = "paper label-embeddings.json" if label_spaces is None else "given"
    rng = np.random.default_rng(seed)
    names = list(VOCABULARIES)
    # the planted "meaning" of a label: its plain and expanded embeddings together
    meaning = {n: _norm(spaces[n].plain + spaces[n].expanded) for n in names}
    allP = np.concatenate([meaning[n] for n in names])
    dim = allP.shape[1]
    # emotion subspace: top principal directions of all label embeddings
    c = allP - allP.mean(0)
    _, _, vt = np.linalg.svd(c, full_matrices=False)
    basis = vt[: p["subspace"]]  # [S, dim]
    H, S = p["hidden"], p["subspace"]
    W = {l: rng.normal(size=(H, S)) * (2.0 / np.sqrt(S)) for l in p["signal_layers"]}
    bias = {l: rng.normal(size=H) * 0.2 for l in p["signal_layers"]}
    out = {}
    for di, name in enumerate(names):
        n_tracks = p["tracks"][name]
        P = meaning[name]
        shift = rng.normal(size=(p["num_layers"] + 1, H)) * p["domain_shift"]
        lo, hi = p["labels_per_track"][name]
        feats, seg_track, track_labels = [], [], []
        for t in range(n_tracks):
            a, b = rng.integers(len(allP), size=2)
            z = allP[a] + 0.5 * allP[b] + p["emotion_noise"] * rng.normal(size=dim) / np.sqrt(dim) * 4
            z /= np.linalg.norm(z)
            k = int(rng.integers(lo, hi + 1))
            labs = sorted(int(i) for i in np.argsort(-(P @ z))[:k])
            track_labels.append(labs)
            n_seg = int(rng.integers(p["segments"][0], p["segments"][1] + 1))
            for _ in range(n_seg):
                zs = z + p["segment_noise"] * rng.normal(size=dim) / np.sqrt(dim) * 4
                u = basis @ zs * 3.0
                h = rng.normal(size=(p["num_layers"] + 1, H)) * p["feature_noise"] + shift
                for l in p["signal_layers"]:
                    h[l] += np.tanh(W[l] @ u + bias[l])
                feats.append(h.astype(np.float32))
                seg_track.append(t)
        split = split_tracks(n_tracks, seed + 17 * di, tuple(p["splits"][name]))
        out[name] = SegmentDataset(name, np.stack(feats), np.asarray(seg_track), [f"{name}-{t}" for t in range(n_tracks)],
                                   track_labels, split, spaces[name], VOCABULARIES[name]["topK"],
                                   {"layout": "synthetic", "embeddings": source})
    return out
