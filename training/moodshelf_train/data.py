"""Data: per-segment features with per-track labels, for several datasets with different vocabularies.

Layouts read here
-----------------
(a) Paper layout (one dataset): `features` = .npy [N, 13, 768] (float32/float16; memory-mapped) with the
    first-frame hidden states of every 10 s segment; `index` = JSON list of [track_id, segment_index] rows (or a
    CSV `track,segment` with header) aligned with the features; labels and splits from
    data/paper/annotations in the repo (mtg-jamendo-{train,validation,test}.json, cal500.json, emotify.json).
(b) App export (`moodshelf export-features <dir>`): a folder with
      features.npy   [N, 13, 768] float32 or float16 (per segment, every hidden state, pooled as the pack says)
      segments.json  [{"track": "<track id>", "segment": <index>}, ...]   N rows aligned with features.npy
      labels.json    {"<track id>": ["accepted label", ...], ...}          tracks without labels are skipped
      label-embeddings.json (optional) {"labels": [...], "plain": [[dim floats]...], "expanded": [...]?}
    The vocabulary is the sorted union of labels.json's labels unless label-embeddings.json gives one.
    Splits are drawn per track (80/10/10, seeded).
"""

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .vocab import VOCABULARIES

# The paper's data, vendored in the repository (data/paper/README.md); always present in a checkout.
PAPER_DIR = Path(__file__).resolve().parents[2] / "data" / "paper"
SPLITS = ("train", "validation", "test")


@dataclass
class LabelSpace:
    labels: list
    plain: np.ndarray  # [V, dim] L2-normalised
    expanded: np.ndarray  # [V, dim] (= plain when no expanded descriptions exist)


@dataclass
class SegmentDataset:
    name: str
    features: np.ndarray  # [N, L+1, H] or [N, D] (already pooled/concatenated)
    track: np.ndarray  # [N] int track number
    track_ids: list  # track number -> original id
    track_labels: list  # track number -> sorted list of label indices
    track_split: np.ndarray  # [T] 0 train, 1 validation, 2 test
    space: LabelSpace
    top_k: int
    meta: dict = field(default_factory=dict)

    @property
    def segment_split(self):
        return self.track_split[self.track]

    def select(self, layers):
        f = self.features
        if f.ndim == 2:
            return np.asarray(f, dtype=np.float32)
        return np.concatenate([np.asarray(f[:, i, :], dtype=np.float32) for i in layers], axis=1)


def _norm(x):
    x = np.asarray(x, dtype=np.float32)
    return x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-12, None)


def load_label_embeddings(path=None):
    """{dataset: LabelSpace} from data/paper/label-embeddings.json (or `path`); a missing file is an error."""
    path = Path(path) if path else PAPER_DIR / "label-embeddings.json"
    if not path.exists():
        raise FileNotFoundError(f"label embeddings not found: {path} (the repo vendors them in data/paper/)")
    raw = json.loads(path.read_text())
    return {k: LabelSpace(list(v["labels"]), _norm(v["plain"]), _norm(v.get("expanded") or v["plain"])) for k, v in raw.items()}


def split_tracks(n, seed, fractions=(0.8, 0.1, 0.1)):
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    s = np.zeros(n, dtype=np.int64)
    a = int(round(fractions[0] * n))
    b = a + int(round(fractions[1] * n))
    s[perm[a:b]] = 1
    s[perm[b:]] = 2
    return s


def _read_index(path):
    path = Path(path)
    if path.suffix == ".json":
        rows = json.loads(path.read_text())
        return [(str(r["track"]), int(r["segment"])) if isinstance(r, dict) else (str(r[0]), int(r[1])) for r in rows]
    with open(path, newline="") as f:
        return [(str(r["track"]), int(r["segment"])) for r in csv.DictReader(f)]


