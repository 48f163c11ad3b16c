"""Synthetic multi-dataset features with a planted shared emotion structure.

Every synthetic track has a hidden "true emotion" point z in the sentence-embedding space (a random mix of
labels from the union of the three vocabularies plus noise). Each dataset annotates the track with ITS
vocabulary (the labels nearest to z: MTG 1-2, CAL500 3-5, Emotify exactly 3), and the audio features of its
segments carry z through a fixed nonlinear map shared by all datasets (layers 3, 6, 9, 12 of a [13, H] hidden
state stack), plus a per-dataset offset (domain shift) and noise. Zero-shot transfer is therefore possible
exactly to the extent that label embeddings of different vocabularies line up, as in the paper.

Label embeddings: the real ones from data/paper/label-embeddings.json (vendored in the repo), unless the caller
passes its own (synthetic_label_spaces: labels assigned to 12 latent emotions).

The data is WRITTEN in the paper's layout (resources/input: [N, 1, 13, H] float32 features, structured .npy index
with `track_id`, MTG-Jamendo as three split files; annotation JSON as data/paper/annotations) and read back with
the same readers as real data (data.load_paper_input)."""

import atexit
import shutil
import tempfile
import zlib
from pathlib import Path

import numpy as np

from .data import LabelSpace, _norm, load_label_embeddings, load_paper_input, split_tracks, write_paper_input
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


GENRES = ("classical", "rock", "electronic", "pop")


def _track_id(name, t):
    """Ids shaped like the real ones: MTG-Jamendo "948", CAL500 "0", Emotify "1,classical"."""
    if name == "mtg-jamendo":
        return str(1000 + t)
    if name == "emotify":
        return f"{t // len(GENRES) + 1},{GENRES[t % len(GENRES)]}"
    return str(t)


def synthetic_arrays(params=None, seed=0, label_spaces=None):
    """The synthetic data in memory: {dataset: {"features": float32 [N, L+1, H], "rows": [(track id, segment)],
    "labels": {track id: [label]}, "split": {track id: 0/1/2}}} (split: which MTG-Jamendo split file a track goes
    to; CAL500/Emotify are split by the readers as the paper's code does)."""
    p = dict(DEFAULTS)
    p.update(params or {})
    spaces = label_spaces or load_label_embeddings()
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
        feats, rows, labels = [], [], {}
        for t in range(n_tracks):
            tid = _track_id(name, t)
            a, b = rng.integers(len(allP), size=2)
            z = allP[a] + 0.5 * allP[b] + p["emotion_noise"] * rng.normal(size=dim) / np.sqrt(dim) * 4
            z /= np.linalg.norm(z)
            k = int(rng.integers(lo, hi + 1))
            labels[tid] = [spaces[name].labels[int(i)] for i in sorted(int(i) for i in np.argsort(-(P @ z))[:k])]
            n_seg = int(rng.integers(p["segments"][0], p["segments"][1] + 1))
            for s in range(n_seg):
                zs = z + p["segment_noise"] * rng.normal(size=dim) / np.sqrt(dim) * 4
                u = basis @ zs * 3.0
                h = rng.normal(size=(p["num_layers"] + 1, H)) * p["feature_noise"] + shift
                for l in p["signal_layers"]:
                    h[l] += np.tanh(W[l] @ u + bias[l])
                feats.append(h.astype(np.float32))
                rows.append((tid, s))
        split = split_tracks(n_tracks, seed + 17 * di, tuple(p["splits"][name]))
        out[name] = {"features": np.stack(feats), "rows": rows, "labels": labels,
                     "split": {_track_id(name, t): int(split[t]) for t in range(n_tracks)}}
    return out


def write_synthetic(folder, params=None, seed=0, label_spaces=None, dtype=np.float32):
    """Write the synthetic data in the paper's layout: <folder>/input/ (mtg_{split}_{source,index}.npy,
    CAL500_*, emotify_*: [N, 1, 13, H] features, structured index with track_id) and <folder>/annotations/
    (data/paper/annotations' file names and format). Returns (input folder, annotations folder)."""
    arrays = synthetic_arrays(params, seed, label_spaces)
    folder = Path(folder)
    return write_paper_input(folder / "input", {n: (a["features"].astype(dtype), a["rows"], a["labels"])
                                                for n, a in arrays.items()},
                             folder / "annotations", {n: a["split"] for n, a in arrays.items()})


def make_synthetic(params=None, seed=0, label_spaces=None, out_dir=None, split="paper"):
    """Synthetic datasets, written in the paper's layout and read back with the real readers
    (data.load_paper_input), so every synthetic run exercises them. out_dir: where to write (default: a temporary
    folder removed at exit; the features stay memory-mapped)."""
    p = dict(DEFAULTS)
    p.update(params or {})
    spaces = label_spaces or load_label_embeddings()
    source = "paper label-embeddings.json" if label_spaces is None else "given"
    if out_dir is None:
        out_dir = tempfile.mkdtemp(prefix="moodshelf-synthetic-")
        atexit.register(shutil.rmtree, out_dir, True)
    inp, ann = write_synthetic(out_dir, p, seed, spaces, np.dtype(p.get("dtype", "float32")))
    out = load_paper_input(inp, list(VOCABULARIES), ann, spaces, split=split)
    for d in out.values():
        # layout "synthetic" (clap_eval keys on it); read with the paper-layout readers from `dir`
        d.meta.update({"layout": "synthetic", "read_as": "paper", "synthetic": True, "embeddings": source,
                       "dir": str(out_dir)})
    return out
