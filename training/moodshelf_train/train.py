"""Training of a projection head on several datasets at once, and zero-shot evaluation, as the paper's code
(github.com/AMAAI-Lab/cross-dataset-emotion-alignment: conf/, src/models/model.py, src/data/) does it:

- label vectors per configuration (METHODS): "baseline" = the EXPANDED vectors of every dataset
  (experiment=label_aug); "clustering" = the training datasets use their cluster CENTRES (cluster/<A>_<B>);
  "alignment" = expanded vectors plus the v2 regulariser whose ids come from the fold's cluster map
  (cluster/reg_<A>_<B>). The held-out dataset is always scored against its EXPANDED vectors;
- one batch PER DATASET per step (CombinedLoader `max_size` or `max_size_cycle`); triplet loss per dataset,
  SUMMED; the regulariser over all anchors of the step concatenated (losses.multi_dataset_loss);
- positive = mean of the track's label vectors (cluster centres: one per label, so a cluster holding two of the
  track's labels counts twice, as LabelFeatureMapper.get_features); negative = mean of `n_negatives` vectors drawn
  with replacement from the dataset's OWN vectors (its labels, or the clusters its labels fall in) that are not
  among the positives;
- AdamW + ReduceLROnPlateau(max, factor, patience, cooldown, min_lr) on the validation macro F1 of the FIRST
  training dataset; the kept checkpoint is the epoch with the lowest validation triplet loss on MTG-Jamendo's
  validation split (the paper's ModelCheckpoint monitors `val_loss_triplet/dataloader_idx_0`, MTG's validation
  loader, in every fold) when `select` is "paper", else the best monitored F1;
- splits (`split`): MTG-Jamendo keeps its official split; CAL500 and Emotify are cut into contiguous 80/10/10
  ranges over their segments sorted by track id, with the oversampling factor u folded in as the paper's code
  does: "paper-code" reproduces its indexing exactly (Subset ranges over a dataset of length N*u whose
  TripletSegmentedDataset divides the index by u TWICE, so sample i reads segment i // u**2 and its song-level
  track id from segment i // u; see paper_split_positions); "paper" is the intended contiguous split (segment
  i // u); "tracks" uses the dataset's own per-track split with u-fold repetition of the train segments.
"""

import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .heads import build_head
from .losses import multi_dataset_loss, triplet_cosine_loss
from .metrics import macro_f1, multi_hot, song_vote, topk_binarize

# The paper's three configurations: which label vectors the TRAINING datasets use, and the regulariser.
METHODS = {
    "baseline": {"targets": "expanded", "reg": False},
    "clustering": {"targets": "centres", "reg": False},
    "alignment": {"targets": "expanded", "reg": True},
}
# Datasets without an official split: contiguous 80/10/10 over their segments (CombinedDataModule.setup).
CONTIGUOUS_SPLIT = ("cal500", "emotify")
SPLITS = {"train": 0, "validation": 1, "test": 2, "all": None}

TRAIN_DEFAULTS = {
    "epochs": 100, "batch_size": 256, "lr": 1e-4, "weight_decay": 0.01,
    "plateau_factor": 0.2, "plateau_patience": 10, "plateau_cooldown": 5, "min_lr": 1.6e-7,
    "early_stop_patience": None, "margin": 1.0, "n_negatives": 5,
    "oversample": {"cal500": 2, "emotify": 3}, "reg_lambda": 2.5, "reg_lambda_by_test": {"cal500": 1.0},
    "standardize": False, "threads": None,
    "combine": "max_size",  # or "max_size_cycle", or {method: mode}
    "split": "paper-code", "split_ratios": [0.8, 0.1],
    "centres": "paper",  # "paper": the committed/MeanShift centres (clusters.fold_cluster_map "centers"); "mean"
    "monitor": "first",  # scheduler metric: val F1 of the first training dataset ("mean": of all)
    "select": "paper",  # kept epoch: min MTG val triplet loss ("paper") or max monitored F1 ("monitor")
}


def train_config(cfg):
    tc = dict(TRAIN_DEFAULTS)
    tc.update(cfg.get("train", {}))
    return tc


def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


