"""Label alignment: the label -> cluster map of a leave-one-out fold, as the paper's code has it.

The paper (scripts/mean_shift.py) runs scikit-learn MeanShift with bandwidth = estimate_bandwidth(X, quantile,
n_samples) over the concatenated EXPANDED label embeddings of the training datasets (in the paper's dataset
order: MTG-Jamendo, CAL500, Emotify) and committed the result per fold (`clusters/<A>_<B>/label_map.json` and
`cluster_centers.npz` in its repo; vendored as data/paper/clusters/<A>+<B>.json).

- mtg-jamendo+cal500 (quantile 0.03, n_samples 73) is COMPUTED here by mean shift; from the vendored vectors it
  gives exactly the committed partition and numbering (42 clusters; sklearn's own cluster numbers are kept).
- mtg-jamendo+emotify (62 clusters) and cal500+emotify (22 clusters) can not be recomputed: estimate_bandwidth
  collapses to ~1e-8 there (int(n * quantile) = 1 neighbour, i.e. the point itself), which makes every label its
  own cluster. For them the committed maps are used (PAPER_COMMITTED_ONLY).
- any other combination (all three datasets, an app export's vocabulary) is computed by mean shift with the
  given (or the paper's) settings; a collapsed bandwidth is clamped to `min_bandwidth` (every label alone).

Centres: the paper's committed `cluster_centers.npz` holds MeanShift's `cluster_centers_` (mtg_CAL500, within
5e-8 of what MeanShift gives here); for the two collapsed folds each centre is the expanded vector of ONE member
label (a singleton's own vector; for the six merged clusters the member listed in PAPER_CENTER_MEMBERS, read from
the committed npz). `centers` reproduces those; `mean_centers` (mean of the members' expanded vectors) is given
too.

Entry point for the trainer: `fold_cluster_map(names, spaces)`."""

import json
from pathlib import Path

import numpy as np

# The paper's dataset order (conf/data/multi.yaml: mtg, CAL500, emotify): dataset A's labels come first.
PAPER_ORDER = ("mtg-jamendo", "cal500", "emotify")
# MeanShift settings per training set (scripts/mean_shift.py comments), keyed in PAPER_ORDER.
PAPER_SETTINGS = {
    "mtg-jamendo+cal500": {"quantile": 0.03, "n_samples": 73},
    "mtg-jamendo+emotify": {"quantile": 0.025, "n_samples": 65},
    "cal500+emotify": {"quantile": 0.04, "n_samples": 26},
    "mtg-jamendo+cal500+emotify": {"quantile": 0.03, "n_samples": 82},
}
# Folds whose committed map can not be recomputed from the vectors (collapsed bandwidth): taken from the map.
PAPER_COMMITTED_ONLY = ("mtg-jamendo+emotify", "cal500+emotify")
# For the collapsed folds, the committed cluster_centers.npz holds one member's expanded vector per cluster; for
# the clusters with several members, which one (read from clusters/<fold>/cluster_centers.npz of the paper's repo).
PAPER_CENTER_MEMBERS = {
    "mtg-jamendo+emotify": {4: ("mtg-jamendo", "sad"), 13: ("mtg-jamendo", "calm"), 46: ("mtg-jamendo", "uplifting")},
    "cal500+emotify": {0: ("cal500", "sad"), 9: ("cal500", "pleasant, comfortable"),
                       14: ("emotify", "joyful_activation")},
}


def fold_key(names):
    """'A+B' in the paper's dataset order (unknown names after the known ones, in the given order)."""
    known = [n for n in PAPER_ORDER if n in names]
    return "+".join(known + [n for n in names if n not in PAPER_ORDER])


def canonical_order(names):
    return fold_key(names).split("+")


def committed_map_path(names, paper_dir=None):
    from .data import paper_dir as _paper_dir

    return Path(paper_dir or _paper_dir()) / "clusters" / f"{fold_key(names)}.json"


def load_committed_map(names, paper_dir=None):
    """The paper's committed map for a pair of datasets ({datasets, clusters, assignments: [{dataset, label,
    cluster}]}), or None when there is none."""
    p = committed_map_path(names, paper_dir)
    if not p.exists():
        return None
    return json.loads(p.read_text())


def _kept_settings(key, quantile, n_samples, n_labels):
    s = dict(PAPER_SETTINGS.get(key, {}))
    if quantile is not None:
        s["quantile"] = quantile
    if n_samples is not None:
        s["n_samples"] = n_samples
    s.setdefault("quantile", 0.03)
    s.setdefault("n_samples", n_labels)
    return float(s["quantile"]), int(s["n_samples"])


def _result(names, spaces, labels_flat, method, quantile, n_samples, bandwidth, centers):
    """Common dict: assignments per dataset (vocabulary order), centers [K, dim] (row = cluster id), member means."""
    X = np.concatenate([spaces[n].expanded for n in names]).astype(np.float64)
    K = int(labels_flat.max()) + 1
    mean_centers = np.stack([X[labels_flat == k].mean(0) if (labels_flat == k).any() else np.zeros(X.shape[1])
                             for k in range(K)])
    out, o = {}, 0
    for n in names:
        out[n] = [int(c) for c in labels_flat[o:o + len(spaces[n].labels)]]
        o += len(spaces[n].labels)
    return {"method": method, "quantile": quantile, "nSamples": n_samples, "bandwidth": bandwidth,
            "nClusters": int(len(np.unique(labels_flat))), "datasets": list(names),
            "labels": {n: list(spaces[n].labels) for n in names}, "assignments": out,
            "centers": np.asarray(centers, dtype=np.float32), "meanCenters": mean_centers.astype(np.float32)}


