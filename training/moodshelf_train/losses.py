"""Triplet loss on cosine, the paper's alignment regulariser (v2), and the loss of one multi-dataset step as the
paper's `CombinedTripletModule.training_step` (src/models/model.py) computes it."""

import torch
import torch.nn.functional as F


def triplet_cosine_loss(anchor, positive, negative, margin=1.0):
    """mean(relu(cos(a, n) - cos(a, p) + margin)); inputs [B, D], need not be normalised."""
    cp = F.cosine_similarity(anchor, positive, dim=-1, eps=1e-8)
    cn = F.cosine_similarity(anchor, negative, dim=-1, eps=1e-8)
    return F.relu(cn - cp + margin).mean()


def alignment_regularizer(anchors, ids, lam=2.5):
    """The paper's RegularizationLossV2 (src/models/components/regularization_loss.py): for each anchor the mean
    cosine to the OTHER anchors whose id differs; loss = mean over ALL anchors of lam * relu(mean + 1).
    An anchor without such a partner has mean 0 (the paper divides a zero sum by clamp(count, 1e-8)) and so
    contributes lam: a batch whose ids are all equal gives exactly lam, as the paper's code does."""
    a = F.normalize(anchors, dim=-1)
    sim = a @ a.t()
    diff = (ids[:, None] != ids[None, :]).to(sim.dtype)
    diff.fill_diagonal_(0)
    mean = (sim * diff).sum(1) / diff.sum(1).clamp(min=1e-8)
    return (lam * F.relu(mean + 1.0)).mean()


def multi_dataset_loss(parts, margin=1.0, reg_ids=None, lam=2.5):
    """Loss of one training step with one batch PER DATASET (Lightning CombinedLoader in the paper).

    parts: list of (anchor [B_d, D], positive [B_d, D], negative [B_d, D]), one per dataset that has a batch in
    this step. Anchors are L2-normalised first (the paper's `normalize: true`). The triplet loss is computed per
    dataset (a mean over that dataset's batch) and the per-dataset losses are SUMMED; the regulariser (when
    reg_ids, a list of [B_d] id tensors aligned with parts, is given) runs once on all anchors of the step
    concatenated. Returns (total, [per-dataset triplet losses], regulariser or None)."""
    anchors = [F.normalize(a, p=2, dim=-1) for a, _, _ in parts]
    per = [triplet_cosine_loss(a, p, n, margin) for a, (_, p, n) in zip(anchors, parts)]
    total = torch.stack(per).sum() if per else torch.zeros(())
    reg = None
    if reg_ids is not None and parts:
        reg = alignment_regularizer(torch.cat(anchors), torch.cat(list(reg_ids)), lam)
        total = total + reg
    return total, per, reg
