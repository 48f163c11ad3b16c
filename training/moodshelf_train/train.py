"""Training of a projection head on several datasets at once (triplet loss, label augmentation, mean-shift
clusters, alignment regulariser v2, oversampling, AdamW + ReduceLROnPlateau), and zero-shot evaluation."""

import copy
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .clusters import mean_shift_clusters
from .heads import build_head
from .losses import alignment_regularizer, triplet_cosine_loss
from .metrics import macro_f1, multi_hot, song_vote, topk_binarize

METHODS = {
    "baseline": {"clusters": False, "reg": False},
    "clustering": {"clusters": True, "reg": False},
    "alignment": {"clusters": True, "reg": True},
}

TRAIN_DEFAULTS = {
    "epochs": 100, "batch_size": 256, "lr": 1e-4, "weight_decay": 0.01, "plateau_factor": 0.2,
    "plateau_patience": 10, "early_stop_patience": None, "margin": 1.0, "n_negatives": 5, "label_augmentation": 0.5,
    "oversample": {"cal500": 2, "emotify": 3}, "reg_lambda": 2.5, "reg_lambda_by_test": {"cal500": 1.0},
    "standardize": True, "threads": None,
}


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


class MultiDatasetTrainSet:
    """Concatenated train segments of several datasets in one global label space."""

    def __init__(self, datasets, layers, split=0, oversample=None):
        xs, ys, ds = [], [], []
        self.offsets, o = {}, 0
        for d in datasets:
            self.offsets[d.name] = o
            o += len(d.space.labels)
        self.V = o
        for di, d in enumerate(datasets):
            mask = d.segment_split == split
            rep = int((oversample or {}).get(d.name, 1)) if split == 0 else 1
            x = d.select(layers)[mask]
            y = multi_hot([[self.offsets[d.name] + l for l in d.track_labels[t]] for t in d.track[mask]], self.V)
            for _ in range(rep):
                xs.append(x)
                ys.append(y)
                ds.append(np.full(len(x), di))
        self.x = torch.from_numpy(np.concatenate(xs).astype(np.float32))
        self.y = torch.from_numpy(np.concatenate(ys).astype(bool))
        self.ds = torch.from_numpy(np.concatenate(ds))
        self.plain = torch.from_numpy(np.concatenate([d.space.plain for d in datasets]))
        self.expanded = torch.from_numpy(np.concatenate([d.space.expanded for d in datasets]))
        label_ds = np.concatenate([np.full(len(d.space.labels), i) for i, d in enumerate(datasets)])
        self.same_ds = torch.from_numpy(label_ds[None, :] == np.arange(len(datasets))[:, None])  # [n_ds, V]

    def __len__(self):
        return len(self.x)


def cluster_settings(cfg, names):
    key = "+".join(names)
    cl = cfg.get("clusters", {})
    if key in cl:
        return cl[key]
    for k, v in cl.items():
        if sorted(k.split("+")) == sorted(names):
            return v
    n = None
    return {"quantile": cl.get("default_quantile", 0.03), "n_samples": n}


def compute_clusters(cfg, datasets):
    names = [d.name for d in datasets]
    s = cluster_settings(cfg, names)
    n = s.get("n_samples") or sum(len(d.space.labels) for d in datasets)
    return mean_shift_clusters([(d.name, d.space) for d in datasets], s["quantile"], n)


def scores_for(head, x, label_emb, batch=4096):
    head.eval()
    out = []
    with torch.no_grad():
        E = F.normalize(torch.as_tensor(label_emb), dim=-1)
        for i in range(0, len(x), batch):
            a = F.normalize(head(torch.as_tensor(x[i:i + batch])), dim=-1)
            out.append((a @ E.t()).numpy())
    return np.concatenate(out) if out else np.zeros((0, len(label_emb)), dtype=np.float32)


def evaluate(head, d, layers, split=2, embeddings="plain"):
    """Zero-shot (or in-domain) evaluation on dataset d: cosine to every label, top-k, macro F1 at segment and
    song level. split: 0/1/2 or None for all segments."""
    mask = np.ones(len(d.track), bool) if split is None else d.segment_split == split
    x = d.select(layers)[mask]
    tr = d.track[mask]
    E = d.space.plain if embeddings == "plain" else d.space.expanded
    s = scores_for(head, x, E)
    return score_metrics(s, d, tr)


def score_metrics(s, d, tr):
    """Top-k, macro F1 at segment level and song level (majority vote) for scores s [n, V] of the segments whose
    track numbers are tr [n] in dataset d. Shared by the trained heads and the CLAP zero-shot baseline."""
    V = len(d.space.labels)
    y_seg = multi_hot([d.track_labels[t] for t in tr], V)
    seg = macro_f1(topk_binarize(s, d.top_k), y_seg)
    tracks, song_pred = song_vote(s, tr, d.top_k)
    song = macro_f1(song_pred, multi_hot([d.track_labels[t] for t in tracks], V))
    return {"segment": seg, "song": song, "segments": int(len(tr)), "tracks": int(len(tracks))}


def chance(d, split=2, seeds=20, mask=None):
    """Expected F1 of random scores (mean over seeds), on the split's segments (or on `mask` when given)."""
    if mask is None:
        mask = np.ones(len(d.track), bool) if split is None else d.segment_split == split
    tr = d.track[mask]
    V = len(d.space.labels)
    seg, song = [], []
    for s in range(seeds):
        r = np.random.default_rng(1000 + s).random((len(tr), V))
        seg.append(macro_f1(topk_binarize(r, d.top_k), multi_hot([d.track_labels[t] for t in tr], V)))
        tracks, p = song_vote(r, tr, d.top_k)
        song.append(macro_f1(p, multi_hot([d.track_labels[t] for t in tracks], V)))
    return {"segment": float(np.mean(seg)), "song": float(np.mean(song))}


