"""Data: per-segment features with per-track labels, for several datasets with different vocabularies.

Layouts read here (training/README.md, "Data layouts", has the full description)
--------------------------------------------------------------------------------
(a) The paper's layout: its DVC-tracked folder `resources/input/` (resources/input.dvc: 10 files), read by the
    paper's `PreprocessedSegmentedDataset` (src/data/segmented_dataset.py) as configured in conf/data/dataset/:
      mtg_train_source.npy       mtg_train_index.npy        MTG-Jamendo split-0 train
      mtg_validation_source.npy  mtg_validation_index.npy   ... validation
      mtg_test_source.npy        mtg_test_index.npy         ... test
      CAL500_source.npy          CAL500_index.npy
      emotify_source.npy         emotify_index.npy
    `*_source.npy`: float32 (float16 accepted) [N, 1, 13, 768], memory-mapped: the first frame of every MERT hidden
    state of each 10 s segment (the model calls `batch["source"].squeeze(1)`); [N, 13, 768] is accepted too.
    `*_index.npy`: a structured array (np.load(mmap_mode="r"), so no Python objects) of N records with a
    `track_id` field (the metadata key: MTG "948", CAL500 "0", Emotify "1,classical"); the paper's preprocessing
    builds it from (key, start s, end s) tuples, so `start`/`end` fields may be present (not needed here).
    Labels come from annotation JSON keyed by track id: data/paper/annotations/ ({file, labels}) by default, or the
    paper's own resources/*.json ({path, "mood/theme"}). A single-file MTG-Jamendo (all splits in one) and JSON/CSV
    indexes ([track_id, segment] rows or `track,segment` CSV) are read too.
(b) App export (`moodshelf export-features <dir>`): a folder with
      features.npy   [N, 13, 768] float32 or float16 (per segment, every hidden state, pooled as the pack says)
      segments.json  [{"track": "<track id>", "segment": <index>}, ...]   N rows aligned with features.npy
      labels.json    {"<track id>": ["accepted label", ...], ...}          tracks without labels are skipped
      label-embeddings.json (optional) {"labels": [...], "plain": [[dim floats]...], "expanded": [...]?}
    The vocabulary is the sorted union of labels.json's labels unless label-embeddings.json gives one.
    Splits are drawn per track (80/10/10, seeded).

Splits of CAL500 and Emotify in the paper's layout (`split=`): "paper" (default) = the paper's data modules
(CombinedDataModule / SplitDataModule): Subset(range(...)) over the dataset of N * upsample items in index order,
int(0.8 * M) train, int(0.1 * M) validation, the rest test (item i is row i // upsample; a row takes the split of
its first copy); "paper-exact" = additionally the released code's double `idx //= upsample` (TripletSegmentedDataset
and its parent both divide), so item i reads row i // upsample**2 and only the first 1/upsample of the rows is ever
used (the rest get split -1 = unused); "tracks" = 80/10/10 per track, seeded (no track in two splits).
"""

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from .vocab import VOCABULARIES

# The paper's data, vendored in the repository (data/paper/README.md); always present in a checkout.
PAPER_DIR = Path(__file__).resolve().parents[2] / "data" / "paper"
SPLITS = ("train", "validation", "test")

# The paper's resources/input/ file names (conf/data/dataset/*.yaml) per dataset: (source, index) per split.
PAPER_INPUT_FILES = {
    "mtg-jamendo": {s: (f"mtg_{s}_source.npy", f"mtg_{s}_index.npy") for s in SPLITS},
    "cal500": ("CAL500_source.npy", "CAL500_index.npy"),
    "emotify": ("emotify_source.npy", "emotify_index.npy"),
}
# The paper's metadata files (resources/), {track id: {path, "mood/theme": [...]}}; read when given as annotations.
PAPER_METADATA_FILES = {
    "mtg-jamendo": {s: f"jamendo-{s}.json" for s in SPLITS},
    "cal500": "CAL500_metadata.json",
    "emotify": "emotify_metadata_updated.json",
}
# Our vendored annotation files (data/paper/annotations), {track id: {file, labels}}.
ANNOTATION_FILES = {
    "mtg-jamendo": {s: f"mtg-jamendo-{s}.json" for s in SPLITS},
    "cal500": "cal500.json",
    "emotify": "emotify.json",
}
# The paper's oversampling factors (conf/data/dataset/{CAL500,emotify}.yaml `upsample`); they also shape its splits.
PAPER_UPSAMPLE = {"cal500": 2, "emotify": 3}
INDEX_FIELD = "track_id"