class Standardized(nn.Module):
    """Feature standardisation (train-set mean/std) folded into the head, so the exported ONNX takes raw
    pooled features as the app computes them."""

    def __init__(self, head, mean, std):
        super().__init__()
        self.head = head
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("inv_std", 1.0 / torch.as_tensor(std, dtype=torch.float32))

    def forward(self, features):
        return self.head((features - self.mean) * self.inv_std)


# ----------------------------------------------------------------------------------------------------- splits

def paper_split_positions(n, u, split, ratios=(0.8, 0.1), double_division=True):
    """Positions (into the dataset's segments sorted by track id) of split 0/1/2 as the paper's code reads them.

    CombinedDataModule.setup cuts a dataset of length n*u (PreprocessedSegmentedDataset.__len__ =
    source.shape[0] * upsample) into Subset ranges [0, a), [a, a+b), [a+b, n*u) with a = int(0.8 * n*u),
    b = int(0.1 * n*u). TripletSegmentedDataset.__getitem__ divides the index by u and calls the parent's
    __getitem__, which divides it by u again: sample i reads the features and labels of segment i // u**2, while
    the track id its test batch reports (song-level grouping) and its regulariser id come from segment i // u.
    Returns (feature positions, group positions), one entry per sample (repetition = oversampling).
    double_division=False gives the intended reading (both i // u)."""
    total = n * u
    a = int(ratios[0] * total)
    b = int(ratios[1] * total)
    lo, hi = [(0, a), (a, a + b), (a + b, total)][split]
    i = np.arange(lo, hi, dtype=np.int64)
    group = i // u
    feat = group // u if double_division else group
    return feat, group


def sorted_by_track_id(d):
    """Segment rows of d sorted by track id string (stable: a track's segments keep their order), the order of
    the paper's preprocessed features (scripts/sort_preprocessed_features.py); the identity for files written in
    that order (the paper's, data.write_paper_input's)."""
    ids = [str(d.track_ids[t]) for t in d.track]
    return np.asarray(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.int64)


def split_rows(d, split, tc=None, train=False):
    """(rows, groups) of dataset d in split 0/1/2 (None: every segment, in order): `rows` = the segment row each
    sample reads (a row may repeat: oversampling), `groups` = for each sample the track number that the paper's
    code attaches to it (its song-level vote in testing; the labels its negatives avoid and its regulariser id
    come from, in training). They differ only under "paper-code" (see paper_split_positions).

    The training config's `split` applies to CAL500 / Emotify read with every row (the data layer's split
    "paper", its default). A dataset the data layer split otherwise (data.load_paper_dataset split "tracks" or
    "paper-exact", e.g. the CLI's --split-mode) keeps that split (d.segment_split); its train samples repeat u
    times ("tracks", as the "tracks" mode here) or u**2 times ("paper-exact": each row the released code reads is
    read u**2 times). train=True applies those repetitions."""
    tc = tc or TRAIN_DEFAULTS
    if split is None:
        rows = np.arange(len(d.track), dtype=np.int64)
        return rows, d.track[rows]
    mode = tc.get("split", "paper-code")
    if mode not in ("paper-code", "paper", "tracks"):
        raise ValueError(f"unknown split mode {mode!r} (paper-code, paper, tracks)")
    u = int((tc.get("oversample") or {}).get(d.name, 1))
    loaded = str(d.meta.get("split", ""))
    reps = u
    if loaded.startswith("paper-exact"):
        reps = u * u
    elif mode in ("paper-code", "paper") and d.name in CONTIGUOUS_SPLIT and not loaded.startswith("tracks"):
        order = sorted_by_track_id(d)
        feat, group = paper_split_positions(len(order), u, split, tuple(tc.get("split_ratios", (0.8, 0.1))),
                                            double_division=(mode == "paper-code"))
        return order[feat], d.track[order[group]]
    rows = np.flatnonzero(d.segment_split == split).astype(np.int64)
    if train and reps > 1:
        rows = np.tile(rows, reps)
    return rows, d.track[rows]


# --------------------------------------------------------------------------------------------------- features

GATHER_CACHE_BYTES = 1 << 30


