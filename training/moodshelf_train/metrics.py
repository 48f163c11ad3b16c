"""Top-k binarisation, multilabel macro F1 (torchmetrics semantics) and song-level majority vote."""

import numpy as np


def topk_binarize(scores, k):
    """scores [N, V] -> {0,1} [N, V] with exactly k ones per row (stable: ties go to the lower index)."""
    scores = np.asarray(scores)
    idx = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    out = np.zeros(scores.shape, dtype=np.int64)
    np.put_along_axis(out, idx, 1, axis=1)
    return out


def macro_f1(pred, target):
    """Multilabel macro F1 as torchmetrics MultilabelF1Score(average='macro') on binary inputs: per-label
    F1 = 2tp / (2tp + fp + fn), 0 when the denominator is 0, averaged over ALL labels."""
    p = np.asarray(pred).astype(bool)
    t = np.asarray(target).astype(bool)
    tp = (p & t).sum(0).astype(np.float64)
    fp = (p & ~t).sum(0).astype(np.float64)
    fn = (~p & t).sum(0).astype(np.float64)
    den = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, den, out=np.zeros_like(tp), where=den > 0)
    return float(f1.mean())


def song_vote(scores, track, k):
    """Each segment votes for its top-k labels; each track takes the k labels with most votes (ties broken by
    the higher mean cosine over its segments, then the lower label index). Returns (tracks, [T, V] binary)."""
    scores = np.asarray(scores, dtype=np.float64)
    votes = topk_binarize(scores, k)
    tracks, inv = np.unique(np.asarray(track), return_inverse=True)
    V = scores.shape[1]
    vs = np.zeros((len(tracks), V))
    ms = np.zeros((len(tracks), V))
    np.add.at(vs, inv, votes)
    np.add.at(ms, inv, scores)
    ms /= np.bincount(inv, minlength=len(tracks))[:, None]
    key = vs + np.clip(ms, -1, 1) * 1e-3 / 2.01 + 0.0  # votes dominate; |cos| <= 1 keeps the tie-break below 1 vote
    return tracks, topk_binarize(key, k)


def multi_hot(label_lists, V):
    y = np.zeros((len(label_lists), V), dtype=np.int64)
    for i, ls in enumerate(label_lists):
        y[i, ls] = 1
    return y