_paper_data = {"dir": None, "annotations": None, "label_embeddings": None, "split": None}


def configure_paper_data(paper_dir=None, annotations=None, label_embeddings=None, split=None):
    """Where the paper's data is read from (process-wide; the CLI's --paper-dir, --annotations, --label-embeddings,
    --split). Default: MOODSHELF_PAPER_DIR, else data/paper in the repository. annotations: a folder of annotation
    JSON (default <paper dir>/annotations); label_embeddings: a label-embeddings.json (default <paper
    dir>/label-embeddings.json); split: the default CAL500/Emotify split mode ("paper"). None = the default."""
    if split not in (None, "paper", "paper-exact", "tracks"):
        raise ValueError(f"unknown split {split!r} (paper, paper-exact, tracks)")
    _paper_data.update(dir=Path(paper_dir) if paper_dir else None,
                       annotations=Path(annotations) if annotations else None,
                       label_embeddings=Path(label_embeddings) if label_embeddings else None, split=split)


def default_split():
    return _paper_data["split"] or "paper"


def paper_dir():
    return _paper_data["dir"] or Path(os.environ.get("MOODSHELF_PAPER_DIR") or PAPER_DIR)


def annotations_dir(paper_dir_=None):
    if paper_dir_:
        return Path(paper_dir_) / "annotations"
    return _paper_data["annotations"] or paper_dir() / "annotations"


_default_annotations_dir = annotations_dir


def label_embeddings_path(paper_dir_=None):
    if paper_dir_:
        return Path(paper_dir_) / "label-embeddings.json"
    return _paper_data["label_embeddings"] or paper_dir() / "label-embeddings.json"


@dataclass
class LabelSpace:
    labels: list
    plain: np.ndarray  # [V, dim] L2-normalised
    expanded: np.ndarray  # [V, dim] (= plain when no expanded descriptions exist)


class StackedRows:
    """Read-only array-like over the rows of one or more arrays [n_i, ...] (memory-mapped .npy files, e.g. the
    three MTG-Jamendo split files), optionally restricted to `rows` (indices into their concatenation). Indexing
    with an int, slice, bool mask or int array (optionally followed by more axes, e.g. f[:, 3, :]) reads only the
    rows asked for; np.asarray(f) materialises everything."""

    def __init__(self, parts, rows=None):
        self.parts = list(parts)
        if not self.parts:
            raise ValueError("StackedRows needs at least one array")
        tail = self.parts[0].shape[1:]
        for p in self.parts:
            if p.shape[1:] != tail:
                raise ValueError(f"row shapes differ: {p.shape[1:]} vs {tail}")
        self.starts = np.cumsum([0] + [len(p) for p in self.parts])
        self.rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        n = int(self.starts[-1]) if self.rows is None else len(self.rows)
        self.shape = (n,) + tuple(tail)
        self.dtype = np.result_type(*[p.dtype for p in self.parts])
        self.ndim = len(self.shape)

    def __len__(self):
        return self.shape[0]

    def _ids(self, key):
        n = len(self)
        if isinstance(key, slice):
            ids = np.arange(n)[key]
        else:
            key = np.asarray(key)
            if key.dtype == bool:
                if key.shape != (n,):
                    raise IndexError(f"boolean index of shape {key.shape} for {n} rows")
                ids = np.nonzero(key)[0]
            else:
                ids = np.where(key < 0, key + n, key).astype(np.int64)
                if ids.size and (ids.min() < 0 or ids.max() >= n):
                    raise IndexError("row index out of range")
        return ids if self.rows is None else self.rows[ids]

    def _take(self, base, rest):
        probe = self.parts[0][(slice(0, 0),) + rest]
        out = np.empty((len(base),) + probe.shape[1:], dtype=self.dtype)
        part = np.searchsorted(self.starts, base, side="right") - 1
        for pi in np.unique(part):
            pos = np.nonzero(part == pi)[0]
            local = base[pos] - self.starts[pi]
            order = np.argsort(local, kind="stable")
            ls = local[order]
            if len(ls) and ls[-1] - ls[0] + 1 == len(ls):  # a contiguous run: a plain slice of the memmap
                block = self.parts[pi][(slice(int(ls[0]), int(ls[-1]) + 1),) + rest]
            else:
                block = self.parts[pi][(ls,) + rest]  # sorted rows: sequential reads on a memmap
            out[pos[order]] = block
        return out

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            key = (key,)
        rows, rest = key[0], tuple(key[1:])
        if isinstance(rows, (int, np.integer)):
            i = int(rows) + (len(self) if rows < 0 else 0)
            if not 0 <= i < len(self):
                raise IndexError("row index out of range")
            b = i if self.rows is None else int(self.rows[i])
            pi = int(np.searchsorted(self.starts, b, side="right") - 1)
            return np.asarray(self.parts[pi][(b - self.starts[pi],) + rest])
        if self.rows is None and len(self.parts) == 1 and isinstance(rows, slice):
            return np.asarray(self.parts[0][(rows,) + rest])
        return self._take(self._ids(rows), rest)

    def __array__(self, dtype=None, copy=None):
        a = self[:]
        return a if dtype is None else a.astype(dtype, copy=False)


