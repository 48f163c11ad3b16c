"""Triplet loss on cosine and the paper's alignment regulariser (v2)."""

import torch
import torch.nn.functional as F


def triplet_cosine_loss(anchor, positive, negative, margin=1.0):
    """mean(relu(cos(a, n) - cos(a, p) + margin)); inputs [B, D], need not be normalised."""
    cp = F.cosine_similarity(anchor, positive, dim=-1, eps=1e-8)
    cn = F.cosine_similarity(anchor, negative, dim=-1, eps=1e-8)
    return F.relu(cn - cp + margin).mean()


def alignment_regularizer(anchors, ids, lam=2.5):
    """v2: for each anchor the mean cosine to the anchors of the batch whose id differs;
    loss = mean over anchors (that have at least one such partner) of lam * relu(mean + 1)."""
    a = F.normalize(anchors, dim=-1, eps=1e-8)
    sim = a @ a.t()
    diff = (ids[:, None] != ids[None, :]).to(sim.dtype)
    cnt = diff.sum(1)
    has = cnt > 0
    if not bool(has.any()):
        return anchors.sum() * 0.0
    mean = (sim * diff).sum(1)[has] / cnt[has]
    return (lam * F.relu(mean + 1.0)).mean()
