import math

import torch

from moodshelf_train.losses import alignment_regularizer, triplet_cosine_loss


def test_triplet_hand_computed():
    a = torch.tensor([[1.0, 0.0], [2.0, 0.0]])
    p = torch.tensor([[1.0, 0.0], [0.0, 1.0]])  # cos 1, cos 0
    n = torch.tensor([[0.0, 1.0], [-1.0, 0.0]])  # cos 0, cos -1
    # row 0: relu(0 - 1 + 1) = 0 ; row 1: relu(-1 - 0 + 1) = 0
    assert torch.isclose(triplet_cosine_loss(a, p, n), torch.tensor(0.0))
    n2 = torch.tensor([[1.0, 1.0], [1.0, 0.0]])  # cos 1/sqrt2, cos 1
    # row 0: relu(0.7071 - 1 + 1) = 0.7071 ; row 1: relu(1 - 0 + 1) = 2
    expected = (1 / math.sqrt(2) + 2.0) / 2
    assert abs(float(triplet_cosine_loss(a, p, n2)) - expected) < 1e-6
    # margin is a parameter
    assert abs(float(triplet_cosine_loss(a, p, n2, margin=0.5)) - (0.2071068 + 1.5) / 2) < 1e-6


def test_alignment_regularizer_hand_computed():
    a = torch.tensor([[1.0, 0.0], [0.0, 3.0], [-1.0, 0.0]])
    ids = torch.tensor([0, 1, 1])
    # anchor 0: partners 1, 2 (different id): cos 0 and -1 -> mean -0.5 -> relu(0.5) = 0.5
    # anchor 1: partner 0: cos 0 -> 1 ; anchor 2: partner 0: cos -1 -> 0
    lam = 2.5
    expected = lam * (0.5 + 1.0 + 0.0) / 3
    assert abs(float(alignment_regularizer(a, ids, lam)) - expected) < 1e-6


def test_alignment_regularizer_same_ids_and_gradient():
    a = torch.randn(4, 3, requires_grad=True)
    assert float(alignment_regularizer(a, torch.zeros(4, dtype=torch.long)).detach()) == 0.0
    loss = alignment_regularizer(a, torch.tensor([0, 1, 0, 1]))
    loss.backward()
    assert a.grad is not None and torch.isfinite(a.grad).all()