@dataclass
class SegmentDataset:
    name: str
    features: object  # [N, L+1, H] or [N, D] (already pooled): np.ndarray / np.memmap / StackedRows
    track: np.ndarray  # [N] int track number
    track_ids: list  # track number -> original id
    track_labels: list  # track number -> sorted list of label indices
    track_split: np.ndarray  # [T] 0 train, 1 validation, 2 test (a track's first segment's split)
    space: LabelSpace
    top_k: int
    meta: dict = field(default_factory=dict)
    seg_split: Optional[np.ndarray] = None  # [N] per-segment split where tracks may straddle splits (-1: unused)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def segment_split(self):
        return self.seg_split if self.seg_split is not None else self.track_split[self.track]

    @property
    def hidden_size(self):
        return int(self.features.shape[-1])

    def rows_of(self, split=None):
        """Segment rows of a split (0/1/2) or all (None)."""
        return np.arange(len(self.track)) if split is None else np.nonzero(self.segment_split == split)[0]

    def select(self, layers, split=None, cache=True):
        """float32 [n, len(layers) * H]: the hidden states `layers` concatenated, for every segment (split None)
        or those of one split (0/1/2). Cached per (layers, split): validation reads it every epoch, and memory-mapped
        features are then read once (do not modify the returned array)."""
        key = (tuple(int(i) for i in layers), split)
        if cache and key in self._cache:
            return self._cache[key]
        f = self.features
        rows = None if split is None else self.rows_of(split)
        n = len(f) if rows is None else len(rows)
        if f.ndim == 2:
            x = np.asarray(f[:] if rows is None else f[rows], dtype=np.float32)
        else:
            lay = list(key[0])
            x = np.empty((n, len(lay) * f.shape[-1]), dtype=np.float32)
            step = max(1, (64 << 20) // max(1, int(np.prod(f.shape[1:])) * np.dtype(f.dtype).itemsize))
            for i in range(0, n, step):
                sel = slice(i, min(n, i + step)) if rows is None else rows[i:i + step]
                block = np.asarray(f[sel])  # [c, L+1, H], whole rows (sequential on a memmap)
                x[i:i + len(block)] = block[:, lay, :].reshape(len(block), -1)
        if cache:
            self._cache[key] = x
        return x


def _norm(x):
    x = np.asarray(x, dtype=np.float32)
    return x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-12, None)


def load_label_embeddings(path=None, paper_dir=None):
    """{dataset: LabelSpace} from label-embeddings.json (`path`, else <paper_dir>/label-embeddings.json, else the
    configured one, default data/paper/label-embeddings.json); a missing file is an error."""
    path = Path(path) if path else label_embeddings_path(paper_dir)
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


def paper_contiguous_split(n_rows, upsample=1, fractions=(0.8, 0.1), exact=False):
    """Per-row split of the paper's data modules: Subset(range(...)) over M = n_rows * upsample items in index order,
    train = [0, int(0.8 M)), validation = the next int(0.1 M), test = the rest. Item i reads row i // upsample (a row
    gets the split of its first copy); exact=True applies the released code's second `idx //= upsample` (row
    i // upsample**2; rows never read get -1)."""
    m = n_rows * upsample
    a = int(fractions[0] * m)
    b = a + int(fractions[1] * m)
    item_split = np.full(m, 2, dtype=np.int64)
    item_split[:a] = 0
    item_split[a:b] = 1
    if not exact:
        return item_split[np.arange(n_rows) * upsample]
    out = np.full(n_rows, -1, dtype=np.int64)
    rows = np.arange(m) // (upsample * upsample)
    first = np.unique(rows, return_index=True)[1]  # first item reading each row
    out[rows[first]] = item_split[first]
    return out