def gather(d, rows, layers):
    """float32 [len(rows), len(layers) * H]: hidden states `layers` of the given segment rows, concatenated
    (SegmentDataset.select order). Datasets whose selection fits in GATHER_CACHE_BYTES are selected once (cached
    by the dataset); larger ones are read per batch (memory-mapped files stay on disk)."""
    f = d.features
    rows = np.asarray(rows, dtype=np.int64)
    width = (len(layers) * f.shape[-1]) if f.ndim == 3 else f.shape[1]
    if hasattr(d, "select") and len(f) * width * 4 <= GATHER_CACHE_BYTES:
        return d.select(layers)[rows]
    if f.ndim == 2:
        return np.asarray(f[rows], dtype=np.float32)
    return np.asarray(f[rows][:, list(layers), :], dtype=np.float32).reshape(len(rows), -1)


# ---------------------------------------------------------------------------------------------- label targets

class Targets:
    """The label vectors one dataset uses in one configuration: `vectors` [K, dim] (its labels, or the clusters
    its labels fall in), `label_row` [V] (label -> row of vectors) and `ids` [V] (label -> the fold's global
    cluster id, for the regulariser; None without clusters)."""

    def __init__(self, vectors, label_row, ids=None, kind="expanded"):
        self.vectors = torch.as_tensor(np.asarray(vectors, dtype=np.float32))
        self.label_row = torch.as_tensor(np.asarray(label_row, dtype=np.int64))
        self.ids = None if ids is None else torch.as_tensor(np.asarray(ids, dtype=np.int64))
        self.kind = kind
        self.member = F.one_hot(self.label_row, len(self.vectors)).float()  # [V, K]

    def counts(self, y):
        """y: [B, V] multi-hot labels -> [B, K] how many of each sample's labels map to each row."""
        return y.float() @ self.member

    def positive(self, y):
        c = self.counts(y)
        return (c @ self.vectors) / c.sum(1, keepdim=True).clamp_min(1.0)

    def negative(self, y, n, generator):
        """Mean of n vectors drawn uniformly with replacement among this dataset's rows not among the positives."""
        w = (self.counts(y) == 0).float()
        w[w.sum(1) == 0] = 1.0
        idx = torch.multinomial(w, n, replacement=True, generator=generator)
        return self.vectors[idx].mean(1), idx

    def reg_ids(self, y, generator):
        """Global cluster id of ONE positive label drawn at random per sample (random.choice(pos_labels))."""
        pick = torch.multinomial(y.float(), 1, generator=generator).squeeze(1)
        return self.ids[pick]


def dataset_targets(d, kind="expanded", clusters=None, centres="paper"):
    """Targets of dataset d: kind "expanded" (its expanded label vectors) or "centres" (the centres of the fold's
    clusters its labels fall in, as the paper's clusters/<A>_<B>/<dataset>_cluster_centers.npz: one row per such
    cluster, in global-id order). clusters: the fold's map (clusters.fold_cluster_map)."""
    ids = None
    if clusters is not None and d.name in clusters["assignments"]:
        ids = np.asarray(clusters["assignments"][d.name], dtype=np.int64)
    if kind == "expanded":
        return Targets(d.space.expanded, np.arange(len(d.space.labels)), ids, "expanded")
    if kind != "centres":
        raise ValueError(f"unknown targets {kind!r}")
    if ids is None:
        raise ValueError(f"{d.name}: cluster centres need the fold's cluster map")
    C = np.asarray(clusters["centers"] if centres == "paper" else cluster_mean_centres(clusters, d.space.expanded.shape[1]))
    own = np.unique(ids)
    return Targets(C[own], np.searchsorted(own, ids), ids, "centres")


def cluster_mean_centres(clusters, dim):
    if clusters.get("meanCenters") is not None:
        return clusters["meanCenters"]
    raise ValueError("the cluster map has no meanCenters")


_fold_cache = {}


