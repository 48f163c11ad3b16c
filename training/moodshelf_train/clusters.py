"""Label alignment: scikit-learn MeanShift over the concatenated expanded label embeddings of the training
datasets (dataset A's labels first), bandwidth = estimate_bandwidth(X, quantile, n_samples) as the paper."""

import numpy as np


def mean_shift_clusters(spaces, quantile, n_samples, random_state=0, min_bandwidth=1e-6):
    """spaces: list of (dataset name, LabelSpace) in order. Returns dict with `assignments` {dataset: [cluster]},
    `centers` [K, dim], `bandwidth` (as estimated) and the settings."""
    from sklearn.cluster import MeanShift, estimate_bandwidth

    X = np.concatenate([s.expanded for _, s in spaces]).astype(np.float64)
    bw = float(estimate_bandwidth(X, quantile=quantile, n_samples=n_samples, random_state=random_state))
    ms = MeanShift(bandwidth=max(bw, min_bandwidth)).fit(X)
    # renumber clusters by first appearance so the ids are stable and readable
    order, remap = [], {}
    for c in ms.labels_:
        if c not in remap:
            remap[c] = len(order)
            order.append(c)
    labels = np.array([remap[c] for c in ms.labels_])
    centers = ms.cluster_centers_[order].astype(np.float32)
    out, o = {}, 0
    for name, s in spaces:
        out[name] = [int(c) for c in labels[o:o + len(s.labels)]]
        o += len(s.labels)
    return {"method": "mean-shift", "quantile": quantile, "nSamples": n_samples, "bandwidth": bw,
            "nClusters": int(len(order)), "assignments": out, "centers": centers}