def _as_track_id(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, (np.integer, int)):
        return str(int(v))
    if isinstance(v, (np.floating, float)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def read_index(path):
    """Track id of every segment row of an index file: the paper's .npy structured array (field `track_id`;
    unicode, bytes or integer ids), a plain .npy array of ids, a JSON list of [track_id, segment] rows or of
    {"track": id, "segment": i}, or a CSV with header `track,segment` (or `track_id`). Returns a list of str."""
    path = Path(path)
    if path.suffix == ".npy":
        try:
            a = np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError as e:
            raise ValueError(f"{path}: index .npy must hold no Python objects (the paper's loader memory-maps it): {e}")
        if a.dtype.names:
            if INDEX_FIELD not in a.dtype.names:
                raise ValueError(f"{path}: structured index without a '{INDEX_FIELD}' field (fields: {a.dtype.names})")
            ids = np.asarray(a[INDEX_FIELD])
        else:
            ids = np.asarray(a)
            if ids.ndim == 2:  # [N, 2+] rows (track, segment...)
                ids = ids[:, 0]
        if ids.dtype.kind == "S":
            return [s.decode("utf-8") for s in ids.tolist()]
        return [_as_track_id(v) for v in ids.tolist()]
    if path.suffix == ".json":
        rows = json.loads(path.read_text())
        return [_as_track_id(r.get("track", r.get(INDEX_FIELD))) if isinstance(r, dict) else _as_track_id(r[0]) for r in rows]
    with open(path, newline="") as f:
        return [_as_track_id(r.get("track", r.get(INDEX_FIELD))) for r in csv.DictReader(f)]


def _read_index(path):  # backwards-compatible name
    return read_index(path)


def open_features(path):
    """Memory-mapped features of one file: [N, 1, 13, H] (the paper's layout) is viewed as [N, 13, H]; [N, 13, H]
    and pooled [N, D] are returned as they are."""
    f = np.load(path, mmap_mode="r", allow_pickle=False)
    if f.ndim == 4:
        if f.shape[1] != 1:
            raise ValueError(f"{path}: 4-d features must be [N, 1, layers, hidden], got {f.shape}")
        f = f[:, 0]
    if f.ndim not in (2, 3):
        raise ValueError(f"{path}: features must be [N, 1, layers, hidden], [N, layers, hidden] or [N, D], got {f.shape}")
    if f.dtype not in (np.float32, np.float16, np.float64):
        raise ValueError(f"{path}: features must be float16/32/64, got {f.dtype}")
    return f


def _labels_of(entry):
    for k in ("labels", "mood/theme"):
        if k in entry:
            return list(entry[k])
    raise KeyError(f"annotation entry without 'labels' or 'mood/theme': {sorted(entry)}")


def _annotation_file(ann, name, split=None):
    """Our vendored file name, else the paper's own resources/ name."""
    ours = ANNOTATION_FILES[name] if split is None else ANNOTATION_FILES[name][split]
    theirs = PAPER_METADATA_FILES[name] if split is None else PAPER_METADATA_FILES[name][split]
    for f in (ours, theirs):
        if (ann / f).exists():
            return ann / f
    raise FileNotFoundError(f"{name}: no annotations {ours} (or the paper's {theirs}) in {ann}")


def read_annotations(name, annotations_dir_=None):
    """{track id: (labels, split or None)} for a built-in dataset: MTG-Jamendo from its three split files (split
    0/1/2), CAL500 / Emotify from one file (split None)."""
    ann = Path(annotations_dir_) if annotations_dir_ else annotations_dir()
    out = {}
    if isinstance(ANNOTATION_FILES.get(name), dict):
        for si, s in enumerate(SPLITS):
            for tid, v in json.loads(_annotation_file(ann, name, s).read_text()).items():
                out[str(tid)] = (_labels_of(v), si)
    elif name in ANNOTATION_FILES:
        for tid, v in json.loads(_annotation_file(ann, name).read_text()).items():
            out[str(tid)] = (_labels_of(v), None)
    else:
        raise KeyError(f"no annotations known for dataset {name!r} (built-in: {', '.join(ANNOTATION_FILES)})")
    return out


def _assemble(name, features, seg_tracks, labels_of, split_of, space, top_k, meta=None, row_split=None):
    lab_idx = {l: i for i, l in enumerate(space.labels)}
    track_num, track_ids, track_labels, track_split, keep, seg_track = {}, [], [], [], [], []
    for row, tid in enumerate(seg_tracks):
        if row_split is not None and row_split[row] < 0:  # never read by the paper's code (split "paper-exact")
            continue
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
            track_split.append(split_of(tid) if row_split is None else int(row_split[row]))
        keep.append(row)
        seg_track.append(track_num[tid])
    keep = np.asarray(keep, dtype=np.int64)
    if len(keep) == len(features):
        feats = features
    elif isinstance(features, StackedRows):
        feats = StackedRows(features.parts, keep if features.rows is None else features.rows[keep])
    else:
        feats = StackedRows([features], keep)  # lazy: a memory-mapped file is not read here
    ts = np.asarray(track_split, dtype=np.int64)
    seg_split = None
    if row_split is not None:
        seg_split = np.asarray(row_split, dtype=np.int64)[keep]
    elif (ts < 0).any():  # tracks without a given split: draw 80/10/10
        drawn = split_tracks(len(ts), seed=0)
        ts = np.where(ts < 0, drawn, ts)
    return SegmentDataset(name, feats, np.asarray(seg_track, dtype=np.int64), track_ids, track_labels, ts, space, top_k,
                          meta or {}, seg_split)


def _expand_split_template(p):
    return {s: Path(str(p).replace("{split}", s)) for s in SPLITS} if "{split}" in str(p) else None


def load_paper_dataset(name, features, index=None, annotations_dir=None, label_spaces=None, split_seed=0,
                       split=None, upsample=None):
    """A built-in dataset in the paper's layout.

    features / index: one .npy features file and its index (MTG-Jamendo: splits from the annotation files), or,
    for MTG-Jamendo's per-split files, paths with `{split}` in them (expanded to train/validation/test), or a dict
    {split: (features, index)}. annotations_dir: folder with our annotation JSON or the paper's resources/*.json
    (default: the configured paper dir's annotations/). split: "paper" | "paper-exact" | "tracks" for CAL500 /
    Emotify (module doc; default the configured one, "paper"); upsample: the factor behind the paper's split
    arithmetic (default PAPER_UPSAMPLE)."""
    if name not in ANNOTATION_FILES:
        raise KeyError(f"{name!r} is not a built-in dataset (paper layout: {', '.join(ANNOTATION_FILES)})")
    split = split or default_split()
    ann = read_annotations(name, annotations_dir)
    parts = None
    if isinstance(features, dict):
        parts = {s: tuple(features[s]) for s in SPLITS if s in features}
    elif _expand_split_template(features):
        fx, ix = _expand_split_template(features), _expand_split_template(index)
        if ix is None:
            raise ValueError(f"{name}: features path has {{split}} but the index path {index} does not")
        parts = {s: (fx[s], ix[s]) for s in SPLITS}
    files = {}
    if parts is not None:
        if name != "mtg-jamendo":
            raise ValueError(f"{name}: per-split files exist only for mtg-jamendo in the paper's layout")
        arrays, tids, file_split = [], [], []
        for si, s in enumerate(SPLITS):
            if s not in parts:
                raise ValueError(f"{name}: missing the {s} split files")
            f, ix = parts[s]
            a, rows = open_features(f), read_index(ix)
            if len(rows) != len(a):
                raise ValueError(f"{name} {s}: index {ix} has {len(rows)} rows, features {f} {len(a)}")
            arrays.append(a)
            tids += rows
            file_split += [si] * len(rows)
            files[s] = [str(f), str(ix)]
        feats = StackedRows(arrays)
        file_split = np.asarray(file_split)
        for si, s in enumerate(SPLITS):  # a track of one split file must not be annotated in another split
            bad = [t for t, fs in zip(tids, file_split) if fs == si and t in ann and ann[t][1] not in (None, si)]
            if bad:
                raise ValueError(f"{name}: {len(bad)} rows of the {s} file belong to other splits (e.g. {bad[0]!r})")
        row_split = file_split
    else:
        feats, tids = open_features(features), read_index(index)
        if len(tids) != len(feats):
            raise ValueError(f"{name}: index has {len(tids)} rows, features {len(feats)}")
        files["all"] = [str(features), str(index)]
        row_split = None
    labels_of = {t: v[0] for t, v in ann.items()}
    if name == "mtg-jamendo":
        split_mode = "files" if parts is not None else "annotations"
        d = _assemble(name, feats, tids, labels_of, lambda t: ann[t][1], _space(name, label_spaces),
                      VOCABULARIES[name]["topK"], row_split=row_split)
    elif split in ("paper", "paper-exact"):
        up = int(upsample or PAPER_UPSAMPLE.get(name, 1))
        split_mode = f"{split} (contiguous, upsample {up})"
        # the paper's Subset ranges run over every row of the file (all are annotated there)
        rs = paper_contiguous_split(len(tids), up, exact=split == "paper-exact")
        d = _assemble(name, feats, tids, labels_of, None, _space(name, label_spaces), VOCABULARIES[name]["topK"],
                      row_split=rs)
    elif split == "tracks":
        split_mode = f"tracks (80/10/10 per track, seed {split_seed})"
        ids = sorted(ann)
        drawn = dict(zip(ids, split_tracks(len(ids), split_seed)))
        d = _assemble(name, feats, tids, labels_of, lambda t: int(drawn[t]), _space(name, label_spaces),
                      VOCABULARIES[name]["topK"])
    else:
        raise ValueError(f"unknown split {split!r} (paper, paper-exact, tracks)")
    d.meta.update({"layout": "paper", "files": files, "split": split_mode,
                   "annotations": str(Path(annotations_dir) if annotations_dir else _default_annotations_dir())})
    return d


def _space(name, label_spaces):
    spaces = label_spaces or load_label_embeddings()
    return spaces[name]


def paper_input_files(folder, name):
    """The paper's file names for dataset `name` in a resources/input folder: {split: (source, index)} for
    MTG-Jamendo, (source, index) otherwise. Paths only; existence is not checked."""
    folder = Path(folder)
    spec = PAPER_INPUT_FILES[name]
    if isinstance(spec, dict):
        return {s: (folder / a, folder / b) for s, (a, b) in spec.items()}
    return (folder / spec[0], folder / spec[1])


def is_paper_input_dir(folder, name=None):
    """True when `folder` holds the paper's resources/input files (of dataset `name`, or of any dataset)."""
    names = [name] if name else list(PAPER_INPUT_FILES)
    for n in names:
        if n not in PAPER_INPUT_FILES:
            continue
        f = paper_input_files(folder, n)
        paths = [p for pair in (f.values() if isinstance(f, dict) else [f]) for p in pair]
        if all(p.exists() for p in paths):
            return True
    return False


def load_paper_input(folder, names=None, annotations_dir=None, label_spaces=None, split=None, split_seed=0):
    """{dataset: SegmentDataset} from the paper's resources/input folder (PAPER_INPUT_FILES); `names` default: every
    built-in dataset whose files are there."""
    folder = Path(folder)
    names = [n for n in (names or PAPER_INPUT_FILES) if names or is_paper_input_dir(folder, n)]
    if not names:
        raise FileNotFoundError(f"{folder}: none of the paper's input files ({', '.join(_all_input_names())})")
    spaces = label_spaces or load_label_embeddings()
    out = {}
    for n in names:
        f = paper_input_files(folder, n)
        if isinstance(f, dict):
            out[n] = load_paper_dataset(n, f, None, annotations_dir, spaces, split_seed, split)
        else:
            out[n] = load_paper_dataset(n, f[0], f[1], annotations_dir, spaces, split_seed, split)
    return out


def _all_input_names():
    return [x for v in PAPER_INPUT_FILES.values() for pair in (v.values() if isinstance(v, dict) else [v]) for x in pair]


def load_dataset_spec(name, spec, annotations_dir=None, label_spaces=None, label_encoder=None, split=None,
                      split_seed=0):
    """One `--features NAME=SPEC` entry. SPEC: `features.npy:index.npy` (paper layout, one file; `{split}` in both
    paths = MTG-Jamendo's per-split files), or a folder: the paper's resources/input folder (its files for NAME) or
    an app export (features.npy + segments.json). `spec` may also be a (features, index) tuple."""
    if isinstance(spec, (list, tuple)):
        return load_paper_dataset(name, spec[0], spec[1], annotations_dir, label_spaces, split_seed, split)
    if isinstance(spec, str) and ":" in spec and not Path(spec).exists():
        f, i = spec.split(":", 1)
        return load_paper_dataset(name, f, i, annotations_dir, label_spaces, split_seed, split)
    folder = Path(spec)
    if name in PAPER_INPUT_FILES and is_paper_input_dir(folder, name):
        return load_paper_input(folder, [name], annotations_dir, label_spaces, split, split_seed)[name]
    return load_app_export(folder, name=name, label_encoder=label_encoder, split_seed=split_seed)


def load_app_export(folder, name="library", top_k=3, label_encoder=None, split_seed=0):
    """App export layout (see module doc). label_encoder: a transformers.js label-encoder folder used to embed the
    labels when the folder has no label-embeddings.json. A folder holding the paper's resources/input files for a
    built-in `name` (and no segments.json) is read as the paper's layout instead."""
    folder = Path(folder)
    if not (folder / "segments.json").exists() and name in PAPER_INPUT_FILES and is_paper_input_dir(folder, name):
        return load_paper_input(folder, [name])[name]
    feats = open_features(folder / "features.npy")
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


def index_dtype(track_ids):
    """The index records written here: track_id (fixed-width unicode), start and end (s), as the paper's
    preprocessing's (key, start, end) tuples."""
    width = max([1] + [len(t) for t in track_ids])
    return np.dtype([(INDEX_FIELD, f"<U{width}"), ("start", "<f8"), ("end", "<f8")])


def write_paper_index(path, rows, segment_seconds=10.0):
    """rows: [(track_id, segment number)] -> the paper's structured .npy index."""
    rows = list(rows)
    a = np.zeros(len(rows), dtype=index_dtype([str(t) for t, _ in rows]))
    a[INDEX_FIELD] = [str(t) for t, _ in rows]
    a["start"] = [s * segment_seconds for _, s in rows]
    a["end"] = a["start"] + segment_seconds
    np.save(path, a, allow_pickle=False)


def write_paper_features(path, features, dtype=np.float32):
    """[N, L, H] (or [N, 1, L, H]) -> the paper's [N, 1, L, H] .npy."""
    f = np.asarray(features, dtype=dtype)
    if f.ndim == 3:
        f = f[:, None]
    np.save(path, f, allow_pickle=False)


def write_paper_input(folder, datasets, annotations_folder=None, split_of=None):
    """Write datasets in the paper's resources/input layout (what `load_paper_input` reads) plus annotation JSON in
    data/paper/annotations' format. datasets: {name: (features [N, L, H], rows [(track id, segment)], labels
    {track id: [label]})}; split_of: {name: {track id: 0/1/2}} for MTG-Jamendo (which split file a track goes to).
    Rows are written sorted by track id (as the paper's sort_preprocessed_features.py does)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ann = Path(annotations_folder) if annotations_folder else folder / "annotations"
    ann.mkdir(parents=True, exist_ok=True)
    for name, (feats, rows, labels) in datasets.items():
        order = sorted(range(len(rows)), key=lambda i: (str(rows[i][0]), rows[i][1]))
        n_seg = {}
        for t, _ in rows:
            n_seg[str(t)] = n_seg.get(str(t), 0) + 1
        files = paper_input_files(folder, name)
        if isinstance(files, dict):
            for si, s in enumerate(SPLITS):
                sel = [i for i in order if split_of[name][rows[i][0]] == si]
                write_paper_features(files[s][0], feats[sel] if len(sel) else np.zeros((0,) + feats.shape[1:], feats.dtype))
                write_paper_index(files[s][1], [rows[i] for i in sel])
                ids = sorted({str(rows[i][0]) for i in sel})
                (ann / ANNOTATION_FILES[name][s]).write_text(json.dumps(
                    {t: {"file": f"{t}.mp3", "duration": 10.0 * n_seg[t], "labels": labels[t]} for t in ids}) + "\n")
        else:
            write_paper_features(files[0], feats[order])
            write_paper_index(files[1], [rows[i] for i in order])
            ids = sorted({str(r[0]) for r in rows})
            (ann / ANNOTATION_FILES[name]).write_text(json.dumps({t: {"file": f"{t}.wav", "labels": labels[t]} for t in ids}) + "\n")
    return folder, ann