def fold_clusters(cfg, datasets):
    """The fold's label -> cluster map (clusters.fold_cluster_map: the paper's committed map for the folds
    MeanShift can not recompute, MeanShift with the paper's settings otherwise). Memoised per fold (the three
    configurations of a fold share it)."""
    from . import clusters as C

    names = [d.name for d in datasets]
    cl = cfg.get("clusters", {})
    key_names = C.canonical_order(names) if hasattr(C, "canonical_order") else names
    s = cl.get("+".join(key_names), {})
    key = (tuple(names), tuple(id(d.space) for d in datasets), s.get("quantile"), s.get("n_samples"),
           cl.get("source", "paper"))
    hit = _fold_cache.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], [d.space for d in datasets])):
        return hit[1]
    if hasattr(C, "fold_cluster_map"):
        out = C.fold_cluster_map(names, {d.name: d.space for d in datasets}, quantile=s.get("quantile"),
                                 n_samples=s.get("n_samples"), source=cl.get("source", "paper"))
    else:
        n = s.get("n_samples") or sum(len(d.space.labels) for d in datasets)
        out = C.mean_shift_clusters([(d.name, d.space) for d in datasets], s.get("quantile", 0.03), n)
    _fold_cache[key] = ([d.space for d in datasets], out)
    return out


# ----------------------------------------------------------------------------------------------- evaluation

def scores_rows(model, d, rows, layers, label_emb, batch=4096, device=None):
    """Cosine [len(rows), V] between the head's output for the segment rows and label_emb [V, dim]."""
    model.eval()
    dev = device or next(model.parameters()).device
    out = []
    with torch.no_grad():
        E = F.normalize(torch.as_tensor(np.asarray(label_emb, dtype=np.float32)), dim=-1).to(dev)
        for i in range(0, len(rows), batch):
            x = torch.from_numpy(gather(d, rows[i:i + batch], layers)).to(dev)
            a = F.normalize(model(x).float(), dim=-1)
            out.append((a @ E.t()).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, len(label_emb)), dtype=np.float32)


def scores_for(head, x, label_emb, batch=4096):
    head.eval()
    out = []
    with torch.no_grad():
        E = F.normalize(torch.as_tensor(label_emb), dim=-1)
        for i in range(0, len(x), batch):
            a = F.normalize(head(torch.as_tensor(x[i:i + batch])), dim=-1)
            out.append((a @ E.t()).numpy())
    return np.concatenate(out) if out else np.zeros((0, len(label_emb)), dtype=np.float32)


def evaluate(head, d, layers, split=2, embeddings="expanded", tc=None, rows=None):
    """Zero-shot (or in-domain) evaluation on dataset d: cosine to every label of its vocabulary (the EXPANDED
    vectors, as the paper's held-out evaluation; "plain" on request), top-k, macro F1 at segment and song level.
    split: 0/1/2, or None for every segment; tc: the training config (split mode, oversampling) that defines
    the split's samples; rows: (rows, groups) to score instead."""
    rows, groups = rows if rows is not None else split_rows(d, split, tc)
    E = d.space.expanded if embeddings == "expanded" else d.space.plain
    s = scores_rows(head, d, rows, layers, E)
    return score_metrics(s, d, d.track[rows], groups)


def score_metrics(s, d, tr, groups=None):
    """Top-k, macro F1 at segment level and song level (majority vote) for scores s [n, V] of segments whose
    track numbers are tr [n] in dataset d. groups [n]: the song each segment votes for (default tr); a song's
    true labels are those of its FIRST segment (SongLevelMetric: true_labels[mask][0]). Shared by the trained
    heads and the CLAP zero-shot baseline."""
    V = len(d.space.labels)
    tr = np.asarray(tr)
    groups = tr if groups is None else np.asarray(groups)
    y_seg = multi_hot([d.track_labels[t] for t in tr], V)
    seg = macro_f1(topk_binarize(s, d.top_k), y_seg)
    songs, song_pred = song_vote(s, groups, d.top_k)
    _, first = np.unique(groups, return_index=True)
    song = macro_f1(song_pred, multi_hot([d.track_labels[t] for t in tr[first]], V))
    return {"segment": seg, "song": song, "segments": int(len(tr)), "tracks": int(len(songs))}


def chance(d, split=2, seeds=20, mask=None, tc=None, rows=None):
    """Expected F1 of random scores (mean over seeds), on the split's samples (or on `mask` when given)."""
    if mask is not None:
        r = np.flatnonzero(mask)
        rows = (r, d.track[r])
    rows, groups = rows if rows is not None else split_rows(d, split, tc)
    V = len(d.space.labels)
    seg, song = [], []
    for s in range(seeds):
        m = score_metrics(np.random.default_rng(1000 + s).random((len(rows), V)), d, d.track[rows], groups)
        seg.append(m["segment"])
        song.append(m["song"])
    return {"segment": float(np.mean(seg)), "song": float(np.mean(song))}