def _assemble(name, features, seg_tracks, labels_of, split_of, space, top_k, meta=None):
    lab_idx = {l: i for i, l in enumerate(space.labels)}
    track_num, track_ids, track_labels, track_split, keep, seg_track = {}, [], [], [], [], []
    for row, tid in enumerate(seg_tracks):
        labs = labels_of.get(tid)
        if not labs:
            continue
        if tid not in track_num:
            idx = sorted({lab_idx[l] for l in labs if l in lab_idx})
            if not idx:
                continue
            track_num[tid] = len(track_ids)
            track_ids.append(tid)
            track_labels.append(idx)
            track_split.append(split_of(tid))
        keep.append(row)
        seg_track.append(track_num[tid])
    keep = np.asarray(keep, dtype=np.int64)
    feats = features if len(keep) == len(features) else features[keep]
    ts = np.asarray(track_split, dtype=np.int64)
    if (ts < 0).any():  # tracks without a given split: draw 80/10/10
        drawn = split_tracks(len(ts), seed=0)
        ts = np.where(ts < 0, drawn, ts)
    return SegmentDataset(name, feats, np.asarray(seg_track, dtype=np.int64), track_ids, track_labels, ts, space, top_k, meta or {})


def load_paper_dataset(name, features, index, annotations_dir=None, label_spaces=None, split_seed=0):
    """Paper layout: features .npy [N, 13, 768] + segment index + data/paper/annotations."""
    ann = Path(annotations_dir) if annotations_dir else PAPER_DIR / "annotations"
    feats = np.load(features, mmap_mode="r")
    rows = _read_index(index)
    if len(rows) != len(feats):
        raise ValueError(f"{name}: index has {len(rows)} rows, features {len(feats)}")
    labels_of, split = {}, {}
    if name == "mtg-jamendo":
        for si, s in enumerate(SPLITS):
            for tid, v in json.loads((ann / f"mtg-jamendo-{s}.json").read_text()).items():
                labels_of[tid] = v["labels"]
                split[tid] = si
    else:
        d = json.loads((ann / f"{name}.json").read_text())
        ids = sorted(d)
        drawn = split_tracks(len(ids), split_seed)
        for i, tid in enumerate(ids):
            labels_of[tid] = d[tid]["labels"]
            split[tid] = int(drawn[i])
    spaces = label_spaces or load_label_embeddings()
    space = spaces[name]
    return _assemble(name, feats, [r[0] for r in rows], labels_of, lambda t: split[t], space, VOCABULARIES[name]["topK"],
                     {"layout": "paper", "features": str(features)})


def load_app_export(folder, name="library", top_k=3, label_encoder=None, split_seed=0):
    """App export layout (see module doc). label_encoder: a transformers.js label-encoder folder used to embed the
    labels when the folder has no label-embeddings.json."""
    folder = Path(folder)
    feats = np.load(folder / "features.npy", mmap_mode="r")
    segs = json.loads((folder / "segments.json").read_text())
    if len(segs) != len(feats):
        raise ValueError(f"segments.json has {len(segs)} rows, features.npy {len(feats)}")
    labels_of = {str(k): v for k, v in json.loads((folder / "labels.json").read_text()).items()}
    emb_path = folder / "label-embeddings.json"
    if emb_path.exists():
        raw = json.loads(emb_path.read_text())
        space = LabelSpace(list(raw["labels"]), _norm(raw["plain"]), _norm(raw.get("expanded") or raw["plain"]))
    else:
        if not label_encoder:
            raise ValueError("no label-embeddings.json in the export: pass a label encoder folder")
        from .label_encoder import OnnxLabelEncoder

        labels = sorted({l for v in labels_of.values() for l in v})
        e = OnnxLabelEncoder(label_encoder).embed(labels)
        space = LabelSpace(labels, e, e)
    tids = sorted(labels_of)
    drawn = dict(zip(tids, split_tracks(len(tids), split_seed)))
    return _assemble(name, feats, [str(s["track"]) for s in segs], labels_of, lambda t: int(drawn[t]), space, top_k,
                     {"layout": "app-export", "folder": str(folder)})


def write_app_export(folder, features, segments, labels):
    """Write the app-export layout (used by tests and by `synthetic --export`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "features.npy", features)
    (folder / "segments.json").write_text(json.dumps([{"track": t, "segment": s} for t, s in segments]) + "\n")
    (folder / "labels.json").write_text(json.dumps(labels, indent=1) + "\n")