def mean_shift_clusters(spaces, quantile, n_samples, random_state=0, min_bandwidth=1e-6):
    """spaces: list of (dataset name, LabelSpace) in order. MeanShift as the paper's scripts/mean_shift.py, with
    scikit-learn's own cluster numbering (which is what the paper committed). Returns the dict of
    `fold_cluster_map` (method "mean-shift"; `bandwidth` as estimated, before clamping)."""
    from sklearn.cluster import MeanShift, estimate_bandwidth

    names = [n for n, _ in spaces]
    sp = dict(spaces)
    X = np.concatenate([sp[n].expanded for n in names]).astype(np.float64)
    bw = float(estimate_bandwidth(X, quantile=quantile, n_samples=n_samples, random_state=random_state))
    ms = MeanShift(bandwidth=max(bw, min_bandwidth)).fit(X)
    return _result(names, sp, np.asarray(ms.labels_, dtype=np.int64), "mean-shift", quantile, n_samples, bw,
                   ms.cluster_centers_)


def committed_clusters(names, spaces, paper_dir=None):
    """The paper's committed map for the pair `names` as the dict of `fold_cluster_map` (method
    "paper-committed"). Labels are matched by string; every vocabulary label must be in the map."""
    key = fold_key(names)
    raw = load_committed_map(names, paper_dir)
    if raw is None:
        raise FileNotFoundError(f"no committed cluster map for {key} ({committed_map_path(names, paper_dir)})")
    order = canonical_order(names)
    table = {(a["dataset"], a["label"]): int(a["cluster"]) for a in raw["assignments"]}
    flat = []
    for n in order:
        for lab in spaces[n].labels:
            if (n, lab) not in table:
                raise KeyError(f"{key}: label {lab!r} of {n} is not in the committed map")
            flat.append(table[(n, lab)])
    flat = np.asarray(flat, dtype=np.int64)
    X = np.concatenate([spaces[n].expanded for n in order]).astype(np.float64)
    offsets, o = {}, 0
    for n in order:
        offsets[n] = o
        o += len(spaces[n].labels)
    K = int(flat.max()) + 1
    centers = np.zeros((K, X.shape[1]))
    chosen = PAPER_CENTER_MEMBERS.get(key, {})
    for k in range(K):
        members = np.where(flat == k)[0]
        if k in chosen:
            n, lab = chosen[k]
            centers[k] = X[offsets[n] + spaces[n].labels.index(lab)]
        elif len(members):
            centers[k] = X[members[0]] if len(members) == 1 else X[members].mean(0)
    q, ns = _kept_settings(key, None, None, len(flat))
    res = _result(order, spaces, flat, "paper-committed", q, ns, None, centers)
    res["nClusters"] = int(raw.get("clusters", res["nClusters"]))
    res["source"] = str(committed_map_path(names, paper_dir))
    return res


def fold_cluster_map(names, spaces=None, quantile=None, n_samples=None, paper_dir=None, source="paper",
                     min_bandwidth=1e-6):
    """The label -> cluster map of the training datasets `names` (any order; computed in the paper's order).

    spaces: {dataset: LabelSpace} (default: data/paper/label-embeddings.json). quantile / n_samples: MeanShift
    settings (default: the paper's for that combination, PAPER_SETTINGS). source: "paper" (default: the
    committed map for the two folds in PAPER_COMMITTED_ONLY, mean shift otherwise), "mean-shift" (always
    compute), or "committed" (always the committed map).

    Returns a dict: method ("mean-shift" | "paper-committed"), quantile, nSamples, bandwidth (None when
    committed), nClusters, datasets (paper order), labels {dataset: [label]}, assignments {dataset: [global
    cluster id per label, vocabulary order]}, centers float32 [K, dim] (row k = cluster k; the paper's centres),
    meanCenters float32 [K, dim] (mean of the members' expanded vectors)."""
    if spaces is None:
        from .data import load_label_embeddings

        spaces = load_label_embeddings(paper_dir=paper_dir)
    order = canonical_order(list(names))
    key = "+".join(order)
    if source == "committed" or (source == "paper" and key in PAPER_COMMITTED_ONLY):
        return committed_clusters(order, spaces, paper_dir)
    if source not in ("paper", "mean-shift", "committed"):
        raise ValueError(f"unknown cluster source {source!r}")
    q, ns = _kept_settings(key, quantile, n_samples, sum(len(spaces[n].labels) for n in order))
    return mean_shift_clusters([(n, spaces[n]) for n in order], q, ns, min_bandwidth=min_bandwidth)


def assignments_json(clusters):
    """{"datasets", "clusters", "assignments": [{dataset, label, cluster}]} in the paper's order, the format of
    data/paper/clusters/*.json."""
    rows = [{"dataset": n, "label": lab, "cluster": int(c)}
            for n in clusters["datasets"] for lab, c in zip(clusters["labels"][n], clusters["assignments"][n])]
    return {"datasets": list(clusters["datasets"]), "clusters": int(clusters["nClusters"]), "assignments": rows}


def cluster_lookup(clusters):
    """{(dataset, label): cluster id}: what the paper's combined label_map.json gives, per dataset (the paper's
    file is keyed by the label string alone, so a label shared by two vocabularies ('happy', 'sad') keeps one
    entry there; here each dataset's own is kept)."""
    return {(n, lab): int(c) for n in clusters["datasets"]
            for lab, c in zip(clusters["labels"][n], clusters["assignments"][n])}