def target_f1(model, d, rows, layers, targets):
    """Validation macro F1 (segment level, top-k) of dataset d against its Targets in this configuration (its
    cluster centres, with labels binarised per cluster, in clustering mode), as the paper's validation_step."""
    s = scores_rows(model, d, rows, layers, targets.vectors.numpy())
    y = (targets.counts(torch.from_numpy(multi_hot([d.track_labels[t] for t in d.track[rows]], len(d.space.labels))))
         > 0).numpy()
    return macro_f1(topk_binarize(s, min(d.top_k, s.shape[1])), y)


def triplet_val_loss(model, d, rows, layers, targets, n_neg, margin, seed, batch=4096):
    """Mean triplet loss over the rows (the paper's `val_loss_triplet`), negatives drawn with a fixed seed."""
    g = torch.Generator().manual_seed(seed)
    model.eval()
    dev = next(model.parameters()).device
    tot, n = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(rows), batch):
            r = rows[i:i + batch]
            y = torch.from_numpy(multi_hot([d.track_labels[t] for t in d.track[r]], len(d.space.labels)))
            neg, _ = targets.negative(y, n_neg, g)
            a = model(torch.from_numpy(gather(d, r, layers)).to(dev)).float().cpu()
            tot += float(triplet_cosine_loss(a, targets.positive(y), neg, margin)) * len(r)
            n += len(r)
    return tot / max(n, 1)


# ------------------------------------------------------------------------------------------------- training

def combined_batches(sizes, batch_size, mode, generator, world=1, rank=0):
    """One epoch of Lightning's CombinedLoader over one shuffled DataLoader per dataset (drop_last False):
    a list of steps, each a list with, per dataset, a LongTensor of sample indices or None.
    "max_size": as many steps as the longest loader; an exhausted loader gives None. "max_size_cycle": an
    exhausted loader restarts (reshuffled). "min_size": stops with the shortest. Under DDP every rank takes its
    share of each permutation (equal counts on every rank)."""
    def one_pass(n):
        perm = torch.randperm(n, generator=generator)
        perm = perm[: n // world * world][rank::world]
        return [perm[i:i + batch_size] for i in range(0, len(perm), batch_size)]

    passes = [one_pass(n) if n else [] for n in sizes]
    lens = [len(p) for p in passes]
    steps = (max(lens) if mode in ("max_size", "max_size_cycle") else min(lens)) if lens else 0
    out = []
    for s in range(steps):
        step = []
        for di, p in enumerate(passes):
            if s < len(p):
                step.append(p[s])
            elif mode == "max_size_cycle" and sizes[di]:
                while s >= len(p):
                    p.extend(one_pass(sizes[di]))
                step.append(p[s])
            else:
                step.append(None)
        out.append(step)
    return out


def make_optimizer(model, tc):
    opt = torch.optim.AdamW(model.parameters(), lr=tc["lr"], weight_decay=tc["weight_decay"])
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, mode="max", factor=tc["plateau_factor"], patience=tc["plateau_patience"],
        cooldown=tc.get("plateau_cooldown", 0), min_lr=tc.get("min_lr", 0.0))
    return opt, sched


def combine_mode(tc, method):
    c = tc.get("combine", "max_size")
    return c.get(method, "max_size") if isinstance(c, dict) else c


def _multi_hot_tracks(d, tracks):
    return torch.from_numpy(multi_hot([d.track_labels[t] for t in tracks], len(d.space.labels)).astype(bool))


class _TrainData:
    """One training dataset: its train samples (rows, repeated for oversampling), their labels `y` (positives),
    the labels `y_ref` the paper's code takes the negatives' exclusion and the regulariser id from (the same
    track except under the "paper-code" split), and its Targets."""

    def __init__(self, d, rows, groups, targets):
        self.d = d
        self.rows = rows
        self.targets = targets
        self.y = _multi_hot_tracks(d, d.track[rows])
        self.y_ref = self.y if np.array_equal(groups, d.track[rows]) else _multi_hot_tracks(d, groups)