def train_head(cfg, datasets, method="alignment", test_name=None, seed=0, log=None, dist_info=(0, 1, False)):
    """Train a head on the train splits of `datasets`. Returns (head module (eval, standardisation folded in),
    clusters or None, history)."""
    t0 = time.time()
    tc = dict(TRAIN_DEFAULTS)
    tc.update(cfg.get("train", {}))
    m = METHODS[method]
    rank, world, active = dist_info
    set_seed(seed)
    if tc.get("threads"):
        torch.set_num_threads(int(tc["threads"]))
    layers = cfg["layers"]
    ts = MultiDatasetTrainSet(datasets, layers, 0, tc["oversample"])
    dim = ts.plain.shape[1]
    hc = dict(cfg.get("head", {}))
    kind = hc.pop("type", "mlp")
    head = build_head(kind, ts.x.shape[1], dim, **hc)
    if tc["standardize"]:
        mean = ts.x.mean(0)
        std = ts.x.std(0).clamp_min(1e-6)
    else:
        mean, std = torch.zeros(ts.x.shape[1]), torch.ones(ts.x.shape[1])
    model = Standardized(head, mean, std)
    clusters = None
    if m["clusters"] or m["reg"]:
        clusters = compute_clusters(cfg, datasets)
        lab2c = torch.tensor([c for d in datasets for c in clusters["assignments"][d.name]])
        centers = torch.from_numpy(clusters["centers"])
        member = F.one_hot(lab2c, centers.shape[0]).float()  # [V, K]
    lam = tc["reg_lambda_by_test"].get(test_name, tc["reg_lambda"]) if test_name else tc["reg_lambda"]
    train_model = model
    if active:
        from torch.nn.parallel import DistributedDataParallel as DDP

        train_model = DDP(model)
    opt = torch.optim.AdamW(model.parameters(), lr=tc["lr"], weight_decay=tc["weight_decay"])
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=tc["plateau_factor"],
                                                       patience=tc["plateau_patience"])
    g = torch.Generator().manual_seed(seed + 1)
    bs = max(1, tc["batch_size"] // world)
    p_aug = float(tc["label_augmentation"] or 0.0)
    history, best, best_state, since_best = [], -1.0, None, 0
    for epoch in range(tc["epochs"]):
        train_model.train()
        perm = torch.randperm(len(ts), generator=g)
        perm = perm[: len(perm) // world * world][rank::world]  # equal batch counts on every rank
        tot, nb = 0.0, 0
        for i in range(0, len(perm), bs):
            idx = perm[i:i + bs]
            x, y, dsi = ts.x[idx], ts.y[idx], ts.ds[idx]
            a = train_model(x)
            B = len(idx)
            if m["clusters"]:
                yc = (y.float() @ member) > 0
                pos = (yc.float() @ centers) / yc.sum(1, keepdim=True)
                negw = (~yc).float()
                negw[negw.sum(1) == 0] = 1.0
                nidx = torch.multinomial(negw, tc["n_negatives"], replacement=True, generator=g)
                neg = centers[nidx].mean(1)
            else:
                aug = torch.rand(y.shape, generator=g) < p_aug
                yf = y.float()
                pos = ((y & ~aug).float() @ ts.plain + (y & aug).float() @ ts.expanded) / yf.sum(1, keepdim=True)
                negw = ((~y) & ts.same_ds[dsi]).float()
                negw[negw.sum(1) == 0] = 1.0
                nidx = torch.multinomial(negw, tc["n_negatives"], replacement=True, generator=g)
                naug = (torch.rand(nidx.shape, generator=g) < p_aug)[..., None]
                neg = torch.where(naug, ts.expanded[nidx], ts.plain[nidx]).mean(1)
            an = F.normalize(a, dim=-1)
            loss = triplet_cosine_loss(an, pos, neg, tc["margin"])
            if m["reg"]:
                pick = torch.multinomial(y.float(), 1, generator=g).squeeze(1)
                loss = loss + alignment_regularizer(a, lab2c[pick], lam)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot += float(loss.detach())
            nb += 1
        val = [evaluate(model, d, layers, split=1)["segment"] for d in datasets]
        v = float(np.mean(val))
        sched.step(v)
        history.append({"epoch": epoch, "loss": tot / max(nb, 1), "val_f1": v, "lr": opt.param_groups[0]["lr"]})
        if v > best:
            best, best_state, since_best = v, copy.deepcopy(model.state_dict()), 0
        else:
            since_best += 1
        if log and (epoch % 10 == 0 or epoch == tc["epochs"] - 1):
            log(f"  epoch {epoch:3d} loss {tot / max(nb, 1):.4f} val F1 {v:.4f} lr {opt.param_groups[0]['lr']:.2g}")
        if tc["early_stop_patience"] and since_best >= tc["early_stop_patience"]:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    info = {"best_val_f1": best, "epochs": len(history), "seconds": time.time() - t0, "history": history,
            "train_segments": len(ts), "input_dim": int(ts.x.shape[1]), "output_dim": int(dim)}
    return model, clusters, info