def _runtime(cfg, device=None):
    """runtime.Runtime for cfg["runtime"] (device auto/cpu/cuda, precision, checkpoints); `device` overrides."""
    from . import runtime as R

    if device is not None:
        cfg = {**cfg, "runtime": {**(cfg.get("runtime") or {}), "device": str(device)}}
    return R.Runtime.from_config(cfg, local_rank=int(os.environ.get("LOCAL_RANK", 0)) if "LOCAL_RANK" in os.environ else None)


def checkpoint_tag(datasets, method, test_name, seed):
    return f"{'+'.join(d.name for d in datasets)}-{method}-test-{test_name or 'none'}-seed{seed}"


def train_head(cfg, datasets, method="alignment", test_name=None, seed=0, log=None, dist_info=(0, 1, False),
               select_on=None, trace=None, device=None):
    """Train a head on the train splits of `datasets` (the fold's training datasets, in the paper's order: the
    first one is monitored). select_on: the dataset whose validation triplet loss picks the kept epoch under
    `select: paper` (the paper: MTG-Jamendo, also when it is the held-out dataset); default: MTG-Jamendo when
    it is among `datasets`, else the monitored F1. trace: a list that receives, per step, {dataset: batch size}.
    Device, mixed precision and per-epoch checkpoints (resumable) follow cfg["runtime"] (runtime.Runtime);
    `device` overrides its device. Returns (head module (eval, standardisation folded in), clusters or None,
    info)."""
    t0 = time.time()
    tc = train_config(cfg)
    m = METHODS[method]
    rank, world, active = dist_info
    set_seed(seed)
    if tc.get("threads"):
        torch.set_num_threads(int(tc["threads"]))
    rt = _runtime(cfg, device)
    dev = rt.device
    layers = cfg["layers"]
    clusters = fold_clusters(cfg, datasets) if (m["targets"] == "centres" or m["reg"]) else None
    train = []
    for d in datasets:
        rows, groups = split_rows(d, 0, tc, train=True)
        train.append(_TrainData(d, rows, groups, dataset_targets(d, m["targets"], clusters, tc.get("centres", "paper"))))
    in_dim = gather(datasets[0], [0], layers).shape[1]
    dim = datasets[0].space.expanded.shape[1]
    hc = dict(cfg.get("head", {}))
    kind = hc.pop("type", "mlp")
    head = build_head(kind, in_dim, dim, **hc)
    if tc["standardize"]:
        s1, s2, n = np.zeros(in_dim), np.zeros(in_dim), 0
        for t in train:
            for i in range(0, len(t.rows), 8192):
                x = gather(t.d, t.rows[i:i + 8192], layers).astype(np.float64)
                s1 += x.sum(0)
                s2 += (x * x).sum(0)
                n += len(x)
        mean = s1 / n
        std = np.sqrt(np.maximum(s2 / n - mean**2, 0) * n / max(n - 1, 1))
        mean, std = torch.from_numpy(mean).float(), torch.from_numpy(std).float().clamp_min(1e-6)
    else:
        mean, std = torch.zeros(in_dim), torch.ones(in_dim)
    model = rt.prepare(Standardized(head, mean, std))
    lam = tc["reg_lambda_by_test"].get(test_name, tc["reg_lambda"]) if test_name else tc["reg_lambda"]
    train_model = rt.wrap_ddp(model) if active else model
    opt, sched = make_optimizer(model, tc)
    g = torch.Generator().manual_seed(seed + 1)
    bs = max(1, tc["batch_size"] // world)
    mode = combine_mode(tc, method)
    # validation: the scheduler monitors the first training dataset's F1; the kept epoch is chosen on MTG
    val_rows = [split_rows(t.d, 1, tc)[0] for t in train]
    sel = None
    if tc.get("select", "paper") == "paper":
        sd = select_on if select_on is not None else next((d for d in datasets if d.name == "mtg-jamendo"), None)
        if sd is not None:
            st = next((t.targets for t in train if t.d is sd), None) or dataset_targets(sd, "expanded")
            sel = (sd, split_rows(sd, 1, tc)[0], st)
    history, best, best_state, since_best, best_epoch, start = [], None, None, 0, None, 0
    ck = rt.checkpointer(checkpoint_tag(datasets, method, test_name, seed))
    if ck is not None and rt.resume:
        state = ck.load(dev)
        if state is not None:
            start = ck.restore(state, model=model, optimizer=opt, scheduler=sched, scaler=rt.scaler, generators=[g])
            ex = state["extra"]
            history, best, since_best, best_epoch = ex["history"], ex["best"], ex["since_best"], ex["best_epoch"]
            best_state = ex["best_state"]
            if log:
                log(f"  resumed from {ck.path} at epoch {start}")
    for epoch in range(start, tc["epochs"]):
        if tc["early_stop_patience"] and since_best >= tc["early_stop_patience"]:
            break
        train_model.train()
        steps = combined_batches([len(t.rows) for t in train], bs, mode, g, world, rank)
        tot, nb = 0.0, 0
        for step in steps:
            parts, ids, xs, sizes = [], [], [], {}
            for t, b in zip(train, step):
                if b is None or len(b) == 0:
                    continue
                xs.append(torch.from_numpy(gather(t.d, t.rows[b.numpy()], layers)))
                y, y_ref = t.y[b], t.y_ref[b]
                neg, _ = t.targets.negative(y_ref, tc["n_negatives"], g)
                parts.append([None, rt.to(t.targets.positive(y)), rt.to(neg)])
                if m["reg"]:
                    ids.append(rt.to(t.targets.reg_ids(y_ref, g)))
                sizes[t.d.name] = len(b)
            if trace is not None:
                trace.append(sizes)
            with rt.autocast():
                a = train_model(rt.to(torch.cat(xs))).float()
            o = 0
            for p in parts:
                p[0] = a[o:o + len(p[1])]
                o += len(p[1])
            loss, _, _ = multi_dataset_loss([tuple(p) for p in parts], tc["margin"], ids if m["reg"] else None, lam)
            opt.zero_grad(set_to_none=True)
            rt.step(loss, opt)
            tot += float(loss.detach())
            nb += 1
        f1s = [target_f1(model, t.d, r, layers, t.targets) for t, r in zip(train, val_rows)]
        v = f1s[0] if tc.get("monitor", "first") == "first" else float(np.mean(f1s))
        sched.step(v)
        rec = {"epoch": epoch, "loss": tot / max(nb, 1), "steps": nb, "val_f1": v, "val_f1_all": f1s,
               "lr": opt.param_groups[0]["lr"]}
        if sel is not None:
            rec["val_loss_select"] = triplet_val_loss(model, sel[0], sel[1], layers, sel[2], tc["n_negatives"],
                                                      tc["margin"], seed + 2)
            score = rec["val_loss_select"]
            better = best is None or score < best
        else:
            score = v
            better = best is None or score > best
        history.append(rec)
        if better:
            best, since_best, best_epoch = score, 0, epoch
            best_state = {k: t.detach().cpu().clone() for k, t in model.state_dict().items()}
        else:
            since_best += 1
        if log and (epoch % 10 == 0 or epoch == tc["epochs"] - 1):
            log(f"  epoch {epoch:3d} loss {rec['loss']:.4f} val F1 {v:.4f}"
                + (f" sel loss {rec['val_loss_select']:.4f}" if sel is not None else "")
                + f" lr {opt.param_groups[0]['lr']:.2g}")
        if ck is not None:
            ck.save(epoch, model=model, optimizer=opt, scheduler=sched, scaler=rt.scaler, generators=[g],
                    extra={"history": history, "best": best, "since_best": since_best, "best_epoch": best_epoch,
                           "best_state": best_state})
    if best_state is not None:
        model.load_state_dict(best_state)
    model = model.cpu().eval()
    info = {"best_val_f1": max(h["val_f1"] for h in history) if history else None,
            "selected_epoch": best_epoch,
            "selected_on": (f"min val triplet loss on {sel[0].name}" if sel is not None else "max val F1"),
            "epochs": len(history), "seconds": time.time() - t0, "history": history,
            "train_segments": {t.d.name: int(len(t.rows)) for t in train}, "combine": mode,
            "targets": {t.d.name: t.targets.kind for t in train}, "input_dim": int(in_dim), "output_dim": int(dim),
            "device": str(dev), "precision": rt.precision}
    return model, clusters, info
